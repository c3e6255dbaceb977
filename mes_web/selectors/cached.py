"""Cached reads, keyed by the version of the data they show.

Every write appends to the event log in its own transaction, so the newest event id is a clock
that ticks with every committed change (a work center's rename, which logs no event, moves its
updated_at). A cached value is stored under the version it was computed from; after a write, the
version differs and the stale value is simply never read again (the TTL removes it). Nothing has
to remember to invalidate, a rolled-back write changes nothing, the scan path does no cache work,
and with Redis every web and worker process sees the same versions. A version read while another
writer is in flight is not settled (that writer may yet commit an older id) and keys nothing.
"""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, literal, select

from mes_web.clock import plant_today
from mes_web.extensions import cache, db
from mes_web.models import Batch, Event, WorkCenter

log = logging.getLogger(__name__)

DASHBOARD_SECONDS = 300
BATCH_LIST_SECONDS = 60
BATCH_DETAIL_SECONDS = 600
BATCH_STATISTICS_SECONDS = 300


@dataclass(frozen=True)
class Version:
    """What a cached value was computed from; only a settled version may key a cache entry."""

    text: str
    # No writer was in flight when it was read. Ids are taken when a row is written, not when it
    # commits, so a writer still in flight could commit an event older than the newest one seen.
    settled: bool


def _version(*columns) -> Version:
    if db.session.get_bind().dialect.name == "postgresql":
        in_flight = select(func.count()).select_from(func.pg_snapshot_xip(func.pg_current_snapshot()).alias())
    else:  # SQLite has one writer at a time, and it has committed before anyone reads
        in_flight = select(literal(0))
    row = db.session.execute(select(*columns, in_flight.scalar_subquery())).one()
    return Version("|".join(map(str, row[:-1])), row[-1] == 0)


def plant_version() -> Version:
    """Changes with every committed write anywhere in the plant."""
    last_event = select(func.max(Event.id)).scalar_subquery()
    last_rename = select(func.max(WorkCenter.updated_at)).scalar_subquery()
    return _version(last_event, last_rename)


def batch_version(batch_id: int) -> Version:
    """Changes with every committed write to this batch or its units, or a rename of its work center."""
    last_event = select(func.max(Event.id)).where(Event.batch_id == batch_id).scalar_subquery()
    renamed = (
        select(WorkCenter.updated_at).join(Batch, Batch.work_center_id == WorkCenter.id).where(Batch.id == batch_id)
    )
    return _version(last_event, renamed.scalar_subquery())


def read_through(key: str, version: Version, seconds: int, compute: Callable):
    """The value cached under key+version, or computed (and kept, when the version is settled)."""
    if not version.settled:
        return compute()
    key = f"{key}:{version.text}"
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
    # «today» turns at the plant's midnight even when nothing is written.
    return f"analytics:dashboard:{plant_today().isoformat()}"


def dashboard_cached(compute: Callable[[], dict]) -> dict:
    return read_through(_dashboard_key(), plant_version(), DASHBOARD_SECONDS, compute)


def dashboard_refresh(compute: Callable[[], dict]) -> dict:
    """Compute the dashboard now and keep it, so the next reader does not wait (the periodic job)."""
    key, version = _dashboard_key(), plant_version()
    value = compute()
    if version.settled:
        cache.set(f"{key}:{version.text}", value, timeout=DASHBOARD_SECONDS)
    return value


def batch_list_cached(query: str, compute: Callable[[], dict]) -> dict:
    digest = hashlib.sha1(query.encode()).hexdigest()
    return read_through(f"batches:list:{digest}", plant_version(), BATCH_LIST_SECONDS, compute)


def batch_detail_cached(batch_id: int, compute: Callable[[], dict]) -> dict:
    return read_through(f"batches:detail:{batch_id}", batch_version(batch_id), BATCH_DETAIL_SECONDS, compute)


def batch_statistics_cached(batch_id: int, compute: Callable[[], dict]) -> dict:
    key = f"analytics:statistics:{batch_id}"
    return read_through(key, batch_version(batch_id), BATCH_STATISTICS_SECONDS, compute)
