"""PATCH, close and reopen: the same transitions and closed_at rules on every path."""

from sqlalchemy import select

from mes_web.extensions import db
from mes_web.models import Event
from tests.factories import create_batch


def _patch(client, headers, batch_id, body):
    return client.patch(f"/api/v1/batches/{batch_id}", json=body, headers=headers)


def test_patch_changes_only_what_is_given(client, supervisor):
    batch = create_batch(client, supervisor)
    response = _patch(client, supervisor, batch["id"], {"team": "Бригада 7", "shift_end": "2024-01-30T21:00:00"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["team"] == "Бригада 7"
    assert body["shift_end"] == "2024-01-30T21:00:00+03:00"
    assert body["nomenclature"] == batch["nomenclature"]


def test_patch_refuses_unknown_keys(client, supervisor):
    batch = create_batch(client, supervisor)
    response = _patch(client, supervisor, batch["id"], {"team": "X", "colour": "red"})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"colour": "неизвестное поле"}
    assert client.get(f"/api/v1/batches/{batch['id']}", headers=supervisor).get_json()["team"] == batch["team"]


def test_patch_refuses_a_shift_that_ends_before_it_starts(client, supervisor):
    batch = create_batch(client, supervisor)
    response = _patch(client, supervisor, batch["id"], {"shift_start": "2024-01-30T22:00:00+03:00"})
    assert response.status_code == 422


def test_closing_sets_closed_at_once_and_reopening_clears_it(client, supervisor):
    batch = create_batch(client, supervisor)
    closed = _patch(client, supervisor, batch["id"], {"is_closed": True}).get_json()
    assert closed["is_closed"] is True and closed["closed_at"]
    again = _patch(client, supervisor, batch["id"], {"is_closed": True, "team": "Т"}).get_json()
    assert again["closed_at"] == closed["closed_at"]
    reopened = _patch(client, supervisor, batch["id"], {"is_closed": False}).get_json()
    assert reopened["is_closed"] is False and reopened["closed_at"] is None


def test_moving_onto_another_batch_number_and_date_is_409(client, supervisor):
    first = create_batch(client, supervisor, НомерПартии=10)
    second = create_batch(client, supervisor, НомерПартии=11)
    response = _patch(client, supervisor, second["id"], {"batch_number": 10})
    assert response.status_code == 409
    assert response.get_json()["error"] == "batch_exists"
    assert str(first["id"]) in response.get_json()["detail"]


def test_patch_can_move_a_batch_to_another_existing_work_center(client, supervisor):
    batch = create_batch(client, supervisor)
    other = create_batch(client, supervisor, ИдентификаторРЦ="RC-2", РабочийЦентр="Цех 2")["work_center"]
    moved = _patch(client, supervisor, batch["id"], {"work_center_id": other["id"]}).get_json()
    assert moved["work_center"] == other
    unknown = _patch(client, supervisor, batch["id"], {"work_center_id": 999999})
    assert unknown.status_code == 422


def test_patch_of_a_missing_batch_is_404(client, supervisor):
    assert _patch(client, supervisor, 999999, {"team": "X"}).status_code == 404


def test_patch_needs_a_supervisor(client, supervisor, operator):
    batch = create_batch(client, supervisor)
    assert _patch(client, operator, batch["id"], {"team": "X"}).status_code == 403


def test_close_and_reopen_endpoints(client, supervisor):
    batch = create_batch(client, supervisor)
    url = f"/api/v1/batches/{batch['id']}"
    closed = client.post(f"{url}/close", headers=supervisor)
    assert closed.status_code == 200 and closed.get_json()["closed_at"]
    again = client.post(f"{url}/close", headers=supervisor)
    assert again.status_code == 409
    assert again.get_json() == {"error": "already_closed", "detail": f"Партия {batch['id']} уже закрыта."}
    reopened = client.post(f"{url}/reopen", headers=supervisor)
    assert reopened.status_code == 200 and reopened.get_json()["closed_at"] is None
    assert client.post(f"{url}/reopen", headers=supervisor).status_code == 409
    assert client.post("/api/v1/batches/999999/close", headers=supervisor).status_code == 404


def test_close_and_reopen_are_in_the_event_log(client, supervisor):
    batch = create_batch(client, supervisor)
    client.post(f"/api/v1/batches/{batch['id']}/close", headers=supervisor)
    client.post(f"/api/v1/batches/{batch['id']}/reopen", headers=supervisor)
    kinds = db.session.scalars(select(Event.event_type).where(Event.batch_id == batch["id"]).order_by(Event.id)).all()
    assert kinds == ["batch_created", "batch_closed", "batch_reopened"]
