"""Benchmark the batch report files: one batch of --units units (default 10,000) as PDF and as Excel.

The batch (closed, a 12-hour shift yesterday, 95 % of its units aggregated at random moments of the
shift, codes shaped like Честный ЗНАК identification codes) is loaded with COPY into a database of its
own. Each report is then written --runs times (default 3), every time in a fresh process
(`bench/reports.py --render ...`: create_app, report_write, exit), so its peak RSS (ru_maxrss, the
whole process: interpreter, Flask, WeasyPrint or openpyxl) is the report's alone. Printed per run:
report_write's wall time, the process's wall time from start to exit, and peak RSS. The files are
checked: the PDF's page count and sampled codes in its text, the workbook's number of unit rows.

Targets: PDF < 10 s and < 400 MB; the same for Excel. Run from the repository root (about a minute):

    .venv/bin/python bench/reports.py [--units 10000] [--runs 3] [--keep-database]

Exit status: 0 ran cleanly (targets met or not); 1 something broke; 2 a file is wrong.
"""

import argparse
import json
import math
import random
import resource
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from harness import ROOT, BenchError, benchmark_main, database_prepare, database_url

sys.path.insert(0, str(ROOT))  # mes_web: the child renders with it, the parent reads ROWS_PER_PAGE
from mes_web.services.reports import ROWS_PER_PAGE  # noqa: E402

BENCH_DB = "mes_bench_reports"
TARGET_SECONDS, TARGET_MB = 10.0, 400
SERIAL = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


def seed(database: str, units: int) -> int:
    """One closed batch of `units` units; returns its id."""
    rng, start = random.Random(42), datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    end = start + timedelta(hours=12)
    with psycopg.connect(database_url(database)) as conn:
        wc = conn.execute(
            "INSERT INTO work_centers (identifier, name, created_at, updated_at)"
            " VALUES ('WC-BENCH', 'Линия розлива №1', now(), now()) RETURNING id"
        ).fetchone()[0]
        batch = conn.execute(
            "INSERT INTO batches (is_closed, closed_at, task_description, work_center_id, shift, team, batch_number,"
            " batch_date, nomenclature, ekn_code, shift_start, shift_end, created_at, updated_at)"
            " VALUES (true, %s, 'Бенчмарк отчёта', %s, '1', 'Бригада №4', 22222, %s, %s, '456678',"
            " %s, %s, %s, %s) RETURNING id",
            (end, wc, start.date(), "Молоко 3,2% 1 л", start, end, start, end),
        ).fetchone()[0]
        with conn.cursor().copy(
            "COPY products (unique_code, batch_id, is_aggregated, aggregated_at, created_at) FROM STDIN"
        ) as copy:
            for n in range(units):
                code = f"010460043993125621{''.join(rng.choice(SERIAL) for _ in range(12))}{n % 10}"
                done = rng.random() < 0.95
                copy.write_row((code, batch, done, start + (end - start) * rng.random() if done else None, start))
    return batch


def render(args) -> None:
    """The child: write one report and print what it cost."""
    from mes_web import create_app
    from mes_web.services.reports import report_write

    with create_app().app_context():
        started = time.perf_counter()
        report_write(batch_id=args.batch_id, file_format=args.render, target=Path(args.target))
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak}))


def run_child(env: dict, batch_id: int, file_format: str, target: Path) -> dict:
    command = [sys.executable, __file__, "--render", file_format, "--batch-id", str(batch_id), "--target", str(target)]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"the {file_format} report failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"process": time.perf_counter() - began}


def file_problems(file_format: str, target: Path, units: int, database: str) -> list[str]:
    with psycopg.connect(database_url(database)) as conn:
        sample = [row[0] for row in conn.execute("SELECT unique_code FROM products ORDER BY random() LIMIT 5")]
    if file_format == "excel":
        from openpyxl import load_workbook

        rows = sum(1 for _ in load_workbook(target, read_only=True)["Продукция"].iter_rows(min_row=2))
        return [] if rows == units else [f"the workbook holds {rows} units, not {units}"]
    from pypdf import PdfReader

    reader = PdfReader(target)
    pages = 1 + math.ceil(units / (3 * ROWS_PER_PAGE))  # the front page, then 31-character codes in 3 columns
    text = "".join(page.extract_text() for page in reader.pages)
    missing = [code for code in sample if code not in text]
    wrong = [f"{len(reader.pages)} pages, expected {pages}"] if len(reader.pages) != pages else []
    return wrong + ([f"codes missing from the text: {missing}"] if missing else [])


def run(args, env: dict, instance: Path) -> int:
    database_prepare(args.database, env)
    batch_id = seed(args.database, args.units)
    print(
        f"batch {batch_id}: {args.units:,} units in {args.database}; {args.runs} runs per format, each a fresh process"
    )
    print(f"\n{'format':<7} {'report_write':>12} {'process':>9} {'peak RSS':>9}  {'file':>9}   target")
    problems = []
    for file_format, suffix in (("pdf", "pdf"), ("excel", "xlsx")):
        target = Path(args.files or instance) / f"report.{suffix}"
        for _ in range(args.runs):
            got = run_child(env, batch_id, file_format, target)
            met = got["seconds"] < TARGET_SECONDS and got["peak_mb"] < TARGET_MB
            print(
                f"{file_format:<7} {got['seconds']:>10.2f} s {got['process']:>7.2f} s {got['peak_mb']:>6.0f} MB"
                f"  {target.stat().st_size / 1e6:>6.2f} MB   < {TARGET_SECONDS:g} s, < {TARGET_MB} MB: "
                f"{'met' if met else 'NOT MET'}",
                flush=True,
            )
        problems += file_problems(file_format, target, args.units, args.database)
    if problems:
        print("\nWRONG: " + "; ".join(problems))
        return 2
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=10_000, help="units in the batch (default 10,000)")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per format (default 3)")
    parser.add_argument("--database", default=BENCH_DB, help=f"database to create (default {BENCH_DB})")
    parser.add_argument("--keep-database", action="store_true", help="leave the database for a look afterwards")
    parser.add_argument("--files", help="folder to keep the reports in (default: a temporary one)")
    parser.add_argument("--render", choices=("pdf", "excel"), help=argparse.SUPPRESS)
    parser.add_argument("--batch-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:
        render(args)
        return 0
    return benchmark_main(run, args, args.database, keep_database=args.keep_database)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the finally: drop the database
    sys.exit(main())
