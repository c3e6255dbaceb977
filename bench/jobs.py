"""Benchmark the background jobs (issue 4): async aggregation of 50,000 codes, exports of 100,000 batches.

The database (mes_bench_jobs, its own) holds 99,999 batches seeded with INSERT ... SELECT generate_series
(50 work centers, 10 units each, ~1M units) and one open batch whose 50,000 units (31-character Честный
ЗНАК identification codes) are registered through POST /api/v1/products: 100,000 batches; then VACUUM ANALYZE.
  * aggregate: POST /api/v1/batches/{id}/aggregate-async with the 50,000 codes, to a `flask --app wsgi worker`
    already waiting on the queue; the client's time from the POST to SUCCESS at GET /api/v1/tasks/{id}
    (polled every 50 ms), and the job's own run, jobs.finished_at - jobs.started_at (microseconds).
  * export: POST /api/v1/batches/export as csv, then as excel, each run by a fresh `flask --app wsgi worker
    --burst` started right after the POST. Peak memory is GNU time's %M for that worker: the ru_maxrss wait4
    gives for it, the larger of the worker process and the work horse RQ forked and reaped for the job. The
    worker is not spawned by this script directly: an exec'd child's ru_maxrss counts its parent's RSS at
    spawn time (Linux keeps the old mm's high-water mark across exec). Each one's VmHWM, sampled from /proc
    while polling, says which it was. The file at file_url is downloaded and its rows counted.
The web app runs under gunicorn (bench/harness.py settings); jobs go through RQ on a redis-server of the
benchmark's own (a database number on the shared server is not enough: other sessions' RQ workers on it take
the jobs, and their fixtures flush it); files go to a SeaweedFS S3 server started with tests/s3_server.py's
helpers, or with --storage folder to FILES_FOLDER.

Targets: aggregation < 5 s from the POST to SUCCESS; each export < 30 s (the job's run) and < 300 MB peak.
Run from the repository root (about a minute): .venv/bin/python bench/jobs.py [--storage s3|folder] [--keep-database]
Exit status: 0 ran cleanly (targets met or not); 1 something broke; 2 a wrong answer (counts, rows).
"""

import argparse
import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
import urllib3
from harness import (
    ROOT,
    VENV_BIN,
    BenchError,
    batches_create,
    benchmark_main,
    database_prepare,
    database_url,
    database_vacuum,
    encode,
    free_port,
    gunicorn,
    http_request,
    products_register,
    shift_task,
)
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker

sys.path.insert(0, str(ROOT))  # mes_web for the codes, tests/s3_server.py for SeaweedFS
from mes_web.integrations.gs1 import gtin_check_digit  # noqa: E402
from mes_web.services.demo import marking_code  # noqa: E402

BENCH_DB = "mes_bench_jobs"
BATCHES, WORK_CENTERS, UNITS_PER_BATCH, CODES, BATCH_NUMBER = 100_000, 50, 10, 50_000, 900_001
TARGET_AGGREGATE_S, TARGET_EXPORT_S, TARGET_EXPORT_MB = 5.0, 30.0, 300
POLL_S = 0.05
SEED_SQL = [
    "INSERT INTO work_centers (identifier, name, created_at, updated_at)"
    " SELECT 'WC-' || lpad(w::text, 3, '0'), 'Линия №' || w, now(), now() FROM generate_series(1, %(wcs)s) w",
    # 100 batches a day back from today, 08:00 and 20:00 shifts of 12 h; one in ten still open.
    "INSERT INTO batches (is_closed, closed_at, task_description, work_center_id, shift, team, batch_number,"
    " batch_date, nomenclature, ekn_code, shift_start, shift_end, created_at, updated_at)"
    " SELECT mod(g, 10) <> 0, CASE WHEN mod(g, 10) <> 0 THEN start + interval '12 h 20 min' END,"
    " 'Задание на смену ' || g, 1 + mod(g, %(wcs)s), (1 + mod(g, 2))::text, 'Бригада №' || (1 + mod(g, 5)), g,"
    " day, 'Молоко пастеризованное 1 л', 'EKN-' || mod(g, 100), start, start + interval '12 h',"
    " start - interval '2 h', start"
    " FROM generate_series(1, %(batches)s) g, LATERAL (SELECT current_date - g / 100 AS day) d,"
    " LATERAL (SELECT (day + CASE mod(g, 2) WHEN 0 THEN time '08:00' ELSE time '20:00' END)"
    " AT TIME ZONE 'Europe/Moscow' AS start) s",
    # 7 of each batch's 10 units aggregated; codes 01 + GTIN-14 + 21 + a 13-character serial.
    "INSERT INTO products (unique_code, batch_id, is_aggregated, aggregated_at, created_at)"
    " SELECT %(head)s || lpad((b.id * 100 + u)::text, 13, '0'), b.id, u <= 7,"
    " CASE WHEN u <= 7 THEN b.shift_start + u * interval '1 h' END, b.shift_start"
    " FROM batches b, generate_series(1, %(units)s) u",
]


def seed(base: str, token: str) -> tuple[int, list[str]]:
    """The batches and units above; returns the batch to aggregate into and its codes, in a random order."""
    began, head = time.perf_counter(), f"010460123456789{gtin_check_digit('0460123456789')}21"
    with psycopg.connect(database_url(BENCH_DB)) as conn:
        for sql in SEED_SQL:
            conn.execute(sql, {"wcs": WORK_CENTERS, "batches": BATCHES - 1, "units": UNITS_PER_BATCH, "head": head})
    today, rng, codes = date.today().isoformat(), random.Random(4), {}
    batch_id = batches_create(base, token, [shift_task(batch_number=BATCH_NUMBER, batch_date=today)])[0]
    while len(codes) < CODES:
        codes[marking_code("0460043993125", rng)] = None
    products_register(base, token, [(code, BATCH_NUMBER, today) for code in codes])
    database_vacuum(BENCH_DB)
    units = (BATCHES - 1) * UNITS_PER_BATCH + CODES
    print(f"seeded {BATCHES:,} batches and {units:,} units in {time.perf_counter() - began:.0f} s", flush=True)
    return batch_id, list(codes)


@contextmanager
def s3_server(folder: Path):
    """SeaweedFS, started and stopped with tests/s3_server.py's helpers; yields the MINIO_* settings."""
    from tests.s3_server import S3Server, _answers, _free_ports, _start, _stop

    ports, http = _free_ports(4), urllib3.PoolManager(timeout=urllib3.Timeout(connect=1, read=3), retries=False)
    server = S3Server(f"127.0.0.1:{ports[0]}", "mes-bench", "mes-bench-secret")
    keys = {"MINIO_ACCESS_KEY": server.access_key, "MINIO_SECRET_KEY": server.secret_key}
    folder.mkdir()
    process, deadline = _start(folder, ports), time.monotonic() + 60
    try:
        while not _answers(server, ports[0], http):
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError("SeaweedFS did not start:\n" + (folder / "weed.log").read_text()[-3000:])
            time.sleep(0.3)
        yield {"MINIO_ENDPOINT": server.endpoint, **keys}
    finally:
        http.clear()
        _stop(process)


def redis_answers(url: str) -> bool:
    try:
        return Redis.from_url(url, socket_timeout=1).ping()
    except RedisError:
        return False


@contextmanager
def redis_server(folder: Path):
    """A private redis-server on a free port, without persistence; yields its URL."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)]
    with open(folder / "redis.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url, deadline = f"redis://127.0.0.1:{port}/0", time.monotonic() + 10
    try:
        while not redis_answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError("redis-server did not start:\n" + (folder / "redis.log").read_text()[-2000:])
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def children(pid: int) -> list[int]:
    with suppress(OSError):
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def vm_hwm_mb(pid: int) -> float:
    with suppress(OSError):
        return next(int(x.split()[1]) / 1024 for x in Path(f"/proc/{pid}/status").open() if x.startswith("VmHWM:"))
    return 0.0


class RqWorker:
    """`flask --app wsgi worker` under GNU time, which writes the worker's ru_maxrss (kB) to <log>.maxrss."""

    def __init__(self, env: dict, log: Path, *, burst: bool):
        self.maxrss = log.with_suffix(".maxrss")
        command = ["/usr/bin/time", "-f", "%M", "-o", str(self.maxrss), str(VENV_BIN / "flask"), "--app", "wsgi"]
        with open(log, "wb") as out:  # its own session; RQ's work horse makes a process group of its own
            self.time = subprocess.Popen(
                [*command, "worker", *(["--burst"] if burst else [])],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.peaks = {"worker": 0.0, "horse": 0.0}

    @property
    def pid(self) -> int | None:
        return next(iter(children(self.time.pid)), None)

    def sample(self) -> None:
        if pid := self.pid:
            self.peaks["worker"] = max(self.peaks["worker"], vm_hwm_mb(pid))
            self.peaks["horse"] = max([self.peaks["horse"], *map(vm_hwm_mb, children(pid))])

    def peak_mb(self, timeout: float) -> float:
        """Wait for the worker to exit; its ru_maxrss in MB."""
        try:
            self.time.wait(timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"the worker did not exit within {timeout} s") from None
        return int(self.maxrss.read_text().split()[-1]) / 1024

    def stop(self) -> None:
        """SIGTERM (warm shutdown), SIGTERM again (RQ kills the horse), then SIGKILL the worker, its horse, time."""
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if self.time.poll() is not None:
                return
            worker = self.pid
            for pid in [*children(worker), worker, self.time.pid] if sig == signal.SIGKILL else [worker]:
                with suppress(ProcessLookupError, TypeError):
                    os.kill(pid, sig)
            with suppress(subprocess.TimeoutExpired):
                self.time.wait(grace)


def task_follow(base: str, token: str, task_id: str, worker: RqWorker) -> dict:
    """Poll the task every POLL_S until SUCCESS, sampling the worker's memory in between."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status, task = http_request("GET", f"{base}/api/v1/tasks/{task_id}", token=token)
        if status != 200 or task["status"] == "FAILURE":
            raise BenchError(f"GET /tasks/{task_id} answered {status}: {task}")
        if task["status"] == "SUCCESS":
            return task
        worker.sample()
        time.sleep(POLL_S)
    raise BenchError(f"task {task_id} did not finish in 600 s")


def submit(base: str, token: str, path: str, payload: dict) -> tuple[str, float]:
    """POST a job request; (task_id, the perf_counter when the request was sent)."""
    body, began = encode(payload), time.perf_counter()
    status, answer = http_request("POST", f"{base}/api/v1{path}", body, token)
    if status != 202:
        raise BenchError(f"POST {path} answered {status}: {str(answer)[:500]}")
    return answer["task_id"], began


def sql_one(query: str, *params):
    with psycopg.connect(database_url(BENCH_DB)) as conn:
        return conn.execute(query, params).fetchone()


def job_seconds(task_id: str) -> tuple[float, float]:
    """(queued, ran): created_at -> started_at and started_at -> finished_at of the job's row."""
    created, started, finished = sql_one("SELECT created_at, started_at, finished_at FROM jobs WHERE id = %s", task_id)
    return (started - created).total_seconds(), (finished - started).total_seconds()


@dataclass
class Report:
    rows: list[tuple] = field(default_factory=list)  # (figure, measured, target, met)
    notes: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def aggregate(base: str, token: str, env: dict, log_dir: Path, batch_id: int, codes: list[str], report: Report):
    worker, redis = RqWorker(env, log_dir / "worker-aggregate.log", burst=False), Redis.from_url(env["REDIS_URL"])
    try:
        deadline = time.monotonic() + 30
        while Worker.count(connection=redis) < 1:
            if worker.time.poll() is not None or time.monotonic() > deadline:
                raise BenchError("the worker did not start; see worker-aggregate.log")
            time.sleep(0.1)
        task_id, began = submit(base, token, f"/batches/{batch_id}/aggregate-async", {"unique_codes": codes})
        result = task_follow(base, token, task_id, worker)["result"]
        seconds = time.perf_counter() - began
    finally:
        worker.stop()
    in_db = sql_one("SELECT count(*) FROM products WHERE batch_id = %s AND is_aggregated", batch_id)[0]
    figures = [result[key] for key in ("total", "aggregated", "failed")] + [in_db]
    if figures != [CODES, CODES, 0, CODES]:
        report.wrong.append(f"aggregate: total, aggregated, failed, in db = {figures}")
    row = (f"aggregate {CODES:,} codes, POST -> SUCCESS", f"{seconds:.2f} s", f"< {TARGET_AGGREGATE_S:g} s")
    report.rows.append((*row, seconds < TARGET_AGGREGATE_S))
    report.notes.append("aggregate: queued {:.2f} s, ran {:.2f} s".format(*job_seconds(task_id)))


def export(base: str, token: str, env: dict, log_dir: Path, file_format: str, report: Report):
    task_id, began = submit(base, token, "/batches/export", {"format": file_format})
    worker = RqWorker(env, log_dir / f"worker-{file_format}.log", burst=True)
    try:
        result = task_follow(base, token, task_id, worker)["result"]
        seconds, peak = time.perf_counter() - began, worker.peak_mb(60)
    finally:
        worker.stop()
    target = log_dir / f"export.{'xlsx' if file_format == 'excel' else 'csv'}"
    with urllib.request.urlopen(result["file_url"], timeout=120) as response, target.open("wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)
    if file_format == "csv":
        with target.open(encoding="utf-8-sig", newline="") as stream:
            rows = sum(1 for _ in csv.reader(stream, delimiter=";")) - 1
    else:
        from openpyxl import load_workbook

        rows = sum(1 for _ in load_workbook(target, read_only=True)["Партии"].iter_rows(min_row=2, values_only=True))
    queued, ran = job_seconds(task_id)
    if not rows == result["total_batches"] == BATCHES:
        report.wrong.append(f"{file_format}: {rows:,} rows, {result}")
    report.rows.append(
        (f"export {file_format}, job run", f"{ran:.2f} s", f"< {TARGET_EXPORT_S:g} s", ran < TARGET_EXPORT_S)
    )
    met = peak < TARGET_EXPORT_MB
    report.rows.append((f"export {file_format}, peak RSS", f"{peak:.0f} MB", f"< {TARGET_EXPORT_MB} MB", met))
    report.notes.append(
        f"{file_format}: queued {queued:.2f} s, ran {ran:.2f} s; POST -> SUCCESS {seconds:.2f} s (worker start incl.);"
        f" {rows:,} rows, {target.stat().st_size / 1e6:.1f} MB; VmHWM sampled: worker {worker.peaks['worker']:.0f} MB,"
        f" horse {worker.peaks['horse']:.0f} MB"
    )


def run(args, env: dict, instance: Path) -> int:
    report = Report()
    with (
        redis_server(instance) as redis_url,
        s3_server(instance / "seaweedfs") if args.storage == "s3" else nullcontext({}) as s3,
    ):
        env |= {"REDIS_URL": redis_url, "SECRET_KEY": "bench-jobs-secret", **s3}
        print("storage: " + (f"SeaweedFS S3 at {s3['MINIO_ENDPOINT']}" if s3 else f"folder {instance / 'files'}"))
        token = database_prepare(BENCH_DB, env)
        with gunicorn("app", "wsgi:app", workers=2, env=env, health_path="/api/v1/health", log_dir=instance) as app:
            batch_id, codes = seed(app.base, token)
            aggregate(app.base, token, env, instance, batch_id, codes, report)
            for file_format in ("csv", "excel"):
                export(app.base, token, env, instance, file_format, report)
    print(f"\n{'figure':<40} {'measured':>9} {'target':>9}")
    for label, measured, target, met in report.rows:
        print(f"{label:<40} {measured:>9} {target:>9}  {'PASS' if met else 'FAIL'}")
    print("\n" + "\n".join(report.notes))
    print("peak RSS: GNU time's %M of the burst worker = max(worker process, its work horse)")
    if report.wrong:
        print("\nWRONG: " + "; ".join(report.wrong))
        return 2
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", choices=("s3", "folder"), default="s3", help="where job files go (default s3)")
    parser.add_argument("--keep-database", action="store_true", help=f"leave {BENCH_DB} for a look afterwards")
    hidden = ("REDIS_URL", "MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "MINIO_PUBLIC_ENDPOINT")
    args = parser.parse_args()
    return benchmark_main(run, args, BENCH_DB, keep_database=args.keep_database, hide_env=(*hidden, "FILES_FOLDER"))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the finally blocks: stop the servers, drop the db
    sys.exit(main())
