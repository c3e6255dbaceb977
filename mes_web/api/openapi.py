"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json."""

from flask import jsonify

from mes_web.api import api
from mes_web.services.aggregation import MAX_CODES_PER_REQUEST
from mes_web.services.fields import INT32_MAX

STRING = {"type": "string"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
BATCH_NUMBER = {"type": "integer", "minimum": 1, "maximum": INT32_MAX}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    meaning = {
        400: "Malformed JSON or a scan that cannot be aggregated",
        401: "No valid bearer token",
        403: "The token's role may not do this",
        404: "No such batch or code",
        409: "Conflicts with the current state",
        422: "Invalid input; `fields` names each bad value",
        503: "A backing service does not answer",
    }
    return {str(status): _json(_ref("Error"), meaning[status]) for status in statuses}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


BATCH_ID = {
    "name": "batch_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
}

SHIFT_TASK = {
    "type": "object",
    "description": (
        "A shift task as 1C sends it. Each key may also be given by its English name (is_closed,"
        " task_description, work_center_name, shift, team, batch_number, batch_date, nomenclature, ekn_code,"
        " work_center_identifier, shift_start, shift_end); unknown keys are ignored."
    ),
    "required": [
        "РабочийЦентр",
        "НомерПартии",
        "ДатаПартии",
        "Номенклатура",
        "ИдентификаторРЦ",
        "ДатаВремяНачалаСмены",
        "ДатаВремяОкончанияСмены",
    ],
    "properties": {
        "СтатусЗакрытия": {"type": "boolean"},
        "ПредставлениеЗаданияНаСмену": {"type": "string", "maxLength": 2000},
        "РабочийЦентр": {"type": "string", "minLength": 1, "maxLength": 255},
        "Смена": {"type": "string", "maxLength": 255},
        "Бригада": {"type": "string", "maxLength": 255},
        "НомерПартии": BATCH_NUMBER,
        "ДатаПартии": {"type": "string", "format": "date"},
        "Номенклатура": {"type": "string", "minLength": 1, "maxLength": 255},
        "КодЕКН": {"type": "string", "maxLength": 255},
        "ИдентификаторРЦ": {"type": "string", "minLength": 1, "maxLength": 100},
        "ДатаВремяНачалаСмены": {
            "type": "string",
            "format": "date-time",
            "description": "Without an offset: PLANT_TIMEZONE",
        },
        "ДатаВремяОкончанияСмены": {"type": "string", "format": "date-time"},
    },
}

BATCH_CHANGES = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "is_closed": {"type": "boolean"},
        "task_description": {"type": "string", "maxLength": 2000},
        "work_center_id": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
        "shift": {"type": "string", "maxLength": 255},
        "team": {"type": "string", "maxLength": 255},
        "batch_number": BATCH_NUMBER,
        "batch_date": {"type": "string", "format": "date"},
        "nomenclature": {"type": "string", "minLength": 1, "maxLength": 255},
        "ekn_code": {"type": "string", "maxLength": 255},
        "shift_start": {"type": "string", "format": "date-time"},
        "shift_end": {"type": "string", "format": "date-time"},
    },
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {
            "error": {"type": "string", "description": "Machine-readable code"},
            "detail": {"type": "string", "description": "What went wrong, for a person"},
            "fields": {"type": "object", "additionalProperties": STRING},
        },
    },
    "WorkCenter": {
        "type": "object",
        "required": ["id", "identifier", "name"],
        "properties": {"id": {"type": "integer"}, "identifier": STRING, "name": STRING},
    },
    "Batch": {
        "type": "object",
        "required": [
            "id",
            "is_closed",
            "closed_at",
            "work_center",
            "batch_number",
            "batch_date",
            "shift_start",
            "shift_end",
            "products_total",
            "products_aggregated",
        ],
        "properties": {
            "id": {"type": "integer"},
            "is_closed": {"type": "boolean"},
            "closed_at": NULLABLE_TIME,
            "task_description": STRING,
            "work_center": _ref("WorkCenter"),
            "shift": STRING,
            "team": STRING,
            "batch_number": {"type": "integer"},
            "batch_date": {"type": "string", "format": "date"},
            "nomenclature": STRING,
            "ekn_code": STRING,
            "shift_start": {"type": "string", "format": "date-time"},
            "shift_end": {"type": "string", "format": "date-time"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "products_total": {"type": "integer"},
            "products_aggregated": {"type": "integer"},
        },
    },
    "Product": {
        "type": "object",
        "required": ["id", "unique_code", "is_aggregated", "aggregated_at"],
        "properties": {
            "id": {"type": "integer"},
            "unique_code": STRING,
            "is_aggregated": {"type": "boolean"},
            "aggregated_at": NULLABLE_TIME,
        },
    },
    "BatchWithProducts": {
        "allOf": [
            _ref("Batch"),
            {
                "type": "object",
                "required": ["products"],
                "properties": {"products": {"type": "array", "items": _ref("Product")}},
            },
        ],
    },
    "AggregationResult": {
        "type": "object",
        "required": ["total", "aggregated", "failed", "errors"],
        "properties": {
            "total": {"type": "integer"},
            "aggregated": {"type": "integer"},
            "failed": {"type": "integer"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "reason"],
                    "properties": {
                        "code": STRING,
                        "reason": {"enum": ["already aggregated", "not found", "belongs to different batch"]},
                    },
                },
            },
        },
    },
    "ProductsAdded": {
        "type": "object",
        "required": ["total", "created", "skipped"],
        "properties": {
            "total": {"type": "integer"},
            "created": {"type": "integer"},
            "skipped": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index", "unique_code", "reason"],
                    "properties": {
                        "index": {"type": "integer"},
                        "unique_code": STRING,
                        "reason": {"enum": ["batch not found", "batch closed", "code exists"]},
                    },
                },
            },
        },
    },
}

CODE = {"type": "string", "minLength": 1, "maxLength": 255}
PRODUCT_1C = {
    "type": "object",
    "required": ["НомерПартии", "ДатаПартии"],
    "anyOf": [{"required": ["УникальныйКодПродукта"]}, {"required": ["УникальныйКод"]}],
    "properties": {
        "УникальныйКодПродукта": CODE,
        "УникальныйКод": CODE,
        "НомерПартии": BATCH_NUMBER,
        "ДатаПартии": {"type": "string", "format": "date"},
    },
}

FILTERS = [
    ("is_closed", {"type": "boolean"}),
    ("batch_number", BATCH_NUMBER),
    ("batch_date", {"type": "string", "format": "date"}),
    ("date_from", {"type": "string", "format": "date"}),
    ("date_to", {"type": "string", "format": "date"}),
    ("work_center_id", {"type": "integer", "minimum": 1, "maximum": INT32_MAX}),
    ("work_center_identifier", {"type": "string", "minLength": 1}),
    ("shift", {"type": "string", "minLength": 1}),
    ("team", {"type": "string", "minLength": 1}),
    ("nomenclature", {"type": "string", "minLength": 1}),
    ("ekn_code", {"type": "string", "minLength": 1}),
    ("offset", {"type": "integer", "minimum": 0, "maximum": INT32_MAX, "default": 0}),
    ("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
]


def _batch_action(summary: str) -> dict:
    return {
        "summary": summary,
        "parameters": [BATCH_ID],
        "responses": {"200": _json(_ref("Batch"), "The batch after the change")} | _errors(401, 403, 404, 409),
    }


PATHS = {
    "/batches": {
        "get": {
            "summary": "List batches",
            "parameters": [
                {"name": name, "in": "query", "required": False, "schema": schema} for name, schema in FILTERS
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["items", "total", "offset", "limit"],
                        "properties": {
                            "items": {"type": "array", "items": _ref("Batch")},
                            "total": {"type": "integer"},
                            "offset": {"type": "integer"},
                            "limit": {"type": "integer"},
                        },
                    },
                    "One page of batches",
                )
            }
            | _errors(401, 403, 422),
        },
        "post": {
            "summary": "Create or overwrite batches from 1C shift tasks (all or nothing)",
            "requestBody": _body({"oneOf": [{"type": "array", "minItems": 1, "items": SHIFT_TASK}, SHIFT_TASK]}),
            "responses": {
                "201": _json({"type": "array", "items": _ref("Batch")}, "At least one batch was created"),
                "200": _json({"type": "array", "items": _ref("Batch")}, "Every task overwrote an existing batch"),
            }
            | _errors(400, 401, 403, 409, 422),
        },
    },
    "/batches/{batch_id}": {
        "get": {
            "summary": "A batch with its products",
            "parameters": [BATCH_ID],
            "responses": {"200": _json(_ref("BatchWithProducts"), "The batch")} | _errors(401, 403, 404),
        },
        "patch": {
            "summary": "Change some fields of a batch",
            "parameters": [BATCH_ID],
            "requestBody": _body(BATCH_CHANGES),
            "responses": {"200": _json(_ref("Batch"), "The changed batch")} | _errors(400, 401, 403, 404, 409, 422),
        },
    },
    "/batches/{batch_id}/close": {"post": _batch_action("Close an open batch")},
    "/batches/{batch_id}/reopen": {"post": _batch_action("Reopen a closed batch")},
    "/batches/{batch_id}/aggregate": {
        "post": {
            "summary": "Aggregate one scanned code, or a list of up to 1000",
            "parameters": [BATCH_ID],
            "requestBody": _body(
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
                "200": _json(
                    {"oneOf": [_ref("Product"), _ref("AggregationResult")]}, "The product, or the list's result"
                )
            }
            | _errors(400, 401, 403, 404, 409, 422),
        }
    },
    "/batches/{batch_id}/disaggregate": {
        "post": {
            "summary": "Undo a scan: the unit is no longer aggregated; the reason goes to the event log",
            "parameters": [BATCH_ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["unique_code", "reason"],
                    "properties": {"unique_code": CODE, "reason": {"type": "string", "minLength": 1, "maxLength": 500}},
                }
            ),
            "responses": {"200": _json(_ref("Product"), "The unit, no longer aggregated")}
            | _errors(400, 401, 403, 404, 409, 422),
        }
    },
    "/products": {
        "post": {
            "summary": "Register one code in a batch, or 1C's bulk list",
            "requestBody": _body(
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
                "201": _json({"oneOf": [_ref("Product"), _ref("ProductsAdded")]}, "Created"),
                "200": _json(_ref("ProductsAdded"), "Nothing new in a bulk list"),
            }
            | _errors(400, 401, 403, 404, 409, 422),
        }
    },
    "/work-centers": {
        "get": {
            "summary": "Work centers with open and total batch counts",
            "responses": {
                "200": _json(
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
            | _errors(401, 403),
        }
    },
    "/health": {
        "get": {
            "summary": "Health of the app and its backing services (no token needed)",
            "security": [],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["status", "checks"],
                        "properties": {"status": {"const": "ok"}, "checks": {"type": "object"}},
                    },
                    "Healthy",
                ),
                "503": _json(
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

NUMBER = {"type": "number"}
COUNT = {"type": "integer"}


def _object(properties: dict) -> dict:
    return {"type": "object", "required": list(properties), "properties": properties}


FIGURES = _object({"batches": COUNT, "products": COUNT, "aggregated": COUNT})
STATISTICS = _object(
    {
        "batch_info": _object(
            {"id": COUNT, "batch_number": COUNT, "batch_date": STRING, "is_closed": {"type": "boolean"}}
        ),
        "production_stats": _object(
            {"total_products": COUNT, "aggregated": COUNT, "remaining": COUNT, "aggregation_rate": NUMBER}
        ),
        "timeline": _object(
            {
                "shift_duration_hours": NUMBER,
                "elapsed_hours": NUMBER,
                "products_per_hour": NUMBER,
                "estimated_completion": NULLABLE_TIME,
            }
        ),
        "team_performance": _object({"team": STRING, "avg_products_per_hour": NUMBER, "efficiency_score": NUMBER}),
    }
)
ANALYTICS_PATHS = {
    "/analytics/dashboard": {
        "get": {
            "summary": "The plant at a glance («today» is the plant's day)",
            "responses": {
                "200": _json(
                    _object(
                        {
                            "summary": _object(
                                {
                                    "total_batches": COUNT,
                                    "active_batches": COUNT,
                                    "closed_batches": COUNT,
                                    "total_products": COUNT,
                                    "aggregated_products": COUNT,
                                    "aggregation_rate": NUMBER,
                                }
                            ),
                            "today": _object(
                                {
                                    "batches_created": COUNT,
                                    "batches_closed": COUNT,
                                    "products_added": COUNT,
                                    "products_aggregated": COUNT,
                                }
                            ),
                            "by_shift": {"type": "object", "additionalProperties": FIGURES},
                            "top_work_centers": {
                                "type": "array",
                                "items": _object(
                                    {
                                        "id": STRING,
                                        "name": STRING,
                                        "batches_count": COUNT,
                                        "products_count": COUNT,
                                        "aggregation_rate": NUMBER,
                                    }
                                ),
                            },
                            "cached_at": {"type": "string", "format": "date-time"},
                        }
                    ),
                    "Dashboard",
                )
            }
            | _errors(401, 403),
        }
    },
    "/batches/{batch_id}/statistics": {
        "get": {
            "summary": "One batch's progress and pace",
            "parameters": [BATCH_ID],
            "responses": {"200": _json(STATISTICS, "Statistics")} | _errors(401, 403, 404),
        }
    },
    "/analytics/batches/{batch_id}/statistics": {
        "get": {
            "summary": "The same as /batches/{batch_id}/statistics",
            "parameters": [BATCH_ID],
            "responses": {"200": _json(STATISTICS, "Statistics")} | _errors(401, 403, 404),
        }
    },
    "/analytics/compare-batches": {
        "post": {
            "summary": "2 to 50 distinct batches side by side",
            "requestBody": _body(
                _object(
                    {
                        "batch_ids": {
                            "type": "array",
                            "minItems": 2,
                            "maxItems": 50,
                            "uniqueItems": True,
                            "items": BATCH_NUMBER,
                        }
                    }
                )
            ),
            "responses": {
                "200": _json(
                    _object(
                        {
                            "comparison": {
                                "type": "array",
                                "items": _object(
                                    {
                                        "batch_id": COUNT,
                                        "batch_number": COUNT,
                                        "total_products": COUNT,
                                        "aggregated": COUNT,
                                        "rate": NUMBER,
                                        "duration_hours": NUMBER,
                                        "products_per_hour": NUMBER,
                                    }
                                ),
                            },
                            "average": _object({"aggregation_rate": NUMBER, "products_per_hour": NUMBER}),
                        }
                    ),
                    "Comparison",
                )
            }
            | _errors(400, 401, 403, 404, 422),
        }
    },
    "/analytics/hourly": {
        "get": {
            "summary": "Units aggregated per hour of the plant's day against the pace open batches need",
            "parameters": [
                {
                    "name": "work_center_id",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
                },
                {"name": "date", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}},
            ],
            "responses": {
                "200": _json(
                    _object(
                        {
                            "date": STRING,
                            "work_center_id": {"type": ["integer", "null"]},
                            "hours": {
                                "type": "array",
                                "items": _object(
                                    {
                                        "hour": {"type": "string", "format": "date-time"},
                                        "aggregated": COUNT,
                                        "needed": NUMBER,
                                    }
                                ),
                            },
                        }
                    ),
                    "Hours",
                )
            }
            | _errors(401, 403, 404, 422),
        }
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "mes_web API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
    "paths": PATHS | ANALYTICS_PATHS,
}


@api.get("/openapi.json")
def openapi_document():
    return jsonify(DOCUMENT)
