"""Webhook deliveries: made from the event log, sent by the queue one by one, retried, recorded attempt by attempt.

The event log is the outbox. An event is committed with the change it describes; a dispatcher
(a thread of every worker) later claims undispatched events and turns them into deliveries, so a
rolled-back change never sends anything and a committed one is never skipped, whatever order
transactions commit in.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from flask import current_app
from sqlalchemy import insert, select, update

from mes_web.clock import utcnow
from mes_web.errors import InvalidState, NotFound
from mes_web.extensions import db
from mes_web.integrations.webhooks import DeliveryAttempt
from mes_web.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookSubscription
from mes_web.selectors.webhook_bodies import event_bodies, webhook_body
from mes_web.services.transaction import Actor, after_commit, transactional
from mes_web.services.webhooks import signing_secrets, webhook_for_update

log = logging.getLogger(__name__)

PING = "ping"
EVENTS_PER_DISPATCH = 500
# The wait before retry n (1-based): about 1 minute, 15 minutes, 1 hour, 4 hours, then every 12 hours.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(hours=12),
)
JITTER = 0.2  # each wait is stretched or shrunk by up to 20%, so a recovering receiver is not hit all at once
RETRY_AFTER_LONGEST = timedelta(hours=24)
LOST_AFTER = timedelta(minutes=1)  # queued this long and unknown to the queue: the queue lost it
SENDING_STALE_AFTER = timedelta(minutes=5)  # longer than any attempt may take (the job's own time limit)
STOPPED_WHILE_SENDING = "Обработчик остановился во время отправки; ответ неизвестен. Доставка отправлена снова."
NOT_ACTIVE = "Подписка отключена; доставка не отправлялась."


def _queue():
    return current_app.extensions["mes_web.job_queue"]


def _enqueue_after_commit(delivery_ids: list[int]) -> None:
    """Queue deliveries once they are committed; if the queue is down, the periodic re-send picks them up."""

    def enqueue() -> None:
        try:
            _queue().enqueue_deliveries(delivery_ids)
        except ConnectionError:
            log.warning("queue unavailable: %d webhook deliveries wait for the periodic re-send", len(delivery_ids))

    if delivery_ids:
        after_commit(enqueue)


def retry_delay(retry: int, retry_after: float | None = None) -> timedelta:
    """How long to wait before retry number `retry`; a receiver's Retry-After, when given, decides instead."""
    if retry_after is not None:
        return min(max(timedelta(seconds=retry_after), timedelta(seconds=1)), RETRY_AFTER_LONGEST)
    base = RETRY_DELAYS[min(retry, len(RETRY_DELAYS)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


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
            "queued_at": now,
            "created_at": now,
        }
        for event, subscription in wanted
    ]
    delivery_ids = list(db.session.scalars(insert(WebhookDelivery).returning(WebhookDelivery.id), rows)) if rows else []
    db.session.execute(update(Event).where(Event.id.in_([event.id for event in events])).values(dispatched_at=now))
    _enqueue_after_commit(delivery_ids)
    return len(events)


@transactional
def deliveries_due_queue(*, now: datetime | None = None) -> int:
    """Queue the deliveries whose next retry is due; return how many."""
    ids = list(
        db.session.scalars(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.status == DeliveryStatus.RETRYING,
                WebhookDelivery.next_attempt_at <= (now or utcnow()),
            )
            .values(status=DeliveryStatus.QUEUED, queued_at=utcnow(), next_attempt_at=None)
            .returning(WebhookDelivery.id)
        )
    )
    _enqueue_after_commit(ids)
    return len(ids)


@dataclass(frozen=True)
class DeliveryClaim:
    """What one attempt needs, read when it starts: the secrets are the ones signing at this moment."""

    delivery_id: int
    attempt_number: int
    message_id: str
    event_type: str
    payload: dict
    url: str
    timeout: int
    secrets: list[str]


@transactional
def delivery_claim(*, delivery_id: int) -> DeliveryClaim | None:
    """Start an attempt of a queued delivery; None when it is not queued (already taken, done or deleted)."""
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.SENDING, attempts=WebhookDelivery.attempts + 1, last_attempt_at=utcnow())
        .returning(WebhookDelivery.attempts)
    ).scalar()
    if claimed is None:
        return None
    delivery = db.session.get(WebhookDelivery, delivery_id)
    subscription = db.session.get(WebhookSubscription, delivery.subscription_id)
    if not subscription.is_active and delivery.event_type != PING:
        delivery.status, delivery.error_message, delivery.attempts = DeliveryStatus.FAILED, NOT_ACTIVE, claimed - 1
        return None
    return DeliveryClaim(
        delivery_id=delivery.id,
        attempt_number=claimed,
        message_id=delivery.message_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        url=subscription.url,
        timeout=subscription.timeout,
        secrets=signing_secrets(subscription),
    )


def _disable(subscription: WebhookSubscription, reason: str) -> None:
    subscription.is_active, subscription.disabled_reason = False, reason
    log.warning("webhook subscription %s disabled: %s", subscription.id, reason)


def _failure_count(subscription: WebhookSubscription) -> None:
    """One more delivery given up on; enough of them in a row disable the subscription."""
    subscription.consecutive_failures += 1
    limit = current_app.config["WEBHOOK_DISABLE_AFTER_FAILURES"]
    if subscription.is_active and subscription.consecutive_failures >= limit:
        _disable(subscription, f"Отключена после {limit} недоставленных подряд сообщений (все попытки исчерпаны).")


@transactional
def delivery_outcome_record(*, delivery_id: int, attempt_number: int, attempt: DeliveryAttempt, at: datetime) -> None:
    """Record an attempt and decide what follows: done, a retry later, or giving up."""
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.status != DeliveryStatus.SENDING or delivery.attempts != attempt_number:
        return  # deleted meanwhile, or given up on as stalled and sent again: that attempt's outcome is not ours
    _attempt_add(delivery, attempt, at)
    if attempt.status_code is not None and 200 <= attempt.status_code < 300:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, utcnow()
        if delivery.event_type != PING:
            _failures_forget(delivery.subscription_id)
        return
    if delivery.event_type == PING:
        delivery.status = DeliveryStatus.FAILED  # a test shows what happened once; it is not retried
        return
    subscription = db.session.get(WebhookSubscription, delivery.subscription_id, with_for_update=True)
    if attempt.status_code == 410:
        delivery.status = DeliveryStatus.FAILED
        _disable(subscription, "Получатель ответил 410 Gone: адрес больше не принимает вебхуки.")
    elif delivery.attempts <= subscription.retry_count:
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = utcnow() + retry_delay(delivery.attempts, attempt.retry_after)
    else:
        delivery.status = DeliveryStatus.FAILED
        _failure_count(subscription)


def _attempt_add(delivery: WebhookDelivery, attempt: DeliveryAttempt, at: datetime) -> None:
    error = attempt.error
    if error is None and not 200 <= attempt.status_code < 300:
        error = f"Получатель ответил {attempt.status_code}."
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempted_at=at,
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            error=error,
            response_body=attempt.response_body,
        )
    )
    delivery.response_status, delivery.response_body, delivery.error_message = (
        attempt.status_code,
        attempt.response_body,
        error,
    )


def _failures_forget(subscription_id: int) -> None:
    """A success ends a run of failures (written only when there was one: most successes write nothing here)."""
    db.session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id, WebhookSubscription.consecutive_failures != 0)
        .values(consecutive_failures=0)
    )


@transactional
def deliveries_resend_lost(*, now: datetime | None = None) -> int:
    """Queue again what the queue lost (Redis restarted) or a worker dropped (killed mid-attempt); return how many."""
    now = now or utcnow()
    queued = db.session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.status == DeliveryStatus.QUEUED, WebhookDelivery.queued_at < now - LOST_AFTER
        )
    )
    lost = [delivery for delivery in queued if not _queue().holds_delivery(delivery.id)]
    stalled = db.session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.status == DeliveryStatus.SENDING,
            WebhookDelivery.last_attempt_at < now - SENDING_STALE_AFTER,
        )
    ).all()
    for delivery in stalled:
        _attempt_add(delivery, DeliveryAttempt(None, 0, "", STOPPED_WHILE_SENDING, None), delivery.last_attempt_at)
    for delivery in [*lost, *stalled]:
        delivery.status, delivery.queued_at = DeliveryStatus.QUEUED, utcnow()
    _enqueue_after_commit([delivery.id for delivery in [*lost, *stalled]])
    return len(lost) + len(stalled)


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
        queued_at=now,
    )
    db.session.add(delivery)
    db.session.flush()
    _enqueue_after_commit([delivery.id])
    return delivery


@transactional
def delivery_redeliver(*, webhook_id: int, delivery_id: int, actor: Actor) -> WebhookDelivery:
    """Send a finished delivery again, the same bytes and id, with the subscription's retries afresh."""
    subscription = webhook_for_update(webhook_id)
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.subscription_id != subscription.id:
        raise NotFound(f"Доставка {delivery_id} подписки {webhook_id} не найдена.", code="delivery_not_found")
    if delivery.status not in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        raise InvalidState("Доставка ещё идёт: дождитесь её результата.", code="delivery_in_progress")
    if not subscription.is_active and delivery.event_type != PING:
        raise InvalidState("Подписка отключена: включите её, чтобы доставить снова.", code="webhook_disabled")
    delivery.status, delivery.attempts, delivery.queued_at = DeliveryStatus.QUEUED, 0, utcnow()
    delivery.next_attempt_at = delivery.delivered_at = None
    _enqueue_after_commit([delivery.id])
    return delivery
