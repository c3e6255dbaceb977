"""Webhook subscriptions (admin tokens): manage them, send a test, read and redeliver their deliveries."""

from flask import g, jsonify, url_for

from mes_web.api import api
from mes_web.api.auth import requires
from mes_web.api.params import delivery_list_params, json_body
from mes_web.clock import isoformat
from mes_web.models import Role, WebhookAttempt, WebhookDelivery, WebhookSubscription
from mes_web.selectors.webhooks import webhook_deliveries_page, webhook_delivery_get, webhook_get, webhooks_list
from mes_web.services.webhook_deliveries import delivery_redeliver, webhook_ping
from mes_web.services.webhooks import webhook_create, webhook_delete, webhook_secret_rotate, webhook_update


def webhook_json(subscription: WebhookSubscription) -> dict:
    """A subscription without its secret: a secret is shown once, when it is made."""
    return {
        "id": subscription.id,
        "url": subscription.url,
        "events": subscription.events,
        "is_active": subscription.is_active,
        "retry_count": subscription.retry_count,
        "timeout": subscription.timeout,
        "consecutive_failures": subscription.consecutive_failures,
        "disabled_reason": subscription.disabled_reason,
        "previous_secret_expires_at": isoformat(subscription.previous_secret_expires_at),
        "created_at": isoformat(subscription.created_at),
        "updated_at": isoformat(subscription.updated_at),
    }


def attempt_json(attempt: WebhookAttempt) -> dict:
    return {
        "attempted_at": isoformat(attempt.attempted_at),
        "status_code": attempt.status_code,
        "latency_ms": attempt.latency_ms,
        "error": attempt.error,
        "response_body": attempt.response_body,
    }


def delivery_json(delivery: WebhookDelivery) -> dict:
    """A delivery with the body it sends and every attempt so far, redeliveries included, oldest first."""
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "message_id": delivery.message_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created_at": isoformat(delivery.created_at),
        "last_attempt_at": isoformat(delivery.last_attempt_at),
        "next_attempt_at": isoformat(delivery.next_attempt_at),
        "delivered_at": isoformat(delivery.delivered_at),
        "response_status": delivery.response_status,
        "error_message": delivery.error_message,
        "payload": delivery.payload,
        "attempt_history": [attempt_json(attempt) for attempt in delivery.attempt_history],
    }


def _delivery_accepted(webhook_id: int, delivery_id: int):
    body = delivery_json(webhook_delivery_get(webhook_id, delivery_id))
    location = url_for("api.webhook_deliveries_show", webhook_id=webhook_id, delivery_id=delivery_id)
    return jsonify(body), 202, {"Location": location}


@api.post("/webhooks")
@requires(Role.ADMIN)
def webhooks_create():
    subscription, secret = webhook_create(payload=json_body(), actor=g.actor)
    return jsonify(webhook_json(subscription) | {"secret_key": secret}), 201


@api.get("/webhooks")
@requires(Role.ADMIN)
def webhooks_index():
    items, total = webhooks_list()
    return jsonify(items=[webhook_json(item) for item in items], total=total)


@api.get("/webhooks/<id:webhook_id>")
@requires(Role.ADMIN)
def webhooks_show(webhook_id: int):
    return jsonify(webhook_json(webhook_get(webhook_id)))


@api.patch("/webhooks/<id:webhook_id>")
@requires(Role.ADMIN)
def webhooks_update(webhook_id: int):
    return jsonify(webhook_json(webhook_update(webhook_id=webhook_id, payload=json_body(), actor=g.actor)))


@api.delete("/webhooks/<id:webhook_id>")
@requires(Role.ADMIN)
def webhooks_delete(webhook_id: int):
    webhook_delete(webhook_id=webhook_id, actor=g.actor)
    return "", 204


@api.post("/webhooks/<id:webhook_id>/rotate-secret")
@requires(Role.ADMIN)
def webhooks_rotate_secret(webhook_id: int):
    subscription, secret = webhook_secret_rotate(webhook_id=webhook_id, actor=g.actor)
    return jsonify(webhook_json(subscription) | {"secret_key": secret})


@api.post("/webhooks/<id:webhook_id>/test")
@requires(Role.ADMIN)
def webhooks_test(webhook_id: int):
    delivery = webhook_ping(webhook_id=webhook_id, actor=g.actor)
    return _delivery_accepted(webhook_id, delivery.id)


@api.get("/webhooks/<id:webhook_id>/deliveries")
@requires(Role.ADMIN)
def webhook_deliveries_index(webhook_id: int):
    status, offset, limit = delivery_list_params()
    items, total = webhook_deliveries_page(webhook_id, status=status, offset=offset, limit=limit)
    return jsonify(items=[delivery_json(item) for item in items], total=total, offset=offset, limit=limit)


@api.get("/webhooks/<id:webhook_id>/deliveries/<id:delivery_id>")
@requires(Role.ADMIN)
def webhook_deliveries_show(webhook_id: int, delivery_id: int):
    return jsonify(delivery_json(webhook_delivery_get(webhook_id, delivery_id)))


@api.post("/webhooks/<id:webhook_id>/deliveries/<id:delivery_id>/redeliver")
@requires(Role.ADMIN)
def webhook_deliveries_redeliver(webhook_id: int, delivery_id: int):
    delivery_redeliver(webhook_id=webhook_id, delivery_id=delivery_id, actor=g.actor)
    return _delivery_accepted(webhook_id, delivery_id)
