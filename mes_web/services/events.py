"""Append to the event log inside the caller's transaction."""

from sqlalchemy import insert

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.models import Event
from mes_web.services.transaction import Actor


def event_record(*, event_type: str, actor: Actor, batch_id: int | None, payload: dict) -> None:
    """Record one event; it commits or rolls back with the change it describes."""
    events_record(event_type=event_type, actor=actor, rows=[(batch_id, payload)])


def events_record(*, event_type: str, actor: Actor, rows: list[tuple[int | None, dict]]) -> None:
    """Record many events of one type in a single statement."""
    if not rows:
        return
    now = utcnow()
    db.session.execute(
        insert(Event),
        [
            {
                "event_type": event_type,
                "batch_id": batch_id,
                "payload": payload,
                "actor": actor.label,
                "occurred_at": now,
            }
            for batch_id, payload in rows
        ],
    )
