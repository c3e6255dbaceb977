"""The analytics part of the OpenAPI document."""

from mes_web.api.openapi_parts import (
    BATCH_ID,
    BATCH_NUMBER,
    COUNT,
    NULLABLE_TIME,
    NUMBER,
    STRING,
    body,
    errors,
    json_response,
    obj,
)
from mes_web.services.fields import INT32_MAX

FIGURES = obj({"batches": COUNT, "products": COUNT, "aggregated": COUNT})
STATISTICS = obj(
    {
        "batch_info": obj({"id": COUNT, "batch_number": COUNT, "batch_date": STRING, "is_closed": {"type": "boolean"}}),
        "production_stats": obj(
            {"total_products": COUNT, "aggregated": COUNT, "remaining": COUNT, "aggregation_rate": NUMBER}
        ),
        "timeline": obj(
            {
                "shift_duration_hours": NUMBER,
                "elapsed_hours": NUMBER,
                "products_per_hour": NUMBER,
                "estimated_completion": NULLABLE_TIME,
            }
        ),
        "team_performance": obj({"team": STRING, "avg_products_per_hour": NUMBER, "efficiency_score": NUMBER}),
    }
)
ANALYTICS_PATHS = {
    "/analytics/dashboard": {
        "get": {
            "summary": "The plant at a glance («today» is the plant's day)",
            "responses": {
                "200": json_response(
                    obj(
                        {
                            "summary": obj(
                                {
                                    "total_batches": COUNT,
                                    "active_batches": COUNT,
                                    "closed_batches": COUNT,
                                    "total_products": COUNT,
                                    "aggregated_products": COUNT,
                                    "aggregation_rate": NUMBER,
                                }
                            ),
                            "today": obj(
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
                                "items": obj(
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
            | errors(401, 403),
        }
    },
    "/batches/{batch_id}/statistics": {
        "get": {
            "summary": "One batch's progress and pace",
            "parameters": [BATCH_ID],
            "responses": {"200": json_response(STATISTICS, "Statistics")} | errors(401, 403, 404),
        }
    },
    "/analytics/batches/{batch_id}/statistics": {
        "get": {
            "summary": "The same as /batches/{batch_id}/statistics",
            "parameters": [BATCH_ID],
            "responses": {"200": json_response(STATISTICS, "Statistics")} | errors(401, 403, 404),
        }
    },
    "/analytics/compare-batches": {
        "post": {
            "summary": "2 to 50 distinct batches side by side",
            "requestBody": body(
                obj(
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
                "200": json_response(
                    obj(
                        {
                            "comparison": {
                                "type": "array",
                                "items": obj(
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
                            "average": obj({"aggregation_rate": NUMBER, "products_per_hour": NUMBER}),
                        }
                    ),
                    "Comparison",
                )
            }
            | errors(400, 401, 403, 404, 422),
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
                "200": json_response(
                    obj(
                        {
                            "date": STRING,
                            "work_center_id": {"type": ["integer", "null"]},
                            "hours": {
                                "type": "array",
                                "items": obj(
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
            | errors(401, 403, 404, 422),
        }
    },
}
