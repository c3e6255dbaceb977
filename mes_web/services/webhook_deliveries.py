"""Webhook deliveries: made from the event log, queued in jobs, retried, re-sent when the queue loses them.

The event log is the outbox. An event is committed with the change it describes; a dispatcher
(a thread of every worker) later claims undispatched events and turns them into deliveries, so a
rolled-back change never sends anything and a committed one is never skipped, whatever order
transactions commit in. Sending one delivery is services/webhook_sending.py.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from flask import current_app
from sqlalchemy import and_, delete, insert, select, update

from mes_web.clock import utcnow
from mes_web.errors import DeliveryNotFound, InvalidState
from mes_web.extensions import db
from mes_web.integrations.webhooks import DeliveryAttempt
from mes_web.models import PING, DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookSubscription
from mes_web.models.chunks import chunked
from mes_web.selectors.webhook_bodies import event_bodies, webhook_body
from mes_web.services.transaction import Actor, after_commit, transactional
from mes_web.services.webhook_sending import attempt_row, retry_delay
from mes_web.services.webhooks import webhook_for_update

log = logging.getLogger(__name__)

EVENTS_PER_DISPATCH = 500
# A job sends up to this many deliveries of one subscription, one after another: the queue's own cost per job
# (about 5 ms of CPU, measured) would otherwise outweigh the sending.
DELIVERIES_PER_JOB = 50
LOST_AFTER = timedelta(minutes=1)  # queued this long and unknown to the queue: the queue lost it
# Longer than a job may run (jobs/queues.py DELIVERY_JOB_TIMEOUT): an attempt this old was cut off.
SENDING_STALE_AFTER = timedelta(minutes=5)
STOPPED_WHILE_SENDING = "Обработчик остановился во время отправки; ответ неизвестен. Доставка отправлена снова."
POSTPONED = "Отложена: получатель не ответил на предыдущую доставку; попытка не засчитана."


@dataclass(frozen=True)
class DeliveryJob:
    """One queue job: deliveries of one subscription, sent in order."""

    job_id: str
    subscription_id: int
    delivery_ids: list[int]


def _queue():
    return current_app.extensions["mes_web.job_queue"]


def _deliveries_enqueue(deliveries: list[tuple[int, int]]) -> None:
    """Put queued deliveries, (id, subscription id) pairs, into jobs, and queue the jobs once committed.

    If the queue is down, the periodic re-send picks the deliveries up.
    """
    by_subscription = defaultdict(list)
    for delivery_id, subscription_id in deliveries:
        by_subscription[subscription_id].append(delivery_id)
    jobs = [
        DeliveryJob(f"webhooks-{uuid4().hex}", subscription_id, ids)
        for subscription_id, all_ids in by_subscription.items()
        for ids in chunked(all_ids, DELIVERIES_PER_JOB)
    ]
    now = utcnow()
    for job in jobs:
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(job.delivery_ids))
            .values(queue_job_id=job.job_id, queued_at=now)
        )

    def enqueue() -> None:
        try:
            _queue().enqueue_deliveries(jobs)
        except ConnectionError:
            log.warning("queue unavailable: %d webhook deliveries wait for the periodic re-send", len(deliveries))

    if jobs:
        after_commit(enqueue)


@transactional
def events_dispatch(*, limit: int = EVENTS_PER_DISPATCH) -> int:
    """Turn undispatched events into deliveries for the subscriptions that want them; return how many events.

    Several dispatchers may run at once: each claims different events (SKIP LOCKED). A subscription
    receives events that occurred after it was created.
    """
    events = db.session.execute(
        select(Event.id, Event.event_type, Event.batch_id, Event.payload, Event.occurred_at)
        .where(Event.dispatched_at.is_(None))
        .order_by(Event.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return 0
    subscriptions = db.session.scalars(select(WebhookSubscription).where(WebhookSubscription.is_active.is_(True)))
    wanted = [
        (event, subscription)
        for subscription in subscriptions
        for event in events
        if event.event_type in subscription.events and event.occurred_at >= subscription.created_at
    ]
    bodies = event_bodies(list({event.id: event for event, _ in wanted}.values()))
    now = utcnow()
    rows = [
        {
            "subscription_id": subscription.id,
            "event_id": event.id,
            "message_id": bodies[event.id]["id"],
            "event_type": event.event_type,
            "payload": bodies[event.id],
            "status": DeliveryStatus.QUEUED,
            "created_at": now,
        }
        for event, subscription in wanted
    ]
    returning = insert(WebhookDelivery).returning(WebhookDelivery.id, WebhookDelivery.subscription_id)
    deliveries = [tuple(row) for row in db.session.execute(returning, rows)] if rows else []
    db.session.execute(update(Event).where(Event.id.in_([event.id for event in events])).values(dispatched_at=now))
    _deliveries_enqueue(deliveries)
    return len(events)


@transactional
def deliveries_due_queue(*, now: datetime | None = None) -> int:
    """Queue the deliveries whose next retry is due; return how many."""
    due = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.status == DeliveryStatus.RETRYING, WebhookDelivery.next_attempt_at <= (now or utcnow()))
        .values(status=DeliveryStatus.QUEUED, next_attempt_at=None)
        .returning(WebhookDelivery.id, WebhookDelivery.subscription_id)
    ).all()
    _deliveries_enqueue([tuple(row) for row in due])
    return len(due)


@transactional
def deliveries_queue_again(*, delivery_ids: list[int]) -> None:
    """Give still-queued deliveries a job of their own (a job that ran out of time leaves the rest this way)."""
    still = db.session.execute(
        select(WebhookDelivery.id, WebhookDelivery.subscription_id).where(
            WebhookDelivery.id.in_(delivery_ids), WebhookDelivery.status == DeliveryStatus.QUEUED
        )
    ).all()
    _deliveries_enqueue([tuple(row) for row in still])


@transactional
def deliveries_postpone(*, delivery_ids: list[int]) -> None:
    """Let still-queued deliveries wait a retry's delay without an attempt: their receiver just did not answer.

    A receiver that is down costs a job one timeout, not one per delivery, and holds up no other work.
    """
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(delivery_ids), WebhookDelivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.RETRYING, next_attempt_at=utcnow() + retry_delay(1), error_message=POSTPONED)
    )


@transactional
def deliveries_resend_lost(*, now: datetime | None = None) -> int:
    """Queue again what the queue lost (Redis restarted) or a worker dropped (killed mid-attempt); return how many."""
    now = now or utcnow()
    waiting = db.session.execute(
        select(WebhookDelivery.id, WebhookDelivery.subscription_id, WebhookDelivery.queue_job_id).where(
            WebhookDelivery.status == DeliveryStatus.QUEUED, WebhookDelivery.queued_at < now - LOST_AFTER
        )
    ).all()
    held = {job_id: _queue().holds_deliveries(job_id) for job_id in {row.queue_job_id for row in waiting}}
    lost = [(row.id, row.subscription_id) for row in waiting if not held[row.queue_job_id]]
    # One conditional statement: an attempt that ends meanwhile keeps its outcome.
    stalled = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.status == DeliveryStatus.SENDING,
            WebhookDelivery.last_attempt_at < now - SENDING_STALE_AFTER,
        )
        .values(status=DeliveryStatus.QUEUED, error_message=STOPPED_WHILE_SENDING)
        .returning(WebhookDelivery.id, WebhookDelivery.subscription_id, WebhookDelivery.last_attempt_at)
    ).all()
    stopped = DeliveryAttempt(None, 0, "", STOPPED_WHILE_SENDING, None)
    for delivery_id, _, started in stalled:
        db.session.add(WebhookAttempt(delivery_id=delivery_id, **attempt_row(stopped, started)))
    again = lost + [(delivery_id, subscription_id) for delivery_id, subscription_id, _ in stalled]
    _deliveries_enqueue(again)
    return len(again)


@transactional
def deliveries_delete_older_than(*, days: int) -> int:
    """Delete finished deliveries made more than `days` ago, with their attempts; return how many."""
    old = select(WebhookDelivery.id).where(
        WebhookDelivery.created_at < utcnow() - timedelta(days=days),
        WebhookDelivery.status.in_(DeliveryStatus.FINISHED),
    )
    db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(old)))
    return db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(old))).rowcount


@transactional
def webhook_ping(*, webhook_id: int, actor: Actor) -> WebhookDelivery:
    """Send a test (ping) event to a subscription, enabled or not; it is tried once and changes nothing else."""
    subscription = webhook_for_update(webhook_id)
    message_id, now = f"ping_{uuid4().hex}", utcnow()
    data = {"webhook_id": subscription.id, "message": f"Проверка вебхука от {actor.name}."}
    delivery = WebhookDelivery(
        subscription_id=subscription.id,
        message_id=message_id,
        event_type=PING,
        payload=webhook_body(message_id=message_id, event_type=PING, data=data, timestamp=now),
        status=DeliveryStatus.QUEUED,
    )
    db.session.add(delivery)
    db.session.flush()
    _deliveries_enqueue([(delivery.id, subscription.id)])
    return delivery


@transactional
def delivery_redeliver(*, webhook_id: int, delivery_id: int, actor: Actor) -> WebhookDelivery:
    """Send a finished delivery again, the same bytes and id, with the subscription's retries afresh."""
    subscription = db.session.get(WebhookSubscription, webhook_id)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if subscription is None or delivery is None or delivery.subscription_id != subscription.id:
        raise DeliveryNotFound(webhook_id, delivery_id)
    if not subscription.is_active and delivery.event_type != PING:
        raise InvalidState("Подписка отключена: включите её, чтобы доставить снова.", code="webhook_disabled")
    finished = and_(
        WebhookDelivery.id == delivery_id,
        WebhookDelivery.status.in_(DeliveryStatus.FINISHED),
    )
    # One conditional statement, so that two clicks queue it once (SQLite takes no row locks).
    requeued = db.session.execute(
        update(WebhookDelivery)
        .where(finished)
        .values(
            status=DeliveryStatus.QUEUED,
            attempts=0,
            next_attempt_at=None,
            delivered_at=None,
            response_status=None,  # the last attempt's: a new round has none yet
            error_message=None,
        )
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    ).first()
    if requeued is None:
        raise InvalidState("Доставка ещё идёт: дождитесь её результата.", code="delivery_in_progress")
    _deliveries_enqueue([(delivery_id, subscription.id)])
    db.session.refresh(delivery)
    return delivery
