"""Cached reads, and the one invalidation every write goes through.

Every write appends to the event log, and the event log clears what the write affected once the
transaction commits (see services/events.py), so no write path can forget to invalidate. With Redis
the cache is shared by every web and worker process, so one invalidation reaches them all.
"""

import hashlib
import logging
from collections.abc import Callable, Iterable

from mes_web.extensions import cache

log = logging.getLogger(__name__)

DASHBOARD_SECONDS = 300
BATCH_LIST_SECONDS = 60
BATCH_DETAIL_SECONDS = 600
BATCH_STATISTICS_SECONDS = 300

DASHBOARD_KEY = "analytics:dashboard"
_LIST_GENERATION_KEY = "batches:list:generation"


def _detail_key(batch_id: int) -> str:
    return f"batches:detail:{batch_id}"


def _statistics_key(batch_id: int) -> str:
    return f"analytics:statistics:{batch_id}"


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


def dashboard_cached(compute: Callable[[], dict]) -> dict:
    return _read_through(DASHBOARD_KEY, DASHBOARD_SECONDS, compute)


def batch_detail_cached(batch_id: int, compute: Callable[[], dict]) -> dict:
    return _read_through(_detail_key(batch_id), BATCH_DETAIL_SECONDS, compute)


def batch_statistics_cached(batch_id: int, compute: Callable[[], dict]) -> dict:
    return _read_through(_statistics_key(batch_id), BATCH_STATISTICS_SECONDS, compute)


def batch_list_cached(query: str, compute: Callable[[], dict]) -> dict:
    """A list page, under the list generation: one increment retires every cached page at once."""
    generation = cache.get(_LIST_GENERATION_KEY) or 0
    digest = hashlib.sha1(query.encode()).hexdigest()[:16]
    return _read_through(f"batches:list:{generation}:{digest}", BATCH_LIST_SECONDS, compute)


def batch_caches_clear(batch_ids: Iterable[int]) -> None:
    """Forget everything that shows these batches: their detail and statistics, list pages, the dashboard."""
    keys = [DASHBOARD_KEY] + [
        key for batch_id in set(batch_ids) for key in (_detail_key(batch_id), _statistics_key(batch_id))
    ]
    try:
        cache.delete_many(*keys)
        cache.cache.inc(_LIST_GENERATION_KEY)  # atomic INCRBY on Redis
    except Exception:  # the write has committed; a failed invalidation is logged, the TTLs bound the damage
        log.exception("cache invalidation failed for batches %s", sorted(set(batch_ids)))
