"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json."""

from flask import jsonify

from mes_web.api import api
from mes_web.api.openapi_analytics import ANALYTICS_PATHS
from mes_web.api.openapi_parts import (
    BATCH_CHANGES,
    BATCH_ID,
    CODE,
    FILTERS,
    PRODUCT_1C,
    SCHEMAS,
    SHIFT_TASK,
    STRING,
    body,
    errors,
    json_response,
    ref,
)
from mes_web.api.openapi_tasks import TASK_PATHS
from mes_web.api.openapi_webhooks import WEBHOOK_PATHS
from mes_web.services.aggregation import MAX_CODES_PER_REQUEST
from mes_web.services.fields import INT32_MAX


def _batch_action(summary: str) -> dict:
    return {
        "summary": summary,
        "parameters": [BATCH_ID],
        "responses": {"200": json_response(ref("Batch"), "The batch after the change")} | errors(401, 403, 404, 409),
    }


PATHS = {
    "/batches": {
        "get": {
            "summary": "List batches",
            "parameters": [
                {"name": name, "in": "query", "required": False, "schema": schema} for name, schema in FILTERS
            ],
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "required": ["items", "total", "offset", "limit"],
                        "properties": {
                            "items": {"type": "array", "items": ref("Batch")},
                            "total": {"type": "integer"},
                            "offset": {"type": "integer"},
                            "limit": {"type": "integer"},
                        },
                    },
                    "One page of batches",
                )
            }
            | errors(401, 403, 422),
        },
        "post": {
            "summary": "Create or overwrite batches from 1C shift tasks (all or nothing)",
            "requestBody": body({"oneOf": [{"type": "array", "minItems": 1, "items": SHIFT_TASK}, SHIFT_TASK]}),
            "responses": {
                "201": json_response({"type": "array", "items": ref("Batch")}, "At least one batch was created"),
                "200": json_response(
                    {"type": "array", "items": ref("Batch")}, "Every task overwrote an existing batch"
                ),
            }
            | errors(400, 401, 403, 409, 422),
        },
    },
    "/batches/{batch_id}": {
        "get": {
            "summary": "A batch with its products",
            "parameters": [BATCH_ID],
            "responses": {"200": json_response(ref("BatchWithProducts"), "The batch")} | errors(401, 403, 404),
        },
        "patch": {
            "summary": "Change some fields of a batch",
            "parameters": [BATCH_ID],
            "requestBody": body(BATCH_CHANGES),
            "responses": {"200": json_response(ref("Batch"), "The changed batch")}
            | errors(400, 401, 403, 404, 409, 422),
        },
    },
    "/batches/{batch_id}/close": {"post": _batch_action("Close an open batch")},
    "/batches/{batch_id}/reopen": {"post": _batch_action("Reopen a closed batch")},
    "/batches/{batch_id}/aggregate": {
        "post": {
            "summary": "Aggregate one scanned code, or a list of up to 1000",
            "parameters": [BATCH_ID],
            "requestBody": body(
                {
                    "oneOf": [
                        {"type": "object", "required": ["unique_code"], "properties": {"unique_code": CODE}},
                        {
                            "type": "object",
                            "required": ["unique_codes"],
                            "properties": {
                                "unique_codes": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": MAX_CODES_PER_REQUEST,
                                    "items": CODE,
                                }
                            },
                        },
                    ]
                }
            ),
            "responses": {
                "200": json_response(
                    {"oneOf": [ref("Product"), ref("AggregationResult")]}, "The product, or the list's result"
                )
            }
            | errors(400, 401, 403, 404, 409, 422),
        }
    },
    "/batches/{batch_id}/disaggregate": {
        "post": {
            "summary": "Undo a scan: the unit is no longer aggregated; the reason goes to the event log",
            "parameters": [BATCH_ID],
            "requestBody": body(
                {
                    "type": "object",
                    "required": ["unique_code", "reason"],
                    "properties": {"unique_code": CODE, "reason": {"type": "string", "minLength": 1, "maxLength": 500}},
                }
            ),
            "responses": {"200": json_response(ref("Product"), "The unit, no longer aggregated")}
            | errors(400, 401, 403, 404, 409, 422),
        }
    },
    "/products": {
        "post": {
            "summary": "Register one code in a batch, or 1C's bulk list",
            "requestBody": body(
                {
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["unique_code", "batch_id"],
                            "properties": {
                                "unique_code": CODE,
                                "batch_id": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
                            },
                        },
                        {"type": "array", "items": PRODUCT_1C},
                    ]
                }
            ),
            "responses": {
                "201": json_response({"oneOf": [ref("Product"), ref("ProductsAdded")]}, "Created"),
                "200": json_response(ref("ProductsAdded"), "Nothing new in a bulk list"),
            }
            | errors(400, 401, 403, 404, 409, 422),
        }
    },
    "/work-centers": {
        "get": {
            "summary": "Work centers with open and total batch counts",
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "required": ["items", "total"],
                        "properties": {
                            "items": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["id", "identifier", "name", "open_batches", "total_batches"],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "identifier": STRING,
                                        "name": STRING,
                                        "open_batches": {"type": "integer"},
                                        "total_batches": {"type": "integer"},
                                    },
                                },
                            },
                            "total": {"type": "integer"},
                        },
                    },
                    "Work centers",
                )
            }
            | errors(401, 403),
        }
    },
    "/health": {
        "get": {
            "summary": "Health of the app and its backing services (no token needed)",
            "security": [],
            "responses": {
                "200": json_response(
                    {
                        "type": "object",
                        "required": ["status", "checks"],
                        "properties": {"status": {"const": "ok"}, "checks": {"type": "object"}},
                    },
                    "Healthy",
                ),
                "503": json_response(
                    {
                        "type": "object",
                        "required": ["status", "checks"],
                        "properties": {"status": {"const": "degraded"}, "checks": {"type": "object"}},
                    },
                    "Degraded",
                ),
            },
        }
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "mes_web API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
    "paths": PATHS | TASK_PATHS | WEBHOOK_PATHS | ANALYTICS_PATHS,
}


@api.get("/openapi.json")
def openapi_document():
    return jsonify(DOCUMENT)
