"""The RQ job that sends webhook deliveries of one subscription, one after another."""

from time import monotonic

from mes_web.extensions import db
from mes_web.services.webhook_deliveries import deliveries_postpone, deliveries_queue_again
from mes_web.services.webhook_sending import delivery_send, delivery_target
from mes_web.services.webhooks import allow_list

SENDING_SECONDS = 60  # then the rest goes to a job of its own: a worker is never held long by one receiver


def webhooks_deliver(subscription_id: int, delivery_ids: list[int]) -> None:
    """Attempt each delivery still queued; the subscription's settings are read once, when the job starts.

    When the receiver gives no answer at all (down, timing out), the rest wait a retry's delay unattempted.
    """
    try:
        target, allowed, deadline = delivery_target(subscription_id), allow_list(), monotonic() + SENDING_SECONDS
        for position, delivery_id in enumerate(delivery_ids if target else []):
            attempt = delivery_send(delivery_id=delivery_id, target=target, allowed=allowed)
            rest = delivery_ids[position + 1 :]
            if rest and attempt is not None and attempt.status_code is None:
                deliveries_postpone(delivery_ids=rest)
                return
            if rest and monotonic() > deadline:
                deliveries_queue_again(delivery_ids=rest)
                return
    finally:
        db.session.remove()
