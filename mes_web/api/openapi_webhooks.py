"""The OpenAPI paths of webhook subscriptions (admin tokens)."""

from mes_web.api.openapi_parts import COUNT, NULLABLE_TIME, STRING, body, errors, json_response
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
}
