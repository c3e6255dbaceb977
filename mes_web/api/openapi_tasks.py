"""The OpenAPI paths of background jobs: what starts one (202) and how to follow it."""

from mes_web.api.openapi_parts import (
    BATCH_ID,
    CODE,
    COUNT,
    FILTERS,
    NULLABLE_TIME,
    STRING,
    body,
    errors,
    json_response,
    obj,
)
from mes_web.services.exports import EXPORT_FORMATS
from mes_web.services.job_requests import MAX_CODES_PER_JOB
from mes_web.services.reports import REPORT_FORMATS

STATUSES = ["PENDING", "STARTED", "PROGRESS", "SUCCESS", "FAILURE"]
ACCEPTED = {
    "202": json_response(
        obj({"task_id": STRING, "status": {"const": "PENDING"}, "message": STRING}),
        "Queued; follow it at /tasks/{task_id} (also in the Location header)",
    )
}
FILE_RESULT = {
    "file_url": {"type": ["string", "null"]},
    "file_name": STRING,
    "file_size": COUNT,
}
TASK = {
    "type": "object",
    "required": ["task_id", "status", "result"],
    "properties": {
        "task_id": STRING,
        "status": {"enum": STATUSES},
        "result": {
            "description": "null while queued; {current, total, progress} during PROGRESS; the job's result on "
            "SUCCESS (a file's result adds file_url, file_name, file_size, expires_at); {error} on FAILURE",
            "type": ["object", "null"],
        },
        "kind": {"enum": ["aggregate", "report", "export", "import", "periodic"]},
        "attempt": COUNT,
        "asked_by": STRING,
        "created_at": {"type": "string", "format": "date-time"},
        "started_at": NULLABLE_TIME,
        "finished_at": NULLABLE_TIME,
    },
}
TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
FILTER_OBJECT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {name: schema for name, schema in FILTERS if name not in ("offset", "limit")},
}

TASK_PATHS = {
    "/tasks/{task_id}": {
        "get": {
            "summary": "A background job's status, progress and result",
            "parameters": [TASK_ID],
            "responses": {"200": json_response(TASK, "The job")} | errors(401, 403, 404),
        }
    },
    "/tasks/{task_id}/retry": {
        "post": {
            "summary": "Run a failed job again under the same id",
            "parameters": [TASK_ID],
            "responses": ACCEPTED | errors(401, 403, 404, 409, 503),
        }
    },
    "/batches/{batch_id}/aggregate-async": {
        "post": {
            "summary": f"Aggregate up to {MAX_CODES_PER_JOB} codes in the background (rules of the list form)",
            "parameters": [BATCH_ID],
            "requestBody": body(
                obj({"unique_codes": {"type": "array", "minItems": 1, "maxItems": MAX_CODES_PER_JOB, "items": CODE}})
            ),
            "responses": ACCEPTED | errors(400, 401, 403, 404, 409, 422, 503),
        }
    },
    "/batches/{batch_id}/reports": {
        "post": {
            "summary": "Make the batch's PDF or Excel report in the background",
            "parameters": [BATCH_ID],
            "requestBody": body(obj({"format": {"enum": list(REPORT_FORMATS)}})),
            "responses": ACCEPTED | errors(400, 401, 403, 404, 422, 503),
        }
    },
    "/batches/export": {
        "post": {
            "summary": "Export the batches the list filters select (CSV or Excel) in the background",
            "requestBody": body(
                {
                    "type": "object",
                    "required": ["format"],
                    "properties": {"format": {"enum": list(EXPORT_FORMATS)}, "filters": FILTER_OBJECT},
                }
            ),
            "responses": ACCEPTED | errors(400, 401, 403, 422, 503),
        }
    },
    "/batches/import": {
        "post": {
            "summary": "Import shift tasks from a .xlsx or .csv file in the background",
            "parameters": [{"name": "dry_run", "in": "query", "required": False, "schema": {"type": "boolean"}}],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": obj({"file": {"type": "string", "format": "binary"}}),
                    }
                },
            },
            "responses": ACCEPTED | errors(401, 403, 413, 422, 503),
        }
    },
}
