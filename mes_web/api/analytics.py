"""Analytics: the dashboard, a batch's statistics, comparisons, the hourly pace."""

from flask import jsonify, request

from mes_web.api import api
from mes_web.api.auth import requires
from mes_web.api.params import json_body, query_shape_errors
from mes_web.clock import plant_today
from mes_web.errors import refuse_if_invalid
from mes_web.models import Role
from mes_web.selectors.analytics import batch_statistics, batches_compare, compare_batch_ids, dashboard, hourly
from mes_web.selectors.cached import batch_statistics_cached, dashboard_cached
from mes_web.services import fields as f


@api.get("/analytics/dashboard")
@requires(Role.OPERATOR)
def analytics_dashboard():
    return jsonify(dashboard_cached(dashboard))


@api.get("/batches/<id:batch_id>/statistics")
@api.get("/analytics/batches/<id:batch_id>/statistics")
@requires(Role.OPERATOR)
def analytics_batch_statistics(batch_id: int):
    return jsonify(batch_statistics_cached(batch_id, lambda: batch_statistics(batch_id)))


@api.post("/analytics/compare-batches")
@requires(Role.OPERATOR)
def analytics_compare():
    body = json_body()
    ids = body.get("batch_ids") if isinstance(body, dict) else None
    return jsonify(batches_compare(compare_batch_ids(ids)))


@api.get("/analytics/hourly")
@requires(Role.OPERATOR)
def analytics_hourly():
    refuse_if_invalid(query_shape_errors({"work_center_id", "date"}), subject="Параметр")
    raw_wc, raw_day = request.args.get("work_center_id"), request.args.get("date")
    work_center_id = f.field_value(f.whole_number, raw_wc, "work_center_id") if raw_wc is not None else None
    day = f.field_value(f.calendar_date, raw_day, "date") if raw_day is not None else plant_today()
    return jsonify(hourly(day=day, work_center_id=work_center_id))
