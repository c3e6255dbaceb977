"""The OpenAPI paths of webhook subscriptions and their deliveries (admin tokens)."""

from mes_web.api.openapi_parts import COUNT, FILTERS, NULLABLE_TIME, STRING, body, errors, json_response, obj
from mes_web.models import PING, DeliveryStatus
from mes_web.services.fields import INT32_MAX
from mes_web.services.webhooks import EVENT_TYPES

EVENT_NAMES = {"enum": [*EVENT_TYPES, *(name.replace("_", ".", 1) for name in EVENT_TYPES)]}
WEBHOOK_ID = {
    "name": "webhook_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
}
SETTINGS = {
    "url": {"type": "string", "minLength": 1, "maxLength": 2048, "description": "http:// or https://"},
    "events": {"type": "array", "minItems": 1, "items": EVENT_NAMES},
    "retry_count": {"type": "integer", "minimum": 0, "maximum": 10, "default": 3},
    "timeout": {"type": "integer", "minimum": 1, "maximum": 60, "default": 10, "description": "seconds"},
}
WEBHOOK = {
    "type": "object",
    "required": ["id", "url", "events", "is_active", "retry_count", "timeout", "created_at"],
    "properties": {
        "id": COUNT,
        "url": STRING,
        "events": {"type": "array", "items": STRING},
        "is_active": {"type": "boolean"},
        "retry_count": COUNT,
        "timeout": COUNT,
        "consecutive_failures": COUNT,
        "disabled_reason": {"type": ["string", "null"]},
        "previous_secret_expires_at": NULLABLE_TIME,
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
PAGE_PARAMETERS = [
    {"name": name, "in": "query", "required": False, "schema": schema}
    for name, schema in FILTERS
    if name in ("offset", "limit")
]
DELIVERY_ID = WEBHOOK_ID | {"name": "delivery_id"}
NULLABLE_COUNT = {"type": ["integer", "null"]}
NULLABLE_STRING = {"type": ["string", "null"]}
ATTEMPT = obj(
    {
        "attempted_at": {"type": "string", "format": "date-time"},
        "status_code": NULLABLE_COUNT | {"description": "null when no answer came (timeout, refused, dropped)"},
        "latency_ms": COUNT,
        "error": NULLABLE_STRING | {"description": "null on a 2xx answer"},
        "response_body": STRING | {"description": "The first 2 KB of the answer"},
    }
)
DELIVERY = obj(
    {
        "id": COUNT,
        "event_id": NULLABLE_COUNT | {"description": "null for a test (ping)"},
        "message_id": STRING | {"description": "The webhook-id header and the body's id: the same on every attempt"},
        "event_type": {"enum": [*EVENT_TYPES, PING]},
        "status": {"enum": list(DeliveryStatus.ALL)},
        "attempts": COUNT | {"description": "Attempts since the delivery was made or last redelivered"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_attempt_at": NULLABLE_TIME,
        "next_attempt_at": NULLABLE_TIME | {"description": "When the next retry is due (status retrying)"},
        "delivered_at": NULLABLE_TIME,
        "response_status": NULLABLE_COUNT | {"description": "Of the last attempt"},
        "error_message": NULLABLE_STRING | {"description": "Of the last attempt"},
        "payload": obj({"id": STRING, "event": STRING, "data": {"type": "object"}, "timestamp": STRING})
        | {"description": "The body exactly as it is sent"},
        "attempt_history": {
            "type": "array",
            "items": ATTEMPT,
            "description": "Every attempt, oldest first, those before a redelivery included",
        },
    }
)
DELIVERY_ACCEPTED = {
    "202": json_response(DELIVERY, "Queued; follow it at the Location header's URL")
    | {"headers": {"Location": {"schema": STRING, "description": "The delivery's URL"}}}
}
WITH_SECRET = {"allOf": [WEBHOOK, {"type": "object", "required": ["secret_key"], "properties": {"secret_key": STRING}}]}

WEBHOOK_PATHS = {
    "/webhooks": {
        "post": {
            "summary": "Subscribe a URL to events; the secret is in this answer only",
            "requestBody": body(
                {
                    "type": "object",
                    "required": ["url", "events"],
                    "properties": SETTINGS | {"secret_key": {"type": "string", "minLength": 16, "maxLength": 255}},
                }
            ),
            "responses": {"201": json_response(WITH_SECRET, "Subscribed")} | errors(400, 401, 403, 422),
        },
        "get": {
            "summary": "Every subscription (secrets never shown)",
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "required": ["items", "total"],
                        "properties": {"items": {"type": "array", "items": WEBHOOK}, "total": COUNT},
                    },
                    "Subscriptions",
                )
            }
            | errors(401, 403),
        },
    },
    "/webhooks/{webhook_id}": {
        "get": {
            "summary": "A subscription",
            "parameters": [WEBHOOK_ID],
            "responses": {"200": json_response(WEBHOOK, "The subscription")} | errors(401, 403, 404),
        },
        "patch": {
            "summary": "Change url, events, is_active, retry_count or timeout",
            "parameters": [WEBHOOK_ID],
            "requestBody": body(
                {"type": "object", "minProperties": 1, "properties": SETTINGS | {"is_active": {"type": "boolean"}}}
            ),
            "responses": {"200": json_response(WEBHOOK, "The changed subscription")} | errors(400, 401, 403, 404, 422),
        },
        "delete": {
            "summary": "Remove a subscription and its delivery history",
            "parameters": [WEBHOOK_ID],
            "responses": {"204": {"description": "Removed"}} | errors(401, 403, 404),
        },
    },
    "/webhooks/{webhook_id}/rotate-secret": {
        "post": {
            "summary": "A new secret; the old one keeps signing beside it for 24 hours",
            "parameters": [WEBHOOK_ID],
            "responses": {"200": json_response(WITH_SECRET, "The new secret")} | errors(401, 403, 404),
        }
    },
    "/webhooks/{webhook_id}/test": {
        "post": {
            "summary": "Send a test event (ping) now, even to a disabled subscription; it is tried once",
            "parameters": [WEBHOOK_ID],
            "responses": DELIVERY_ACCEPTED | errors(401, 403, 404),
        }
    },
    "/webhooks/{webhook_id}/deliveries": {
        "get": {
            "summary": "A subscription's deliveries, newest first, each with its attempts",
            "parameters": [
                WEBHOOK_ID,
                {"name": "status", "in": "query", "required": False, "schema": {"enum": list(DeliveryStatus.ALL)}},
                *PAGE_PARAMETERS,
            ],
            "responses": {
                "200": json_response(
                    obj(
                        {"items": {"type": "array", "items": DELIVERY}, "total": COUNT, "offset": COUNT, "limit": COUNT}
                    ),
                    "One page of deliveries",
                )
            }
            | errors(401, 403, 404, 422),
        }
    },
    "/webhooks/{webhook_id}/deliveries/{delivery_id}": {
        "get": {
            "summary": "A delivery with its attempts",
            "parameters": [WEBHOOK_ID, DELIVERY_ID],
            "responses": {"200": json_response(DELIVERY, "The delivery")} | errors(401, 403, 404),
        }
    },
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": {
        "post": {
            "summary": "Send a finished delivery again: the same body and webhook-id, with the retries afresh",
            "parameters": [WEBHOOK_ID, DELIVERY_ID],
            "responses": DELIVERY_ACCEPTED | errors(401, 403, 404, 409),
        }
    },
}
