"""The pace board: per work center, the current batch and this hour's target against what is done."""

from dataclasses import dataclass
from datetime import datetime

from mes_web.clock import plant_day
from mes_web.errors import NotFound
from mes_web.selectors.analytics import hourly, plant_day_bounds
from mes_web.selectors.board import BoardCard, BoardFilters, board_columns, work_center_choices

# Within this share of the pace the hour can still be caught up: amber, not red.
NEAR_PACE = 0.8


@dataclass(frozen=True)
class PaceTile:
    """One work center on the floor screen: its current batch, and this hour's target against what is done."""

    work_center_id: int
    work_center_name: str
    card: BoardCard | None
    hour: datetime
    target: float
    expected_by_now: float
    actual: int

    @property
    def state(self) -> str:
        """on-pace (green), near (amber, within 80 %), behind (red), or idle when nothing is planned this hour."""
        if not self.target:
            return "idle"
        if self.actual >= self.expected_by_now:
            return "on-pace"
        return "near" if self.actual >= NEAR_PACE * self.expected_by_now else "behind"


def _current_card(cards: list[BoardCard], now: datetime) -> BoardCard | None:
    """The open batch whose shift is running now, else the latest one."""
    running = [card for card in cards if card.batch.shift_start <= now < card.batch.shift_end]
    return max(running or cards, key=lambda card: card.batch.shift_start, default=None)


def _pace_tile(work_center: tuple[int, str], cards: list[BoardCard], now: datetime) -> PaceTile:
    day = plant_day(now)
    into_day = (now - plant_day_bounds(day)[0]).total_seconds()
    hour = hourly(day=day, work_center_id=work_center[0])["hours"][int(into_day // 3600)]
    # The hour is under way: by now only its elapsed share of the target is due.
    expected = hour["needed"] * (into_day % 3600) / 3600
    return PaceTile(
        *work_center,
        _current_card(cards, now),
        datetime.fromisoformat(hour["hour"]),
        hour["needed"],
        round(expected, 1),
        hour["aggregated"],
    )


def pace_tiles(work_center_id: int | None, now: datetime) -> list[PaceTile]:
    """A tile per work center with open batches (or the one asked for), for the floor's pace board."""
    names = dict(work_center_choices())
    if work_center_id is not None and work_center_id not in names:
        raise NotFound(f"Рабочий центр {work_center_id} не найден.", code="work_center_not_found")
    open_cards = {wc.id: cards for wc, cards in board_columns(BoardFilters(work_center_id=work_center_id))}
    shown = [work_center_id] if work_center_id is not None else list(open_cards)
    return [_pace_tile((wc_id, names[wc_id]), open_cards.get(wc_id, []), now) for wc_id in shown]
