"""Figures for supervisors and the plant manager: the dashboard, one batch's pace, comparisons, hours."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, or_, select

from mes_web.clock import isoformat, plant_today, plant_tz, utcnow
from mes_web.errors import Invalid, NotFound
from mes_web.extensions import db
from mes_web.models import Batch, Product, WorkCenter
from mes_web.selectors.batches import ProductCounts, batch_counts, batch_get, product_counts
from mes_web.services import fields as f

TOP_WORK_CENTERS = 5
COMPARE_MIN, COMPARE_MAX = 2, 50


def rate(part: float, whole: float) -> float:
    """A percentage with two decimals; 0 when there is nothing to divide by."""
    return round(100 * part / whole, 2) if whole else 0.0


def plant_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The plant's day as a UTC interval (23 or 25 hours long on a clock change)."""
    start = datetime.combine(day, time(0), plant_tz())
    end = datetime.combine(day + timedelta(days=1), time(0), plant_tz())
    return start.astimezone(UTC), end.astimezone(UTC)


def _count_between(column, start: datetime, end: datetime) -> int:
    return db.session.scalar(select(func.count()).where(column >= start, column < end))


def _per_batch_counts():
    aggregated = func.count(case((Product.is_aggregated.is_(True), 1)))
    return (
        select(Product.batch_id, func.count().label("products"), aggregated.label("aggregated"))
        .group_by(Product.batch_id)
        .subquery()
    )


def _totals_by_shift_and_work_center() -> list:
    """One pass over the units: batches, units and aggregated units per (shift, work center, closed)."""
    units = _per_batch_counts()
    return db.session.execute(
        select(
            Batch.shift,
            Batch.work_center_id,
            Batch.is_closed,
            func.count(Batch.id).label("batches"),
            func.coalesce(func.sum(units.c.products), 0).label("products"),
            func.coalesce(func.sum(units.c.aggregated), 0).label("aggregated"),
        )
        .outerjoin(units, units.c.batch_id == Batch.id)
        .group_by(Batch.shift, Batch.work_center_id, Batch.is_closed)
    ).all()


def _add(into: dict, key, row) -> None:
    figures = into.setdefault(key, {"batches": 0, "products": 0, "aggregated": 0})
    figures["batches"] += row.batches
    figures["products"] += int(row.products)
    figures["aggregated"] += int(row.aggregated)


def _top_work_centers(by_work_center: dict) -> list[dict]:
    ranked = sorted(by_work_center.items(), key=lambda item: (-item[1]["batches"], item[0]))[:TOP_WORK_CENTERS]
    names = dict(
        db.session.execute(
            select(WorkCenter.id, WorkCenter).where(WorkCenter.id.in_([wc_id for wc_id, _ in ranked]))
        ).all()
    )
    return [
        {
            "id": names[wc_id].identifier,
            "name": names[wc_id].name,
            "batches_count": figures["batches"],
            "products_count": figures["products"],
            "aggregation_rate": rate(figures["aggregated"], figures["products"]),
        }
        for wc_id, figures in ranked
    ]


def dashboard() -> dict:
    """The whole plant at a glance; «today» is the plant's day."""
    by_shift, by_work_center, summary = (
        {},
        {},
        {"total_batches": 0, "closed_batches": 0, "products": 0, "aggregated": 0},
    )
    for row in _totals_by_shift_and_work_center():
        _add(by_shift, row.shift, row)
        _add(by_work_center, row.work_center_id, row)
        summary["total_batches"] += row.batches
        summary["closed_batches"] += row.batches if row.is_closed else 0
        summary["products"] += int(row.products)
        summary["aggregated"] += int(row.aggregated)
    start, end = plant_day_bounds(plant_today())
    return {
        "summary": {
            "total_batches": summary["total_batches"],
            "active_batches": summary["total_batches"] - summary["closed_batches"],
            "closed_batches": summary["closed_batches"],
            "total_products": summary["products"],
            "aggregated_products": summary["aggregated"],
            "aggregation_rate": rate(summary["aggregated"], summary["products"]),
        },
        "today": {
            "batches_created": _count_between(Batch.created_at, start, end),
            "batches_closed": _count_between(Batch.closed_at, start, end),
            "products_added": _count_between(Product.created_at, start, end),
            "products_aggregated": _count_between(Product.aggregated_at, start, end),
        },
        "by_shift": {shift: figures for shift, figures in sorted(by_shift.items())},
        "top_work_centers": _top_work_centers(by_work_center),
        "cached_at": isoformat(utcnow()),
    }


# A finish further out than this is no estimate; it would also overflow Python's calendar.
ESTIMATE_HORIZON = timedelta(days=366)


def needed_per_hour(batch: Batch, units: int) -> float:
    """The pace that aggregates all units exactly by the end of the shift."""
    hours = (batch.shift_end - batch.shift_start).total_seconds() / 3600
    return units / hours if hours else 0.0


def _pace(batch: Batch, counts: ProductCounts, now: datetime) -> dict:
    """Hours and units per hour, exact; a closed batch's clock stopped when it closed and it has no finish ahead."""
    clock = batch.closed_at if batch.is_closed and batch.closed_at else now
    duration = (batch.shift_end - batch.shift_start).total_seconds() / 3600
    elapsed = min(max((clock - batch.shift_start).total_seconds() / 3600, 0.0), duration)
    per_hour = counts.aggregated / elapsed if elapsed else 0.0
    remaining = counts.total - counts.aggregated
    finish = None
    if (
        remaining
        and per_hour
        and not batch.is_closed
        and remaining / per_hour < ESTIMATE_HORIZON.total_seconds() / 3600
    ):
        finish = now + timedelta(hours=remaining / per_hour)
    return {"duration": duration, "elapsed": elapsed, "per_hour": per_hour, "finish": finish}


def batch_statistics(batch_id: int, now: datetime | None = None) -> dict:
    """One batch's progress and pace."""
    batch, counts = batch_get(batch_id), batch_counts(batch_id)
    pace = _pace(batch, counts, now or utcnow())
    return {
        "batch_info": {
            "id": batch.id,
            "batch_number": batch.batch_number,
            "batch_date": batch.batch_date.isoformat(),
            "is_closed": batch.is_closed,
        },
        "production_stats": {
            "total_products": counts.total,
            "aggregated": counts.aggregated,
            "remaining": counts.total - counts.aggregated,
            "aggregation_rate": rate(counts.aggregated, counts.total),
        },
        "timeline": {
            "shift_duration_hours": round(pace["duration"], 2),
            "elapsed_hours": round(pace["elapsed"], 2),
            "products_per_hour": round(pace["per_hour"], 2),
            "estimated_completion": isoformat(pace["finish"]),
        },
        "team_performance": {
            "team": batch.team,
            "avg_products_per_hour": round(pace["per_hour"], 2),
            # The team's pace against the pace that finishes the batch exactly at shift end.
            "efficiency_score": rate(pace["per_hour"], needed_per_hour(batch, counts.total)),
        },
    }


def compare_batch_ids(ids) -> list[int]:
    """The ids to compare: a list of 2..50 distinct whole numbers, or a 422 saying which rule failed."""
    if not isinstance(ids, list) or not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
        raise Invalid(
            f"batch_ids: от {COMPARE_MIN} до {COMPARE_MAX} номеров партий.",
            fields={"batch_ids": f"нужен список из {COMPARE_MIN}..{COMPARE_MAX} id"},
        )
    parsed = [f.field_value(f.whole_number, value, "batch_ids") for value in ids]
    if len(set(parsed)) != len(parsed):
        raise Invalid("batch_ids: партии повторяются.", fields={"batch_ids": "id не должны повторяться"})
    return parsed


def batches_compare(batch_ids: list[int], now: datetime | None = None) -> dict:
    """Batches side by side, in the order asked, with their averages."""
    found = {b.id: b for b in db.session.scalars(select(Batch).where(Batch.id.in_(batch_ids)))}
    missing = [batch_id for batch_id in batch_ids if batch_id not in found]
    if missing:
        raise NotFound(
            f"Партии не найдены: {', '.join(map(str, missing))}.", code="batch_not_found", context={"ids": missing}
        )
    counts, now = product_counts(batch_ids), now or utcnow()
    comparison, rates, paces = [], [], []
    for batch_id in batch_ids:
        batch, units = found[batch_id], counts.get(batch_id, ProductCounts())
        pace = _pace(batch, units, now)
        rates.append(100 * units.aggregated / units.total if units.total else 0.0)
        paces.append(pace["per_hour"])
        comparison.append(
            {
                "batch_id": batch_id,
                "batch_number": batch.batch_number,
                "total_products": units.total,
                "aggregated": units.aggregated,
                "rate": round(rates[-1], 2),
                "duration_hours": round(pace["duration"], 2),
                "products_per_hour": round(pace["per_hour"], 2),
            }
        )
    # The mean of the batches' own figures (each batch counts once, whatever its size), from exact values.
    return {
        "comparison": comparison,
        "average": {
            "aggregation_rate": round(sum(rates) / len(rates), 2),
            "products_per_hour": round(sum(paces) / len(paces), 2),
        },
    }


def _overlap_hours(start: datetime, end: datetime, window_start: datetime, window_end: datetime) -> float:
    return max((min(end, window_end) - max(start, window_start)).total_seconds(), 0.0) / 3600


def hourly(*, day: date, work_center_id: int | None = None) -> dict:
    """Units aggregated in each hour of the plant's day against the pace the batches open in that hour need."""
    if work_center_id is not None and db.session.get(WorkCenter, work_center_id) is None:
        raise NotFound(f"Рабочий центр {work_center_id} не найден.", code="work_center_not_found")
    day_start, day_end = plant_day_bounds(day)
    in_scope = (Batch.work_center_id == work_center_id) if work_center_id is not None else True
    hour_starts = [day_start + timedelta(hours=n) for n in range(round((day_end - day_start).total_seconds() / 3600))]
    done = [0] * len(hour_starts)
    scans = select(Product.aggregated_at).join(Batch, Batch.id == Product.batch_id)
    for (moment,) in db.session.execute(
        scans.where(in_scope, Product.aggregated_at >= day_start, Product.aggregated_at < day_end)
    ):
        done[int((moment - day_start).total_seconds() // 3600)] += 1
    # Batches that were open at some point of the day: closing one later does not rewrite its past pace.
    batches = db.session.scalars(
        select(Batch).where(
            in_scope,
            Batch.shift_start < day_end,
            Batch.shift_end > day_start,
            or_(Batch.closed_at.is_(None), Batch.closed_at > day_start),
        )
    ).all()
    counts = product_counts([batch.id for batch in batches])
    needed = [0.0] * len(hour_starts)
    for batch in batches:
        per_hour = needed_per_hour(batch, counts.get(batch.id, ProductCounts()).total)
        for index, start in enumerate(hour_starts):
            if batch.closed_at is None or batch.closed_at > start:
                needed[index] += per_hour * _overlap_hours(
                    batch.shift_start, batch.shift_end, start, start + timedelta(hours=1)
                )
    return {
        "date": day.isoformat(),
        "work_center_id": work_center_id,
        "hours": [
            {"hour": isoformat(start), "aggregated": done[index], "needed": round(needed[index], 2)}
            for index, start in enumerate(hour_starts)
        ],
    }
