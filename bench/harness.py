"""What the benchmarks in bench/ share: a throw-away PostgreSQL database, gunicorn, HTTP seeding, wrk.

Imported by bench/aggregate.py and bench/station.py, which run as scripts from the repository root
(`.venv/bin/python bench/<name>.py`), so bench/ is on sys.path and `import harness` finds this file.

Conventions every benchmark keeps:
  * its own database on 127.0.0.1:5432, dropped first if it exists and dropped again at the end;
  * gunicorn started with explicit command-line settings (printed with the figures) and
    --config bench/gunicorn_settings.py, so the production ./gunicorn.conf.py never applies;
  * each gunicorn leads its own process group and is stopped through it (SIGTERM, then SIGKILL);
  * BenchError means something broke (exit status 1); wrong answers are exit status 2.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
GUNICORN_CONFIG = BENCH / "gunicorn_settings.py"  # keeps the production ./gunicorn.conf.py out of the benchmark

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


class BenchError(Exception):
    """Something broke: the benchmark cannot produce figures."""


def database_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def database_recreate(name: str) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def database_drop(name: str) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def database_vacuum(name: str) -> None:
    """VACUUM ANALYZE after seeding: a production server's autovacuum would have, and this one's is off."""
    with psycopg.connect(database_url(name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def flask_cli(env: dict, *args: str) -> str:
    """Run `flask --app wsgi ...` and return its stdout."""
    done = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def database_prepare(name: str, env: dict) -> str:
    """A fresh, migrated database `name` (env must point DATABASE_URL at it); returns a supervisor API token."""
    database_recreate(name)
    flask_cli(env, "db", "upgrade")
    return flask_cli(env, "token", "create", "bench", "--role", "supervisor").strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_settings(workers: int) -> list[str]:
    """The settings every benchmarked app gets (no access log)."""
    return ["--workers", str(workers), "--worker-class", "sync", "--timeout", "120", "--no-control-socket"]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def wait_ready(server: Server, health_path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status, _ = http_request("GET", f"{server.base}{health_path}")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{server.name} did not answer {health_path} within {timeout} s:\n{server.log_tail()}")


def server_stop(server: Server) -> None:
    """Stop gunicorn and its workers: the whole process group it leads."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.process.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def gunicorn(
    name: str,
    app: str,
    *,
    workers: int,
    env: dict,
    health_path: str,
    log_dir: Path,
    chdir: Path = ROOT,
    extra: tuple[str, ...] = (),
):
    """The app under gunicorn on a free port, with the benchmarks' settings plus `extra` arguments."""
    port = free_port()
    log_path = log_dir / f"{name}.log"
    command = [str(VENV_BIN / "gunicorn"), "--config", str(GUNICORN_CONFIG), *gunicorn_settings(workers), *extra]
    command += ["--bind", f"127.0.0.1:{port}"]
    command += ["--chdir", str(chdir), "--log-level", "warning", app]
    with open(log_path, "wb") as log:  # start_new_session: gunicorn leads its own process group
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, port, process, log_path)
    try:
        wait_ready(server, health_path)
        yield server
    finally:
        server_stop(server)


def http_request(method: str, url: str, body: bytes | None = None, token: str | None = None, timeout: float = 300):
    """One JSON request; returns (status, parsed JSON or None)."""
    host_port = url.split("/")[2]
    path = "/" + url.split("/", 3)[3]
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection(host_port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(raw) if raw else None
    except ValueError:
        return response.status, None


def encode(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def shift_task(
    *,
    batch_number: int,
    batch_date: str,
    work_center: str = "Линия бенчмарка",
    work_center_id: str = "WC-BENCH",
    nomenclature: str = "Изделие для бенчмарка",
    description: str = "Бенчмарк агрегации",
    shift: str = "1",
    team: str = "Бригада 1",
    shift_start: str | None = None,
    shift_end: str | None = None,
) -> dict:
    """One shift task in 1C's form (an open batch)."""
    return {
        "СтатусЗакрытия": False,
        "ПредставлениеЗаданияНаСмену": description,
        "РабочийЦентр": work_center,
        "Смена": shift,
        "Бригада": team,
        "НомерПартии": batch_number,
        "ДатаПартии": batch_date,
        "Номенклатура": nomenclature,
        "КодЕКН": "EKN-BENCH",
        "ИдентификаторРЦ": work_center_id,
        "ДатаВремяНачалаСмены": shift_start or f"{batch_date}T08:00:00",
        "ДатаВремяОкончанияСмены": shift_end or f"{batch_date}T20:00:00",
    }


def batches_create(base: str, token: str, tasks: list[dict]) -> list[int]:
    """POST /api/v1/batches with 1C's array of shift tasks; returns the batch ids in the same order."""
    status, body = http_request("POST", f"{base}/api/v1/batches", encode(tasks), token)
    if status != 201 or not isinstance(body, list) or len(body) != len(tasks):
        raise BenchError(f"POST /batches of {len(tasks)} tasks answered {status}: {str(body)[:500]}")
    return [item["id"] for item in body]


def products_register(
    base: str, token: str, items: list[tuple[str, int, str]], chunk_size: int = 100_000
) -> list[float]:
    """Register (code, batch number, batch date) through 1C's bulk form, chunk_size per request.

    Returns each request's seconds: request sent, server validates and stores, response read (the
    JSON body is encoded before the clock starts).
    """
    timings = []
    for start in range(0, len(items), chunk_size):
        chunk = items[start : start + chunk_size]
        body = encode(
            [{"УникальныйКодПродукта": code, "НомерПартии": number, "ДатаПартии": day} for code, number, day in chunk]
        )
        began = time.perf_counter()
        status, answer = http_request("POST", f"{base}/api/v1/products", body, token)
        timings.append(time.perf_counter() - began)
        if status != 201 or not isinstance(answer, dict) or answer.get("created") != len(chunk):
            keys = ("total", "created", "error", "detail")
            summary = {key: answer.get(key) for key in keys} if isinstance(answer, dict) else answer
            raise BenchError(f"POST /products of {len(chunk)} codes answered {status}: {summary}")
    return timings


@dataclass
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def duration_ms(text: str) -> float:
    """A wrk duration ("850.00us", "12.3ms", "1.2s") in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(number) * _UNIT_MS[unit]


def parse_wrk(output: str) -> WrkResult:
    def find(pattern: str) -> re.Match | None:
        return re.search(pattern, output, re.MULTILINE)

    # wrk pads a duration in seconds with a trailing space ("99%    1.02s "), hence the \s* before $.
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, re.MULTILINE))
    socket_errors = find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    non_2xx = find(r"Non-2xx or 3xx responses: (\d+)")
    requests, rps = find(r"^\s+(\d+) requests in"), find(r"^Requests/sec:\s+([\d.]+)")
    if not (requests and rps and "50" in percentiles and "99" in percentiles):
        raise BenchError(f"cannot read wrk output:\n{output}")
    return WrkResult(
        requests=int(requests[1]),
        rps=float(rps[1]),
        p50_ms=duration_ms(percentiles["50"]),
        p99_ms=duration_ms(percentiles["99"]),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(map(int, socket_errors.groups())) if socket_errors else 0,
    )


def wrk_run(script: Path, url: str, connections: int, threads: int, seconds: int, script_args: list[str]) -> str:
    """Run wrk --latency with a Lua script; returns its stdout."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    command += ["--", *script_args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:9]]
    return sum(fields) - fields[3] - fields[4], sum(fields)  # idle and iowait are not busy


def _process_jiffies(pid: int) -> int:
    """utime + stime of one process, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), counted after "(comm)"


def _process_group(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[2]) == pgid:
                        pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def _database_backends(name: str) -> list[int]:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)).fetchall()
    return [pid for (pid,) in rows]


class CpuMeter:
    """CPU the server used during a phase, and how much of the machine went to processes outside the benchmark.

    The server is its process group (gunicorn and its workers) and the PostgreSQL backends connected
    to the benchmark's database; the client is this process and its children (wrk). Everything else
    busy on the machine in the meantime (other people's tests, browsers, autovacuum elsewhere)
    competed with the figures: a large share means they are pessimistic. The server's CPU seconds
    per request do not depend much on that competition, so they say what a quiet machine could do.
    """

    def __init__(self, server: Server, database: str):
        self.server, self.database = server, database
        self.app_seconds = self.db_seconds = self.client_seconds = self.others_share = 0.0

    @property
    def server_seconds(self) -> float:
        return self.app_seconds + self.db_seconds

    def _snapshot(self) -> tuple[dict[int, int], dict[int, int]]:
        app = {pid: _process_jiffies(pid) for pid in _process_group(self.server.process.pid)}
        return app, {pid: _process_jiffies(pid) for pid in _database_backends(self.database)}

    def __enter__(self):
        self._machine, self._before, self._client = _machine_jiffies(), self._snapshot(), os.times()
        return self

    def __exit__(self, *exc_info):
        hz = os.sysconf("SC_CLK_TCK")
        busy, total = (after - before for after, before in zip(_machine_jiffies(), self._machine, strict=True))
        app, db = (
            sum(max(0, jiffies - before.get(pid, 0)) for pid, jiffies in after.items())
            for after, before in zip(self._snapshot(), self._before, strict=True)
        )
        now = os.times()
        fields = ("user", "system", "children_user", "children_system")
        client = hz * sum(getattr(now, f) - getattr(self._client, f) for f in fields)
        self.app_seconds, self.db_seconds, self.client_seconds = app / hz, db / hz, client / hz
        self.others_share = max(0.0, busy - app - db - client) / total if total else 0.0
        return False


def benchmark_main(run, args, database: str, *, keep_database: bool = False, hide_env: tuple = ()) -> int:
    """Run a benchmark with its own instance folder and database, and clean both up whatever happens.

    run(args, env, instance) returns the exit status: 0 ran cleanly, 2 saw wrong answers; a
    BenchError (a server did not start, seeding failed) is 1.
    """
    instance = Path(tempfile.mkdtemp(prefix=f"{database}-"))
    hidden = {"GUNICORN_CMD_ARGS", *hide_env}
    env = {key: value for key, value in os.environ.items() if key not in hidden}
    env |= {"DATABASE_URL": database_url(database), "MES_INSTANCE_PATH": str(instance)}
    try:
        return run(args, env, instance)
    except BenchError as exc:
        print(f"\nBROKEN: {exc}", file=sys.stderr)
        return 1
    finally:
        if not keep_database:
            database_drop(database)
        shutil.rmtree(instance, ignore_errors=True)
