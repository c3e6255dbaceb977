"""Webhook settings for admins: subscriptions, each a card that edits, toggles and rotates itself.

Each card also shows its last delivery; sending a test and the delivery history are in webhook_deliveries.py.
"""

from flask import g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from mes_web.errors import DomainError
from mes_web.models import Role, WebhookSubscription
from mes_web.selectors.webhooks import webhook_get, webhooks_last_delivery, webhooks_list
from mes_web.services.webhooks import (
    DEFAULTS,
    EVENT_TYPES,
    webhook_create,
    webhook_delete,
    webhook_secret_rotate,
    webhook_update,
)
from mes_web.web import web
from mes_web.web.session import requires_role

EVENT_LABELS = {
    "batch_created": _l("Партия создана"),
    "batch_updated": _l("Партия изменена"),
    "batch_closed": _l("Партия закрыта"),
    "batch_reopened": _l("Партия открыта снова"),
    "product_aggregated": _l("Продукт агрегирован"),
    "product_disaggregated": _l("Агрегация продукта отменена"),
    "report_generated": _l("Отчёт сформирован"),
    "import_completed": _l("Загрузка из файла завершена"),
}
FORM_FIELDS = ("url", "events", "retry_count", "timeout")


def _render(template: str, **context) -> str:
    labels = {name: EVENT_LABELS.get(name, name) for name in EVENT_TYPES}
    return render_template(template, event_labels=labels, form_fields=FORM_FIELDS, **context)


def _submitted() -> dict:
    """The form's values in the service's keys; the service judges them."""
    form = request.form
    return {"url": form.get("url", ""), "events": form.getlist("events")} | {
        key: form.get(key, "") for key in ("retry_count", "timeout")
    }


def _blank_values() -> dict:
    return {"url": "", "events": []} | {key: DEFAULTS[key] for key in ("retry_count", "timeout")}


def _saved_values(subscription: WebhookSubscription) -> dict:
    return {key: getattr(subscription, key) for key in FORM_FIELDS}


def _card(subscription: WebhookSubscription, status: int = 200, **context):
    last = webhooks_last_delivery([subscription.id])
    html = _render("webhooks/_subscription.html", subscription=subscription, last_deliveries=last, **context)
    return html, status


@web.get("/webhooks")
@requires_role(Role.ADMIN)
def webhooks_page():
    subscriptions, _ = webhooks_list()
    last = webhooks_last_delivery([subscription.id for subscription in subscriptions])
    return _render(
        "webhooks/index.html", subscriptions=subscriptions, last_deliveries=last, values=_blank_values(), errors={}
    )


@web.post("/webhooks")
@requires_role(Role.ADMIN)
def webhook_create_action():
    """A new subscription joins the list; its secret is shown in the form, this once."""
    values = _submitted()
    try:
        subscription, secret = webhook_create(payload=values, actor=g.actor)
    except DomainError as exc:
        return _render("webhooks/_form.html", values=values, errors=exc.fields or {"": exc.detail}), exc.status
    form = _render("webhooks/_form.html", values=_blank_values(), errors={}, created=subscription, secret=secret)
    row = _render("webhooks/_subscription.html", subscription=subscription, last_deliveries={})
    return form + f'<div hx-swap-oob="beforeend:#webhook-list">{row}</div>', 201


@web.get("/webhooks/<id:webhook_id>")
@requires_role(Role.ADMIN)
def webhook_card(webhook_id: int):
    if not request.headers.get("HX-Request"):
        return redirect(url_for("web.webhooks_page", _anchor=f"webhook-{webhook_id}"))
    html, status = _card(webhook_get(webhook_id))
    return html, status, {"Vary": "HX-Request"}


@web.get("/webhooks/<id:webhook_id>/edit")
@requires_role(Role.ADMIN)
def webhook_edit(webhook_id: int):
    subscription = webhook_get(webhook_id)
    return _card(subscription, editing=True, values=_saved_values(subscription), errors={})


@web.post("/webhooks/<id:webhook_id>")
@requires_role(Role.ADMIN)
def webhook_update_action(webhook_id: int):
    values = _submitted()
    try:
        subscription = webhook_update(webhook_id=webhook_id, payload=values, actor=g.actor)
    except DomainError as exc:
        errors = exc.fields or {"": exc.detail}
        return _card(webhook_get(webhook_id), exc.status, editing=True, values=values, errors=errors)
    return _card(subscription)


@web.post("/webhooks/<id:webhook_id>/active")
@requires_role(Role.ADMIN)
def webhook_toggle_action(webhook_id: int):
    payload = {"is_active": request.form.get("is_active", "")}
    return _card(webhook_update(webhook_id=webhook_id, payload=payload, actor=g.actor))


@web.post("/webhooks/<id:webhook_id>/rotate-secret")
@requires_role(Role.ADMIN)
def webhook_rotate_action(webhook_id: int):
    subscription, secret = webhook_secret_rotate(webhook_id=webhook_id, actor=g.actor)
    return _card(subscription, secret=secret, rotated=True)


@web.delete("/webhooks/<id:webhook_id>")
@requires_role(Role.ADMIN)
def webhook_delete_action(webhook_id: int):
    webhook_delete(webhook_id=webhook_id, actor=g.actor)
    return "", 200
