"""Benchmark the analytics reads: the dashboard from scratch and from cache, and one batch's statistics.

What it measures (issue 6, "Speed"), on a PostgreSQL database of --batches batches (default
100,000) over --work-centers work centers (default 50) and --products units (default 5,000,000):
  * dashboard, from scratch: mes_web.selectors.analytics.dashboard() called in-process (create_app
           with DATABASE_URL at the bench database, inside app.app_context(), no cache involved),
           --dashboard-runs times (default 5), each on a fresh SQLAlchemy session; wall clock of the
           call (SQL and Python). The first run follows the load and VACUUM ANALYZE, so it may read
           from the OS page cache rather than PostgreSQL's buffers; every run is printed.
  * dashboard, from cache at the server: mes_web under gunicorn (--workers sync workers) with
           REDIS_URL=redis://127.0.0.1:6379/14 (only Redis db 14 is flushed, at the start and the
           end). One GET /api/v1/analytics/dashboard with a supervisor token fills the cache, then
           --requests sequential GETs (default 200, a new connection each) are timed at the server:
           gunicorn's access log with %(D)s, the microseconds from the request read to the response
           written (routing, token check, Redis read, JSON encoding, the write to the socket). The
           client's round trip is printed beside it; then --misses GETs (default 3), each after
           deleting the cached dashboard from Redis, show what a warm worker takes to compute it.
  * batch statistics, uncached: mes_web.selectors.analytics.batch_statistics(id) in-process for
           --samples random batches (default 50) plus the biggest one, each once, each on a fresh
           session; p50, p95, max. Like wsgi.py, the process calls gc.freeze() after create_app.
  * plans: every SQL statement one dashboard() and one batch_statistics(<the biggest batch>) send is
           captured with a before_cursor_execute listener on the engine and run again, with its
           parameters, under EXPLAIN (ANALYZE, BUFFERS); the scans and the execution time of each are
           summarised, then the full plans are printed.

The data (loaded with INSERT ... SELECT generate_series and COPY, not through the API; seeded, so
every run loads the same rows relative to the day it runs): batch dates over the last ~3 years up to
the plant's today (PLANT_TIMEZONE, Europe/Moscow unless set), ids in date order; 8-hour shifts "1"
08-16, "2" 16-24, "3" 00-08 plant time, shift "1" the most frequent; work centers used unevenly;
~10 % of the batches open (every batch whose shift has not ended yet, and ~10 % of the older ones,
never closed), the others closed 0-2 h after their shift ended; a batch's shift task arrives 0-6 h
before its shift. Units per batch vary (a few dozen typically, 20 big batches of 20,000-100,000,
the biggest a month old); each batch has a random share of its units aggregated (half overall),
aggregated_at inside its shift window and not in the future, created_at between the batch's
creation and the end of its shift (or now). Today's rows exist, so the «today» figures are not
zero. The products table's secondary indexes and constraints are dropped for the load and built
again afterwards from their own definitions (checked identical to what the migrations made); then
VACUUM ANALYZE, as autovacuum is off on this server.

The machine may be shared: the report gives the share of the CPUs that other processes used, sampled
for 2 s while the benchmark idles before and after the in-process figures, and during the cached GETs
(bench/harness.py's CpuMeter), and says so when it is large.

Targets: dashboard from scratch < 1 s (median of the runs); from cache < 5 ms at the server (median
and p95); batch statistics < 50 ms (p95).

Run from the repository root (about three minutes, most of it the load):

    .venv/bin/python bench/analytics.py [--workers 2] [--dashboard-runs 5] [--requests 200] [--samples 50]
                                        [--batches 100000] [--products 5000000] [--work-centers 50]
                                        [--database mes_bench_analytics] [--keep-database] [--no-plans]

It creates the PostgreSQL database mes_bench_analytics on 127.0.0.1:5432 (dropped first if it
exists, and dropped again at the end unless --keep-database), migrates it, and uses a temporary
MES_INSTANCE_PATH.

Exit status: 0 when the benchmark ran cleanly, whether or not the targets are met; 1 when something
broke (migrations, the load, the server); 2 when an answer was wrong (the dashboard's totals differ
from the database's, a cached GET answered anything but 200 or other figures than the in-process
dashboard).
"""

import argparse
import gc
import io
import math
import os
import random
import signal
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from harness import (
    ROOT,
    BenchError,
    CpuMeter,
    _machine_jiffies,
    benchmark_main,
    database_prepare,
    database_url,
    database_vacuum,
    gunicorn,
    gunicorn_settings,
    http_request,
)

sys.path.insert(0, str(ROOT))  # mes_web, imported in-process for the selector figures

BENCH_DB = "mes_bench_analytics"
REDIS_URL = "redis://127.0.0.1:6379/14"
DASHBOARD_PATH = "/api/v1/analytics/dashboard"
# CACHE_KEY_PREFIX + the dashboard's key in selectors/cached.py, which ends with the data's version
DASHBOARD_CACHE_KEYS = "mes_web:analytics:dashboard:*"
HEALTH_PATH = "/api/v1/health"
SEED = 42

DAYS = 3 * 365  # batch dates over the last three years, up to today
SHIFT_HOURS = 8
BIG_BATCHES = 20
TARGET_DASHBOARD_S = 1.0
TARGET_CACHED_MS = 5.0
TARGET_STATISTICS_MS = 50.0

# The access-log line of every request: a marker, the path, the status and %(D)s, microseconds.
ACCESS_LOG_FORMAT = "ACCESS %(U)s %(s)s %(D)s"


BATCHES_SQL = """
INSERT INTO batches (id, is_closed, closed_at, task_description, work_center_id, shift, team, batch_number,
                     batch_date, nomenclature, ekn_code, shift_start, shift_end, created_at, updated_at)
SELECT id, closed_at IS NOT NULL, closed_at, format('Задание на смену %%s, партия %%s', shift, batch_number),
       work_center_id, shift, team, batch_number, batch_date, nomenclature, ekn_code, shift_start, shift_end,
       created_at, coalesce(closed_at, created_at)
FROM (
    SELECT id, work_center_id, shift, team, batch_number, batch_date, nomenclature, ekn_code,
           shift_start, shift_start + make_interval(hours => %(shift_hours)s) AS shift_end,
           -- the shift task arrives 0-6 h before the shift; a future shift's has arrived by now
           least(shift_start - r_created * interval '6 hours',
                 %(now)s - r_created * (%(now)s - %(midnight)s)) AS created_at,
           CASE WHEN r_open >= 0.10
                 AND shift_start + make_interval(hours => %(shift_hours)s) + r_close * interval '2 hours' <= %(now)s
                THEN shift_start + make_interval(hours => %(shift_hours)s) + r_close * interval '2 hours'
           END AS closed_at
    FROM (
        SELECT id, work_center_id, shift, team, batch_number, batch_date, nomenclature, ekn_code,
               r_created, r_open, r_close,
               ((batch_date + CASE shift WHEN '1' THEN interval '8 hours' WHEN '2' THEN interval '16 hours'
                                         ELSE interval '0 hours' END)::timestamp AT TIME ZONE %(tz)s) AS shift_start
        FROM (
            SELECT g AS id,
                   1 + floor(%(work_centers)s * power(random(), 1.4))::int AS work_center_id,
                   CASE WHEN r_shift < 0.40 THEN '1' WHEN r_shift < 0.75 THEN '2' ELSE '3' END AS shift,
                   'Бригада ' || (1 + floor(random() * 4))::int AS team,
                   100000 + g AS batch_number,
                   %(today)s::date - ((%(batches)s - g)::bigint * %(days)s / %(batches)s)::int AS batch_date,
                   'Изделие ' || (1 + floor(random() * 200))::int AS nomenclature,
                   'EKN-' || lpad((1 + floor(random() * 200))::int::text, 5, '0') AS ekn_code,
                   random() AS r_created, random() AS r_open, random() AS r_close
            FROM (SELECT g, random() AS r_shift FROM generate_series(1, %(batches)s) g) numbered
        ) drawn
    ) timed
) batches_to_be
"""

# Batch by batch in id order (the plan is a temporary table read in order), so products' ids follow
# their batches' dates, as they do when 1C registers the codes shift after shift.
PRODUCTS_SQL = """
INSERT INTO products (unique_code, batch_id, is_aggregated, aggregated_at, created_at)
SELECT unique_code, batch_id, aggregated,
       CASE WHEN aggregated
            THEN greatest(created_at, shift_start) + r_aggregated * (window_end - greatest(created_at, shift_start))
       END,
       created_at
FROM (
    SELECT w.batch_id, w.shift_start, w.window_end, n <= w.aggregated AS aggregated,
           w.batch_created + random() * (w.window_end - w.batch_created) AS created_at,
           random() AS r_aggregated,
           '0104600' || lpad(w.batch_id::text, 7, '0') || '21' || lpad(n::text, 6, '0')
               || substr(md5(w.batch_id::text || '-' || n::text), 1, 8) AS unique_code
    FROM plan_windows w CROSS JOIN LATERAL generate_series(1, w.products) n
) units
"""

PLAN_WINDOWS_SQL = """
CREATE TEMP TABLE plan_windows AS
SELECT p.batch_id, p.products, b.created_at AS batch_created, b.shift_start,
       least(b.shift_end, %(now)s) AS window_end,  -- nothing is aggregated in the future
       CASE WHEN b.shift_start < %(now)s THEN round(p.products * p.share)::int ELSE 0 END AS aggregated
FROM plan p JOIN batches b ON b.id = p.batch_id
ORDER BY p.batch_id
"""


def batch_sizes(batches: int, products: int, rng: random.Random) -> tuple[list[int], int]:
    """Units per batch (index 0 is batch id 1), summing to exactly `products`; and the biggest batch's id."""
    biggest = min(100_000, products // 50)
    biggest_id = max(1, batches - 30 * batches // DAYS)  # the biggest: about a month old
    big_ids = {biggest_id}
    while len(big_ids) < min(BIG_BATCHES, batches // 10):
        big_ids.add(rng.randint(1, batches))
    sizes = [0] * batches
    for batch_id in big_ids:
        sizes[batch_id - 1] = biggest if batch_id == biggest_id else rng.randint(biggest // 5, biggest * 3 // 5)
    small = [i for i in range(batches) if i + 1 not in big_ids]
    average = (products - sum(sizes)) / len(small)
    low, high = max(1, round(average * 0.2)), max(1, round(average * 1.8))
    for i in small:
        sizes[i] = rng.randint(low, high)
    difference = products - sum(sizes)
    step = 1 if difference > 0 else -1
    while difference:
        i = rng.choice(small)
        if sizes[i] + step >= 0:
            sizes[i] += step
            difference -= step
    return sizes, biggest_id


def products_constraints(conn) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The products table's unique and foreign-key constraints, and its other indexes but the primary key."""
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'products'::regclass AND contype IN ('u', 'f') ORDER BY conname"
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'products'"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'products'::regclass)"
        " ORDER BY indexname"
    ).fetchall()
    return constraints, indexes


def schema_indexes(conn) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname"
    ).fetchall()


def step(label: str):
    """Print a load step and its seconds."""

    @contextmanager
    def timed():
        print(f"  {label} ...", end="", flush=True)
        began = time.perf_counter()
        yield
        print(f" {time.perf_counter() - began:.1f} s", flush=True)

    return timed()


def load(name: str, args, now: datetime, tz: str) -> dict:
    """Fill the migrated database; returns what was loaded (counts, the biggest batch, today)."""
    plant_now = now.astimezone(ZoneInfo(tz))
    today = plant_now.date()
    midnight = datetime.combine(today, datetime.min.time(), ZoneInfo(tz)).astimezone(UTC)
    rng = random.Random(SEED)
    sizes, biggest_id = batch_sizes(args.batches, args.products, rng)
    params = {
        "now": now,
        "midnight": midnight,
        "today": today,
        "tz": tz,
        "batches": args.batches,
        "days": DAYS,
        "work_centers": args.work_centers,
        "shift_hours": SHIFT_HOURS,
    }
    print(
        f"loading {args.batches:,} batches, {args.products:,} units, {args.work_centers} work centers "
        f"(plant today {today.isoformat()}, now {plant_now.isoformat(timespec='seconds')}):",
        flush=True,
    )
    with psycopg.connect(database_url(name)) as conn:
        indexes_before = schema_indexes(conn)
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SELECT setseed(%s)", (SEED / 100,))
        with step("work centers and batches (INSERT ... SELECT generate_series)"):
            conn.execute(
                "INSERT INTO work_centers (id, identifier, name, created_at, updated_at)"
                " SELECT g, 'WC-' || lpad(g::text, 3, '0'), 'Линия ' || g,"
                " %(now)s - interval '4 years', %(now)s - interval '4 years'"
                " FROM generate_series(1, %(work_centers)s) g",
                params,
            )
            conn.execute(BATCHES_SQL, params)
            for table in ("work_centers", "batches"):
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        with step("the plan of units per batch (COPY)"):
            conn.execute("CREATE TEMP TABLE plan (batch_id int PRIMARY KEY, products int, share float8)")
            buffer = io.StringIO()
            for batch_id, size in enumerate(sizes, start=1):
                buffer.write(f"{batch_id}\t{size}\t{rng.random():.6f}\n")
            with conn.cursor().copy("COPY plan (batch_id, products, share) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            conn.execute(PLAN_WINDOWS_SQL, params)
        constraints, indexes = products_constraints(conn)
        with step(f"drop the products' {len(constraints)} constraints and {len(indexes)} indexes for the load"):
            for constraint, _ in constraints:
                conn.execute(f"ALTER TABLE products DROP CONSTRAINT {constraint}")
            for index, _ in indexes:
                conn.execute(f"DROP INDEX {index}")
        with step("units (INSERT ... SELECT generate_series)"):
            conn.execute(PRODUCTS_SQL)
        with step("build the products' indexes and constraints again"):
            for _, definition in indexes:
                conn.execute(definition)
            for constraint, definition in constraints:
                conn.execute(f"ALTER TABLE products ADD CONSTRAINT {constraint} {definition}")
        if schema_indexes(conn) != indexes_before:
            raise BenchError("the indexes after the load differ from the migrated schema's")
        conn.commit()
    with step("VACUUM ANALYZE"):
        database_vacuum(name)
    with psycopg.connect(database_url(name)) as conn:
        loaded = conn.execute(
            """SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM batches WHERE NOT is_closed),
                      (SELECT count(*) FROM products), (SELECT count(*) FROM products WHERE is_aggregated),
                      (SELECT count(*) FROM batches WHERE created_at >= %(midnight)s),
                      (SELECT count(*) FROM batches WHERE closed_at >= %(midnight)s),
                      (SELECT count(*) FROM products WHERE created_at >= %(midnight)s),
                      (SELECT count(*) FROM products WHERE aggregated_at >= %(midnight)s),
                      (SELECT count(*) FROM products p JOIN batches b ON b.id = p.batch_id
                        WHERE p.is_aggregated AND NOT (p.aggregated_at BETWEEN b.shift_start AND b.shift_end)),
                      (SELECT min(batch_date) FROM batches), (SELECT max(batch_date) FROM batches),
                      pg_size_pretty(pg_total_relation_size('products')),
                      pg_size_pretty(pg_relation_size('products')),
                      pg_size_pretty(pg_relation_size('idx_product_batch_aggregated'))""",
            {"midnight": midnight},
        ).fetchone()
    (
        batches,
        open_,
        products,
        aggregated,
        b_today,
        c_today,
        p_today,
        a_today,
        outside,
        first,
        last,
        total_size,
        heap_size,
        index_size,
    ) = loaded
    print(
        f"  loaded: {batches:,} batches ({open_:,} open, {100 * open_ / batches:.1f} %), dates {first} .. {last};"
        f" {products:,} units ({aggregated:,} aggregated, {100 * aggregated / products:.1f} %);"
        f" biggest batch {biggest_id} with {max(sizes):,} units"
    )
    print(
        f"  today: {b_today} batches created, {c_today} closed, {p_today:,} units added, {a_today:,} aggregated;"
        f" aggregated outside their shift window: {outside}"
    )
    print(f"  products: {total_size} with indexes, heap {heap_size}, idx_product_batch_aggregated {index_size}")
    if outside:
        raise BenchError(f"{outside} units were aggregated outside their batch's shift window")
    return {
        "batches": batches,
        "products": products,
        "aggregated": aggregated,
        "closed": batches - open_,
        "biggest_id": biggest_id,
        "biggest_size": max(sizes),
        "sizes": sizes,
    }


def others_share(seconds: float = 2.0) -> float:
    """The share of the machine's CPUs busy while the benchmark idles: what other people's work takes."""
    busy_before, total_before = _machine_jiffies()
    time.sleep(seconds)
    busy_after, total_after = _machine_jiffies()
    return (busy_after - busy_before) / (total_after - total_before) if total_after > total_before else 0.0


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def in_process_figures(args, loaded: dict) -> dict:
    """Dashboard from scratch, statistics uncached, and the plans of their statements."""
    from sqlalchemy import event

    from mes_web import create_app
    from mes_web.extensions import db
    from mes_web.selectors.analytics import batch_statistics, dashboard

    app = create_app()
    # As wsgi.py does in every gunicorn worker: what was built at start-up (here also the load's
    # leftovers) stays out of garbage collection; unfrozen, a full collection costs ~40 ms here and
    # lands in whichever call happens to trigger it.
    gc.collect()
    gc.freeze()
    figures: dict = {"others": [others_share()]}
    print(f"\nthe machine's CPUs busy with other work while the benchmark idled 2 s: {figures['others'][0]:.0%}")
    with app.app_context():
        print(f"\ndashboard() from scratch, {args.dashboard_runs} runs (in-process, no cache):", flush=True)
        runs = []
        for _ in range(args.dashboard_runs):
            began = time.perf_counter()
            answer = dashboard()
            runs.append(time.perf_counter() - began)
            db.session.remove()
        print("  " + ", ".join(f"{seconds * 1000:.0f} ms" for seconds in runs))
        figures["dashboard_runs"], figures["dashboard"] = runs, answer
        summary = answer["summary"]
        expected = {
            "total_batches": loaded["batches"],
            "closed_batches": loaded["closed"],
            "total_products": loaded["products"],
            "aggregated_products": loaded["aggregated"],
        }
        figures["wrong"] = [
            f"{key}: dashboard {summary[key]}, database {value}"
            for key, value in expected.items()
            if summary[key] != value
        ]
        print(f"  summary {summary}; today {answer['today']}")
        print(f"  by_shift {answer['by_shift']}")
        top = [(wc["id"], wc["batches_count"], wc["products_count"]) for wc in answer["top_work_centers"]]
        print(f"  top work centers (id, batches, units): {top}")

        rng = random.Random(SEED + 1)
        ids = rng.sample(range(1, loaded["batches"] + 1), min(args.samples, loaded["batches"]))
        ids.append(loaded["biggest_id"])
        print(
            f"\nbatch_statistics() uncached, {len(ids)} batches ({len(ids) - 1} random and the biggest, "
            f"{loaded['biggest_id']} with {loaded['biggest_size']:,} units), each once on a fresh session:",
            flush=True,
        )
        timings = {}
        for batch_id in ids:
            began = time.perf_counter()
            batch_statistics(batch_id)
            timings[batch_id] = time.perf_counter() - began
            db.session.remove()
        values = list(timings.values())
        figures["statistics"] = values
        slowest = max(timings, key=timings.get)
        print(
            f"  p50 {percentile(values, 0.5) * 1000:.1f} ms, p95 {percentile(values, 0.95) * 1000:.1f} ms,"
            f" max {max(values) * 1000:.1f} ms (batch {slowest}, {loaded['sizes'][slowest - 1]:,} units);"
            f" the first call {values[0] * 1000:.1f} ms;"
            f" the biggest batch {timings[loaded['biggest_id']] * 1000:.1f} ms"
        )

        figures["others"].append(others_share())
        print(f"\nthe machine's CPUs busy with other work while the benchmark idled 2 s: {figures['others'][1]:.0%}")
        if not args.no_plans:
            figures["plans"] = plans(db, event, dashboard, batch_statistics, loaded["biggest_id"])
    return figures


def plans(db, event, dashboard, batch_statistics, biggest_id: int) -> list[tuple[str, str, object, list[str]]]:
    """(caller, statement, parameters, EXPLAIN (ANALYZE, BUFFERS) lines) for every statement both send."""
    captured: list[tuple[str, str, object]] = []
    caller = ["dashboard()"]

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        captured.append((caller[0], statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        dashboard()
        db.session.remove()
        caller[0] = f"batch_statistics({biggest_id})"
        batch_statistics(biggest_id)
        db.session.remove()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    explained = []
    with db.engine.connect() as conn:
        for who, statement, parameters in captured:
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
            explained.append((who, statement, parameters, [row[0] for row in rows]))
        conn.rollback()
    return explained


def print_plans(explained: list) -> None:
    print("\nplans: each statement dashboard() and batch_statistics() send, EXPLAIN (ANALYZE, BUFFERS)")
    print("  (ANALYZE reads the clock for every row, so over millions of rows it reports more than the timed runs)")
    print("\n  summary (statement; how each table is read; execution time):")
    for number, (who, statement, _, lines) in enumerate(explained, start=1):
        scans = [
            line.strip().removeprefix("->").strip().split("  (")[0]
            for line in lines
            if any(kind in line for kind in ("Scan", "Seq Scan"))
        ]
        timing = next((line.strip() for line in lines if line.startswith("Execution Time")), "")
        jit = next((line.strip() for line in lines if line.strip().startswith("Timing: ")), "")
        first = " ".join(statement.split())[:110]
        print(f"  [{number}] {who}: {first}{'...' if len(' '.join(statement.split())) > 110 else ''}")
        for scan in dict.fromkeys(scans):
            print(f"        {scan}")
        print(f"        {timing}" + (f"; JIT {jit}" if jit else ""))
    print("\n  full plans:")
    for number, (who, statement, parameters, lines) in enumerate(explained, start=1):
        print(f"\n  [{number}] {who}")
        print("  " + "\n  ".join(statement.splitlines()))
        print(f"  parameters: {parameters}")
        for line in lines:
            print(f"    {line}")


@contextmanager
def gunicorn_logged(name: str, *, workers: int, env: dict, log_dir: Path):
    """mes_web under gunicorn as harness.gunicorn starts it, plus an access log whose lines carry %(D)s."""
    access_path = log_dir / f"{name}-access.log"
    extra = ("--access-logfile", str(access_path), "--access-logformat", ACCESS_LOG_FORMAT)
    with gunicorn(
        name, "wsgi:app", workers=workers, env=env, health_path=HEALTH_PATH, log_dir=log_dir, extra=extra
    ) as server:
        yield server, access_path, [*gunicorn_settings(workers), *extra]


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_timeout=5)


def redis_flush() -> None:
    redis_client().flushdb()  # db 14 only


def access_times_ms(access_path: Path, path: str) -> list[float]:
    times = []
    for line in access_path.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "ACCESS" and parts[1] == path:
            times.append(int(parts[3]) / 1000)
    return times


def cached_figures(args, env: dict, token: str, log_dir: Path, expected: dict) -> dict:
    """Fill the dashboard's cache with one GET, then time --requests GETs at the server."""
    redis_flush()
    try:
        with gunicorn_logged("analytics", workers=args.workers, env=env, log_dir=log_dir) as (server, access, command):
            shown = " ".join(part if " " not in part else repr(part) for part in command)
            print(f"\ndashboard from cache: gunicorn {shown} wsgi:app", flush=True)
            print(f"  REDIS_URL={REDIS_URL} (db 14 flushed at the start and the end)")
            began = time.perf_counter()
            status, fill = http_request("GET", server.base + DASHBOARD_PATH, token=token)
            fill_seconds = time.perf_counter() - began
            if status != 200:
                raise BenchError(f"GET {DASHBOARD_PATH} answered {status}: {str(fill)[:300]}")
            client, statuses, wrong = [], [], 0
            with CpuMeter(server, args.database) as cpu:
                for _ in range(args.requests):
                    began = time.perf_counter()
                    status, body = http_request("GET", server.base + DASHBOARD_PATH, token=token)
                    client.append((time.perf_counter() - began) * 1000)
                    statuses.append(status)
                    if status == 200 and body != fill:
                        wrong += 1
            misses = []  # the dashboard computed by a warm worker: the key deleted before each GET
            for _ in range(args.misses):
                cached = list(redis_client().scan_iter(DASHBOARD_CACHE_KEYS))
                if not cached or not redis_client().delete(*cached):
                    raise BenchError(f"no {DASHBOARD_CACHE_KEYS} in Redis db 14 to delete")
                status, _ = http_request("GET", server.base + DASHBOARD_PATH, token=token)
                statuses.append(status)
            time.sleep(0.5)  # the access log is written after the response
            server_ms = access_times_ms(access, DASHBOARD_PATH)
            if args.misses:
                server_ms, misses = server_ms[: -args.misses], server_ms[-args.misses :]
    finally:
        redis_flush()
    if len(server_ms) != args.requests + 1:
        raise BenchError(
            f"the access log holds {len(server_ms) + len(misses)} dashboard lines,"
            f" expected {args.requests + 1 + args.misses}"
        )
    fill_server_ms, server_ms = server_ms[0], server_ms[1:]
    print(f"  filling GET: {fill_seconds * 1000:.0f} ms at the client, {fill_server_ms:.0f} ms at the server")
    print(
        f"  {args.requests} cached GETs, at the server (%(D)s): median {statistics.median(server_ms):.2f} ms,"
        f" p95 {percentile(server_ms, 0.95):.2f} ms, max {max(server_ms):.2f} ms,"
        f" mean {statistics.mean(server_ms):.2f} ms"
    )
    print(
        f"  the same at the client (connect to last byte): median {statistics.median(client):.2f} ms,"
        f" p95 {percentile(client, 0.95):.2f} ms, max {max(client):.2f} ms"
    )
    print(
        f"  CPU meanwhile: server {cpu.app_seconds * 1000 / args.requests:.2f} ms per GET (gunicorn),"
        f" database {cpu.db_seconds:.2f} s, client {cpu.client_seconds:.2f} s;"
        f" other processes used {cpu.others_share:.0%} of the machine"
    )
    if misses:
        print(
            f"  {len(misses)} GETs after deleting the cached dashboard (computed by a warm worker), at the server: "
            + ", ".join(f"{ms:.0f} ms" for ms in misses)
        )
    problems = []
    bad = [s for s in statuses if s != 200]
    if bad:
        problems.append(f"{len(bad)} cached GETs answered other than 200: {sorted(set(bad))}")
    if wrong:
        problems.append(f"{wrong} cached GETs answered other figures than the filling GET")
    for key in ("summary", "by_shift", "top_work_centers"):
        if fill[key] != expected[key]:
            problems.append(f"the served dashboard's {key} differs from the in-process one")
    return {"server_ms": server_ms, "client_ms": client, "problems": problems, "others": cpu.others_share}


def print_targets(figures: dict, cached: dict) -> None:
    runs = figures["dashboard_runs"]
    dashboard_median = statistics.median(runs)
    server_ms = cached["server_ms"]
    cached_median, cached_p95 = statistics.median(server_ms), percentile(server_ms, 0.95)
    stats_ms = [seconds * 1000 for seconds in figures["statistics"]]
    stats_p50, stats_p95 = percentile(stats_ms, 0.5), percentile(stats_ms, 0.95)
    rows = [
        (
            "dashboard from scratch, median",
            f"{dashboard_median:.3f} s",
            f"min {min(runs):.3f} / max {max(runs):.3f} s",
            f"< {TARGET_DASHBOARD_S:g} s",
            dashboard_median < TARGET_DASHBOARD_S,
        ),
        (
            "dashboard cached, server, median",
            f"{cached_median:.2f} ms",
            f"{len(server_ms)} GETs, mean {statistics.mean(server_ms):.2f} ms",
            f"< {TARGET_CACHED_MS:g} ms",
            cached_median < TARGET_CACHED_MS,
        ),
        (
            "dashboard cached, server, p95",
            f"{cached_p95:.2f} ms",
            f"max {max(server_ms):.2f} ms",
            f"< {TARGET_CACHED_MS:g} ms",
            cached_p95 < TARGET_CACHED_MS,
        ),
        (
            "batch statistics uncached, p95",
            f"{stats_p95:.1f} ms",
            f"p50 {stats_p50:.1f} / max {max(stats_ms):.1f} ms",
            f"< {TARGET_STATISTICS_MS:g} ms",
            stats_p95 < TARGET_STATISTICS_MS,
        ),
    ]
    print(f"\n{'figure':<34} {'measured':>10}  {'spread':<34} {'target':>9}  met")
    for label, measured, spread, target, met in rows:
        print(f"{label:<34} {measured:>10}  {spread:<34} {target:>9}  {'yes' if met else 'NO'}")
    before, after = figures["others"]
    print(
        f"\nother processes' share of the {os.cpu_count()} CPUs: {before:.0%} before the in-process figures,"
        f" {after:.0%} after them, {cached['others']:.0%} during the cached GETs"
        + ("; large: the figures above are pessimistic" if max(before, after, cached["others"]) > 0.25 else "")
    )


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--dashboard-runs", type=int, default=5, help="dashboard() runs from scratch (default 5)")
    parser.add_argument("--requests", type=int, default=200, help="cached dashboard GETs timed (default 200)")
    parser.add_argument("--misses", type=int, default=3, help="GETs after deleting the cached dashboard (default 3)")
    parser.add_argument("--samples", type=int, default=50, help="random batches for the statistics (default 50)")
    parser.add_argument("--batches", type=int, default=100_000, help="batches to load (default 100,000)")
    parser.add_argument("--products", type=int, default=5_000_000, help="units to load (default 5,000,000)")
    parser.add_argument("--work-centers", type=int, default=50, help="work centers (default 50)")
    parser.add_argument("--database", default=BENCH_DB, help=f"database to create (default {BENCH_DB})")
    parser.add_argument("--keep-database", action="store_true", help="leave the database for a look afterwards")
    parser.add_argument("--no-plans", action="store_true", help="skip the EXPLAIN (ANALYZE, BUFFERS) plans")
    return parser.parse_args()


def run(args, env: dict, log_dir: Path) -> int:
    token = database_prepare(args.database, env)
    tz = env.get("PLANT_TIMEZONE") or "Europe/Moscow"
    loaded = load(args.database, args, datetime.now(UTC), tz)
    os.environ.update({"DATABASE_URL": env["DATABASE_URL"], "MES_INSTANCE_PATH": env["MES_INSTANCE_PATH"]})
    os.environ.pop("REDIS_URL", None)  # in-process: nothing cached, the selectors are called directly
    print(
        f"\nload average before the measurements: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        f" ({os.cpu_count()} CPUs)"
    )
    figures = in_process_figures(args, loaded)
    cached = cached_figures(args, env | {"REDIS_URL": REDIS_URL}, token, log_dir, figures["dashboard"])
    if figures.get("plans"):
        print_plans(figures["plans"])
    print_targets(figures, cached)
    problems = figures["wrong"] + cached["problems"]
    if problems:
        print("\nWRONG: " + "; ".join(problems))
        return 2
    return 0


def main() -> int:
    args = parse_args()
    return benchmark_main(run, args, args.database, keep_database=args.keep_database, hide_env=("REDIS_URL",))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the finally: drop the database
    sys.exit(main())
