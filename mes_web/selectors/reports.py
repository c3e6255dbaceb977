"""What a batch report shows: the batch, its figures, its shift hour by hour, and its units as a stream."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Result, func, select

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.models import Batch, Product
from mes_web.selectors.analytics import batch_statistics, needed_per_hour
from mes_web.selectors.batches import batch_get

# Rows fetched per round trip: a report of 100,000 units never holds more than this many rows at once.
UNITS_FETCH = 1_000


@dataclass(frozen=True)
class ShiftHour:
    """One hour of the shift, counted from its start: units aggregated in it and the pace that finishes on time."""

    start: datetime
    aggregated: int
    needed: float


@dataclass(frozen=True)
class BatchReport:
    batch: Batch
    statistics: dict  # what batch_statistics() answers
    hours: list[ShiftHour]
    outside_shift: int  # aggregated before the shift began or after it ended, so in no hour of the chart
    longest_code: int
    generated_at: datetime


def _aggregation_moments(batch_id: int) -> Iterable[datetime]:
    query = select(Product.aggregated_at).where(
        Product.batch_id == batch_id, Product.is_aggregated.is_(True), Product.aggregated_at.is_not(None)
    )
    return db.session.scalars(query.execution_options(yield_per=UNITS_FETCH))


def shift_hours(batch: Batch, total_units: int) -> tuple[list[ShiftHour], int]:
    """Units aggregated in each hour of the shift, and how many were aggregated outside it."""
    length = batch.shift_end - batch.shift_start
    starts = [batch.shift_start + timedelta(hours=n) for n in range(math.ceil(length / timedelta(hours=1)))]
    done, outside = [0] * len(starts), 0
    for moment in _aggregation_moments(batch.id):
        if batch.shift_start <= moment < batch.shift_end:
            done[int((moment - batch.shift_start) // timedelta(hours=1))] += 1
        else:
            outside += 1
    per_hour = needed_per_hour(batch, total_units)
    # The last hour of a shift that does not end on the hour is shorter, and so is its share of the pace.
    needed = [per_hour * min((batch.shift_end - start) / timedelta(hours=1), 1.0) for start in starts]
    return [ShiftHour(start, done[i], round(needed[i], 2)) for i, start in enumerate(starts)], outside


def batch_report(batch_id: int, now: datetime | None = None) -> BatchReport:
    """Everything a batch report shows except its units, which report_units() streams."""
    now = now or utcnow()
    batch = batch_get(batch_id)
    statistics = batch_statistics(batch_id, now)
    hours, outside = shift_hours(batch, statistics["production_stats"]["total_products"])
    longest = db.session.scalar(select(func.max(func.length(Product.unique_code))).where(Product.batch_id == batch_id))
    return BatchReport(batch, statistics, hours, outside, longest or 0, now)


def report_units(batch_id: int) -> Result:
    """(unique_code, is_aggregated, aggregated_at) of every unit in registration order, fetched in slices.

    Use it in a `with` block: a server-side cursor left open by a failed report would outlive it.
    """
    query = (
        select(Product.unique_code, Product.is_aggregated, Product.aggregated_at)
        .where(Product.batch_id == batch_id)
        .order_by(Product.id)
    )
    return db.session.execute(query.execution_options(yield_per=UNITS_FETCH))
