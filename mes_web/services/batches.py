"""Create, overwrite, change, close and reopen batches."""

from sqlalchemy import select, tuple_

from mes_web.clock import isoformat, utcnow
from mes_web.errors import Conflict, Invalid, InvalidState, NotFound
from mes_web.extensions import db
from mes_web.models import Batch, WorkCenter
from mes_web.services.events import event_record
from mes_web.services.shift_tasks import ShiftTask, batch_changes_read, shift_tasks_read
from mes_web.services.transaction import Actor, transactional


def _jsonable(value):
    if hasattr(value, "tzinfo"):
        return isoformat(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _work_centers_for(tasks: list[ShiftTask]) -> dict[str, WorkCenter]:
    identifiers = {task.work_center_identifier for task in tasks}
    found = db.session.scalars(select(WorkCenter).where(WorkCenter.identifier.in_(identifiers)))
    by_identifier = {wc.identifier: wc for wc in found}
    for task in tasks:
        wc = by_identifier.get(task.work_center_identifier)
        if wc is None:
            wc = WorkCenter(identifier=task.work_center_identifier, name=task.work_center_name)
            db.session.add(wc)
            by_identifier[wc.identifier] = wc
        wc.name = task.work_center_name
    db.session.flush()
    return by_identifier


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


@transactional
def batches_upsert(*, payload, actor: Actor) -> list[tuple[Batch, bool]]:
    """Create or overwrite batches from 1C shift tasks, all or nothing; True marks a new batch."""
    tasks = shift_tasks_read(payload)
    work_centers = _work_centers_for(tasks)
    keys = {(task.batch_number, task.batch_date) for task in tasks}
    existing = db.session.scalars(select(Batch).where(tuple_(Batch.batch_number, Batch.batch_date).in_(keys)))
    by_key = {(batch.batch_number, batch.batch_date): batch for batch in existing}
    results = []
    for task in tasks:
        wc = work_centers[task.work_center_identifier]
        batch = by_key.get((task.batch_number, task.batch_date))
        if batch is None:
            batch = Batch(work_center=wc, **task.batch_fields)
            batch.closed_at = utcnow() if task.is_closed else None
            db.session.add(batch)
            db.session.flush()
            by_key[(task.batch_number, task.batch_date)] = batch
            event_record(
                event_type="batch_created",
                actor=actor,
                batch_id=batch.id,
                payload={"batch_number": batch.batch_number, "batch_date": batch.batch_date.isoformat()},
            )
            results.append((batch, True))
        else:
            _apply(batch, task.batch_fields | {"work_center_id": wc.id}, actor)
            results.append((batch, False))
    return results


def _batch(batch_id: int, *, lock: bool = False) -> Batch:
    query = select(Batch).where(Batch.id == batch_id)
    batch = db.session.scalars(query.with_for_update(of=Batch) if lock else query).first()
    if batch is None:
        raise NotFound(f"Партия {batch_id} не найдена.", code="batch_not_found")
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
