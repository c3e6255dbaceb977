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

With --with-worker, the cost of webhooks' outbox to the scan path: after the runs above, cases at 16 clients,
each ours with codes of its own (registered after the runs above, which stay as they were) and then the floor
right after it. Before the first, every event is marked dispatched, `events` vacuumed and a CHECKPOINT taken,
as a production worker, autovacuum and time would have left them; `events` is vacuumed again before each case.
  (a) no worker, as above;
  (b) one real `flask --app wsgi worker` on REDIS_URL: its dispatcher thread claims the new events (every
      0.5 s when idle, straight away again after a round that found some) and marks them dispatched with an
      UPDATE; no subscription;
  (c) the same worker and one active subscription to product_aggregated at a receiver on 127.0.0.1 answering
      200 (tests/webhook_receiver.py, threads of this process): every scan becomes a delivery the worker sends;
  (a2) no worker again, once it is stopped: how far the machine drifted meanwhile.
For (b) and (c) it checks that every event is dispatched within DISPATCH_WAIT_S after the load ends and counts
the dispatcher's rounds (distinct dispatched_at); for (c), that every scan's delivery is delivered and received
within DELIVER_WAIT_S. It prints the CPU per scan of gunicorn, PostgreSQL (the dispatcher's connection
included), the worker and this process (the receiver). REDIS_URL is taken from the environment, as the web app
takes it (the production shape), and the worker uses the same; unset, a redis-server of the benchmark's own
is started and REDIS_URL set for the whole run. A Redis database where RQ workers already listen or mes_web
jobs wait is refused (they would take our deliveries, or we theirs).

Run from the repository root (takes about two minutes; four more with --with-worker):

    .venv/bin/python bench/aggregate.py [--workers 2] [--duration 10] [--warmup 3] [--with-worker]

It creates the PostgreSQL database mes_bench on 127.0.0.1:5432 (dropped first if it exists, and
dropped again at the end), migrates it, and uses a temporary MES_INSTANCE_PATH.

Exit status: 0 when the benchmark ran cleanly, whether or not the targets are met; 1 when something
broke (a server did not start, seeding failed); 2 when wrk saw non-2xx responses or socket errors,
or the database holds fewer aggregated codes than wrk counted 2xx scans, or (--with-worker) events
stayed undispatched or deliveries undelivered.
"""

import argparse
import os
import signal
import sys
import time
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from harness import (
    BENCH,
    ROOT,
    BenchError,
    CpuMeter,
    Server,
    WrkResult,
    _machine_jiffies,
    _process_jiffies,
    batches_create,
    benchmark_main,
    database_prepare,
    database_url,
    encode,
    flask_cli,
    gunicorn,
    gunicorn_settings,
    http_request,
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

# --with-worker, at 16 clients: (key, what runs beside ours, code prefix, a worker, a product_aggregated subscription).
# (a) again at the end, the worker stopped: the machine drifts over minutes, and the two (a) show by how much.
WORKER_LOAD = LOADS[-1]
WORKER_CASES = [
    ("a", "no worker", "CASEA", False, False),
    ("b", "worker, no subscription", "CASEB", True, False),
    ("c", "worker, 1 subscription", "CASEC", True, True),
    ("a2", "no worker again", "CASEA2", False, False),
]
DISPATCH_WAIT_S = 30  # after the load ends, every event dispatched within this
DELIVER_WAIT_S = 600  # and, in (c), every delivery delivered
DRAIN_POLL_S = 0.1


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


def measure(server: Server, path: str, token: str, prefix: str, load: tuple[int, int], args, meter=None) -> WrkResult:
    """Warm up, then measure (inside `meter`, if given); each with its own codes (<prefix>-W<n>, <prefix>-R<n>)."""
    connections, threads = load
    url = server.base + path
    warmup = wrk(url, token, f"{prefix}-W{connections}", connections, threads, args.warmup)
    if warmup.non_2xx or warmup.socket_errors:
        raise BenchError(f"{server.name} warm-up at {connections} connections: {warmup}")
    with meter or nullcontext():
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
    parser.add_argument(
        "--with-worker",
        action="store_true",
        help="then at 16 clients: no worker, a `flask worker` running, and one with a product_aggregated webhook",
    )
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


class CaseCpu(CpuMeter):
    """CpuMeter, plus the worker's CPU and this process's own (the receiver's threads) meanwhile.

    The worker is no part of the server here: others_share leaves it out, as it leaves out this process.
    """

    def __init__(self, server: Server, database: str, worker_pid: int | None):
        super().__init__(server, database)
        self.worker_pid, self.worker_seconds, self.own_seconds = worker_pid, 0.0, 0.0

    def _side(self) -> tuple[int, float, int]:
        times = os.times()
        worker = _process_jiffies(self.worker_pid) if self.worker_pid else 0
        return worker, times.user + times.system, _machine_jiffies()[1]

    def __enter__(self):
        self._side_before = self._side()
        return super().__enter__()

    def __exit__(self, *exc_info):
        super().__exit__(*exc_info)
        (worker, own, total), (worker_0, own_0, total_0) = self._side(), self._side_before
        hz = os.sysconf("SC_CLK_TCK")
        self.worker_seconds, self.own_seconds = (worker - worker_0) / hz, own - own_0
        if total > total_0:
            self.others_share = max(0.0, self.others_share - (worker - worker_0) / (total - total_0))
        return False


@dataclass
class Case:
    key: str
    label: str
    ours: WrkResult
    cpu: CaseCpu
    floor: WrkResult | None = None  # measured right after ours (and the drain checks)
    in_db: int = 0  # codes of the measured run the database shows aggregated
    undispatched_at_end: int | None = None  # events not yet dispatched when the load ended
    dispatched_after_s: float | None = None  # from the end of the load until none was left (None: not within)
    expected: int = 0  # (c): deliveries there should be, one per aggregated code of the case (warm-up included)
    statuses: dict = field(default_factory=dict)  # (c): delivery status -> count
    delivered_after_s: float | None = None
    received: int = 0  # (c): distinct webhook-id the receiver got
    delivered_per_s: float = 0.0  # (c): deliveries / (last delivered_at - first created_at)
    rounds: int = 0  # dispatcher rounds that took the case's events (distinct dispatched_at), warm-up included
    round_events: int = 0  # and how many events they took

    @property
    def wrk_ok(self) -> int:
        return self.ours.requests - self.ours.non_2xx

    @property
    def wrong(self) -> list[str]:
        problems = [] if self.in_db >= self.wrk_ok else [f"{self.wrk_ok - self.in_db} scans missing"]
        if self.ours.non_2xx or self.ours.socket_errors:
            problems.append(f"{self.ours.non_2xx} non-2xx, {self.ours.socket_errors} socket errors")
        if self.undispatched_at_end is not None and self.dispatched_after_s is None:
            problems.append(f"events still undispatched {DISPATCH_WAIT_S} s after the load")
        if self.expected and (self.statuses.get("delivered", 0) != self.expected or self.received != self.expected):
            problems.append(
                f"{self.expected} deliveries expected, {self.statuses} in the database, {self.received} received"
            )
        return problems


def sql_one(query: str, *params):
    with psycopg.connect(DATABASE_URL) as conn:
        return conn.execute(query, params).fetchone()


def events_settle() -> int:
    """What a worker and autovacuum would long have done: every event dispatched, `events` vacuumed; how many marked.

    Then a CHECKPOINT: the pages the bulk registration dirtied are written now, not during (a).
    """
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        marked = conn.execute("UPDATE events SET dispatched_at = occurred_at WHERE dispatched_at IS NULL").rowcount
        conn.execute("VACUUM ANALYZE events")
        conn.execute("CHECKPOINT")
    return marked


def events_vacuum() -> None:
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE events")


def undispatched_wait(limit_s: float) -> tuple[int, float | None]:
    """(events undispatched now, seconds until none is left, None if not within limit_s)."""
    began, first = time.monotonic(), None
    while time.monotonic() - began < limit_s:
        left = sql_one("SELECT count(*) FROM events WHERE dispatched_at IS NULL")[0]
        first = left if first is None else first
        if left == 0:
            return first, time.monotonic() - began
        time.sleep(DRAIN_POLL_S)
    return first, None


def delivered_wait(expected: int, limit_s: float) -> tuple[dict, float | None]:
    """(delivery status -> count, seconds until `expected` were delivered, None if not within limit_s)."""
    began = time.monotonic()
    while True:
        with psycopg.connect(DATABASE_URL) as conn:
            statuses = dict(conn.execute("SELECT status, count(*) FROM webhook_deliveries GROUP BY 1").fetchall())
        if statuses.get("delivered", 0) >= expected:
            return statuses, time.monotonic() - began
        if time.monotonic() - began > limit_s:
            return statuses, None
        time.sleep(DRAIN_POLL_S * 5)


def redis_check(url: str) -> None:
    """Refuse a Redis database where RQ workers listen or mes_web jobs wait: they would take or mix in ours."""
    from redis import Redis
    from rq import Queue, Worker

    from mes_web.jobs.queues import QUEUE_NAME, WEBHOOK_QUEUE_NAME

    redis = Redis.from_url(url, socket_timeout=5)
    workers = Worker.count(connection=redis)
    waiting = sum(Queue(name, connection=redis).count for name in (QUEUE_NAME, WEBHOOK_QUEUE_NAME))
    if workers or waiting:
        raise BenchError(
            f"{url} has {workers} RQ workers and {waiting} mes_web jobs waiting: use a database of its own"
        )


def worker_settings(stack: ExitStack, env: dict, log_dir: Path) -> dict:
    """REDIS_URL (the environment's, or a redis-server of our own) and the receiver's address allowed."""
    sys.path.insert(0, str(ROOT))  # mes_web, tests/webhook_receiver.py
    from jobs import redis_server

    url = env.get("REDIS_URL") or stack.enter_context(redis_server(log_dir))
    redis_check(url)
    print(f"REDIS_URL={url} ({'from the environment' if env.get('REDIS_URL') else 'a redis-server of our own'})")
    return {"REDIS_URL": url, "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}


def worker_start(stack: ExitStack, env: dict, log_dir: Path):
    """One `flask --app wsgi worker`, stopped by the stack; returned once RQ lists it."""
    from jobs import RqWorker
    from redis import Redis
    from rq import Worker

    worker, redis = RqWorker(env, log_dir / "worker.log", burst=False), Redis.from_url(env["REDIS_URL"])
    stack.callback(worker.stop)
    deadline = time.monotonic() + 60
    while Worker.count(connection=redis) < 1 or worker.pid is None:
        if worker.time.poll() is not None or time.monotonic() > deadline:
            tail = (log_dir / "worker.log").read_text(errors="replace")[-3000:]
            raise BenchError(f"the worker did not start:\n{tail}")
        time.sleep(0.05)
    return worker


def subscription_create(base: str, admin_token: str, url: str) -> int:
    body = encode({"url": url, "events": ["product_aggregated"]})
    status, answer = http_request("POST", f"{base}/api/v1/webhooks", body, admin_token)
    if status != 201:
        raise BenchError(f"POST /webhooks answered {status}: {answer}")
    return answer["id"]


def codes_for_cases(base: str, token: str) -> None:
    connections, threads = WORKER_LOAD
    prefixes = [f"{case[2]}-{kind}{connections}" for case in WORKER_CASES for kind in "WR"]
    codes = [code for prefix in prefixes for code in codes_for(prefix, threads)]
    print(f"registering {len(codes):,} codes for the cases with a worker ...", flush=True)
    codes_register(base, token, codes)


def worker_cases(stack: ExitStack, ours: Server, floor: Server, token: str, batch_id: int, args, env, log_dir):
    """Each case at 16 clients: ours (CPU metered), the drain checks, then the floor."""
    from tests.webhook_receiver import WebhookReceiver

    path, connections = f"/api/v1/batches/{batch_id}/aggregate", WORKER_LOAD[0]
    codes_for_cases(ours.base, token)
    marked = events_settle()
    print(f"settled: {marked:,} events marked dispatched, `events` vacuumed, CHECKPOINT", flush=True)
    cases, worker = [], None
    for key, label, prefix, with_worker, subscribed in WORKER_CASES:
        if with_worker and worker is None:
            worker = worker_start(stack, env, log_dir)
            left, seconds = undispatched_wait(DISPATCH_WAIT_S)
            if seconds is None:
                raise BenchError(f"the worker left events undispatched {DISPATCH_WAIT_S} s after it started")
            print(f"worker {worker.pid} up; it dispatched the {left:,} events left undispatched in {seconds:.1f} s")
        if worker and not with_worker:
            worker.stop()
            worker = None
        events_vacuum()  # the dead rows of the previous case's dispatching
        receiver = None
        if subscribed:
            receiver = WebhookReceiver().start()
            stack.callback(receiver.stop)
            admin = flask_cli(env, "token", "create", "bench-admin", "--role", "admin").strip().splitlines()[-1]
            subscription_create(ours.base, admin, receiver.url("/scan"))
        print(f"wrk: ({key}) ours, {label}, at {connections} connections ...", flush=True)
        first_id = sql_one("SELECT coalesce(max(id), 0) FROM events")[0]
        meter = CaseCpu(ours, BENCH_DB, worker.pid if worker else None)
        case = Case(key, label, measure(ours, path, token, prefix, WORKER_LOAD, args, meter), meter)
        if worker:
            case.undispatched_at_end, case.dispatched_after_s = undispatched_wait(DISPATCH_WAIT_S)
            query = "SELECT count(DISTINCT dispatched_at), count(dispatched_at) FROM events WHERE id > %s"
            case.rounds, case.round_events = sql_one(query, first_id)
        if receiver:
            case.expected = aggregated_count(prefix)
            case.statuses, case.delivered_after_s = delivered_wait(case.expected, DELIVER_WAIT_S)
            time.sleep(0.5)
            case.received = len({request.headers["webhook-id"] for request in receiver.requests})
            query = "SELECT count(*), extract(epoch FROM max(delivered_at) - min(created_at)) FROM webhook_deliveries"
            delivered, span = sql_one(query + " WHERE status = 'delivered'")
            case.delivered_per_s = delivered / float(span) if span else 0.0
        case.in_db = aggregated_count(f"{prefix}-R{connections}")
        print(f"wrk: ({key}) floor at {connections} connections ...", flush=True)
        case.floor = measure(floor, path, token, f"FLOOR{key.upper()}", WORKER_LOAD, args)
        cases.append(case)
    return cases


def print_cases(cases: list[Case]) -> None:
    print(f"\n--with-worker, {WORKER_LOAD[0]} clients; each case ours, then the floor right after it")
    print("CPU per scan of the measured run, ms: gunicorn, PostgreSQL (every backend of the bench database, the")
    print("dispatcher's included), the worker, this process (the receiver); and other processes' share of the machine")
    head = f"{'case':<30} {'scans/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'floor/s':>8} {'ratio':>6}"
    print(f"\n{head} {'app':>5} {'pg':>5} {'worker':>6} {'recv':>5} {'others':>6}")
    for case in cases:
        ours, cpu, per = case.ours, case.cpu, 1000 / max(1, case.ours.requests)
        figures = f"{ours.rps:>8.0f} {ours.p50_ms:>7.2f} {ours.p99_ms:>7.2f} {case.floor.rps:>8.0f}"
        figures += f" {ours.rps / case.floor.rps:>6.2f} {cpu.app_seconds * per:>5.2f} {cpu.db_seconds * per:>5.2f}"
        figures += f" {cpu.worker_seconds * per:>6.2f} {cpu.own_seconds * per:>5.2f} {cpu.others_share:>6.0%}"
        print(f"{f'({case.key}) {case.label}':<30} {figures}")
    print()
    for case in cases:
        notes = [f"wrk counted {case.wrk_ok} 2xx scans, the database shows {case.in_db} aggregated"]
        if case.undispatched_at_end is not None:
            after = f"{case.dispatched_after_s:.1f} s" if case.dispatched_after_s is not None else "NOT within the wait"
            notes.append(f"{case.undispatched_at_end} events undispatched when the load ended, none after {after}")
            per_round = case.round_events / max(1, case.rounds)
            notes.append(f"the dispatcher took them in {case.rounds:,} rounds, {per_round:.1f} events a round")
        if case.expected:
            after = f"{case.delivered_after_s:.1f} s" if case.delivered_after_s is not None else "NOT within the wait"
            notes.append(
                f"deliveries {case.statuses} of {case.expected} expected, all delivered {after} after the load"
                f" ended ({case.delivered_per_s:.0f} a second); the receiver got {case.received} distinct webhook-ids"
            )
        print(f"({case.key}): " + "; ".join(notes))


def run(args, env: dict, log_dir: Path) -> int:
    with ExitStack() as stack:
        if args.with_worker:
            env = env | worker_settings(stack, env, log_dir)
        token = prepare_database(env)
        common = {"workers": args.workers, "env": env, "log_dir": log_dir}
        ours = stack.enter_context(gunicorn("ours", "wsgi:app", health_path="/api/v1/health", **common))
        floor = stack.enter_context(gunicorn("floor", "floor_app:app", health_path="/health", chdir=BENCH, **common))
        batch_id, bulk = seed(ours, token)
        results, checks = drive(ours, floor, token, batch_id, args)
        cases = worker_cases(stack, ours, floor, token, batch_id, args, env, log_dir) if args.with_worker else []

    print_runs(results, checks, " ".join(gunicorn_settings(args.workers)), args.duration, args.warmup)
    print_targets(results, bulk)
    if cases:
        print_cases(cases)
    failures = sum(r.non_2xx + r.socket_errors for r in results.values())
    failures += sum(1 for wrk_ok, in_db in checks.values() if in_db < wrk_ok)
    failures += sum(len(case.wrong) for case in cases)
    if failures:
        problems = "; ".join(f"({case.key}) {problem}" for case in cases for problem in case.wrong)
        print("\nBROKEN: non-2xx responses, socket errors or scans missing from the database; see above. " + problems)
        return 2
    return 0


def main() -> int:
    return benchmark_main(run, parse_args(), BENCH_DB)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the finally blocks: stop the servers, drop the db
    sys.exit(main())
