"""The RQ job that sends webhook deliveries of one subscription: each claimed, POSTed signed, and recorded."""

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.integrations.webhooks import body_bytes, signature_headers, webhook_post
from mes_web.services.webhook_sending import delivery_claim, delivery_outcome_record, delivery_target
from mes_web.services.webhooks import allow_list


def webhooks_deliver(subscription_id: int, delivery_ids: list[int]) -> None:
    """Make one attempt of each delivery still queued, in order; the subscription's settings are read once."""
    try:
        target, allowed = delivery_target(subscription_id), allow_list()
        if target is None:
            return  # the subscription was deleted, and its deliveries with it
        for delivery_id in delivery_ids:
            claim = delivery_claim(delivery_id=delivery_id)
            if claim is None:
                continue
            body, started = body_bytes(claim.payload), utcnow()
            headers = signature_headers(
                message_id=claim.message_id,
                timestamp=int(started.timestamp()),
                body=body,
                secrets=target.secrets,
                event_type=claim.event_type,
            )
            attempt = webhook_post(url=target.url, body=body, headers=headers, timeout=target.timeout, allowed=allowed)
            delivery_outcome_record(claim=claim, target=target, attempt=attempt, at=started)
    finally:
        db.session.remove()
