"""Export batches to a spreadsheet in 1C's columns, so an export can be imported back."""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from mes_web.clock import isoformat, plant_tz, utcnow
from mes_web.extensions import db
from mes_web.models import Batch, Product, WorkCenter
from mes_web.selectors.batches import BatchFilters, batches_filtered

ROWS_PER_PROGRESS = 5_000


def _units(aggregated_only: bool):
    query = select(func.count()).where(Product.batch_id == Batch.id)
    if aggregated_only:
        query = query.where(Product.is_aggregated.is_(True))
    return query.correlate(Batch).scalar_subquery()


# The file's columns: 1C's names first, in 1C's order, then what only we know.
COLUMNS = {
    "СтатусЗакрытия": Batch.is_closed,
    "ПредставлениеЗаданияНаСмену": Batch.task_description,
    "РабочийЦентр": WorkCenter.name,
    "Смена": Batch.shift,
    "Бригада": Batch.team,
    "НомерПартии": Batch.batch_number,
    "ДатаПартии": Batch.batch_date,
    "Номенклатура": Batch.nomenclature,
    "КодЕКН": Batch.ekn_code,
    "ИдентификаторРЦ": WorkCenter.identifier,
    "ДатаВремяНачалаСмены": Batch.shift_start,
    "ДатаВремяОкончанияСмены": Batch.shift_end,
    "ВсегоЕдиниц": _units(False),
    "Агрегировано": _units(True),
    "ДатаВремяЗакрытия": Batch.closed_at,
    "ИдентификаторПартии": Batch.id,
}


def _csv_value(value):
    if isinstance(value, bool):
        return "Да" if value else "Нет"
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def _excel_value(value):
    if isinstance(value, bool):
        return "Да" if value else "Нет"
    if isinstance(value, datetime):  # Excel has no time zones: the plant's wall clock, as 1C means it
        return value.astimezone(plant_tz()).replace(tzinfo=None)
    return value


@dataclass(frozen=True)
class ExportFormat:
    extension: str
    content_type: str
    write: Callable[[Iterator[tuple], Path, Callable[[int], None]], int]


def _write_csv(rows: Iterator[tuple], target: Path, counted: Callable[[int], None]) -> int:
    # UTF-8 with BOM and «;»: Excel on a Russian Windows opens it as columns, and 1C reads it back.
    written = 0
    with target.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(COLUMNS)
        for written, row in enumerate(rows, 1):  # noqa: B007 - the count is the result
            writer.writerow([_csv_value(value) for value in row])
            counted(written)
    return written


def _write_excel(rows: Iterator[tuple], target: Path, counted: Callable[[int], None]) -> int:
    workbook, written = Workbook(write_only=True), 0
    sheet = workbook.create_sheet("Партии")
    sheet.append(list(COLUMNS))
    for written, row in enumerate(rows, 1):  # noqa: B007 - the count is the result
        sheet.append([_excel_value(value) for value in row])
        counted(written)
    workbook.save(target)
    return written


EXPORT_FORMATS = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", _write_csv),
    "excel": ExportFormat("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _write_excel),
}


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    content_type: str
    total_batches: int


def _rows(filters: BatchFilters) -> Iterator[tuple]:
    query = select(*COLUMNS.values()).join(WorkCenter, Batch.work_center_id == WorkCenter.id)
    query = batches_filtered(query, filters).order_by(Batch.batch_date, Batch.batch_number, Batch.id)
    # yield_per streams through a server-side cursor: 100,000 batches never sit in memory at once.
    yield from db.session.execute(query.execution_options(yield_per=2_000))


def batches_export_write(
    *, filters: BatchFilters, file_format: str, target: Path, progress: Callable[[int, int], None] | None = None
) -> ExportFile:
    """Write the batches the filters select to `target`; the count is the rows written."""
    chosen = EXPORT_FORMATS[file_format]
    expected = db.session.scalar(batches_filtered(select(func.count(Batch.id)), filters))

    def counted(written: int) -> None:
        if progress and written % ROWS_PER_PROGRESS == 0:
            progress(min(written, expected), expected)

    total = chosen.write(_rows(filters), target, counted)
    file_name = f"Партии {utcnow().astimezone(plant_tz()):%Y-%m-%d %H-%M}.{chosen.extension}"
    return ExportFile(file_name, chosen.content_type, total)
