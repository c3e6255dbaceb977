"""Benchmark the shop-floor screens: the station's scan and the batch board, as a browser drives them.

What it measures (mes_web under gunicorn on PostgreSQL, the settings of bench/aggregate.py)
  * station: POST /batches/{id}/scan the way the station page posts it: form body code=<code>,
             the session cookie of an operator signed in through the real form, X-CSRFToken read
             from hx-headers on <body>, HX-Request: true; answered with the fragment the page swaps
             in. --stations operators sign in; wrk (bench/station.lua) sends every request with a
             distinct registered code, round-robin over their sessions, at 1 connection (1 thread)
             and at 16 connections (2 threads), for --duration seconds after a --warmup of the same
             shape. Each run and each warm-up scans into its own open batch of --batch-units units
             (the fragment carries the batch's running count, so the batch size is part of the
             cost; the default is a realistic one). p95 comes from wrk's own latency histogram
             (station.lua's done()). An answer counts as ok only when it is a 200 whose fragment
             says data-result="ok"; the number of units the database shows as aggregated is
             compared with that count.
  * board:   the home page with --board-batches open batches over --work-centers work centers,
             --units units each, some of them aggregated (a different share per batch), seeded
             through the API (1C's bulk form and the list form of /aggregate). GET / (full page)
             and GET / with HX-Request: true (the fragment the board polls every few seconds),
             each --board-samples times in a row on a new connection each time, without
             If-None-Match (full renders), then as many times with the ETag in If-None-Match (the
             304 an unchanged board answers). Times are the client's wall clock from connect to
             the last byte. The page must hold one card (data-batch-id=) per open batch.

Targets (issue 3, "Speed"): scan p95 < 100 ms at 16 concurrent stations; the board of 200 open
batches rendered in under 150 ms (p95 of the full page).

The machine may be shared: for every measurement the report gives the share of the CPUs that
processes outside the benchmark used meanwhile (bench/harness.py's CpuMeter), and says so when it
is large.

Run from the repository root (takes about a minute and a half):

    .venv/bin/python bench/station.py [--workers 2] [--duration 10] [--warmup 3] [--batch-units 20000]
                                      [--board-batches 200] [--board-samples 50]   (--help for the rest)

It creates the PostgreSQL database mes_bench_station on 127.0.0.1:5432 (dropped first if it
exists, and dropped again at the end), migrates it, and uses a temporary MES_INSTANCE_PATH.

Exit status: 0 when the benchmark ran cleanly, whether or not the targets are met; 1 when something
broke (the server did not start, seeding or signing in failed); 2 when a scan was not accepted
(non-200, a refusal, socket errors), the database holds fewer aggregated codes than accepted scans,
or the board answered anything but 200/304 or did not show every open batch.
"""

import argparse
import http.client
import json
import math
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from harness import (
    BENCH,
    ROOT,
    VENV_BIN,
    BenchError,
    CpuMeter,
    Server,
    WrkResult,
    batches_create,
    benchmark_main,
    database_prepare,
    database_url,
    database_vacuum,
    encode,
    gunicorn,
    gunicorn_settings,
    http_request,
    parse_wrk,
    products_register,
    shift_task,
    wrk_run,
)

LUA_SCRIPT = BENCH / "station.lua"

BENCH_DB = "mes_bench_station"
DATABASE_URL = database_url(BENCH_DB)

PASSWORD = "bench-station"
STATION_BATCH_NUMBER = 515_000  # + 1, 2, ...: one batch per wrk run
LOADS = [(1, 1), (16, 2)]  # (connections, wrk threads)
BULK_SIZE = 100_000
AGGREGATE_CHUNK = 1_000  # the list form of /aggregate takes at most this many codes per call
BOARD_WARMUP = 10  # untimed requests of each shape first: each worker compiles its templates once

BUSY_SHARE = 0.10  # above this share of the CPU used by other processes, the report says so

TARGET_SCAN_P95_MS = 100
TARGET_BOARD_MS = 150


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str
    seconds: float


class Browser:
    """Cookies and forms over http.client: one connection per request, as gunicorn's sync workers close it."""

    def __init__(self, base: str):
        self.host_port = base.split("/")[2]
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict | None = None, headers: dict | None = None) -> Answer:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        conn = http.client.HTTPConnection(self.host_port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        seconds = time.perf_counter() - began
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return Answer(response.status, response.headers, raw.decode(errors="replace"), seconds)

    def sign_in(self, username: str, password: str) -> tuple[str, str]:
        """Sign in through the form; returns (session cookie, X-CSRFToken of the pages)."""
        page = self.request("GET", "/login")
        found = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page.text)
        if page.status != 200 or not found:
            raise BenchError(f"GET /login answered {page.status} without a csrf_token field")
        form = {"username": username, "password": password, "csrf_token": found[1]}
        signed = self.request("POST", "/login", form=form)
        if signed.status != 302:
            raise BenchError(f"POST /login as {username} answered {signed.status}, not a redirect")
        board = self.request("GET", "/")
        found = re.search(r"<body[^>]*\shx-headers='([^']*)'", board.text)
        if board.status != 200 or not found:
            raise BenchError(f"GET / after signing in as {username} answered {board.status} without hx-headers")
        csrf = json.loads(found[1]).get("X-CSRFToken")
        if not csrf or "session" not in self.cookies:
            raise BenchError(f"signing in as {username}: no X-CSRFToken or no session cookie")
        return self.cookies["session"], csrf


USERS_SNIPPET = """
import sys
from wsgi import app
from mes_web.services.access import user_create
with app.app_context():
    for name in sys.argv[2:]:
        user_create(username=name, password=sys.argv[1], role="operator")
"""


def users_create(env: dict, names: list[str]) -> None:
    """Operators, through the same service `flask user create` calls (one process for all of them)."""
    command = [str(VENV_BIN / "python"), "-c", USERS_SNIPPET, PASSWORD, *names]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"creating users failed:\n{done.stdout}{done.stderr}")


def db_scalar(query: str, params: tuple = ()) -> int:
    with psycopg.connect(DATABASE_URL) as conn:
        return conn.execute(query, params).fetchone()[0]


def aggregated_count(prefix: str) -> int:
    query = "SELECT count(*) FROM products WHERE is_aggregated AND unique_code LIKE %s"
    return db_scalar(query, (prefix + "-%",))


@dataclass
class StationBatch:
    """The batch one wrk run scans into: its units are exactly the codes station.lua sends."""

    prefix: str
    threads: int
    codes_per_thread: int
    id: int = 0


def station_codes(batch: StationBatch) -> list[str]:
    """<prefix>-<thread>-<1..codes_per_thread>, as station.lua builds them."""
    return [f"{batch.prefix}-{t}-{n}" for t in range(batch.threads) for n in range(1, batch.codes_per_thread + 1)]


def station_seed(base: str, token: str, args) -> dict[tuple[str, int], StationBatch]:
    """One open batch of --batch-units units per wrk run (warm-up W, measured R, per load), all to be scanned.

    Every scan answers with the batch's running count, so the size of the batch is part of what is
    measured: it is a realistic one ("tens of thousands of units"), not every code a run might need
    piled into one batch.
    """
    day = date.today().isoformat()
    batches = {}
    for connections, threads in LOADS:
        for kind in "WR":
            prefix = f"ST-{kind}{connections}"
            batches[(kind, connections)] = StationBatch(prefix, threads, args.batch_units // threads)
    tasks = [
        shift_task(batch_number=STATION_BATCH_NUMBER + n, batch_date=day, description=f"Станция {b.prefix}")
        for n, b in enumerate(batches.values(), start=1)
    ]
    for batch, batch_id in zip(batches.values(), batches_create(base, token, tasks), strict=True):
        batch.id = batch_id
    items = [
        (code, STATION_BATCH_NUMBER + n, day)
        for n, b in enumerate(batches.values(), start=1)
        for code in station_codes(b)
    ]
    print(f"registering {len(items):,} station codes in {len(batches)} batches ...", flush=True)
    products_register(base, token, items, chunk_size=BULK_SIZE)
    return batches


@dataclass
class BoardSeed:
    batches: int
    work_centers: int
    units: int
    aggregated: int


def board_seed(base: str, token: str, args) -> BoardSeed:
    """Open batches over a few work centers, both shifts, the last three days; a different share aggregated in each."""
    today = date.today()
    tasks, plan = [], []
    for i in range(args.board_batches):
        day = today - timedelta(days=i % 3)
        shift = "1" if i % 2 == 0 else "2"  # day shift 08-20, night shift 20-08
        start = f"{day}T08:00:00" if shift == "1" else f"{day}T20:00:00"
        end = f"{day}T20:00:00" if shift == "1" else f"{day + timedelta(days=1)}T08:00:00"
        wc = i % args.work_centers + 1
        number = 700_000 + i
        tasks.append(
            shift_task(
                batch_number=number,
                batch_date=day.isoformat(),
                work_center=f"Линия {wc:02d}",
                work_center_id=f"WC-BOARD-{wc:02d}",
                nomenclature=f"Изделие {i % 17 + 1} для доски",
                description=f"Задание {i + 1}",
                shift=shift,
                team=f"Бригада {i % 4 + 1}",
                shift_start=start,
                shift_end=end,
            )
        )
        plan.append((number, day.isoformat(), (i * 53) % (args.units + 1)))
    print(f"seeding the board: {len(tasks)} batches, {args.units} units each ...", flush=True)
    ids = batches_create(base, token, tasks)
    items = [(f"BOARD-{number}-{n}", number, day) for number, day, _ in plan for n in range(1, args.units + 1)]
    products_register(base, token, items, chunk_size=BULK_SIZE)
    aggregated = 0
    for batch_id, (number, _, count) in zip(ids, plan, strict=True):
        codes = [f"BOARD-{number}-{n}" for n in range(1, count + 1)]
        for start in range(0, len(codes), AGGREGATE_CHUNK):
            chunk = codes[start : start + AGGREGATE_CHUNK]
            url = f"{base}/api/v1/batches/{batch_id}/aggregate"
            status, answer = http_request("POST", url, encode({"unique_codes": chunk}), token)
            if status != 200 or not isinstance(answer, dict) or answer.get("aggregated") != len(chunk):
                raise BenchError(f"POST {url} of {len(chunk)} codes answered {status}: {str(answer)[:300]}")
            aggregated += len(chunk)
    return BoardSeed(len(ids), args.work_centers, len(items), aggregated)


@dataclass
class StationRun:
    wrk: WrkResult
    p95_ms: float
    ok: int
    bad: int
    first_bad: str
    in_db: int = 0
    others: float = 0.0  # share of the machine's CPU other processes used during the run
    app_cpu_ms: float = 0.0  # CPU of gunicorn and its workers per scan
    db_cpu_ms: float = 0.0  # CPU of their PostgreSQL backends per scan


def parse_station(output: str) -> StationRun:
    p95 = re.search(r"^station: p95_us (\d+)$", output, re.MULTILINE)
    counts = re.search(r"^station: ok (\d+) bad (\d+)$", output, re.MULTILINE)
    first_bad = re.search(r"^station: first_bad (.*)$", output, re.MULTILINE)
    if not (p95 and counts):
        raise BenchError(f"cannot read station.lua's lines in wrk output:\n{output}")
    return StationRun(
        wrk=parse_wrk(output),
        p95_ms=int(p95[1]) / 1000,
        ok=int(counts[1]),
        bad=int(counts[2]),
        first_bad=first_bad[1] if first_bad else "",
    )


def station_wrk(server: Server, batch: StationBatch, sessions: list[tuple[str, str]], connections: int, seconds: int):
    url = f"{server.base}/batches/{batch.id}/scan"
    script_args = [batch.prefix, str(batch.codes_per_thread), *(value for pair in sessions for value in pair)]
    return parse_station(wrk_run(LUA_SCRIPT, url, connections, batch.threads, seconds, script_args))


def station_probe(server: Server, batch_id: int, session: tuple[str, str]) -> None:
    """One scan of an unknown code through the same headers: a red fragment proves the session and CSRF work."""
    browser = Browser(server.base)
    browser.cookies["session"] = session[0]
    answer = browser.request(
        "POST",
        f"/batches/{batch_id}/scan",
        form={"code": "ST-PROBE-UNKNOWN"},
        headers={"X-CSRFToken": session[1], "HX-Request": "true"},
    )
    if answer.status != 404 or 'data-result="bad"' not in answer.text:
        raise BenchError(f"probe scan answered {answer.status}, not the red fragment: {answer.text[:300]}")


def station_drive(server: Server, batches: dict, sessions: list[tuple[str, str]], args) -> dict[int, StationRun]:
    """Per load: warm up, then measure; each in its own batch (ST-W<connections>, ST-R<connections>)."""
    runs = {}
    for connections, _ in LOADS:
        print(f"wrk: station scans at {connections} connections ...", flush=True)
        warmup = station_wrk(server, batches[("W", connections)], sessions, connections, args.warmup)
        if warmup.bad or warmup.wrk.non_2xx or warmup.wrk.socket_errors:
            raise BenchError(f"warm-up at {connections} connections: {warmup}")
        measured = batches[("R", connections)]
        with CpuMeter(server, BENCH_DB) as cpu:
            run = station_wrk(server, measured, sessions, connections, args.duration)
        run.in_db, run.others = aggregated_count(measured.prefix), cpu.others_share
        run.app_cpu_ms = 1000 * cpu.app_seconds / max(1, run.wrk.requests)
        run.db_cpu_ms = 1000 * cpu.db_seconds / max(1, run.wrk.requests)
        runs[connections] = run
    return runs


@dataclass
class BoardTiming:
    label: str
    expected: int
    seconds: list[float]
    statuses: set[int]
    cards: set[int]  # data-batch-id= per answer (each distinct count seen)
    size: int
    app_cpu_ms: float = 0.0  # CPU of gunicorn and its workers per answer
    db_cpu_ms: float = 0.0  # CPU of their PostgreSQL backends per answer
    others: float = 0.0  # share of the machine's CPU other processes used meanwhile

    def percentile(self, p: float) -> float:
        """Nearest rank, in ms."""
        ordered = sorted(self.seconds)
        return 1000 * ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def max_ms(self) -> float:
        return 1000 * max(self.seconds)

    def broken(self, want_cards: int) -> bool:
        if self.statuses != {self.expected}:
            return True
        return self.expected == 200 and self.cards != {want_cards}


def board_time(server: Server, browser: Browser, label: str, headers: dict, expected: int, samples: int):
    for _ in range(BOARD_WARMUP):
        browser.request("GET", "/", headers=headers)
    timing = BoardTiming(label, expected, [], set(), set(), 0)
    with CpuMeter(server, BENCH_DB) as cpu:
        for _ in range(samples):
            answer = browser.request("GET", "/", headers=headers)
            timing.seconds.append(answer.seconds)
            timing.statuses.add(answer.status)
            timing.cards.add(answer.text.count("data-batch-id="))
            timing.size = len(answer.text.encode())
    timing.app_cpu_ms, timing.db_cpu_ms = 1000 * cpu.app_seconds / samples, 1000 * cpu.db_seconds / samples
    timing.others = cpu.others_share
    return timing


def board_measure(server: Server, username: str, samples: int) -> list[BoardTiming]:
    browser = Browser(server.base)
    browser.sign_in(username, PASSWORD)
    print(f"timing the board: {samples} requests of each kind, after {BOARD_WARMUP} untimed ...", flush=True)
    timings = []
    for label, extra in (("GET / (full page)", {}), ("GET / HX-Request (fragment)", {"HX-Request": "true"})):
        full = board_time(server, browser, label, extra, 200, samples)
        etag = browser.request("GET", "/", headers=extra).headers.get("ETag")
        if not etag:
            raise BenchError(f"{label} answered without an ETag")
        conditional = extra | {"If-None-Match": etag}
        timings += [full, board_time(server, browser, f"{label}, If-None-Match", conditional, 304, samples)]
    return timings


def postgres_settings() -> str:
    with psycopg.connect(DATABASE_URL) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
        autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
    return f"PostgreSQL {version} on 127.0.0.1 (autovacuum {autovacuum})"


def print_station(runs: dict[int, StationRun], stations: int, settings: str, database: str, args) -> None:
    print(f"\ngunicorn {settings} (sync workers close the connection after each response)")
    print(f"{database}; {os.cpu_count()} CPUs")
    shapes = ", ".join(f"-t{threads} -c{connections}" for connections, threads in LOADS)
    print("\nStation: POST /batches/{id}/scan, form body code=<distinct registered code>, HX-Request: true,")
    print(f"session cookie + X-CSRFToken of {stations} operators signed in through /login (round-robin)")
    print(f"wrk --latency -s bench/station.lua: {shapes}; {args.duration} s each, after a {args.warmup} s warm-up")
    print(f"each run (and each warm-up) scans into its own open batch of {args.batch_units:,} units, all registered")
    print('(p95 from wrk\'s histogram via latency:percentile(95); ok = 200 with data-result="ok")\n')
    header = f"{'clients':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    counts = f"{'ok':>6} {'not ok':>6} {'non-2xx':>7} {'sock err':>8} {'in db':>6}"
    print(f"{header} {counts} {'app cpu':>7} {'db cpu':>6} {'others':>6}")
    for connections, run in runs.items():
        w = run.wrk
        figures = f"{connections:>7} {w.rps:>7.0f} {w.p50_ms:>7.2f} {run.p95_ms:>7.2f} {w.p99_ms:>7.2f}"
        counts = f"{run.ok:>6} {run.bad:>6} {w.non_2xx:>7} {w.socket_errors:>8} {run.in_db:>6}"
        cpu = f"{run.app_cpu_ms:>7.1f} {run.db_cpu_ms:>6.1f} {100 * run.others:>5.0f}%"
        print(f"{figures} {counts} {cpu}")
        if run.first_bad:
            print(f"        first answer not ok: {run.first_bad}")
        if "OVERRUN" in run.first_bad:
            print("        (wrk ran out of registered codes: raise --batch-units or shorten --duration)")
    print("(in db: units of the run's codes aggregated; it may exceed ok by the requests in flight when wrk stops)")
    print("(app cpu, db cpu: ms of CPU per scan used by gunicorn and its workers, and by their PostgreSQL backends)")
    print("(others: share of the machine's CPU used by processes outside the benchmark during the run)")


def print_board(timings: list[BoardTiming], seed: BoardSeed) -> None:
    print(
        f"\nBoard: {seed.batches} open batches over {seed.work_centers} work centers, {seed.units:,} units, "
        f"{seed.aggregated:,} aggregated; signed in as an operator"
    )
    print("sequential, one new connection per request; client wall time from connect to last byte\n")
    header = f"{'request':<42} {'n':>3} {'status':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
    print(f"{header} {'bytes':>8} {'cards':>5} {'app cpu':>7} {'db cpu':>6} {'others':>6}")
    for t in timings:
        status = ",".join(map(str, sorted(t.statuses)))
        cards = ",".join(map(str, sorted(t.cards))) if t.expected == 200 else "-"
        figures = f"{t.percentile(50):>7.2f} {t.percentile(95):>7.2f} {t.max_ms:>7.2f}"
        extra = f"{t.size:>8,} {cards:>5} {t.app_cpu_ms:>7.1f} {t.db_cpu_ms:>6.1f} {100 * t.others:>5.0f}%"
        print(f"{t.label:<42} {len(t.seconds):>3} {status:>6} {figures} {extra}")
    print("(app cpu, db cpu, others: as above, per answer)")


def print_targets(runs: dict[int, StationRun], timings: list[BoardTiming], seed: BoardSeed) -> None:
    scan = runs[16].p95_ms
    board = timings[0].percentile(95)
    rows = [
        ("16 stations: scan p95", f"{scan:.1f} ms", f"< {TARGET_SCAN_P95_MS} ms", scan < TARGET_SCAN_P95_MS),
        (
            f"board of {seed.batches} open batches: page p95",
            f"{board:.1f} ms",
            f"< {TARGET_BOARD_MS} ms",
            board < TARGET_BOARD_MS,
        ),
    ]
    print(f"\n{'target':<38} {'measured':>10} {'target':>10}  met")
    for label, measured, target, met in rows:
        print(f"{label:<38} {measured:>10} {target:>10}  {'yes' if met else 'NO'}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each wrk run (default 3)")
    parser.add_argument("--stations", type=int, default=16, help="operators signed in for the scans (default 16)")
    parser.add_argument(
        "--batch-units", type=int, default=20_000, help="units in each wrk run's station batch (default 20,000)"
    )
    parser.add_argument("--board-batches", type=int, default=200, help="open batches on the board (default 200)")
    parser.add_argument("--work-centers", type=int, default=8, help="work centers they spread over (default 8)")
    parser.add_argument("--units", type=int, default=500, help="units per board batch (default 500)")
    parser.add_argument("--board-samples", type=int, default=50, help="timed requests of each kind (default 50)")
    return parser.parse_args()


def run(args, env: dict, log_dir: Path) -> int:
    token = database_prepare(BENCH_DB, env)
    names = [f"station{n:02d}" for n in range(1, args.stations + 1)]
    users_create(env, names)
    with gunicorn(
        "ours", "wsgi:app", health_path="/api/v1/health", workers=args.workers, env=env, log_dir=log_dir
    ) as ours:
        # The board's batches go in first, so the station scans into a table with a history, as at a plant.
        seed = board_seed(ours.base, token, args)
        batches = station_seed(ours.base, token, args)
        database_vacuum(BENCH_DB)
        sessions = [Browser(ours.base).sign_in(name, PASSWORD) for name in names]
        station_probe(ours, batches[("R", 1)].id, sessions[0])
        runs = station_drive(ours, batches, sessions, args)
        for batch in batches.values():  # off the board, so that it shows exactly the seeded open batches
            status, answer = http_request("POST", f"{ours.base}/api/v1/batches/{batch.id}/close", b"{}", token)
            if status != 200:
                raise BenchError(f"closing station batch {batch.id} answered {status}: {answer}")
        timings = board_measure(ours, names[0], args.board_samples)
        database = postgres_settings()

    print_station(runs, len(sessions), " ".join(gunicorn_settings(args.workers)), database, args)
    print_board(timings, seed)
    print_targets(runs, timings, seed)
    # The 304 series last a fraction of a second: too short for a meaningful share.
    busiest = max(m.others for m in [*runs.values(), *(t for t in timings if t.expected == 200)])
    if busiest > BUSY_SHARE:
        print(
            f"\nNOTE: other processes used up to {100 * busiest:.0f}% of the machine's CPU during the measurements;"
            " the figures are pessimistic. Run again on a quiet machine before trusting a miss."
        )
    failures = sum(r.bad + r.wrk.non_2xx + r.wrk.socket_errors + (r.in_db < r.ok) for r in runs.values())
    failures += sum(t.broken(seed.batches) for t in timings)
    if failures:
        print("\nBROKEN: scans not accepted, scans missing from the database, or a wrong board; see above.")
        return 2
    return 0


def main() -> int:
    return benchmark_main(run, parse_args(), BENCH_DB)


if __name__ == "__main__":
    sys.exit(main())
