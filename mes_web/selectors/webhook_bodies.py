"""The body of each webhook: the event as the log has it, with the batch it concerns as the API shows it."""

from collections.abc import Sequence

from sqlalchemy import select

from mes_web.clock import isoformat
from mes_web.extensions import db
from mes_web.models import Batch
from mes_web.selectors.analytics import batch_statistics
from mes_web.serializers import batch_json


def webhook_body(*, message_id: str, event_type: str, data: dict, timestamp) -> dict:
    """{"id", "event", "data", "timestamp"}: every webhook, the test (ping) included."""
    return {"id": message_id, "event": event_type, "data": data, "timestamp": isoformat(timestamp)}


def event_message_id(event_id: int) -> str:
    """The stable id of an event's message: the same for every subscription and every attempt."""
    return f"evt_{event_id}"


def event_bodies(events: Sequence) -> dict[int, dict]:
    """Bodies of logged events (rows with id, event_type, batch_id, payload, occurred_at), by event id.

    A batch event carries the batch as GET /batches/{id} shows it, read when the event is dispatched
    (within a second of the change); batch_closed also carries the statistics of /batches/{id}/statistics.
    """
    batch_ids = {event.batch_id for event in events if event.batch_id is not None}
    batches = {batch.id: batch for batch in db.session.scalars(select(Batch).where(Batch.id.in_(batch_ids)))}
    closed = {event.batch_id for event in events if event.event_type == "batch_closed" and event.batch_id in batches}
    statistics = {batch_id: batch_statistics(batch_id) for batch_id in closed}
    bodies = {}
    for event in events:
        data = dict(event.payload)
        if event.batch_id in batches:
            data["batch"] = batch_json(batches[event.batch_id])
        if event.event_type == "batch_closed" and event.batch_id in statistics:
            data["statistics"] = statistics[event.batch_id]
        bodies[event.id] = webhook_body(
            message_id=event_message_id(event.id), event_type=event.event_type, data=data, timestamp=event.occurred_at
        )
    return bodies
