"""Every refusal is a 4xx with a message a person can act on; none is a 500."""

import pytest

from tests.factories import add_codes, create_batch


def test_401_messages(client):
    missing = client.get("/api/v1/batches")
    assert missing.get_json() == {"error": "unauthorized", "detail": "Нужен заголовок Authorization: Bearer <токен>."}
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = client.get("/api/v1/batches", headers={"Authorization": "Bearer mes_nope"})
    assert wrong.get_json() == {"error": "unauthorized", "detail": "Токен неизвестен или отозван."}


def test_403_says_which_role_is_needed(client, operator):
    response = client.post("/api/v1/batches/1/close", headers=operator)
    assert response.status_code == 403
    assert response.get_json()["detail"] == "Роли operator это не разрешено; нужна роль supervisor или выше."


def test_invalid_json_and_too_deep_json_are_400(client, supervisor):
    for body in ("{oops", "[" * 100_000 + "]" * 100_000):
        response = client.post("/api/v1/batches", data=body, headers=supervisor)
        assert response.status_code == 400
        assert response.get_json() == {"error": "invalid_json", "detail": "Тело запроса должно быть JSON."}


def test_a_body_over_the_limit_is_413_in_json(app, client, supervisor):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    try:
        response = client.post("/api/v1/products", data="[" + "1," * 600_000 + "1]", headers=supervisor)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024
    assert response.status_code == 413
    assert response.get_json() == {
        "error": "request_too_large",
        "detail": "Тело запроса больше 1 МБ; разбейте его на части.",
    }


def test_scan_refusals_have_exact_messages(client, supervisor, operator):
    batch = create_batch(client, supervisor)
    unknown = client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": "NOPE"}, headers=operator)
    assert unknown.get_json() == {"error": "product_not_found", "detail": "Код NOPE не найден."}
    client.post(f"/api/v1/batches/{batch['id']}/close", headers=supervisor)
    closed = client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": "X"}, headers=operator)
    assert closed.get_json() == {
        "error": "batch_closed",
        "detail": f"Партия {batch['id']} закрыта: агрегировать в неё нельзя.",
    }
    reopen = client.post(f"/api/v1/batches/{batch['id']}/reopen", headers=supervisor)
    again = client.post(f"/api/v1/batches/{batch['id']}/reopen", headers=supervisor)
    assert reopen.status_code == 200
    assert again.get_json() == {"error": "not_closed", "detail": f"Партия {batch['id']} не закрыта."}


def test_product_refusals_have_exact_messages(client, supervisor):
    closed = create_batch(client, supervisor, СтатусЗакрытия=True)
    into_closed = client.post(
        "/api/v1/products", json={"unique_code": "N", "batch_id": closed["id"]}, headers=supervisor
    )
    assert into_closed.get_json() == {
        "error": "batch_closed",
        "detail": f"Партия {closed['id']} закрыта: добавлять в неё продукцию нельзя.",
    }
    nowhere = client.post("/api/v1/products", json={"unique_code": "N", "batch_id": 999999}, headers=supervisor)
    assert nowhere.get_json() == {"error": "batch_not_found", "detail": "Партия 999999 не найдена."}


def test_empty_lists_are_refused(client, supervisor, operator):
    batch = create_batch(client, supervisor)
    assert client.post("/api/v1/products", json=[], headers=supervisor).status_code == 422
    empty_scan = client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_codes": []}, headers=operator)
    assert empty_scan.status_code == 422
    assert empty_scan.get_json()["fields"] == {"unique_codes": "нужен непустой список"}


@pytest.mark.parametrize("query", ["is_closed=", "limit=5&limit=50", "shift="])
def test_query_values_that_would_be_silently_misread_are_422(client, operator, query):
    assert client.get(f"/api/v1/batches?{query}", headers=operator).status_code == 422


def test_default_and_extreme_page_bounds(client, supervisor, operator):
    for number in range(1, 23):
        create_batch(client, supervisor, НомерПартии=number)
    default = client.get("/api/v1/batches", headers=operator).get_json()
    assert (len(default["items"]), default["limit"], default["offset"], default["total"]) == (20, 20, 0, 22)
    widest = client.get("/api/v1/batches?limit=100&offset=0", headers=operator).get_json()
    assert len(widest["items"]) == 22
    beyond = client.get("/api/v1/batches?offset=30", headers=operator).get_json()
    assert (beyond["items"], beyond["total"]) == ([], 22)


def test_a_date_range(client, supervisor, operator):
    for number, day in ((1, "2024-01-29"), (2, "2024-01-30"), (3, "2024-01-31"), (4, "2024-02-01")):
        create_batch(client, supervisor, НомерПартии=number, ДатаПартии=day)
    page = client.get("/api/v1/batches?date_from=2024-01-30&date_to=2024-01-31", headers=operator).get_json()
    assert sorted(item["batch_number"] for item in page["items"]) == [2, 3]


def test_disaggregate_undoes_a_scan_with_a_reason(client, supervisor, operator):
    batch = create_batch(client, supervisor)
    add_codes(client, supervisor, batch, ["D-1"])
    url = f"/api/v1/batches/{batch['id']}/disaggregate"
    not_yet = client.post(url, json={"unique_code": "D-1", "reason": "брак"}, headers=supervisor)
    assert not_yet.status_code == 409
    assert not_yet.get_json() == {
        "error": "not_aggregated",
        "detail": f"Код D-1 не агрегирован в партию {batch['id']}.",
    }
    client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": "D-1"}, headers=operator)
    assert client.post(url, json={"unique_code": "D-1", "reason": "брак"}, headers=operator).status_code == 403
    no_reason = client.post(url, json={"unique_code": "D-1"}, headers=supervisor)
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["fields"]
    undone = client.post(url, json={"unique_code": "D-1", "reason": "брак"}, headers=supervisor)
    assert undone.status_code == 200
    assert (undone.get_json()["is_aggregated"], undone.get_json()["aggregated_at"]) == (False, None)
    rescan = client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": "D-1"}, headers=operator)
    assert rescan.status_code == 200
