"""POST /api/v1/batches/{id}/aggregate: a scan gets aggregated or an exact reason."""

import pytest
from sqlalchemy import select

from mes_web.extensions import db
from mes_web.models import Event
from tests.factories import add_codes, create_batch


@pytest.fixture
def batch(client, supervisor):
    batch = create_batch(client, supervisor)
    add_codes(client, supervisor, batch, ["K-1", "K-2", "K-3"])
    return batch


@pytest.fixture
def other_batch(client, supervisor):
    batch = create_batch(client, supervisor, ИдентификаторРЦ="B")
    add_codes(client, supervisor, batch, ["OTHER-1"])
    return batch


def _scan(client, headers, batch_id, body):
    return client.post(f"/api/v1/batches/{batch_id}/aggregate", json=body, headers=headers)


def test_a_scan_aggregates_the_product(client, operator, batch):
    response = _scan(client, operator, batch["id"], {"unique_code": "K-1"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["unique_code"], body["is_aggregated"]) == ("K-1", True)
    assert body["aggregated_at"].endswith("+03:00")
    event = db.session.scalars(select(Event).where(Event.event_type == "product_aggregated")).one()
    assert (event.batch_id, event.actor) == (batch["id"], "token:test-operator")
    assert event.payload == {"product_id": body["id"], "unique_code": "K-1", "aggregated_at": body["aggregated_at"]}


def test_a_second_scan_says_when_the_first_was(client, operator, batch):
    first = _scan(client, operator, batch["id"], {"unique_code": "K-1"}).get_json()
    again = _scan(client, operator, batch["id"], {"unique_code": "K-1"})
    assert again.status_code == 400
    assert again.get_json() == {
        "error": "already_aggregated",
        "detail": f"Данная продукция уже была использована в {first['aggregated_at']}",
    }


def test_a_code_of_another_batch(client, operator, batch, other_batch):
    response = _scan(client, operator, batch["id"], {"unique_code": "OTHER-1"})
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "belongs_to_different_batch",
        "detail": "Данная продукция принадлежит другой партии",
    }


def test_unknown_code_unknown_batch_and_closed_batch(client, operator, supervisor, batch):
    unknown_code = _scan(client, operator, batch["id"], {"unique_code": "NOPE"})
    assert (unknown_code.status_code, unknown_code.get_json()["error"]) == (404, "product_not_found")
    unknown_batch = _scan(client, operator, 999999, {"unique_code": "K-1"})
    assert (unknown_batch.status_code, unknown_batch.get_json()["error"]) == (404, "batch_not_found")
    client.post(f"/api/v1/batches/{batch['id']}/close", headers=supervisor)
    closed = _scan(client, operator, batch["id"], {"unique_code": "K-1"})
    assert (closed.status_code, closed.get_json()["error"]) == (409, "batch_closed")
    assert db.session.scalars(select(Event.event_type).where(Event.event_type == "product_aggregated")).all() == []


def test_a_body_without_a_code_is_422(client, operator, batch):
    assert _scan(client, operator, batch["id"], {"code": "K-1"}).status_code == 422
    assert _scan(client, operator, batch["id"], {"unique_code": 5}).status_code == 422


def test_a_list_reports_every_code(client, operator, batch, other_batch):
    _scan(client, operator, batch["id"], {"unique_code": "K-3"})
    codes = ["K-1", "K-2", "K-2", "K-3", "OTHER-1", "NOPE"]
    response = _scan(client, operator, batch["id"], {"unique_codes": codes})
    assert response.status_code == 200
    assert response.get_json() == {
        "total": 6,
        "aggregated": 2,
        "failed": 4,
        "errors": [
            {"code": "K-2", "reason": "already aggregated"},
            {"code": "K-3", "reason": "already aggregated"},
            {"code": "OTHER-1", "reason": "belongs to different batch"},
            {"code": "NOPE", "reason": "not found"},
        ],
    }
    body = client.get(f"/api/v1/batches/{batch['id']}", headers=operator).get_json()
    assert body["products_aggregated"] == 3


def test_a_list_is_limited_to_1000_codes(client, operator, batch):
    response = _scan(client, operator, batch["id"], {"unique_codes": [f"C{i}" for i in range(1001)]})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"unique_codes": "не больше 1000 кодов"}


def test_a_list_into_a_closed_batch_is_409(client, operator, supervisor, batch):
    client.post(f"/api/v1/batches/{batch['id']}/close", headers=supervisor)
    assert _scan(client, operator, batch["id"], {"unique_codes": ["K-1"]}).status_code == 409
