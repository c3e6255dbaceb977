"""Importing shift tasks from a table file: the rules of POST /batches, row by row, in one transaction."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from mes_web.extensions import db
from mes_web.models import Batch, Event, WorkCenter
from mes_web.services.imports import batches_import
from mes_web.services.shift_task_files import table_rows
from mes_web.services.transaction import SYSTEM

SAMPLES = Path(__file__).parent.parent / "samples"
SAMPLE_FILES = ["shift_tasks_1c.csv", "shift_tasks_1c.xlsx"]
SAMPLE_ERRORS = [
    {"row": 7, "error": "НомерПартии: должно быть целым числом"},
    {"row": 8, "error": "НомерПартии и ДатаПартии повторяют строку 3 (партия 22223 от 30.01.2024); строка пропущена"},
]
HEADER = ";".join(
    ["СтатусЗакрытия", "РабочийЦентр", "НомерПартии", "ДатаПартии", "Номенклатура", "ИдентификаторРЦ"]
    + ["ДатаВремяНачалаСмены", "ДатаВремяОкончанияСмены"]
)


def _import(path: Path, *, dry_run: bool = False, **options):
    return batches_import(
        rows=table_rows(path, path.name), dry_run=dry_run, actor=SYSTEM, file_name=path.name, **options
    )


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count(model.id))) for model in (Batch, WorkCenter, Event))


def _csv(tmp_path: Path, lines: list[str], name: str = "tasks.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8-sig")
    return path


def _batch(number: int) -> Batch:
    return db.session.scalars(select(Batch).where(Batch.batch_number == number)).one()


def _kinds(batch: Batch) -> list[str]:
    return db.session.scalars(select(Event.event_type).where(Event.batch_id == batch.id).order_by(Event.id)).all()


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_a_1c_sample_file_imports_its_valid_rows_and_reports_the_others(app, name):
    result = _import(SAMPLES / name)
    assert result.to_json() == {"total_rows": 7, "created": 5, "updated": 0, "skipped": 2, "errors": SAMPLE_ERRORS}
    assert _counts()[:2] == (5, 3)
    closed = _batch(22224)
    assert closed.is_closed and closed.closed_at is not None
    assert _kinds(closed) == ["batch_created", "batch_closed"]
    assert _batch(22223).shift_start == datetime(2024, 1, 30, 5, tzinfo=UTC)  # 08:00 plant time, no offset given
    assert _batch(22222).shift_start == datetime(2024, 1, 30, 15, tzinfo=UTC)  # 20:00+05:00
    assert _batch(22225).nomenclature == "Гайка М10"
    done = db.session.scalars(select(Event).where(Event.event_type == "import_completed")).one()
    assert done.batch_id is None and done.actor == SYSTEM.label
    assert done.payload == {"file_name": name, "total_rows": 7, "created": 5, "updated": 0, "skipped": 2}


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_a_dry_run_writes_nothing_and_counts_as_the_real_run(pg, name):
    planned = _import(SAMPLES / name, dry_run=True)
    assert _counts() == (0, 0, 0)
    done = _import(SAMPLES / name)
    assert planned.to_json() == done.to_json()
    after_import = _counts()
    again = _import(SAMPLES / name, dry_run=True)
    assert _counts() == after_import
    assert (again.created, again.updated, again.skipped, again.errors) == (0, 5, 2, SAMPLE_ERRORS)


def test_a_second_import_updates_instead_of_creating(pg):
    first = _import(SAMPLES / "shift_tasks_1c.csv")
    ids = set(db.session.scalars(select(Batch.id)))
    second = _import(SAMPLES / "shift_tasks_1c.xlsx")
    assert (first.created, second.created, second.updated, second.skipped) == (5, 0, 5, 2)
    assert set(db.session.scalars(select(Batch.id))) == ids
    assert db.session.scalar(select(func.count(Event.id)).where(Event.event_type == "batch_updated")) == 0


def test_an_overwrite_logs_changes_and_reopens_and_an_empty_status_keeps_a_batch_closed(pg, tmp_path):
    row = "Да;Цех №1;101;2024-01-30;Болт;RC-1;2024-01-30T08:00:00;2024-01-30T20:00:00"
    other = "Да;Цех №1;102;2024-01-30;Гайка;RC-1;2024-01-30T08:00:00;2024-01-30T20:00:00"
    _import(_csv(tmp_path, [row, other]))
    changed = row.replace("Да;", "Нет;", 1).replace("Болт", "Болт М12")
    result = _import(_csv(tmp_path, [changed, other.replace("Да;", ";", 1)], name="again.csv"))
    assert (result.created, result.updated) == (0, 2)
    reopened, kept = _batch(101), _batch(102)
    assert (reopened.is_closed, reopened.closed_at, reopened.nomenclature) == (False, None, "Болт М12")
    assert _kinds(reopened) == ["batch_created", "batch_closed", "batch_updated", "batch_reopened"]
    assert kept.is_closed and _kinds(kept) == ["batch_created", "batch_closed"]
    update = db.session.scalars(select(Event).where(Event.event_type == "batch_updated")).one()
    assert update.payload == {"changes": {"nomenclature": {"old": "Болт", "new": "Болт М12"}}}


def test_every_problem_of_a_row_is_named_by_its_column(pg, tmp_path):
    rows = [
        "Нет;Цех №1;x;нет;Болт;RC-1;2024-01-30T08:00:00;2024-01-30T20:00:00",
        "Нет;Цех №1;5;2024-01-30;;RC-1;2024-01-30T08:00:00;2024-01-30T07:00:00",
        "может быть;Цех №1;6;2024-01-30;Болт;RC-1;2024-01-30T08:00:00;2024-01-30T20:00:00",
    ]
    result = _import(_csv(tmp_path, rows))
    assert result.errors == [
        {"row": 2, "error": "НомерПартии: должно быть целым числом; ДатаПартии: должно быть датой ГГГГ-ММ-ДД"},
        {
            "row": 3,
            "error": "Номенклатура: обязательное поле;"
            " ДатаВремяОкончанияСмены: окончание смены должно быть позже начала",
        },
        {"row": 4, "error": "СтатусЗакрытия: должно быть true или false"},
    ]
    assert (result.total_rows, result.created, result.skipped) == (3, 0, 3)
    assert _counts()[:2] == (0, 0)


def test_english_headers_are_imported_and_named_in_errors(pg, tmp_path):
    path = tmp_path / "tasks.csv"
    path.write_text(
        "batch_number,batch_date,work_center_identifier,work_center_name,nomenclature,shift_start,shift_end,team\n"
        "7,2024-02-01,EN-1,Line EN,Bolt,2024-02-01T08:00:00+03:00,2024-02-01T20:00:00+03:00,Team A\n"
        "8,,EN-1,Line EN,Nut,2024-02-01T08:00:00+03:00,2024-02-01T20:00:00+03:00,Team A\n",
        encoding="utf-8",
    )
    result = _import(path)
    assert (result.created, result.errors) == (1, [{"row": 3, "error": "batch_date: обязательное поле"}])
    assert (_batch(7).team, _batch(7).work_center.name) == ("Team A", "Line EN")


def test_excel_dates_and_numbers_are_read_as_1c_means_them(pg, tmp_path):
    workbook = Workbook()
    workbook.active.append(HEADER.split(";"))
    start, end = datetime(2024, 1, 30, 20), datetime(2024, 1, 31, 8)
    workbook.active.append([False, "Цех №1", 22222, datetime(2024, 1, 30), "Болт", 7, start, end])
    workbook.save(tmp_path / "tasks.xlsx")
    assert _import(tmp_path / "tasks.xlsx").created == 1
    batch = _batch(22222)
    assert (batch.batch_date.isoformat(), batch.work_center.identifier) == ("2024-01-30", "7")
    assert (batch.shift_start, batch.shift_end) == (
        datetime(2024, 1, 30, 17, tzinfo=UTC),
        datetime(2024, 1, 31, 5, tzinfo=UTC),
    )


def test_progress_is_reported_per_thousand_rows_not_per_row(pg):
    task = {"РабочийЦентр": "Цех", "ДатаПартии": "2024-01-30", "Номенклатура": "Болт", "ИдентификаторРЦ": "RC"}
    task |= {"ДатаВремяНачалаСмены": "2024-01-30T08:00:00", "ДатаВремяОкончанияСмены": "2024-01-30T20:00:00"}
    rows = ((n + 2, task | {"НомерПартии": n + 1}) for n in range(2_500))
    calls = []
    result = batches_import(
        rows=rows, dry_run=True, actor=SYSTEM, progress=lambda done, total: calls.append((done, total))
    )
    assert result.created == 2_500
    assert calls == [(1_000, 2_500), (2_000, 2_500), (2_500, 2_500)]


def test_a_failure_while_writing_leaves_nothing(pg):
    # A trigger makes PostgreSQL refuse one batch after the work centers and earlier rows were written;
    # field checks let nothing through that the schema would refuse, so the failure has to be staged.
    db.session.execute(
        text(
            "CREATE FUNCTION refuse_batch() RETURNS trigger LANGUAGE plpgsql"
            " AS 'BEGIN RAISE EXCEPTION ''disk full''; END'"
        )
    )
    db.session.execute(
        text(
            "CREATE TRIGGER refuse_batch BEFORE INSERT ON batches FOR EACH ROW"
            " WHEN (NEW.batch_number = 22225) EXECUTE FUNCTION refuse_batch()"
        )
    )
    db.session.commit()  # a savepoint of the test's transaction: the trigger goes when the test ends
    with pytest.raises(DBAPIError, match="disk full"):
        _import(SAMPLES / "shift_tasks_1c.csv")
    assert _counts() == (0, 0, 0)
