"""Webhook subscriptions and deliveries as the admin screen and the API read them."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mes_web.errors import DeliveryNotFound, WebhookNotFound
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
        raise WebhookNotFound(webhook_id)
    return subscription


def webhook_deliveries_page(
    webhook_id: int, *, offset: int, limit: int, status: str | None = None
) -> tuple[list[WebhookDelivery], int]:
    """One page of a subscription's deliveries (of one status, if given), newest first, with their attempts loaded."""
    webhook_get(webhook_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    deliveries = list(
        db.session.scalars(
            query.options(selectinload(WebhookDelivery.attempt_history))
            .order_by(WebhookDelivery.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )
    return deliveries, total


def webhook_delivery_get(webhook_id: int, delivery_id: int) -> WebhookDelivery:
    """A subscription's delivery with its attempts, or a 404 naming the subscription or the delivery."""
    webhook_get(webhook_id)
    # Read afresh: a delivery a service just changed sits in the session without its attempts loaded.
    delivery = db.session.get(
        WebhookDelivery,
        delivery_id,
        options=[selectinload(WebhookDelivery.attempt_history)],
        populate_existing=True,
    )
    if delivery is None or delivery.subscription_id != webhook_id:
        raise DeliveryNotFound(webhook_id, delivery_id)
    return delivery


def webhooks_last_delivery(webhook_ids: list[int]) -> dict[int, WebhookDelivery]:
    """The newest delivery of each subscription, for the settings screen's cards."""
    newest = (
        select(func.max(WebhookDelivery.id))
        .where(WebhookDelivery.subscription_id.in_(webhook_ids))
        .group_by(WebhookDelivery.subscription_id)
    )
    rows = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(newest)))
    return {delivery.subscription_id: delivery for delivery in rows}
