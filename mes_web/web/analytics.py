"""Analytics screens: the dashboard with its charts, the pace board for the floor, batches side by side."""

from datetime import datetime

from flask import render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _

from mes_web.clock import plant_today, utcnow
from mes_web.errors import DomainError, NotFound
from mes_web.models import Role
from mes_web.selectors.analytics import (
    COMPARE_MAX,
    COMPARE_MIN,
    batches_compare,
    compare_batch_ids,
    dashboard,
    hourly,
    rate,
)
from mes_web.selectors.board import work_center_choices
from mes_web.selectors.cached import dashboard_cached
from mes_web.selectors.charts import Bar, Series, bar_chart, line_chart
from mes_web.selectors.pace import pace_tiles
from mes_web.services import fields as f
from mes_web.web import web
from mes_web.web.presentation import shift_label
from mes_web.web.session import requires_role

PACE_REFRESH_SECONDS = 10


def _number(value: float) -> str:
    return format_decimal(value, format="#,##0.##")


def _work_center_chart(top_work_centers: list[dict]):
    bars = [Bar(f"{wc['name']} ({wc['id']})", wc["aggregation_rate"]) for wc in top_work_centers]
    return bar_chart(bars, title=_("Доля агрегации по рабочим центрам"), unit=" %", number=_number) if bars else None


def _shift_chart(by_shift: dict):
    bars = [Bar(str(shift_label(shift)), rate(row["aggregated"], row["products"])) for shift, row in by_shift.items()]
    return bar_chart(bars, title=_("Доля агрегации по сменам"), unit=" %", number=_number) if bars else None


def _hourly_chart(hours: list[dict]):
    labels = [datetime.fromisoformat(hour["hour"]).strftime("%H:%M") for hour in hours]
    series = [
        Series(_("Агрегировано"), [hour["aggregated"] for hour in hours]),
        Series(_("Нужный темп"), [hour["needed"] for hour in hours], dashed=True),
    ]
    return line_chart(labels, series, title=_("Единиц в час сегодня"), number=_number)


@web.get("/analytics")
@requires_role(Role.OPERATOR)
def analytics():
    figures = dashboard_cached(dashboard)
    return render_template(
        "analytics/index.html",
        figures=figures,
        cached_at=datetime.fromisoformat(figures["cached_at"]),
        work_center_chart=_work_center_chart(figures["top_work_centers"]),
        shift_chart=_shift_chart(figures["by_shift"]),
        hourly_chart=_hourly_chart(hourly(day=plant_today())["hours"]),
    )


def _work_center_param() -> int | None:
    raw = request.args.get("work_center_id", "")
    return f.field_value(f.whole_number, raw, "work_center_id") if raw else None


@web.get("/analytics/pace")
@requires_role(Role.OPERATOR)
def analytics_pace():
    work_center_id, now = _work_center_param(), utcnow()
    template = "analytics/_pace.html" if request.headers.get("HX-Request") else "analytics/pace.html"
    html = render_template(
        template,
        tiles=pace_tiles(work_center_id, now),
        work_centers=work_center_choices(),
        chosen=work_center_id,
        now=now,
        refresh_seconds=PACE_REFRESH_SECONDS,
    )
    return html, 200, {"Vary": "HX-Request", "Cache-Control": "no-cache, private"}


def _compare_refusal(refusal: DomainError) -> str:
    if isinstance(refusal, NotFound):
        ids = ", ".join(map(str, refusal.context.get("ids", [])))
        return _("Партии не найдены: %(ids)s. Вернитесь на доску и отметьте другие.", ids=ids)
    return _("Для сравнения отметьте на доске от %(low)d до %(high)d разных партий.", low=COMPARE_MIN, high=COMPARE_MAX)


def _rates_chart(result: dict):
    bars = [Bar(f"№ {row['batch_number']}", row["rate"]) for row in result["comparison"]]
    bars.append(Bar(_("Среднее"), result["average"]["aggregation_rate"]))
    return bar_chart(bars, title=_("Доля агрегации по партиям"), unit=" %", number=_number)


@web.get("/analytics/compare")
@requires_role(Role.OPERATOR)
def analytics_compare():
    try:
        result = batches_compare(compare_batch_ids(request.args.getlist("batch_ids")))
    except DomainError as refusal:
        return render_template("analytics/compare.html", error=_compare_refusal(refusal)), refusal.status
    return render_template("analytics/compare.html", result=result, chart=_rates_chart(result))
