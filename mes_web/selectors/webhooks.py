"""Webhook subscriptions and deliveries as the admin screen and the API read them."""

from sqlalchemy import select

from mes_web.errors import NotFound
from mes_web.extensions import db
from mes_web.models import WebhookDelivery, WebhookSubscription


def webhooks_list() -> tuple[list[WebhookSubscription], int]:
    """Every subscription, oldest first, and how many there are."""
    items = list(db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))
    return items, len(items)


def webhook_get(webhook_id: int) -> WebhookSubscription:
    """A subscription, or a 404 naming it."""
    subscription = db.session.get(WebhookSubscription, webhook_id)
    if subscription is None:
        raise NotFound(f"Подписка {webhook_id} не найдена.", code="webhook_not_found")
    return subscription


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
