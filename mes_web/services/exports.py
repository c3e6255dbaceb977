"""Export batches to a spreadsheet in 1C's columns, so an export can be imported back."""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from mes_web.clock import isoformat, plant_tz, utcnow
from mes_web.extensions import db
from mes_web.models import Batch, Product, WorkCenter
from mes_web.selectors.batches import BatchFilters, batches_filtered

ROWS_PER_PROGRESS = 5_000
EXTRA_COLUMNS = ["ВсегоЕдиниц", "Агрегировано", "ДатаВремяЗакрытия", "ИдентификаторПартии"]
COLUMNS = [
    "СтатусЗакрытия",
    "ПредставлениеЗаданияНаСмену",
    "РабочийЦентр",
    "Смена",
    "Бригада",
    "НомерПартии",
    "ДатаПартии",
    "Номенклатура",
    "КодЕКН",
    "ИдентификаторРЦ",
    "ДатаВремяНачалаСмены",
    "ДатаВремяОкончанияСмены",
    *EXTRA_COLUMNS,
]


@dataclass(frozen=True)
class ExportFormat:
    extension: str
    content_type: str

    def file_name(self) -> str:
        return f"Партии {utcnow().astimezone(plant_tz()):%Y-%m-%d %H-%M}.{self.extension}"


EXPORT_FORMATS = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8"),
    "excel": ExportFormat("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def _units(aggregated_only: bool):
    query = select(func.count()).where(Product.batch_id == Batch.id)
    if aggregated_only:
        query = query.where(Product.is_aggregated.is_(True))
    return query.correlate(Batch).scalar_subquery()


def _export_query(filters: BatchFilters):
    columns = (
        Batch.is_closed,
        Batch.task_description,
        WorkCenter.name,
        Batch.shift,
        Batch.team,
        Batch.batch_number,
        Batch.batch_date,
        Batch.nomenclature,
        Batch.ekn_code,
        WorkCenter.identifier,
        Batch.shift_start,
        Batch.shift_end,
        _units(False),
        _units(True),
        Batch.closed_at,
        Batch.id,
    )
    query = select(*columns).join(WorkCenter, Batch.work_center_id == WorkCenter.id)
    return batches_filtered(query, filters).order_by(Batch.batch_date, Batch.batch_number, Batch.id)


def _rows(filters: BatchFilters) -> Iterator[tuple]:
    # yield_per streams through a server-side cursor: 100,000 batches never sit in memory at once.
    yield from db.session.execute(_export_query(filters).execution_options(yield_per=2_000))


def _write_csv(rows: Iterator[tuple], target: Path, progress: Callable) -> None:
    # UTF-8 with BOM and «;»: Excel on a Russian Windows opens it as columns, and 1C reads it back.
    with target.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(COLUMNS)
        for index, row in enumerate(rows, 1):
            values = list(row)
            values[0] = "Да" if values[0] else "Нет"
            values[6] = values[6].isoformat()
            for column in (10, 11, 14):
                values[column] = isoformat(values[column]) or ""
            writer.writerow(values)
            progress(index)


def _write_excel(rows: Iterator[tuple], target: Path, progress: Callable) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Партии")
    sheet.append(COLUMNS)
    zone = plant_tz()
    for index, row in enumerate(rows, 1):
        values = list(row)
        values[0] = "Да" if values[0] else "Нет"
        # Excel has no time zones: datetimes are the plant's wall clock, as 1C means them.
        for column in (10, 11, 14):
            values[column] = values[column] and values[column].astimezone(zone).replace(tzinfo=None)
        sheet.append(values)
        progress(index)
    workbook.save(target)


def batches_export_write(
    *, filters: BatchFilters, file_format: str, target: Path, progress: Callable[[int, int], None] | None = None
) -> int:
    """Write the batches the filters select to `target`; return how many."""
    total = db.session.scalar(batches_filtered(select(func.count(Batch.id)), filters))

    def written(count: int) -> None:
        if progress and (count % ROWS_PER_PROGRESS == 0 or count == total):
            progress(count, total)

    writer = _write_csv if file_format == "csv" else _write_excel
    writer(_rows(filters), target, written)
    return total
