"""POST /api/v1/batches: shift tasks from 1C, created or overwritten, all or nothing."""

from sqlalchemy import func, select

from mes_web.extensions import db
from mes_web.models import Batch, Event, WorkCenter
from tests.factories import add_codes, create_batch, shift_task


def test_creates_batches_from_a_1c_array_with_their_work_centers(client, supervisor):
    tasks = [shift_task(), shift_task(ИдентификаторРЦ="RC-001", РабочийЦентр="Цех №1")]
    response = client.post("/api/v1/batches", json=tasks, headers=supervisor)
    assert response.status_code == 201
    body = response.get_json()
    assert [b["batch_number"] for b in body] == [t["НомерПартии"] for t in tasks]
    assert body[1]["work_center"]["identifier"] == "RC-001"
    assert body[1]["work_center"]["name"] == "Цех №1"
    assert body[0]["nomenclature"] == "Молоко 3,2% 1 л"
    assert body[0]["is_closed"] is False and body[0]["closed_at"] is None
    assert body[0]["products_total"] == 0


def test_a_single_object_is_accepted(client, supervisor):
    response = client.post("/api/v1/batches", json=shift_task(), headers=supervisor)
    assert response.status_code == 201
    assert len(response.get_json()) == 1


def test_english_keys_are_accepted(client, supervisor):
    task = {
        "batch_number": 7,
        "batch_date": "2024-02-01",
        "work_center_identifier": "EN-1",
        "work_center_name": "Line EN",
        "nomenclature": "Bolt",
        "shift_start": "2024-02-01T08:00:00+03:00",
        "shift_end": "2024-02-01T20:00:00+03:00",
        "team": "Team A",
    }
    response = client.post("/api/v1/batches", json=task, headers=supervisor)
    assert response.status_code == 201
    assert response.get_json()[0]["work_center"]["name"] == "Line EN"
    assert response.get_json()[0]["team"] == "Team A"


def test_resending_a_task_overwrites_the_batch_and_keeps_its_products(client, supervisor):
    batch = create_batch(client, supervisor, Бригада="Бригада 1")
    add_codes(client, supervisor, batch, ["C-1", "C-2"])
    corrected = shift_task(НомерПартии=batch["batch_number"], Бригада="Бригада 2", Номенклатура="Кефир")
    response = client.post("/api/v1/batches", json=[corrected], headers=supervisor)
    assert response.status_code == 200
    body = response.get_json()[0]
    assert body["id"] == batch["id"]
    assert (body["team"], body["nomenclature"]) == ("Бригада 2", "Кефир")
    assert body["products_total"] == 2
    assert db.session.scalar(select(func.count(Batch.id))) == 1


def test_a_mix_of_new_and_overwritten_tasks_answers_201(client, supervisor):
    batch = create_batch(client, supervisor)
    tasks = [shift_task(НомерПартии=batch["batch_number"]), shift_task()]
    assert client.post("/api/v1/batches", json=tasks, headers=supervisor).status_code == 201


def test_work_center_name_follows_1c(client, supervisor):
    create_batch(client, supervisor, ИдентификаторРЦ="RC-9", РабочийЦентр="Старое имя")
    create_batch(client, supervisor, ИдентификаторРЦ="RC-9", РабочийЦентр="Новое имя")
    centers = db.session.scalars(select(WorkCenter).where(WorkCenter.identifier == "RC-9")).all()
    assert [wc.name for wc in centers] == ["Новое имя"]


def test_a_task_created_closed_gets_closed_at(client, supervisor):
    body = create_batch(client, supervisor, СтатусЗакрытия=True)
    assert body["is_closed"] is True
    assert body["closed_at"] is not None


def test_an_invalid_item_names_its_index_and_russian_key_and_writes_nothing(client, supervisor):
    tasks = [shift_task(), shift_task(НомерПартии="двадцать"), shift_task()]
    response = client.post("/api/v1/batches", json=tasks, headers=supervisor)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_error"
    assert "[1].НомерПартии" in body["detail"]
    assert body["fields"] == {"[1].НомерПартии": "должно быть целым числом"}
    assert db.session.scalar(select(func.count(Batch.id))) == 0
    assert db.session.scalar(select(func.count(WorkCenter.id))) == 0
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_missing_required_keys_are_each_named(client, supervisor):
    task = shift_task()
    del task["ДатаПартии"], task["ИдентификаторРЦ"]
    body = client.post("/api/v1/batches", json=[task], headers=supervisor).get_json()
    assert body["fields"] == {"[0].ДатаПартии": "обязательное поле", "[0].ИдентификаторРЦ": "обязательное поле"}


def test_shift_must_end_after_it_starts(client, supervisor):
    task = shift_task(ДатаВремяОкончанияСмены="2024-01-30T07:00:00+03:00")
    body = client.post("/api/v1/batches", json=task, headers=supervisor).get_json()
    assert body["fields"] == {"[0].ДатаВремяОкончанияСмены": "окончание смены должно быть позже начала"}


def test_an_empty_array_is_refused(client, supervisor):
    assert client.post("/api/v1/batches", json=[], headers=supervisor).status_code == 422


def test_a_body_that_is_not_json_is_400(client, supervisor):
    response = client.post("/api/v1/batches", data="{oops", headers=supervisor)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_json"


def test_an_operator_may_not_create_batches(client, operator):
    response = client.post("/api/v1/batches", json=shift_task(), headers=operator)
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"


def test_creation_is_logged_with_its_actor(client, supervisor):
    batch = create_batch(client, supervisor)
    event = db.session.scalars(select(Event).where(Event.batch_id == batch["id"])).one()
    assert (event.event_type, event.actor) == ("batch_created", "token:test-supervisor")


def test_an_overwrite_logs_the_changed_fields(client, supervisor):
    batch = create_batch(client, supervisor, Бригада="Бригада 1")
    client.post(
        "/api/v1/batches", json=shift_task(НомерПартии=batch["batch_number"], Бригада="Бригада 2"), headers=supervisor
    )
    update = db.session.scalars(select(Event).where(Event.event_type == "batch_updated")).one()
    assert update.payload == {"changes": {"team": {"old": "Бригада 1", "new": "Бригада 2"}}}


def test_a_task_created_closed_is_logged_as_created_and_closed(client, supervisor):
    batch = create_batch(client, supervisor, СтатусЗакрытия=True)
    kinds = db.session.scalars(select(Event.event_type).where(Event.batch_id == batch["id"]).order_by(Event.id)).all()
    assert kinds == ["batch_created", "batch_closed"]


def test_closed_at_through_overwrites(client, supervisor):
    batch = create_batch(client, supervisor, СтатусЗакрытия=True)
    number = batch["batch_number"]
    still_closed = client.post(
        "/api/v1/batches", json=shift_task(НомерПартии=number, СтатусЗакрытия=True), headers=supervisor
    )
    assert still_closed.get_json()[0]["closed_at"] == batch["closed_at"]
    silent = shift_task(НомерПартии=number)
    del silent["СтатусЗакрытия"]
    kept = client.post("/api/v1/batches", json=silent, headers=supervisor).get_json()[0]
    assert (kept["is_closed"], kept["closed_at"]) == (True, batch["closed_at"])
    reopened = client.post(
        "/api/v1/batches", json=shift_task(НомерПартии=number, СтатусЗакрытия=False), headers=supervisor
    )
    assert (reopened.get_json()[0]["is_closed"], reopened.get_json()[0]["closed_at"]) == (False, None)


def test_a_failure_after_earlier_writes_leaves_nothing(client, supervisor, monkeypatch):
    from mes_web.services import batches as batches_service

    calls = []

    def fail_on_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    real = batches_service.event_record
    monkeypatch.setattr(batches_service, "event_record", fail_on_second)
    response = client.post(
        "/api/v1/batches", json=[shift_task(), shift_task(ИдентификаторРЦ="NEW")], headers=supervisor
    )
    assert response.status_code == 500
    assert response.get_json()["error"] == "internal_error"
    assert db.session.scalar(select(func.count(Batch.id))) == 0
    assert db.session.scalar(select(func.count(WorkCenter.id))) == 0
    assert db.session.scalar(select(func.count(Event.id))) == 0
