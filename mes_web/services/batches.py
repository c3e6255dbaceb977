"""Create, overwrite, change, close and reopen batches."""

from sqlalchemy import select, tuple_

from mes_web.clock import isoformat, utcnow
from mes_web.errors import BatchNotFound, Conflict, Invalid, InvalidState
from mes_web.extensions import db
from mes_web.models import Batch, WorkCenter
from mes_web.models.chunks import chunked
from mes_web.services.events import event_record
from mes_web.services.shift_tasks import KEEP, WORK_CENTER_KEYS, batch_changes_read, shift_tasks_read
from mes_web.services.transaction import Actor, retried_once_on_conflict, transactional


def _jsonable(value):
    if hasattr(value, "tzinfo"):
        return isoformat(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _work_centers_for(tasks: list[dict]) -> dict[str, WorkCenter]:
    """Find or create each task's work center; its name follows 1C."""
    names = {task["work_center_identifier"]: task["work_center_name"] for task in tasks}
    by_identifier = {}
    for identifiers in chunked(names):
        by_identifier.update(
            (wc.identifier, wc)
            for wc in db.session.scalars(select(WorkCenter).where(WorkCenter.identifier.in_(identifiers)))
        )
    for identifier, name in names.items():
        wc = by_identifier.get(identifier)
        if wc is None:
            wc = by_identifier[identifier] = WorkCenter(identifier=identifier, name=name)
            db.session.add(wc)
        wc.name = name
    db.session.flush()
    return by_identifier


def _existing_batches(tasks: list[dict]) -> dict[tuple, Batch]:
    keys = {(task["batch_number"], task["batch_date"]) for task in tasks}
    found = {}
    for chunk in chunked(keys, 1_000):
        query = select(Batch).where(tuple_(Batch.batch_number, Batch.batch_date).in_(chunk)).with_for_update(of=Batch)
        found.update(((batch.batch_number, batch.batch_date), batch) for batch in db.session.scalars(query))
    return found


def _apply(batch: Batch, values: dict, actor: Actor) -> None:
    """Set fields, keep closed_at consistent, and log what changed."""
    changes = {}
    for name, new in values.items():
        old = getattr(batch, name)
        if old != new:
            changes[name] = {"old": _jsonable(old), "new": _jsonable(new)}
            setattr(batch, name, new)
            if name == "work_center_id":
                batch.work_center = db.session.get(WorkCenter, new)
    closing = changes.pop("is_closed", None)
    if closing:
        batch.closed_at = utcnow() if batch.is_closed else None
    db.session.flush()
    if changes:
        event_record(event_type="batch_updated", actor=actor, batch_id=batch.id, payload={"changes": changes})
    if closing:
        kind = "batch_closed" if batch.is_closed else "batch_reopened"
        event_record(event_type=kind, actor=actor, batch_id=batch.id, payload={"closed_at": isoformat(batch.closed_at)})


def _batch_create(values: dict, work_center: WorkCenter, actor: Actor) -> Batch:
    closed = values["is_closed"] is True
    batch = Batch(work_center=work_center, **values | {"is_closed": closed}, closed_at=utcnow() if closed else None)
    db.session.add(batch)
    db.session.flush()
    identity = {"batch_number": batch.batch_number, "batch_date": batch.batch_date.isoformat()}
    event_record(event_type="batch_created", actor=actor, batch_id=batch.id, payload=identity)
    if closed:
        event_record(
            event_type="batch_closed", actor=actor, batch_id=batch.id, payload={"closed_at": isoformat(batch.closed_at)}
        )
    return batch


@retried_once_on_conflict
@transactional
def batches_upsert(*, payload, actor: Actor) -> list[tuple[Batch, bool]]:
    """Create or overwrite batches from 1C shift tasks, all or nothing; True marks a new batch."""
    tasks = shift_tasks_read(payload)
    work_centers = _work_centers_for(tasks)
    by_key = _existing_batches(tasks)
    results = []
    for task in tasks:
        wc = work_centers[task["work_center_identifier"]]
        values = {name: value for name, value in task.items() if name not in WORK_CENTER_KEYS}
        key = (task["batch_number"], task["batch_date"])
        batch = by_key.get(key)
        if batch is None:
            by_key[key] = _batch_create(values, wc, actor)
            results.append((by_key[key], True))
        else:
            kept = {name: value for name, value in values.items() if value is not KEEP}
            _apply(batch, kept | {"work_center_id": wc.id}, actor)
            results.append((batch, False))
    return results


def _batch(batch_id: int, *, lock: bool = False) -> Batch:
    query = select(Batch).where(Batch.id == batch_id)
    batch = db.session.scalars(query.with_for_update(of=Batch) if lock else query).first()
    if batch is None:
        raise BatchNotFound(batch_id)
    return batch


@transactional
def batch_update(*, batch_id: int, payload, actor: Actor) -> Batch:
    """Change some fields of a batch; closing and reopening follow the same rules as close/reopen."""
    changes = batch_changes_read(payload)
    batch = _batch(batch_id, lock=True)
    if "work_center_id" in changes and db.session.get(WorkCenter, changes["work_center_id"]) is None:
        raise Invalid("Рабочий центр не найден.", fields={"work_center_id": "нет такого рабочего центра"})
    start = changes.get("shift_start", batch.shift_start)
    if changes.get("shift_end", batch.shift_end) <= start:
        raise Invalid(
            "Окончание смены должно быть позже начала.",
            fields={"shift_end": "окончание смены должно быть позже начала"},
        )
    number = changes.get("batch_number", batch.batch_number)
    day = changes.get("batch_date", batch.batch_date)
    clash = db.session.scalar(
        select(Batch.id).where(Batch.batch_number == number, Batch.batch_date == day, Batch.id != batch.id)
    )
    if clash is not None:
        raise Conflict(f"Партия №{number} от {day.isoformat()} уже есть (id {clash}).", code="batch_exists")
    _apply(batch, changes, actor)
    return batch


def _set_closed(batch_id: int, closed: bool, actor: Actor) -> Batch:
    batch = _batch(batch_id, lock=True)
    if batch.is_closed == closed:
        state = "уже закрыта" if closed else "не закрыта"
        raise InvalidState(f"Партия {batch_id} {state}.", code="already_closed" if closed else "not_closed")
    _apply(batch, {"is_closed": closed}, actor)
    return batch


@transactional
def batch_close(*, batch_id: int, actor: Actor) -> Batch:
    """Close an open batch."""
    return _set_closed(batch_id, True, actor)


@transactional
def batch_reopen(*, batch_id: int, actor: Actor) -> Batch:
    """Reopen a closed batch."""
    return _set_closed(batch_id, False, actor)
