"""Benchmark the scan path: POST /api/v1/batches/{id}/aggregate, against a Flask + PostgreSQL floor.

What it measures
  * ours:  mes_web under gunicorn, one scan per request ({"unique_code": ...}, bearer token), every
           request a distinct code registered beforehand, so each one is a real aggregation (200),
           never the "already aggregated" refusal.
  * floor: bench/floor_app.py under the same gunicorn settings: parse the body, read one row by
           primary key through a per-worker SQLAlchemy Core pool, return small JSON. It is what
           any Flask endpoint on this machine costs; ours/floor says how much the scan adds to it.
  * bulk:  one POST /api/v1/products of exactly 100,000 codes in 1C's form, timed end to end
           (request sent, server validates and stores, response read; the JSON body is encoded
           before the clock starts).

Both run under gunicorn with the same command-line settings (printed with the figures) and
--config bench/gunicorn_settings.py, so the production ./gunicorn.conf.py applies to neither.
Each app is driven by wrk (bench/aggregate.lua) at 1 connection (1 thread) and at 16 connections
(2 threads), for --duration seconds after a --warmup of the same shape. For ours, the number of
products the database shows as aggregated is compared with what wrk counted.

Run from the repository root (takes about two minutes):

    .venv/bin/python bench/aggregate.py [--workers 2] [--duration 10] [--warmup 3]

It creates the PostgreSQL database mes_bench on 127.0.0.1:5432 (dropped first if it exists, and
dropped again at the end), migrates it, and uses a temporary MES_INSTANCE_PATH.

Exit status: 0 when the benchmark ran cleanly, whether or not the targets are met; 1 when something
broke (a server did not start, seeding failed); 2 when wrk saw non-2xx responses or socket errors,
or the database holds fewer aggregated codes than wrk counted 2xx scans.
"""

import argparse
import sys
from pathlib import Path

import psycopg
from harness import (
    BENCH,
    BenchError,
    Server,
    WrkResult,
    batches_create,
    benchmark_main,
    database_prepare,
    database_url,
    gunicorn,
    gunicorn_settings,
    parse_wrk,
    products_register,
    shift_task,
    wrk_run,
)

LUA_SCRIPT = BENCH / "aggregate.lua"

BENCH_DB = "mes_bench"
DATABASE_URL = database_url(BENCH_DB)

BATCH_NUMBER, BATCH_DATE = 424242, "2024-01-30"
BULK_SIZE = 100_000
CODES_PER_THREAD = 50_000  # per wrk thread per run: 5,000 scans/s per thread for 10 s, far above any rate seen
LOADS = [(1, 1), (16, 2)]  # (connections, wrk threads)

TARGET_SCANS = 1000
TARGET_P99_MS = 50
TARGET_RATIO = 0.5
TARGET_BULK_S = 5


def prepare_database(env: dict) -> str:
    """A fresh, migrated bench database; returns a supervisor API token."""
    return database_prepare(BENCH_DB, env)


def aggregated_count(prefix: str) -> int:
    with psycopg.connect(DATABASE_URL) as conn:
        query = "SELECT count(*) FROM products WHERE is_aggregated AND unique_code LIKE %s"
        return conn.execute(query, (prefix + "-%",)).fetchone()[0]


def batch_create(base: str, token: str) -> int:
    return batches_create(base, token, [shift_task(batch_number=BATCH_NUMBER, batch_date=BATCH_DATE)])[0]


def codes_for(prefix: str, threads: int) -> list[str]:
    """The codes aggregate.lua sends for one run: <prefix>-<thread>-<1..CODES_PER_THREAD>."""
    return [f"{prefix}-{t}-{n}" for t in range(threads) for n in range(1, CODES_PER_THREAD + 1)]


def codes_register(base: str, token: str, codes: list[str]) -> list[float]:
    """Register codes through 1C's bulk form, BULK_SIZE per request; returns each request's seconds."""
    items = [(code, BATCH_NUMBER, BATCH_DATE) for code in codes]
    return products_register(base, token, items, chunk_size=BULK_SIZE)


def wrk(url: str, token: str, prefix: str, connections: int, threads: int, seconds: int) -> WrkResult:
    output = wrk_run(LUA_SCRIPT, url, connections, threads, seconds, [token, prefix, str(CODES_PER_THREAD)])
    return parse_wrk(output)


def measure(server: Server, path: str, token: str, prefix: str, load: tuple[int, int], args) -> WrkResult:
    """Warm up, then measure; each with its own codes (<prefix>-W<connections>, <prefix>-R<connections>)."""
    connections, threads = load
    url = server.base + path
    warmup = wrk(url, token, f"{prefix}-W{connections}", connections, threads, args.warmup)
    if warmup.non_2xx or warmup.socket_errors:
        raise BenchError(f"{server.name} warm-up at {connections} connections: {warmup}")
    return wrk(url, token, f"{prefix}-R{connections}", connections, threads, args.duration)


def print_runs(results: dict, checks: dict, settings: str, duration: int, warmup: int) -> None:
    print(f"\nBoth apps: gunicorn {settings} (sync workers close the connection after each response)")
    shapes = ", ".join(f"-t{threads} -c{connections}" for connections, threads in LOADS)
    print(f"wrk --latency: {shapes}; {duration} s each, after a {warmup} s warm-up of the same shape\n")
    print(f"{'app':<6} {'clients':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'sock err':>8}")
    for (app, connections), r in results.items():
        figures = f"{r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.non_2xx:>8} {r.socket_errors:>8}"
        print(f"{app:<6} {connections:>7} {figures}")
    print()
    for connections, _ in LOADS:
        ratio = results[("ours", connections)].rps / results[("floor", connections)].rps
        wrk_ok, in_db = checks[connections]
        print(f"{connections:>2} clients: ratio ours/floor {ratio:.2f}; ", end="")
        print(f"ours: wrk counted {wrk_ok} 2xx scans, the database shows {in_db} aggregated")


def print_targets(results: dict, bulk: list[float]) -> None:
    print("\nbulk POST /products (1C form): " + ", ".join(f"{BULK_SIZE:,} codes in {t:.2f} s" for t in bulk))
    ours, floor = results[("ours", 16)], results[("floor", 16)]
    ratio = ours.rps / floor.rps
    rows = [
        ("16 clients: ours scans/s", f"{ours.rps:.0f}", f">= {TARGET_SCANS:,}", ours.rps >= TARGET_SCANS),
        ("16 clients: ours p99", f"{ours.p99_ms:.1f} ms", f"< {TARGET_P99_MS} ms", ours.p99_ms < TARGET_P99_MS),
        ("16 clients: ratio ours/floor", f"{ratio:.2f}", f">= {TARGET_RATIO}", ratio >= TARGET_RATIO),
        (f"bulk {BULK_SIZE:,} codes, one POST", f"{bulk[0]:.2f} s", f"< {TARGET_BULK_S} s", bulk[0] < TARGET_BULK_S),
    ]
    print(f"\n{'target':<32} {'measured':>10} {'target':>10}  met")
    for label, measured, target, met in rows:
        print(f"{label:<32} {measured:>10} {target:>10}  {'yes' if met else 'NO'}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers for both apps (default 2)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each run (default 3)")
    return parser.parse_args()


def seed(ours: Server, token: str) -> tuple[int, list[float]]:
    """One batch and every code the wrk runs will scan; returns the batch id and each bulk POST's seconds."""
    batch_id = batch_create(ours.base, token)
    codes = [c for conns, threads in LOADS for kind in "WR" for c in codes_for(f"BENCH-{kind}{conns}", threads)]
    print(f"registering {len(codes):,} codes in batch {batch_id}, {BULK_SIZE:,} per request ...", flush=True)
    return batch_id, codes_register(ours.base, token, codes)


def drive(ours: Server, floor: Server, token: str, batch_id: int, args) -> tuple[dict, dict]:
    """wrk at each load, ours then floor; checks: per load, (2xx scans wrk saw, aggregated in the database)."""
    path = f"/api/v1/batches/{batch_id}/aggregate"
    results, checks = {}, {}
    for load in LOADS:
        connections = load[0]
        for server, prefix in ((ours, "BENCH"), (floor, "FLOOR")):
            print(f"wrk: {server.name} at {connections} connections ...", flush=True)
            results[(server.name, connections)] = measure(server, path, token, prefix, load, args)
        scanned = results[("ours", connections)]
        checks[connections] = (scanned.requests - scanned.non_2xx, aggregated_count(f"BENCH-R{connections}"))
    return results, checks


def run(args, env: dict, log_dir: Path) -> int:
    token = prepare_database(env)
    common = {"workers": args.workers, "env": env, "log_dir": log_dir}
    with (
        gunicorn("ours", "wsgi:app", health_path="/api/v1/health", **common) as ours,
        gunicorn("floor", "floor_app:app", health_path="/health", chdir=BENCH, **common) as floor,
    ):
        batch_id, bulk = seed(ours, token)
        results, checks = drive(ours, floor, token, batch_id, args)

    print_runs(results, checks, " ".join(gunicorn_settings(args.workers)), args.duration, args.warmup)
    print_targets(results, bulk)
    failures = sum(r.non_2xx + r.socket_errors for r in results.values())
    failures += sum(1 for wrk_ok, in_db in checks.values() if in_db < wrk_ok)
    if failures:
        print("\nBROKEN: non-2xx responses, socket errors or scans missing from the database; see above.")
        return 2
    return 0


def main() -> int:
    return benchmark_main(run, parse_args(), BENCH_DB)


if __name__ == "__main__":
    sys.exit(main())
