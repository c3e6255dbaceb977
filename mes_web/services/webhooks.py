"""Webhook subscriptions: who hears which events, at which URL, signed with which secret."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, select

from mes_web.clock import utcnow
from mes_web.errors import Invalid, WebhookNotFound, refuse_if_invalid
from mes_web.extensions import db
from mes_web.integrations.webhooks import AddressRefused, AllowList, secret_generate, signing_key, target_check
from mes_web.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from mes_web.services import fields as f
from mes_web.services.transaction import Actor, transactional

EVENT_TYPES = (
    "batch_created",
    "batch_updated",
    "batch_closed",
    "batch_reopened",
    "product_aggregated",
    "product_disaggregated",
    "report_generated",
    "import_completed",
)
ROTATION_GRACE = timedelta(hours=24)
DEFAULTS = {"retry_count": 3, "timeout": 10, "is_active": True}


def allow_list() -> AllowList:
    """The configured exceptions to the internal-address rule."""
    return AllowList.parse(current_app.config["WEBHOOK_ALLOWED_HOSTS"])


def _url(value) -> str:
    url = f.text(value, max_length=2048, required=True)
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError
        target_check(url, allow_list())
    except AddressRefused as exc:
        raise f.FieldError(str(exc)) from None
    except ValueError:
        raise f.FieldError("нужен адрес http:// или https:// с именем хоста") from None
    except OSError:  # the name does not resolve: most likely a typo, and nothing could be delivered
        raise f.FieldError(f"хост {urlsplit(url).hostname} не найден (DNS); проверьте адрес") from None
    return url


def _events(value) -> list[str]:
    """Event names, the dotted spelling (batch.created) accepted; stored as deliveries name them."""
    if not isinstance(value, list) or not value:
        raise f.FieldError("нужен непустой список событий")
    names = []
    for item in value:
        name = item.replace(".", "_") if isinstance(item, str) else None
        if name not in EVENT_TYPES:
            raise f.FieldError(f"неизвестное событие {item!r}; известны: {', '.join(EVENT_TYPES)}")
        if name not in names:
            names.append(name)
    return names


def _secret(value) -> str:
    secret = f.text(value, max_length=255, required=True)
    if len(secret) < 16:
        raise f.FieldError("не короче 16 символов")
    try:
        signing_key(secret)
    except ValueError:
        raise f.FieldError("после whsec_ должен идти base64") from None
    return secret


FIELDS = {
    "url": _url,
    "events": _events,
    "is_active": f.flag,
    "retry_count": lambda value: f.whole_number(value, minimum=0, maximum=10),
    "timeout": lambda value: f.whole_number(value, minimum=1, maximum=60),
}


def _read(payload, *, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(payload, dict):
        raise Invalid("Нужен JSON-объект.", fields={"body": "нужен JSON-объект"})
    errors = {key: "неизвестное поле" for key in payload if key not in allowed}
    errors |= {key: "обязательное поле" for key in required if payload.get(key) is None}
    values = {}
    for key, value in payload.items():
        if key in allowed and key not in errors:
            try:
                values[key] = (_secret if key == "secret_key" else FIELDS[key])(value)
            except f.FieldError as exc:
                errors[key] = str(exc)
    refuse_if_invalid(errors)
    return values


def webhook_for_update(webhook_id: int) -> WebhookSubscription:
    """The subscription, locked until the transaction ends, or a 404."""
    subscription = db.session.get(WebhookSubscription, webhook_id, with_for_update=True)
    if subscription is None:
        raise WebhookNotFound(webhook_id)
    return subscription


@transactional
def webhook_create(*, payload, actor: Actor) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL to events; returns the subscription and its secret, which is shown only now."""
    values = _read(payload, allowed=set(FIELDS) - {"is_active"} | {"secret_key"}, required={"url", "events"})
    secret = values.pop("secret_key", None) or secret_generate()
    subscription = WebhookSubscription(**DEFAULTS | values, secret_key=secret)
    db.session.add(subscription)
    db.session.flush()
    return subscription, secret


@transactional
def webhook_update(*, webhook_id: int, payload, actor: Actor) -> WebhookSubscription:
    """Change a subscription; enabling it again forgets the failures that disabled it."""
    values = _read(payload, allowed=set(FIELDS), required=set())
    if not values:
        raise Invalid("Нечего менять: передайте хотя бы одно поле.", fields={"body": "пусто"})
    subscription = webhook_for_update(webhook_id)
    for key, value in values.items():
        setattr(subscription, key, value)
    if values.get("is_active"):
        subscription.consecutive_failures, subscription.disabled_reason = 0, None
    return subscription


@transactional
def webhook_delete(*, webhook_id: int, actor: Actor) -> None:
    """Remove a subscription and its delivery history."""
    subscription = db.session.get(WebhookSubscription, webhook_id)
    if subscription is None:
        raise WebhookNotFound(webhook_id)
    # Deliveries first, the subscription last: the order a sending worker locks them in, so neither waits on the other.
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == subscription.id)
    db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id))
    db.session.delete(subscription)


@transactional
def webhook_secret_rotate(*, webhook_id: int, actor: Actor) -> tuple[WebhookSubscription, str]:
    """Give a subscription a new secret; the old one keeps signing beside it for 24 hours."""
    subscription = webhook_for_update(webhook_id)
    subscription.previous_secret_key = subscription.secret_key
    subscription.previous_secret_expires_at = utcnow() + ROTATION_GRACE
    subscription.secret_key = secret_generate()
    return subscription, subscription.secret_key


def signing_secrets(subscription: WebhookSubscription) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one during its grace."""
    expires = subscription.previous_secret_expires_at
    keep_previous = subscription.previous_secret_key and expires and expires > utcnow()
    return [subscription.secret_key, subscription.previous_secret_key] if keep_previous else [subscription.secret_key]
