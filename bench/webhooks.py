"""Benchmark webhook fan-out (issue 5): 1,000 events to 5 subscriptions, delivered by two workers in < 20 s.

A fresh PostgreSQL database (mes_bench_webhooks, dropped before and after), a redis-server of its own on a free
port (bench/jobs.py's), and a threaded HTTP receiver on 127.0.0.1 (tests/webhook_receiver.py) that answers 200
and records every request; each of the 5 subscriptions (webhook_create, every event type) has its own path.
Two `flask --app wsgi worker` processes are started and waited for until RQ lists both (idle, dispatcher
polling). Then one batches_upsert of 1,000 1C shift tasks commits 1,000 batch_created events in this process,
the way a POST /api/v1/batches from 1C would; the clock starts when that call has returned (committed).
  * all delivered: the latest delivered_at once every one of the 5,000 deliveries is `delivered` (polled every
    50 ms), minus the commit; also when the last event was dispatched and the receiver saw its last request;
  * latency: receiver arrival - the event's occurred_at (occurred_at is set inside the transaction, before the
    commit), p50/p95;
  * per delivery (from the rows): claim -> POST start, the POST (latency_ms), POST end -> delivered_at;
  * CPU seconds of the workers, PostgreSQL backends, redis-server, this process (receiver and poller), and the
    share of the machine other processes used meanwhile.
Checks: the receiver got exactly the 5,000 expected (webhook-id, path) pairs (lost = 0, none unexpected),
duplicate requests received, and duplicates recorded as success (more than one 2xx attempt of a delivery,
or more than one delivered row for a (subscription, event)) = 0.
Target: all delivered < 20 s after the commit.  Run: .venv/bin/python bench/webhooks.py [--keep-database]
Exit status: 0 ran (target met or not), 1 something broke, 2 a wrong answer (lost, duplicated, failed).
"""

import argparse
import os
import signal
import statistics
import sys
import time
from collections import Counter
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import psycopg
from harness import (
    ROOT,
    BenchError,
    _database_backends,
    _machine_jiffies,
    _process_group,
    _process_jiffies,
    benchmark_main,
    database_prepare,
    database_url,
    shift_task,
)
from jobs import RqWorker, redis_server
from redis import Redis
from rq import Worker

sys.path.insert(0, str(ROOT))
from tests.webhook_receiver import WebhookReceiver  # noqa: E402

BENCH_DB = "mes_bench_webhooks"
EVENTS, SUBSCRIPTIONS, WORKERS = 1_000, 5, 2
DELIVERIES = EVENTS * SUBSCRIPTIONS
TARGET_S, GIVE_UP_S, POLL_S = 20.0, 180.0, 0.05
SETTLE_S = 1.0  # after the last delivery, how long to keep listening for late duplicates


def in_process_app(env: dict):
    """The app in this process, configured as the workers are, for the services that seed."""
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "MES_INSTANCE_PATH", "REDIS_URL")})
    os.environ["WEBHOOK_ALLOWED_HOSTS"] = env["WEBHOOK_ALLOWED_HOSTS"]
    from mes_web import create_app

    return create_app()


def subscriptions_create(app, receiver: WebhookReceiver) -> dict[int, str]:
    """Five subscriptions to every event type, each at a path of its own; {subscription id: path}."""
    from mes_web.services.transaction import SYSTEM
    from mes_web.services.webhooks import EVENT_TYPES, webhook_create

    paths = {}
    with app.app_context():
        for n in range(1, SUBSCRIPTIONS + 1):
            payload = {"url": receiver.url(f"/hook-{n}"), "events": list(EVENT_TYPES)}
            subscription, _ = webhook_create(payload=payload, actor=SYSTEM)
            paths[subscription.id] = f"/hook-{n}"
    return paths


def events_commit(app) -> tuple[float, float]:
    """1,000 new batches from 1C in one batches_upsert: 1,000 batch_created events; (its seconds, commit time)."""
    from mes_web.extensions import db
    from mes_web.services.batches import batches_upsert
    from mes_web.services.transaction import SYSTEM

    today = date.today().isoformat()
    tasks = [shift_task(batch_number=700_000 + n, batch_date=today) for n in range(EVENTS)]
    with app.app_context():
        began = time.perf_counter()
        created = batches_upsert(payload=tasks, actor=SYSTEM)
        committed, seconds = time.time(), time.perf_counter() - began
        db.session.remove()
    if sum(new for _, new in created) != EVENTS:
        raise BenchError(f"batches_upsert created {sum(new for _, new in created)} batches, not {EVENTS}")
    return seconds, committed


def workers_start(stack: ExitStack, env: dict, instance: Path) -> tuple[list[RqWorker], float]:
    """Two workers, stopped by the stack; returns them once RQ lists both, and how long that took."""
    began, redis = time.perf_counter(), Redis.from_url(env["REDIS_URL"])
    workers = []
    for n in range(1, WORKERS + 1):
        workers.append(RqWorker(env, instance / f"worker-{n}.log", burst=False))
        stack.callback(workers[-1].stop)
    deadline = time.monotonic() + 60
    while Worker.count(connection=redis) < WORKERS:
        if any(w.time.poll() is not None for w in workers) or time.monotonic() > deadline:
            raise BenchError(f"the workers did not start; see {instance}/worker-*.log")
        time.sleep(0.05)
    return workers, time.perf_counter() - began


class CpuSeconds:
    """CPU seconds of the workers, the database backends, redis-server and this process; others' share."""

    def __init__(self, workers: list[RqWorker], redis_pid: int):
        self.workers, self.redis_pid = workers, redis_pid

    def _snapshot(self) -> dict:
        worker_pids = [pid for w in self.workers for pid in _process_group(w.time.pid)]
        times = os.times()
        return {
            "workers": {pid: _process_jiffies(pid) for pid in worker_pids},
            "postgres": {pid: _process_jiffies(pid) for pid in _database_backends(BENCH_DB)},
            "redis": {self.redis_pid: _process_jiffies(self.redis_pid)},
            "this process (receiver, poller)": {0: round((times.user + times.system) * os.sysconf("SC_CLK_TCK"))},
        }

    def __enter__(self):
        self.machine, self.before = _machine_jiffies(), self._snapshot()
        return self

    def __exit__(self, *exc_info):
        hz, after = os.sysconf("SC_CLK_TCK"), self._snapshot()
        used = {
            name: sum(max(0, j - self.before[name].get(pid, 0)) for pid, j in after[name].items()) for name in after
        }
        busy, total = (now - then for now, then in zip(_machine_jiffies(), self.machine, strict=True))
        self.seconds = {name: jiffies / hz for name, jiffies in used.items()}
        self.others_share = max(0, busy - sum(used.values())) / total if total else 0.0
        return False


def deliveries_follow(conn, committed: float) -> list[tuple[float, int, int]]:
    """Poll until all deliveries are delivered; the timeline of (seconds, dispatched events, delivered)."""
    timeline, deadline = [], time.monotonic() + GIVE_UP_S
    while time.monotonic() < deadline:
        dispatched, delivered = conn.execute(
            "SELECT (SELECT count(*) FROM events WHERE dispatched_at IS NOT NULL),"
            " (SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered')"
        ).fetchone()
        timeline.append((time.time() - committed, dispatched, delivered))
        if delivered >= DELIVERIES:
            return timeline
        time.sleep(POLL_S)
    return timeline


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered) + 0.5) - 1)] if ordered else float("nan")


def database_figures(conn, committed: float) -> dict:
    """What the rows say: when dispatching and delivering ended, statuses, duplicates, per-delivery phases."""
    one = lambda sql: conn.execute(sql).fetchone()  # noqa: E731
    figures = {
        "dispatched_s": one("SELECT extract(epoch FROM max(dispatched_at)) FROM events")[0],
        "delivered_s": one("SELECT extract(epoch FROM max(delivered_at)) FROM webhook_deliveries")[0],
        "statuses": dict(conn.execute("SELECT status, count(*) FROM webhook_deliveries GROUP BY 1").fetchall()),
        "rows_doubled": one(
            "SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries WHERE status = 'delivered'"
            " GROUP BY subscription_id, event_id HAVING count(*) > 1) d"
        )[0],
        "successes_doubled": one(
            "SELECT count(*) FROM (SELECT 1 FROM webhook_attempts WHERE status_code BETWEEN 200 AND 299"
            " GROUP BY delivery_id HAVING count(*) > 1) d"
        )[0],
        "attempts": one("SELECT count(*) FROM webhook_attempts")[0],
    }
    for key in ("dispatched_s", "delivered_s"):
        figures[key] = float(figures[key]) - committed if figures[key] is not None else float("nan")
    phases = conn.execute(
        "SELECT extract(epoch FROM a.attempted_at - d.last_attempt_at) * 1000, a.latency_ms,"
        " extract(epoch FROM d.delivered_at - a.attempted_at) * 1000 - a.latency_ms"
        " FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id WHERE d.status = 'delivered'"
    ).fetchall()
    figures["phases_ms"] = [[float(row[n]) for row in phases] for n in range(3)]
    return figures


def receiver_figures(conn, receiver: WebhookReceiver, paths: dict[int, str], committed: float) -> dict:
    """Lost, unexpected and duplicate (webhook-id, path) pairs; the last arrival; arrival - occurred_at."""
    occurred = dict(conn.execute("SELECT 'evt_' || id, extract(epoch FROM occurred_at) FROM events").fetchall())
    requests = receiver.requests
    pairs = Counter((request.headers["webhook-id"], request.path) for request in requests)
    expected = {(message_id, path) for message_id in occurred for path in paths.values()}
    ages = [request.at - float(occurred[request.headers["webhook-id"]]) for request in requests]
    return {
        "requests": len(requests),
        "distinct": len(pairs),
        "lost": len(expected - set(pairs)),
        "unexpected": len(set(pairs) - expected),
        "duplicates": sum(count - 1 for count in pairs.values()),
        "last_s": max((request.at for request in requests), default=committed) - committed,
        "age_p50_s": percentile(ages, 0.5),
        "age_p95_s": percentile(ages, 0.95),
    }


def timeline_marks(timeline: list[tuple[float, int, int]]) -> str:
    """When the delivered count crossed each fifth of the total, and when every event was dispatched."""
    marks = [f"events dispatched at {next((t for t, d, _ in timeline if d >= EVENTS), float('nan')):.2f} s"]
    for share in (0.2, 0.4, 0.6, 0.8, 1.0):
        at = next((t for t, _, n in timeline if n >= DELIVERIES * share), float("nan"))
        marks.append(f"{share:.0%} delivered at {at:.2f} s")
    return "; ".join(marks) + " (polled)"


def report(db: dict, got: dict, cpu: CpuSeconds, upsert_s: float, ready_s: float) -> int:
    total = db["delivered_s"]
    print(f"\n{'figure':<52} {'measured':>10} {'target':>8}")
    verdict = "PASS" if total < TARGET_S else "FAIL"
    print(f"{'all 5,000 delivered, from the commit':<52} {total:>8.2f} s {f'< {TARGET_S:g} s':>8}  {verdict}")
    rows = [
        ("last event taken by a dispatcher (max dispatched_at)", f"{db['dispatched_s']:.2f} s"),
        ("receiver's last request", f"{got['last_s']:.2f} s"),
        ("deliveries per second (5,000 / all delivered)", f"{DELIVERIES / total:.0f}"),
        ("arrival - occurred_at, p50", f"{got['age_p50_s']:.2f} s"),
        ("arrival - occurred_at, p95", f"{got['age_p95_s']:.2f} s"),
    ]
    for label, value in rows:
        print(f"{label:<52} {value:>10}")
    claim, post, record = (statistics.median(values) if values else float("nan") for values in db["phases_ms"])
    print(
        f"\nper delivery, medians: claimed -> POST started {claim:.1f} ms, POST {post:.1f} ms,"
        f" POST ended -> delivered_at {record:.1f} ms; worker wall time per delivery"
        f" {WORKERS * total * 1000 / DELIVERIES:.1f} ms"
    )
    cpu_text = ", ".join(f"{name} {s:.1f} s ({s * 1000 / DELIVERIES:.1f} ms)" for name, s in cpu.seconds.items())
    print(f"CPU from the commit to the end (per delivery): {cpu_text}; other processes {cpu.others_share:.0%}")
    print(
        f"setup: batches_upsert of {EVENTS:,} tasks {upsert_s:.2f} s; workers started -> both listed in RQ"
        f" {ready_s:.2f} s (not counted)"
    )
    wrong = {
        "received requests": (got["requests"], DELIVERIES),
        "distinct (webhook-id, path) pairs": (got["distinct"], DELIVERIES),
        "lost pairs": (got["lost"], 0),
        "unexpected pairs": (got["unexpected"], 0),
        "duplicate requests received": (got["duplicates"], 0),
        "duplicates recorded as success (2xx attempts)": (db["successes_doubled"], 0),
        "duplicates recorded as success (delivered rows)": (db["rows_doubled"], 0),
        "deliveries delivered": (db["statuses"].get("delivered", 0), DELIVERIES),
        "attempts recorded": (db["attempts"], DELIVERIES),
    }
    print("\nchecks: " + "; ".join(f"{label} {value:,}" for label, (value, _) in wrong.items()))
    print(f"delivery statuses: {db['statuses']}")
    bad = [f"{label} {value} (expected {want})" for label, (value, want) in wrong.items() if value != want]
    if bad:
        print("\nWRONG: " + "; ".join(bad))
        return 2
    return 0


def run(args, env: dict, instance: Path) -> int:
    with ExitStack() as stack:
        env |= {"REDIS_URL": stack.enter_context(redis_server(instance)), "SECRET_KEY": "bench-webhooks-secret"}
        env |= {"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}
        database_prepare(BENCH_DB, env)
        receiver = WebhookReceiver().start()
        stack.callback(receiver.stop)
        app = in_process_app(env)
        paths = subscriptions_create(app, receiver)
        workers, ready_s = workers_start(stack, env, instance)
        conn = stack.enter_context(psycopg.connect(database_url(BENCH_DB), autocommit=True))
        print(
            f"{EVENTS:,} events x {SUBSCRIPTIONS} subscriptions, {WORKERS} workers, {os.cpu_count()} CPUs", flush=True
        )
        with CpuSeconds(workers, Redis.from_url(env["REDIS_URL"]).info()["process_id"]) as cpu:
            upsert_s, committed = events_commit(app)
            timeline = deliveries_follow(conn, committed)
        time.sleep(SETTLE_S)
        figures = database_figures(conn, committed)
        got = receiver_figures(conn, receiver, paths, committed)
    print(timeline_marks(timeline))
    return report(figures, got, cpu, upsert_s, ready_s)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep-database", action="store_true", help=f"leave {BENCH_DB} for a look afterwards")
    args = parser.parse_args()
    hidden = ("REDIS_URL", "WEBHOOK_ALLOWED_HOSTS", "MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY")
    return benchmark_main(run, args, BENCH_DB, keep_database=args.keep_database, hide_env=hidden)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the finally blocks: stop the workers, drop the db
    sys.exit(main())
