"""Webhook deliveries on the settings screen: send a test, read the history attempt by attempt, deliver again.

A delivery that is queued or being sent asks for itself again every 2 s, as a job's card does, and so does the
card's last-delivery line; a test or a redelivery announces itself with `webhook-delivery-<id>`, so that line
asks at once. A refused redelivery comes back, with its 4xx status, as its row carrying the service's message:
the way a refused form comes back on this screen.
"""

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from mes_web.clock import plant_day, plant_today
from mes_web.errors import Conflict, InvalidState
from mes_web.models import PING, DeliveryStatus, Role, WebhookDelivery
from mes_web.selectors.webhooks import (
    webhook_deliveries_page,
    webhook_delivery_get,
    webhook_get,
    webhooks_last_delivery,
)
from mes_web.services.webhook_deliveries import delivery_redeliver, webhook_ping
from mes_web.web import web
from mes_web.web.presentation import plant_time
from mes_web.web.session import requires_role
from mes_web.web.webhooks import EVENT_LABELS

PAGE_SIZE = 20
PING_LABEL = _l("Проверка")
STATES = {
    DeliveryStatus.QUEUED: _l("в очереди"),
    DeliveryStatus.SENDING: _l("отправляется"),
    DeliveryStatus.DELIVERED: _l("доставлено"),
    DeliveryStatus.FAILED: _l("не доставлено"),
}


@web.app_template_filter("delivery_state")
def delivery_state(delivery: WebhookDelivery) -> str:
    """Where a delivery is, in words: «доставлено», «ждёт повтора в 14:05»."""
    if delivery.status != DeliveryStatus.RETRYING:
        return str(STATES.get(delivery.status, delivery.status))
    moment = delivery.next_attempt_at
    today = moment is not None and plant_day(moment) == plant_today()
    return _("ждёт повтора в %(time)s", time=plant_time(moment, "%H:%M" if today else "%d.%m.%Y %H:%M"))


@web.app_template_filter("delivery_event")
def delivery_event(event_type: str) -> str:
    return str(PING_LABEL if event_type == PING else EVENT_LABELS.get(event_type, event_type))


@web.app_template_test("delivery_running")
def delivery_running(delivery: WebhookDelivery | None) -> bool:
    """Queued or being sent: its outcome comes within seconds, so the screen keeps asking."""
    return delivery is not None and delivery.status in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


@web.app_template_test("delivery_finished")
def delivery_finished(delivery: WebhookDelivery) -> bool:
    return delivery.status in DeliveryStatus.FINISHED


def _announced(webhook_id: int) -> dict:
    return {"HX-Trigger": f"webhook-delivery-{webhook_id}"}


def _not_htmx(webhook_id: int):
    return redirect(url_for("web.webhooks_page", _anchor=f"webhook-{webhook_id}"))


def _history(webhook_id: int, *, offset: int = 0, before: int | None = None) -> dict:
    """A page of the history; rows newer than `before` were on an earlier page, pushed down by newer deliveries."""
    page, total = webhook_deliveries_page(webhook_id, offset=offset, limit=PAGE_SIZE)
    deliveries = [delivery for delivery in page if before is None or delivery.id < before]
    return {
        "subscription": webhook_get(webhook_id),
        "deliveries": deliveries,
        "total": total,
        "next_offset": offset + len(page),
        "before": deliveries[-1].id if deliveries else before,
    }


def _row(webhook_id: int, delivery_id: int, status: int = 200, **context):
    delivery = webhook_delivery_get(webhook_id, delivery_id)
    return render_template("webhooks/_delivery.html", delivery=delivery, **context), status


@web.get("/webhooks/<id:webhook_id>/last-delivery")
@requires_role(Role.ADMIN)
def webhook_last_delivery(webhook_id: int):
    subscription = webhook_get(webhook_id)
    last = webhooks_last_delivery([webhook_id])
    return render_template("webhooks/_last_delivery.html", subscription=subscription, last_deliveries=last)


@web.get("/webhooks/<id:webhook_id>/deliveries")
@requires_role(Role.ADMIN)
def webhook_deliveries(webhook_id: int):
    """The history opened in the card; later pages come as rows for «Ещё»."""
    if not request.headers.get("HX-Request"):
        return _not_htmx(webhook_id)
    offset = max(request.args.get("offset", 0, type=int), 0)
    context = _history(webhook_id, offset=offset, before=request.args.get("before", type=int))
    template = "webhooks/_deliveries.html" if offset else "webhooks/_history.html"
    return render_template(template, **context), 200, {"Vary": "HX-Request"}


@web.post("/webhooks/<id:webhook_id>/ping")
@requires_role(Role.ADMIN)
def webhook_ping_action(webhook_id: int):
    """Queue a test; the history opens with it on top and follows it until it is sent."""
    webhook_ping(webhook_id=webhook_id, actor=g.actor)
    return render_template("webhooks/_history.html", **_history(webhook_id)), 202, _announced(webhook_id)


@web.get("/webhooks/<id:webhook_id>/deliveries/<id:delivery_id>")
@requires_role(Role.ADMIN)
def webhook_delivery_row(webhook_id: int, delivery_id: int):
    if not request.headers.get("HX-Request"):
        return _not_htmx(webhook_id)
    html, status = _row(webhook_id, delivery_id)
    return html, status, {"Vary": "HX-Request"}


@web.post("/webhooks/<id:webhook_id>/deliveries/<id:delivery_id>/redeliver")
@requires_role(Role.ADMIN)
def webhook_redeliver_action(webhook_id: int, delivery_id: int):
    """Send a finished delivery again; a refusal is shown in its row, which stays as it was."""
    try:
        delivery_redeliver(webhook_id=webhook_id, delivery_id=delivery_id, actor=g.actor)
    except (InvalidState, Conflict) as exc:
        return _row(webhook_id, delivery_id, exc.status, error=exc.detail)
    html, status = _row(webhook_id, delivery_id, 202)
    return html, status, _announced(webhook_id)
