"""Webhook deliveries waiting for another attempt (the sending arrives with the webhook issue)."""

from sqlalchemy import select

from mes_web.extensions import db
from mes_web.models import WebhookDelivery, WebhookSubscription


def webhook_deliveries_due() -> list[WebhookDelivery]:
    """Failed deliveries of active subscriptions that still have attempts left."""
    query = (
        select(WebhookDelivery)
        .join(WebhookSubscription, WebhookDelivery.subscription_id == WebhookSubscription.id)
        .where(
            WebhookDelivery.status == "failed",
            WebhookSubscription.is_active.is_(True),
            WebhookDelivery.attempts < WebhookSubscription.retry_count,
        )
    )
    return list(db.session.scalars(query))
