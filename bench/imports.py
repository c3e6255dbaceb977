"""Benchmark the import of a 10,000-row shift-task file (issue 4): table_rows + batches_import, in-process.

A fresh PostgreSQL database (mes_bench_imports on 127.0.0.1:5432, dropped before and after); --rows
1C tasks over --work-centers work centers, three shifts a day, as .xlsx (openpyxl; it writes inline
strings where Excel keeps a shared-string table) and as .csv (UTF-8 BOM, `;`, «Да»/«Нет»). Wall clock:
  1. the .xlsx into the empty database: table_check, table_rows to a list, a dry run, the import;
  2. the .csv where every row changed (another team, a tenth closed): every batch overwritten.
Target: read + import < 5 s.  Run: .venv/bin/python bench/imports.py [--rows 10000] [--work-centers 50]
Exit status: 0 ran (targets met or not), 1 broke, 2 wrong counts.
"""

import argparse
import csv
import os
import random
import signal
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from harness import ROOT, benchmark_main, database_recreate, flask_cli
from openpyxl import Workbook

sys.path.insert(0, str(ROOT))

TARGET_S = 5.0
HEADER = ["СтатусЗакрытия", "ПредставлениеЗаданияНаСмену", "РабочийЦентр", "Смена", "Бригада", "НомерПартии"]
HEADER += ["ДатаПартии", "Номенклатура", "КодЕКН", "ИдентификаторРЦ", "ДатаВремяНачалаСмены", "ДатаВремяОкончанияСмены"]
PRODUCTS = ["Молоко 3,2% 1 л", "Кефир 2,5% 0,9 л", "Творог 9% 200 г", "Болт М10х50", "Гайка М10", "Сметана 20% 300 г"]


def tasks(rows: int, work_centers: int, *, second: bool) -> list[list]:
    """1C rows: three 8-hour shifts a day, numbers unique per day; the second version changes every row."""
    rng = random.Random(7)
    result, first_day = [], date.today() - timedelta(days=rows // (work_centers * 3) + 1)
    for n in range(rows):
        day, shift = first_day + timedelta(days=n // (work_centers * 3)), n % 3 + 1
        hour = (8, 16, 0)[shift - 1]  # shift 3 starts at midnight, shift 2 ends there
        start = f"{day + timedelta(days=shift // 3)}T{hour:02d}:00:00"
        end = f"{day + timedelta(days=min(shift - 1, 1))}T{(hour + 8) % 24:02d}:00:00"
        wc, product = rng.randrange(work_centers), rng.choice(PRODUCTS)
        team = f"Бригада №{rng.randrange(1, 9)}" + (" (замена)" if second else "")
        status = "Да" if second and n % 10 == 0 else "Нет"
        result.append(
            [status, f"Задание на смену {n + 1}", f"Линия №{wc + 1}", str(shift), team, 20_000 + n, day.isoformat()]
            + [product, f"EKN-{PRODUCTS.index(product)}", f"WC-{wc + 1:03d}", start, end]
        )
    return result


def write_xlsx(path: Path, rows: list[list]) -> None:
    workbook = Workbook()  # not write_only: Excel and 1C write the sheet's size first, as this does
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([row[0] == "Да", *row[1:]])  # yes/no as Excel booleans, as in the 1C sample
    workbook.save(path)


def write_csv(path: Path, rows: list[list]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file, delimiter=";", lineterminator="\r\n").writerows([HEADER, *rows])


def timed(call) -> tuple[float, object]:
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


def timed_import(path: Path, app, expected: dict) -> tuple[list[float], list[str]]:
    """Seconds of table_check, table_rows, the dry run and the import; and what came out wrong."""
    from mes_web.extensions import db
    from mes_web.services.imports import batches_import
    from mes_web.services.shift_task_files import table_check, table_rows
    from mes_web.services.transaction import SYSTEM

    with app.app_context():
        check, _ = timed(lambda: table_check(path, path.name))  # at upload, in the web process
        read, rows = timed(lambda: list(table_rows(path, path.name)))
        dry, planned = timed(lambda: batches_import(rows=rows, dry_run=True, actor=SYSTEM, file_name=path.name))
        real, done = timed(lambda: batches_import(rows=rows, dry_run=False, actor=SYSTEM, file_name=path.name))
        db.session.remove()
    counts = {key: value for key, value in done.to_json().items() if key != "errors"}
    wrong = [f"{path.name}: {counts} != {expected}"] if counts != expected else []
    wrong += [f"{path.name}: the dry run answered {planned.to_json()}"] if planned.to_json() != done.to_json() else []
    return [check, read, dry, real], wrong


def run(args, env: dict, instance: Path) -> int:
    database_recreate(args.database)
    flask_cli(env, "db", "upgrade")
    os.environ.update({"DATABASE_URL": env["DATABASE_URL"], "MES_INSTANCE_PATH": env["MES_INSTANCE_PATH"]})
    os.environ.pop("REDIS_URL", None)
    from mes_web import create_app

    app = create_app()
    write_xlsx(instance / "tasks.xlsx", tasks(args.rows, args.work_centers, second=False))
    write_csv(instance / "tasks.csv", tasks(args.rows, args.work_centers, second=True))
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(instance.glob("tasks.*")))
    print(f"{args.rows:,} rows over {args.work_centers} work centers ({sizes}); {os.cpu_count()} CPUs")
    print(f"\n{'run':<32} {'check':>6} {'read':>6} {'dry run':>8} {'import':>7} {'read+import':>12} {'target':>7}  met")
    wrong = []
    for label, name, created in (
        ("1. .xlsx, empty database", "tasks.xlsx", args.rows),
        ("2. .csv, all changed", "tasks.csv", 0),
    ):
        expected = {"total_rows": args.rows, "created": created, "updated": args.rows - created, "skipped": 0}
        (check, read, dry, real), problems = timed_import(instance / name, app, expected)
        wrong += problems
        total, target = read + real, f"< {TARGET_S:g} s"
        print(
            f"{label:<32} {check:>5.2f}s {read:>5.2f}s {dry:>7.2f}s {real:>6.2f}s {total:>11.2f}s {target:>7}"
            f"  {'yes' if total < TARGET_S else 'NO'}"
        )
    if wrong:
        print("\nWRONG: " + "; ".join(wrong))
        return 2
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows per file (default 10,000)")
    parser.add_argument("--work-centers", type=int, default=50, help="work centers (default 50)")
    parser.add_argument("--database", default="mes_bench_imports", help="database to create")
    args = parser.parse_args()
    return benchmark_main(run, args, args.database, hide_env=("REDIS_URL",))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the finally: drop the database
    sys.exit(main())
