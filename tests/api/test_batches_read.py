"""GET /api/v1/batches and /batches/{id}: filters, bounds, order, refusals."""

import pytest

from tests.factories import add_codes, create_batch


def test_a_batch_comes_with_its_work_center_and_products(client, supervisor, operator):
    batch = create_batch(client, supervisor)
    add_codes(client, supervisor, batch, ["A-1", "A-2"])
    client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": "A-2"}, headers=operator)
    body = client.get(f"/api/v1/batches/{batch['id']}", headers=operator).get_json()
    assert body["work_center"]["identifier"] == "A"
    assert [(p["unique_code"], p["is_aggregated"]) for p in body["products"]] == [("A-1", False), ("A-2", True)]
    assert body["products"][0]["aggregated_at"] is None
    assert body["products"][1]["aggregated_at"].endswith("+03:00")
    assert (body["products_total"], body["products_aggregated"]) == (2, 1)


def test_an_unknown_batch_is_404(client, operator):
    response = client.get("/api/v1/batches/999999", headers=operator)
    assert response.status_code == 404
    assert response.get_json() == {"error": "batch_not_found", "detail": "Партия 999999 не найдена."}


def test_no_token_is_401_and_a_wrong_one_too(client):
    assert client.get("/api/v1/batches").status_code == 401
    response = client.get("/api/v1/batches", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


@pytest.fixture
def three_batches(client, supervisor):
    return [
        create_batch(client, supervisor, НомерПартии=3, ДатаПартии="2024-01-30", Смена="1", ИдентификаторРЦ="A"),
        create_batch(
            client, supervisor, НомерПартии=1, ДатаПартии="2024-01-31", Смена="2", ИдентификаторРЦ="B", Бригада="Б2"
        ),
        create_batch(
            client,
            supervisor,
            НомерПартии=2,
            ДатаПартии="2024-01-30",
            Смена="1",
            ИдентификаторРЦ="B",
            СтатусЗакрытия=True,
        ),
    ]


def _numbers(client, headers, query: str) -> list[int]:
    response = client.get(f"/api/v1/batches?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [item["batch_number"] for item in response.get_json()["items"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [1, 2, 3]),
        ("is_closed=true", [2]),
        ("is_closed=false", [1, 3]),
        ("batch_number=3", [3]),
        ("batch_date=2024-01-30", [2, 3]),
        ("date_from=2024-01-31", [1]),
        ("date_to=2024-01-30", [2, 3]),
        ("work_center_identifier=B", [1, 2]),
        ("shift=2", [1]),
        ("team=Б2", [1]),
        ("nomenclature=Молоко 3,2% 1 л&ekn_code=456678", [1, 2, 3]),
        ("ekn_code=nothing", []),
    ],
)
def test_filters(client, operator, three_batches, query, expected):
    assert _numbers(client, operator, query) == expected


def test_filter_by_work_center_id(client, operator, three_batches):
    wc_id = three_batches[0]["work_center"]["id"]
    assert _numbers(client, operator, f"work_center_id={wc_id}") == [3]


def test_paging_keeps_a_stable_order_and_counts_all(client, operator, three_batches):
    first = client.get("/api/v1/batches?limit=2", headers=operator).get_json()
    second = client.get("/api/v1/batches?limit=2&offset=2", headers=operator).get_json()
    assert (first["total"], first["offset"], first["limit"]) == (3, 0, 2)
    assert [b["batch_number"] for b in first["items"] + second["items"]] == [1, 2, 3]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        ("limit=ten", "limit"),
        ("is_closed=maybe", "is_closed"),
        ("batch_date=30/01/2024", "batch_date"),
        ("batch_number=x", "batch_number"),
        ("is_close=true", "is_close"),
    ],
)
def test_a_bad_parameter_is_422_naming_it(client, operator, query, field):
    response = client.get(f"/api/v1/batches?{query}", headers=operator)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
