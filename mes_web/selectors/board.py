"""The batch board: open batches by work center, and a fingerprint that changes when any of it does."""

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.models import Batch, WorkCenter
from mes_web.selectors.batches import BatchFilters, ProductCounts, batches_filtered, product_counts
from mes_web.selectors.cached import Version, plant_version

BOARD_LIMIT = 500


@dataclass(frozen=True)
class BoardFilters:
    work_center_id: int | None = None
    shift: str | None = None
    day: date | None = None
    show_closed: bool = False

    def as_batch_filters(self) -> BatchFilters:
        return BatchFilters(
            is_closed=None if self.show_closed else False,
            work_center_id=self.work_center_id,
            shift=self.shift,
            batch_date=self.day,
        )


@dataclass(frozen=True)
class BoardCard:
    batch: Batch
    counts: ProductCounts

    @property
    def percent(self) -> int:
        return round(100 * self.counts.aggregated / self.counts.total) if self.counts.total else 0

    @property
    def state(self) -> str:
        """closed, done, late (the shift is over and units remain), running or waiting: the card's colour."""
        if self.batch.is_closed:
            return "closed"
        if self.counts.total and self.counts.aggregated == self.counts.total:
            return "done"
        if self.batch.shift_end < utcnow():
            return "late"
        return "running" if self.counts.aggregated else "waiting"


def board_version(filters: BoardFilters, *, context: str) -> Version:
    """Changes with every committed write, and every minute, when a shift may have ended and its
    card turns «смена окончена»."""
    plant = plant_version()
    minute = utcnow().strftime("%Y%m%d%H%M")
    digest = hashlib.sha1(f"{plant.text}|{minute}|{filters}|{context}".encode()).hexdigest()[:20]
    return Version(digest, plant.settled)


def board_columns(filters: BoardFilters) -> list[tuple[WorkCenter, list[BoardCard]]]:
    """Batches grouped by work center, each with its progress; newest batch date first."""
    batches = db.session.scalars(
        batches_filtered(select(Batch), filters.as_batch_filters())
        .order_by(Batch.is_closed, Batch.batch_date.desc(), Batch.shift_start, Batch.batch_number)
        .limit(BOARD_LIMIT)
    ).all()
    counts = product_counts([batch.id for batch in batches])
    columns: dict[int, tuple[WorkCenter, list[BoardCard]]] = {}
    for batch in batches:
        column = columns.setdefault(batch.work_center_id, (batch.work_center, []))
        column[1].append(BoardCard(batch, counts.get(batch.id, ProductCounts())))
    return sorted(columns.values(), key=lambda column: column[0].name)


def work_center_choices() -> list[tuple[int, str]]:
    return [(wc.id, wc.name) for wc in db.session.scalars(select(WorkCenter).order_by(WorkCenter.name))]


def shift_choices() -> list[str]:
    return list(db.session.scalars(select(Batch.shift).where(Batch.shift != "").distinct().order_by(Batch.shift)))
