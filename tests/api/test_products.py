"""POST /api/v1/products: one code from a station, or 1C's bulk list."""

from sqlalchemy import func, select

from mes_web.extensions import db
from mes_web.models import Event, Product
from tests.factories import add_codes, create_batch


def _post(client, headers, body):
    return client.post("/api/v1/products", json=body, headers=headers)


def test_a_code_is_registered_in_a_batch(client, supervisor):
    batch = create_batch(client, supervisor)
    response = _post(client, supervisor, {"unique_code": " 0104600000000017 21ABC ", "batch_id": batch["id"]})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["unique_code"], body["batch_id"], body["is_aggregated"]) == (
        "0104600000000017 21ABC",
        batch["id"],
        False,
    )


def test_single_form_refusals(client, supervisor):
    batch = create_batch(client, supervisor)
    closed = create_batch(client, supervisor, СтатусЗакрытия=True)
    add_codes(client, supervisor, batch, ["DUP"])
    missing = _post(client, supervisor, {"unique_code": "X", "batch_id": 999999})
    assert (missing.status_code, missing.get_json()["error"]) == (404, "batch_not_found")
    duplicate = _post(client, supervisor, {"unique_code": "DUP", "batch_id": batch["id"]})
    assert duplicate.status_code == 409
    assert duplicate.get_json() == {"error": "code_exists", "detail": "Код DUP уже зарегистрирован."}
    into_closed = _post(client, supervisor, {"unique_code": "NEW", "batch_id": closed["id"]})
    assert (into_closed.status_code, into_closed.get_json()["error"]) == (409, "batch_closed")
    empty = _post(client, supervisor, {"unique_code": "  ", "batch_id": batch["id"]})
    assert empty.status_code == 422 and "unique_code" in empty.get_json()["fields"]
    no_batch = _post(client, supervisor, {"unique_code": "Y"})
    assert no_batch.status_code == 422 and "batch_id" in no_batch.get_json()["fields"]


def test_operators_may_not_register_codes(client, supervisor, operator):
    batch = create_batch(client, supervisor)
    assert _post(client, operator, {"unique_code": "Z", "batch_id": batch["id"]}).status_code == 403


def _item(code, batch, **overrides):
    return {
        "УникальныйКодПродукта": code,
        "НомерПартии": batch["batch_number"],
        "ДатаПартии": batch["batch_date"],
    } | overrides


def test_1c_bulk_form_links_by_number_and_date_and_explains_each_skip(client, supervisor):
    batch = create_batch(client, supervisor)
    closed = create_batch(client, supervisor, СтатусЗакрытия=True)
    add_codes(client, supervisor, batch, ["OLD"])
    items = [
        _item("N-1", batch),
        {"УникальныйКод": "N-2", "НомерПартии": str(batch["batch_number"]), "ДатаПартии": batch["batch_date"]},
        _item("OLD", batch),
        _item("N-3", batch, НомерПартии=424242),
        _item("N-4", closed),
        _item("N-1", batch),
    ]
    response = _post(client, supervisor, items)
    assert response.status_code == 201
    assert response.get_json() == {
        "total": 6,
        "created": 2,
        "skipped": [
            {"index": 2, "unique_code": "OLD", "reason": "code exists"},
            {"index": 3, "unique_code": "N-3", "reason": "batch not found"},
            {"index": 4, "unique_code": "N-4", "reason": "batch closed"},
            {"index": 5, "unique_code": "N-1", "reason": "code exists"},
        ],
    }
    codes = db.session.scalars(select(Product.unique_code).where(Product.batch_id == batch["id"]).order_by(Product.id))
    assert list(codes) == ["OLD", "N-1", "N-2"]
    added = db.session.scalars(
        select(Event).where(Event.event_type == "product_added").order_by(Event.id.desc())
    ).first()
    assert added.payload == {"count": 2, "unique_codes": ["N-1", "N-2"]}


def test_a_bulk_list_with_nothing_new_answers_200(client, supervisor):
    batch = create_batch(client, supervisor)
    add_codes(client, supervisor, batch, ["OLD"])
    response = _post(client, supervisor, [_item("OLD", batch)])
    assert response.status_code == 200
    assert response.get_json()["created"] == 0


def test_a_malformed_bulk_item_refuses_the_whole_list(client, supervisor):
    batch = create_batch(client, supervisor)
    response = _post(client, supervisor, [_item("OK-1", batch), _item("OK-2", batch, ДатаПартии="вчера")])
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"[1].ДатаПартии": "должно быть датой ГГГГ-ММ-ДД"}
    assert db.session.scalar(select(func.count(Product.id))) == 0
