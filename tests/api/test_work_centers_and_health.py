"""GET /api/v1/work-centers and /health."""

from tests.factories import create_batch


def test_work_centers_count_open_and_total_batches(client, supervisor, operator):
    create_batch(client, supervisor, ИдентификаторРЦ="A", РабочийЦентр="Линия A")
    create_batch(client, supervisor, ИдентификаторРЦ="A", РабочийЦентр="Линия A", СтатусЗакрытия=True)
    create_batch(client, supervisor, ИдентификаторРЦ="B", РабочийЦентр="Линия B")
    body = client.get("/api/v1/work-centers", headers=operator).get_json()
    counts = [(wc["identifier"], wc["name"], wc["open_batches"], wc["total_batches"]) for wc in body["items"]]
    assert counts == [("A", "Линия A", 1, 2), ("B", "Линия B", 1, 1)]
    assert body["total"] == 2


def test_health_checks_every_configured_service(app, client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    checks = response.get_json()["checks"]
    # The PostgreSQL app is the full stack (Redis and S3 as well); the SQLite one is the embedded default.
    expected = {"database", "redis", "object_storage"} if app.config["REDIS_URL"] else {"database"}
    assert set(checks) == expected and all(check == {"status": "ok"} for check in checks.values())


def _health_with_redis(app, client, url: str):
    configured = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = url
    try:
        return client.get("/api/v1/health")
    finally:
        app.config["REDIS_URL"] = configured


def test_health_reports_a_configured_service_that_does_not_answer(app, client):
    response = _health_with_redis(app, client, "redis://127.0.0.1:1/0")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["status"] == "error"


def test_health_checks_the_real_redis(app, client):
    response = _health_with_redis(app, client, "redis://127.0.0.1:6379/15")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == {"status": "ok"}


def test_unknown_api_paths_answer_json(client, operator):
    response = client.get("/api/v1/nothing-here", headers=operator)
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
