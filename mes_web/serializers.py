"""Rows to JSON with English keys and datetimes in the plant's time zone: the API's answers and webhook bodies."""

from mes_web.clock import isoformat
from mes_web.models import Batch, WorkCenter
from mes_web.selectors.batches import ProductCounts


def work_center_json(wc: WorkCenter) -> dict:
    return {"id": wc.id, "identifier": wc.identifier, "name": wc.name}


def batch_json(batch: Batch, counts: ProductCounts | None = None) -> dict:
    body = {
        "id": batch.id,
        "is_closed": batch.is_closed,
        "closed_at": isoformat(batch.closed_at),
        "task_description": batch.task_description,
        "work_center": work_center_json(batch.work_center),
        "shift": batch.shift,
        "team": batch.team,
        "batch_number": batch.batch_number,
        "batch_date": batch.batch_date.isoformat(),
        "nomenclature": batch.nomenclature,
        "ekn_code": batch.ekn_code,
        "shift_start": isoformat(batch.shift_start),
        "shift_end": isoformat(batch.shift_end),
        "created_at": isoformat(batch.created_at),
        "updated_at": isoformat(batch.updated_at),
    }
    if counts is not None:
        body["products_total"] = counts.total
        body["products_aggregated"] = counts.aggregated
    return body


def product_json(row) -> dict:
    return {
        "id": row.id,
        "unique_code": row.unique_code,
        "is_aggregated": row.is_aggregated,
        "aggregated_at": isoformat(row.aggregated_at),
    }
