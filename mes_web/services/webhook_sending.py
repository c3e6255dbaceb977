"""Sending one delivery: claim it, then record the attempt and decide what follows (done, retry, give up).

These run for every delivery, thousands a minute at the end of a shift, so the common path is a few
plain statements: claiming is one UPDATE, a success one UPDATE and one INSERT.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, exists, insert, or_, update

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.integrations.webhooks import AllowList, DeliveryAttempt, body_bytes, signature_headers, webhook_post
from mes_web.models import PING, DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription
from mes_web.services.transaction import transactional
from mes_web.services.webhooks import signing_secrets

log = logging.getLogger(__name__)

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
NOT_ACTIVE = "Подписка отключена; доставка не отправлялась."
SENDING_BROKE = "Внутренняя ошибка при отправке; она записана в журнал сервера."


def retry_delay(retry: int, retry_after: float | None = None) -> timedelta:
    """How long to wait before retry number `retry`; a receiver's Retry-After, when given, decides instead."""
    if retry_after is not None:
        return min(max(timedelta(seconds=retry_after), timedelta(seconds=1)), RETRY_AFTER_LONGEST)
    base = RETRY_DELAYS[min(retry, len(RETRY_DELAYS)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


@dataclass(frozen=True)
class DeliveryTarget:
    """Where and how a job sends its deliveries, read once when the job starts."""

    subscription_id: int
    url: str
    timeout: int
    retry_count: int
    secrets: list[str]


def delivery_target(subscription_id: int) -> DeliveryTarget | None:
    """The subscription as its deliveries need it, or None when it was deleted."""
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        return None
    return DeliveryTarget(
        subscription_id=subscription.id,
        url=subscription.url,
        timeout=subscription.timeout,
        retry_count=subscription.retry_count,
        secrets=signing_secrets(subscription),
    )


@dataclass(frozen=True)
class DeliveryClaim:
    delivery_id: int
    claimed_at: datetime  # the attempt's mark: only this attempt may record its outcome
    attempt_number: int
    message_id: str
    event_type: str
    payload: dict


# Built once: the statements every delivery runs, so no time goes into building them again.
_deliveries, _subscriptions = WebhookDelivery.__table__, WebhookSubscription.__table__
_queued = and_(_deliveries.c.id == bindparam("delivery_id"), _deliveries.c.status == DeliveryStatus.QUEUED)
_subscription_active = exists().where(
    _subscriptions.c.id == _deliveries.c.subscription_id, _subscriptions.c.is_active.is_(True)
)
_CLAIM = (
    update(_deliveries)
    .where(_queued, or_(_deliveries.c.event_type == PING, _subscription_active))
    .values(status=DeliveryStatus.SENDING, attempts=_deliveries.c.attempts + 1, last_attempt_at=bindparam("now"))
    .returning(_deliveries.c.attempts, _deliveries.c.message_id, _deliveries.c.event_type, _deliveries.c.payload)
)
_NOT_SENT = (
    update(_deliveries)
    .where(_queued, _deliveries.c.event_type != PING, ~_subscription_active)
    .values(status=DeliveryStatus.FAILED, error_message=NOT_ACTIVE)
)
_OUTCOME = (
    update(_deliveries)
    .where(
        _deliveries.c.id == bindparam("delivery_id"),
        _deliveries.c.status == DeliveryStatus.SENDING,
        _deliveries.c.last_attempt_at == bindparam("claimed_at"),
        _deliveries.c.attempts == bindparam("attempt_number"),
    )
    .values(
        {
            name: bindparam(name)
            for name in (
                "status",
                "next_attempt_at",
                "delivered_at",
                "response_status",
                "error_message",
            )
        }
    )
    .returning(_deliveries.c.id)
)
_ATTEMPT = insert(WebhookAttempt.__table__)
_FAILURES_FORGET = (
    update(_subscriptions)
    .where(_subscriptions.c.id == bindparam("subscription_id"), _subscriptions.c.consecutive_failures != 0)
    .values(consecutive_failures=0)
)
_FAILURE_COUNT = (
    update(_subscriptions)
    .where(_subscriptions.c.id == bindparam("subscription_id"))
    .values(consecutive_failures=_subscriptions.c.consecutive_failures + 1)
    .returning(_subscriptions.c.consecutive_failures)
)


@transactional
def delivery_claim(*, delivery_id: int) -> DeliveryClaim | None:
    """Start an attempt of a queued delivery; None when it is not queued (taken, done, deleted) or not to be sent.

    A delivery to a subscription disabled meanwhile is failed without sending (a test is sent regardless).
    """
    now = utcnow()
    claimed = db.session.execute(_CLAIM, {"delivery_id": delivery_id, "now": now}).first()
    if claimed is None:
        db.session.execute(_NOT_SENT, {"delivery_id": delivery_id})
        return None
    return DeliveryClaim(delivery_id, now, *claimed)


def delivery_send(*, delivery_id: int, target: DeliveryTarget, allowed: AllowList) -> DeliveryAttempt | None:
    """Claim a queued delivery, POST it signed, record the attempt; None when it was not to be sent."""
    claim = delivery_claim(delivery_id=delivery_id)
    if claim is None:
        return None
    body, started = body_bytes(claim.payload), utcnow()
    headers = signature_headers(
        message_id=claim.message_id,
        timestamp=int(started.timestamp()),
        body=body,
        secrets=target.secrets,
        event_type=claim.event_type,
    )
    try:
        attempt = webhook_post(url=target.url, body=body, headers=headers, timeout=target.timeout, allowed=allowed)
    except Exception:  # a bug here must not leave the delivery «sending» for ever: it is retried as a failure
        log.exception("webhook delivery %s could not be sent", delivery_id)
        attempt = DeliveryAttempt(None, 0, "", SENDING_BROKE, None)
    delivery_outcome_record(claim=claim, target=target, attempt=attempt, at=started)
    return attempt


@dataclass(frozen=True)
class _Next:
    status: str
    next_attempt_at: datetime | None = None
    gone: bool = False  # 410: the receiver asks never to be called again
    given_up: bool = False


def _next_step(claim: DeliveryClaim, target: DeliveryTarget, attempt: DeliveryAttempt) -> _Next:
    if attempt.status_code is not None and 200 <= attempt.status_code < 300:
        return _Next(DeliveryStatus.DELIVERED)
    if claim.event_type == PING:
        return _Next(DeliveryStatus.FAILED)  # a test shows what happened once; it is not retried
    if attempt.status_code == 410:
        return _Next(DeliveryStatus.FAILED, gone=True)
    if claim.attempt_number <= target.retry_count:
        return _Next(DeliveryStatus.RETRYING, utcnow() + retry_delay(claim.attempt_number, attempt.retry_after))
    return _Next(DeliveryStatus.FAILED, given_up=True)


def attempt_error(attempt: DeliveryAttempt) -> str | None:
    """What went wrong, for the history; None for a success."""
    if attempt.error is None and not 200 <= attempt.status_code < 300:
        return f"Получатель ответил {attempt.status_code}."
    return attempt.error


@transactional
def delivery_outcome_record(
    *, claim: DeliveryClaim, target: DeliveryTarget, attempt: DeliveryAttempt, at: datetime
) -> None:
    """Record an attempt and what follows it: done, a retry later, or giving up."""
    step = _next_step(claim, target, attempt)
    outcome = {
        "delivery_id": claim.delivery_id,
        "claimed_at": claim.claimed_at,
        "attempt_number": claim.attempt_number,
        "status": step.status,
        "next_attempt_at": step.next_attempt_at,
        "delivered_at": utcnow() if step.status == DeliveryStatus.DELIVERED else None,
        "response_status": attempt.status_code,
        "error_message": attempt_error(attempt),
    }
    if db.session.execute(_OUTCOME, outcome).first() is None:
        return  # deleted meanwhile, or given up on as stalled and sent again: this attempt's outcome is not ours
    db.session.execute(_ATTEMPT, {"delivery_id": claim.delivery_id} | attempt_row(attempt, at))
    if claim.event_type != PING:
        _subscription_tell(target.subscription_id, step)


def attempt_row(attempt: DeliveryAttempt, at: datetime) -> dict:
    return {
        "attempted_at": at,
        "status_code": attempt.status_code,
        "latency_ms": attempt.latency_ms,
        "error": attempt_error(attempt),
        "response_body": attempt.response_body,
    }


def _subscription_tell(subscription_id: int, step: _Next) -> None:
    """A success ends a run of failures; a 410 or a run of given-up deliveries disables the subscription."""
    if step.status == DeliveryStatus.DELIVERED:
        db.session.execute(_FAILURES_FORGET, {"subscription_id": subscription_id})  # most successes change nothing
        return
    if not (step.gone or step.given_up):
        return
    if step.gone:
        _disable(subscription_id, "Получатель ответил 410 Gone: адрес больше не принимает вебхуки.")
        return
    failures = db.session.execute(_FAILURE_COUNT, {"subscription_id": subscription_id}).scalar()
    limit = current_app.config["WEBHOOK_DISABLE_AFTER_FAILURES"]
    if failures is not None and failures >= limit:
        _disable(subscription_id, f"Отключена после {limit} недоставленных подряд сообщений (все попытки исчерпаны).")


def _disable(subscription_id: int, reason: str) -> None:
    disabled = db.session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription_id, WebhookSubscription.is_active.is_(True))
        .values(is_active=False, disabled_reason=reason)
        .returning(WebhookSubscription.id)
    ).first()
    if disabled:
        log.warning("webhook subscription %s disabled: %s", subscription_id, reason)
