"""Building blocks of the OpenAPI document: shared schemas and the helpers that shape responses."""

from mes_web.services.fields import INT32_MAX
from mes_web.services.shift_tasks import EDITABLE_FIELDS, TASK_FIELDS

STRING = {"type": "string"}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
BATCH_NUMBER = {"type": "integer", "minimum": 1, "maximum": INT32_MAX}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*statuses: int) -> dict:
    meaning = {
        400: "Malformed JSON or a scan that cannot be aggregated",
        401: "No valid bearer token",
        403: "The token's role may not do this",
        404: "No such batch or code",
        409: "Conflicts with the current state",
        413: "The file is larger than the configured limit",
        422: "Invalid input; `fields` names each bad value",
        503: "A backing service does not answer",
    }
    return {str(status): json_response(ref("Error"), meaning[status]) for status in statuses}


def body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


BATCH_ID = {
    "name": "batch_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
}

TEXT = {"type": "string", "maxLength": 255}
REQUIRED_TEXT = {"type": "string", "minLength": 1, "maxLength": 255}
# One schema per batch field, under its English name; the 1C (Russian) keys come from the same
# field table the services read, so the document and the rules cannot name different keys.
FIELD_SCHEMAS = {
    "is_closed": {"type": "boolean"},
    "task_description": {"type": "string", "maxLength": 2000},
    "work_center_name": REQUIRED_TEXT,
    "shift": TEXT,
    "team": TEXT,
    "batch_number": BATCH_NUMBER,
    "batch_date": {"type": "string", "format": "date"},
    "nomenclature": REQUIRED_TEXT,
    "ekn_code": TEXT,
    "work_center_identifier": {"type": "string", "minLength": 1, "maxLength": 100},
    "shift_start": {"type": "string", "format": "date-time", "description": "Without an offset: PLANT_TIMEZONE"},
    "shift_end": {"type": "string", "format": "date-time"},
    "work_center_id": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
}

SHIFT_TASK = {
    "type": "object",
    "description": (
        "A shift task as 1C sends it. Each key may also be given by its English name ("
        + ", ".join(field.name for field in TASK_FIELDS)
        + "); unknown keys are ignored."
    ),
    "required": [field.russian for field in TASK_FIELDS if field.required],
    "properties": {field.russian: FIELD_SCHEMAS[field.name] for field in TASK_FIELDS},
}

BATCH_CHANGES = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {name: FIELD_SCHEMAS[name] for name in EDITABLE_FIELDS},
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
            "work_center": ref("WorkCenter"),
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
            ref("Batch"),
            {
                "type": "object",
                "required": ["products"],
                "properties": {"products": {"type": "array", "items": ref("Product")}},
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


NUMBER = {"type": "number"}
COUNT = {"type": "integer"}


def obj(properties: dict) -> dict:
    """An object whose every listed property is required."""
    return {"type": "object", "required": list(properties), "properties": properties}
