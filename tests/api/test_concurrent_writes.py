"""Concurrent writers against the real PostgreSQL: the second one is served, not refused."""

import threading

from sqlalchemy import func, select, text

from mes_web.extensions import db
from mes_web.models import Batch, Event, Product, Role, WorkCenter
from mes_web.services.access import token_create
from tests.factories import create_batch, shift_task


def _at_once(requests: list) -> list:
    """Send each (client, method, url, json, headers) from its own thread, all released together."""
    barrier, answers = threading.Barrier(len(requests)), [None] * len(requests)

    def send(index, client, method, url, body, headers):
        barrier.wait()
        response = client.open(url, method=method, json=body, headers=headers)
        answers[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _headers(name: str) -> dict:
    return {"Authorization": f"Bearer {token_create(name=name, role=Role.SUPERVISOR.value)}"}


def test_two_bulk_lists_with_the_same_codes_both_succeed(pg_committed):
    app, headers = pg_committed, _headers("bulk")
    batch = create_batch(app.test_client(), headers)
    items = [
        {"УникальныйКодПродукта": f"SAME-{n}", "НомерПартии": batch["batch_number"], "ДатаПартии": batch["batch_date"]}
        for n in range(5_000)
    ]
    request = (app.test_client(), "POST", "/api/v1/products", items, headers)
    answers = _at_once([request, (app.test_client(), *request[1:])])
    assert sorted(status for status, _ in answers) == [200, 201], answers
    assert sorted(body["created"] for _, body in answers) == [0, 5_000]
    loser = next(body for _, body in answers if body["created"] == 0)
    assert {skip["reason"] for skip in loser["skipped"]} == {"code exists"} and len(loser["skipped"]) == 5_000
    assert db.session.scalar(select(func.count(Product.id))) == 5_000


def test_two_1c_calls_creating_the_same_new_work_center_both_succeed(pg_committed):
    app, headers = pg_committed, _headers("wc")
    tasks = [shift_task(ИдентификаторРЦ="NEW-WC", РабочийЦентр="Новая линия") for _ in range(2)]
    answers = _at_once([(app.test_client(), "POST", "/api/v1/batches", task, headers) for task in tasks])
    assert [status for status, _ in answers] == [201, 201], answers
    assert db.session.scalar(select(func.count(WorkCenter.id))) == 1
    assert db.session.scalar(select(func.count(Batch.id))) == 2


def test_a_refused_scan_in_autocommit_writes_nothing(pg_committed):
    client, headers = pg_committed.test_client(), _headers("scan")
    batch = create_batch(client, headers)
    client.post("/api/v1/products", json={"unique_code": "AC-1", "batch_id": batch["id"]}, headers=headers)
    url = f"/api/v1/batches/{batch['id']}/aggregate"
    assert client.post(url, json={"unique_code": "AC-1"}, headers=headers).status_code == 200
    assert client.post(url, json={"unique_code": "AC-1"}, headers=headers).status_code == 400
    events = db.session.scalars(select(Event.payload).where(Event.event_type == "product_aggregated")).all()
    assert [payload["unique_code"] for payload in events] == ["AC-1"]


def test_many_distinct_batch_keys_in_one_bulk_list(pg_committed):
    client, headers = pg_committed.test_client(), _headers("keys")
    items = [{"УникальныйКодПродукта": f"K{n}", "НомерПартии": n, "ДатаПартии": "2024-01-30"} for n in range(1, 40_001)]
    response = client.post("/api/v1/products", json=items, headers=headers)
    assert response.status_code == 200
    assert {skip["reason"] for skip in response.get_json()["skipped"]} == {"batch not found"}


def test_a_write_committing_after_a_newer_one_is_not_hidden_by_the_cache(pg_committed):
    """Event ids are taken at insert, not at commit: a slow close can commit an older id after a scan's newer one."""
    client, headers = pg_committed.test_client(), _headers("race")
    batch = create_batch(client, headers)
    client.post("/api/v1/products", json={"unique_code": "R-1", "batch_id": batch["id"]}, headers=headers)
    slow = db.engine.connect()
    try:
        with slow.begin():
            slow.execute(
                text("UPDATE batches SET is_closed = true, closed_at = now() WHERE id = :id"), {"id": batch["id"]}
            )
            slow.execute(
                text(
                    "INSERT INTO events (event_type, batch_id, payload, actor, occurred_at)"
                    " VALUES ('batch_closed', :id, '{}', 'test', now())"
                ),
                {"id": batch["id"]},
            )
            client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": "R-1"}, headers=headers)
            during = client.get("/api/v1/analytics/dashboard", headers=headers).get_json()
            assert during["summary"]["closed_batches"] == 0
        after = client.get("/api/v1/analytics/dashboard", headers=headers).get_json()
        assert after["summary"]["closed_batches"] == 1
    finally:
        slow.close()
