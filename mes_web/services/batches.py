"""Create, overwrite, change, close and reopen batches."""

from collections.abc import Iterator
from datetime import date
from itertools import repeat

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import lazyload

from mes_web.clock import isoformat, utcnow
from mes_web.errors import BatchNotFound, Conflict, Invalid, InvalidState
from mes_web.extensions import db
from mes_web.models import Batch, WorkCenter
from mes_web.models.chunks import chunked
from mes_web.services.events import event_record, events_record
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


def _existing_batches(keys: set[tuple]) -> dict[tuple, Batch]:
    found = {}
    for chunk in chunked(keys, 1_000):
        query = select(Batch).where(tuple_(Batch.batch_number, Batch.batch_date).in_(chunk)).with_for_update(of=Batch)
        # The tasks' work centers are in the session already (_work_centers_for): no join needed.
        query = query.options(lazyload(Batch.work_center))
        found.update(((batch.batch_number, batch.batch_date), batch) for batch in db.session.scalars(query))
    return found


def _ids_reserved(count: int) -> Iterator[int | None]:
    """Ids for new batches from the sequence in one query, so the flush inserts them without RETURNING.

    On PostgreSQL an INSERT of thousands of rows with RETURNING spends seconds in the driver; elsewhere
    (SQLite) the flush assigns the ids as usual.
    """
    if not count or db.session.get_bind().dialect.name != "postgresql":
        return repeat(None)
    sequence = func.pg_get_serial_sequence(Batch.__tablename__, "id")
    query = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
    return iter(db.session.scalars(query).all())


def _changes_set(batch: Batch, values: dict) -> list[tuple[str, dict]]:
    """Set fields, keep closed_at consistent, and return the events that describe the change."""
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
    events = [("batch_updated", {"changes": changes})] if changes else []
    if closing:
        kind = "batch_closed" if batch.is_closed else "batch_reopened"
        events.append((kind, {"closed_at": isoformat(batch.closed_at)}))
    return events


def _apply(batch: Batch, values: dict, actor: Actor) -> None:
    """Set fields, keep closed_at consistent, and log what changed."""
    events = _changes_set(batch, values)
    db.session.flush()
    for kind, payload in events:
        event_record(event_type=kind, actor=actor, batch_id=batch.id, payload=payload)


def _batch_new(values: dict, work_center: WorkCenter, batch_id: int | None) -> tuple[Batch, list[tuple[str, dict]]]:
    closed = values["is_closed"] is True
    batch = Batch(
        id=batch_id,
        work_center=work_center,
        work_center_id=work_center.id,  # set now: a later row of the same payload compares against it
        **values | {"is_closed": closed},
        closed_at=utcnow() if closed else None,
    )
    db.session.add(batch)
    events = [("batch_created", {"batch_number": batch.batch_number, "batch_date": batch.batch_date.isoformat()})]
    if closed:
        events.append(("batch_closed", {"closed_at": isoformat(batch.closed_at)}))
    return batch, events


def _events_log(pending: dict[Batch, list[tuple[str, dict]]], actor: Actor, *, bulk: bool) -> None:
    """Log each batch's events in order: one statement each, or in rounds (round n: every n-th event)."""
    if not bulk:
        for batch, events in pending.items():
            for kind, payload in events:
                event_record(event_type=kind, actor=actor, batch_id=batch.id, payload=payload)
        return
    for n in range(max((len(events) for events in pending.values()), default=0)):
        by_kind: dict[str, list] = {}
        for batch, events in pending.items():
            if n < len(events):
                kind, payload = events[n]
                by_kind.setdefault(kind, []).append((batch.id, payload))
        for kind, rows in by_kind.items():
            events_record(event_type=kind, actor=actor, rows=rows)


def tasks_upsert(tasks: list[dict], actor: Actor, *, bulk_events: bool = False) -> list[tuple[Batch, bool]]:
    """Create or overwrite batches from tasks already read, inside the caller's transaction.

    bulk_events logs the events in a few statements rather than one each (for thousands of tasks).
    """
    if not tasks:
        return []
    keys = {(task["batch_number"], task["batch_date"]) for task in tasks}
    work_centers = _work_centers_for(tasks)
    by_key = _existing_batches(keys)
    new_ids = _ids_reserved(len(keys) - len(by_key))
    pending: dict[Batch, list[tuple[str, dict]]] = {}
    results = []
    for task in tasks:
        wc = work_centers[task["work_center_identifier"]]
        values = {name: value for name, value in task.items() if name not in WORK_CENTER_KEYS}
        key = (task["batch_number"], task["batch_date"])
        batch = by_key.get(key)
        if batch is None:
            batch, events = _batch_new(values, wc, next(new_ids))
            by_key[key] = batch
            results.append((batch, True))
        else:
            kept = {name: value for name, value in values.items() if value is not KEEP}
            events = _changes_set(batch, kept | {"work_center_id": wc.id})
            results.append((batch, False))
        pending.setdefault(batch, []).extend(events)
    db.session.flush()
    _events_log(pending, actor, bulk=bulk_events)
    return results


def batch_keys_existing(keys: list[tuple[int, date]]) -> set[tuple[int, date]]:
    """Which (batch_number, batch_date) pairs are batches already; reads only."""
    found = set()
    for chunk in chunked(keys, 1_000):
        query = select(Batch.batch_number, Batch.batch_date).where(
            tuple_(Batch.batch_number, Batch.batch_date).in_(chunk)
        )
        found.update(tuple(row) for row in db.session.execute(query))
    return found


@retried_once_on_conflict
@transactional
def batches_upsert(*, payload, actor: Actor) -> list[tuple[Batch, bool]]:
    """Create or overwrite batches from 1C shift tasks, all or nothing; True marks a new batch."""
    return tasks_upsert(shift_tasks_read(payload), actor)


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


@transactional
def batches_close_overdue(*, actor: Actor) -> list[Batch]:
    """Close the open batches whose shift has ended, each as a normal close (closed_at, the batch_closed event)."""
    overdue = db.session.scalars(
        select(Batch)
        .where(Batch.is_closed.is_(False), Batch.shift_end < utcnow())
        .order_by(Batch.id)
        .with_for_update(of=Batch)
    ).all()
    for batch in overdue:
        _apply(batch, {"is_closed": True}, actor)
    return list(overdue)
