"""Webhook subscriptions (admin tokens): create, list, read, change, delete, rotate the secret."""

from flask import g, jsonify

from mes_web.api import api
from mes_web.api.auth import requires
from mes_web.api.params import json_body
from mes_web.clock import isoformat
from mes_web.models import Role, WebhookSubscription
from mes_web.selectors.webhooks import webhook_get, webhooks_list
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
