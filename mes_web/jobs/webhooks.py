"""The RQ job of one webhook delivery: claim it, POST it signed, record what came back."""

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.integrations.webhooks import body_bytes, signature_headers, webhook_post
from mes_web.services.webhook_deliveries import delivery_claim, delivery_outcome_record
from mes_web.services.webhooks import allow_list


def webhook_deliver(delivery_id: int) -> None:
    """Make one attempt of a queued delivery; a delivery no longer queued is left alone."""
    try:
        claim = delivery_claim(delivery_id=delivery_id)
        if claim is None:
            return
        body, started = body_bytes(claim.payload), utcnow()
        headers = signature_headers(
            message_id=claim.message_id,
            timestamp=int(started.timestamp()),
            body=body,
            secrets=claim.secrets,
            event_type=claim.event_type,
        )
        attempt = webhook_post(url=claim.url, body=body, headers=headers, timeout=claim.timeout, allowed=allow_list())
        delivery_outcome_record(
            delivery_id=delivery_id, attempt_number=claim.attempt_number, attempt=attempt, at=started
        )
    finally:
        db.session.remove()
