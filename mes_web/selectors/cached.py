"""Cached reads, keyed by the version of the data they show.

Every write appends to the event log in its own transaction, so the newest event id is a clock
that ticks with every committed change (a work center's rename, which logs no event, moves its
updated_at). A cached value is stored under the version it was computed from; after a write, the
version differs and the stale value is simply never read again (the TTL removes it). Nothing has
to remember to invalidate, a rolled-back write changes nothing, the scan path does no cache work,
and with Redis every web and worker process sees the same versions.
"""

import hashlib
import logging
from collections.abc import Callable

from sqlalchemy import func, select

from mes_web.extensions import cache, db
from mes_web.models import Batch, Event, WorkCenter

log = logging.getLogger(__name__)

DASHBOARD_SECONDS = 300
BATCH_LIST_SECONDS = 60
BATCH_DETAIL_SECONDS = 600
BATCH_STATISTICS_SECONDS = 300


def plant_version() -> str:
    """Changes with every committed write anywhere in the plant."""
    last_event = select(func.max(Event.id)).scalar_subquery()
    last_rename = select(func.max(WorkCenter.updated_at)).scalar_subquery()
    row = db.session.execute(select(last_event, last_rename)).one()
    return f"{row[0]}|{row[1]}"


def batch_version(batch_id: int) -> str:
    """Changes with every committed write to this batch or its units, or a rename of its work center."""
    last_event = select(func.max(Event.id)).where(Event.batch_id == batch_id).scalar_subquery()
    renamed = (
        select(WorkCenter.updated_at).join(Batch, Batch.work_center_id == WorkCenter.id).where(Batch.id == batch_id)
    )
    row = db.session.execute(select(last_event, renamed.scalar_subquery())).one()
    return f"{row[0]}|{row[1]}"


def _read_through(key: str, seconds: int, compute: Callable[[], dict]) -> dict:
    try:
        value = cache.get(key)
    except Exception:  # a cache that does not answer must not stop the answer
        log.exception("cache read failed for %s", key)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout=seconds)
        except Exception:
            log.exception("cache write failed for %s", key)
    return value


def _dashboard_key() -> str:
    return f"analytics:dashboard:{plant_version()}"


def dashboard_cached(compute: Callable[[], dict]) -> dict:
    return _read_through(_dashboard_key(), DASHBOARD_SECONDS, compute)


def dashboard_refresh(compute: Callable[[], dict]) -> dict:
    """Compute the dashboard now and keep it, so the next reader does not wait (the periodic job)."""
    value = compute()
    cache.set(_dashboard_key(), value, timeout=DASHBOARD_SECONDS)
    return value


def batch_list_cached(query: str, compute: Callable[[], dict]) -> dict:
    digest = hashlib.sha1(f"{plant_version()}|{query}".encode()).hexdigest()
    return _read_through(f"batches:list:{digest}", BATCH_LIST_SECONDS, compute)


def batch_detail_cached(batch_id: int, compute: Callable[[], dict]) -> dict:
    return _read_through(f"batches:detail:{batch_id}:{batch_version(batch_id)}", BATCH_DETAIL_SECONDS, compute)


def batch_statistics_cached(batch_id: int, compute: Callable[[], dict]) -> dict:
    key = f"analytics:statistics:{batch_id}:{batch_version(batch_id)}"
    return _read_through(key, BATCH_STATISTICS_SECONDS, compute)
