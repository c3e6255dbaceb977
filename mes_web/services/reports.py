"""A batch's report as a file: a PDF to print and keep, an Excel workbook to work the figures further."""

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from babel.numbers import format_decimal
from flask import current_app, render_template
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from mes_web.clock import plant_tz
from mes_web.errors import Invalid
from mes_web.integrations.gs1 import GS
from mes_web.integrations.pdf import pdf_write, static_url
from mes_web.selectors.charts import Series, line_chart
from mes_web.selectors.reports import BatchReport, batch_report, report_units

REPORT_FORMATS = {
    "pdf": ("pdf", "application/pdf"),
    "excel": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
Progress = Callable[[int, int], None]

# static/css/print.css sets codes in 6.5 pt DejaVu Sans Mono (0.602 em a character) on 8 pt lines, on A4
# with 18/16 mm top/bottom and 12 mm side margins: the lines a unit page holds, and the characters of a line.
ROWS_PER_PAGE = 88
LINE_CHARACTERS = 133
COLUMN_GAP = 3
TIME_WIDTH = len("00:00:00")
CODE_HEAD = "Код маркировки"
NOT_AGGREGATED = "—"
# GS (U+001D) can be neither drawn nor stored in an .xlsx (XML 1.0); gs1.identification_code reads <GS> as GS.
GS_SHOWN = "<GS>"
PROGRESS_EVERY = 1_000


@dataclass(frozen=True)
class ReportFile:
    file_name: str  # Cyrillic, «Партия 22222 от 2024-01-30.pdf»: the download sends it as RFC 6266 filename*
    content_type: str


def report_write(*, batch_id: int, file_format: str, target: Path, progress: Progress | None = None) -> ReportFile:
    """Write the batch's report in `file_format` to `target`.

    progress(current, total) follows the work: the PDF reports its three phases (read, HTML, laid out
    and written), the workbook every 1,000 units and its save (total = units + 1).
    """
    if file_format not in REPORT_FORMATS:
        raise Invalid(
            "Формат отчёта: pdf или excel.", fields={"format": "неизвестный формат отчёта; допустимы pdf и excel"}
        )
    report = batch_report(batch_id)
    _WRITERS[file_format](report, Path(target), progress or (lambda current, total: None))
    extension, content_type = REPORT_FORMATS[file_format]
    batch = report.batch
    return ReportFile(f"Партия {batch.batch_number} от {batch.batch_date.isoformat()}.{extension}", content_type)


def _number(value: float) -> str:
    return format_decimal(value, format="#,##0.##", locale="ru")


def _plant(moment: datetime | None) -> datetime | None:
    """Plant time without a zone: Excel has none, and the workbook says which zone it is."""
    return None if moment is None else moment.astimezone(plant_tz()).replace(tzinfo=None)


def _chart(report: BatchReport):
    tz = plant_tz()
    labels = [hour.start.astimezone(tz).strftime("%H:%M") for hour in report.hours]
    series = [
        Series("Агрегировано", [hour.aggregated for hour in report.hours]),
        Series("Нужный темп", [hour.needed for hour in report.hours], dashed=True),
    ]
    every = max(1, math.ceil(len(labels) / 12))
    return line_chart(labels, series, title="Агрегировано единиц по часам смены", number=_number, label_every=every)


@dataclass(frozen=True)
class UnitLayout:
    """Units side by side on fixed-width lines: each line holds a unit of every column."""

    columns: int
    code_width: int
    wrapping: bool  # a code too long for a line wraps (one column)

    @property
    def entry_width(self) -> int:
        return self.code_width + 1 + TIME_WIDTH

    def line(self, entries: list[str]) -> str:
        return (" " * COLUMN_GAP).join(entries).rstrip()

    def rules(self) -> list[float]:
        """Where the rules between columns go, in characters from the left edge."""
        step = self.entry_width + COLUMN_GAP
        return [column * step + self.entry_width + COLUMN_GAP / 2 for column in range(self.columns - 1)]


def unit_layout(longest_code: int) -> UnitLayout:
    """As many columns as the longest code allows, so every time stays in its column."""
    width = max(longest_code, len(CODE_HEAD))
    for columns in (3, 2):
        if columns * (width + 1 + TIME_WIDTH) + (columns - 1) * COLUMN_GAP <= LINE_CHARACTERS:
            return UnitLayout(columns, width, wrapping=False)
    room = LINE_CHARACTERS - 1 - TIME_WIDTH
    return UnitLayout(1, min(width, room), wrapping=width > room)


@dataclass(frozen=True)
class UnitPage:
    first: int
    last: int
    text: str  # ROWS_PER_PAGE lines at most


def _page(entries: list[str], before: int, layout: UnitLayout) -> UnitPage:
    """Units run down a column, then the next; a short last page is balanced across its columns."""
    rows = math.ceil(len(entries) / layout.columns)
    lines = (layout.line(entries[row::rows]) for row in range(rows))
    return UnitPage(before + 1, before + len(entries), "\n".join(lines))


def unit_pages(units: Iterable, layout: UnitLayout) -> Iterator[UnitPage]:
    """The units as pages of fixed-width lines of «code HH:MM:SS», made as the rows stream in."""
    tz, per_page, entries, before = plant_tz(), layout.columns * ROWS_PER_PAGE, [], 0
    for code, is_aggregated, moment in units:
        shown = moment.astimezone(tz).strftime("%H:%M:%S") if is_aggregated and moment else NOT_AGGREGATED
        entries.append(f"{code.replace(GS, GS_SHOWN):<{layout.code_width}} {shown:^{TIME_WIDTH}}")
        if len(entries) == per_page:
            yield _page(entries, before, layout)
            before, entries = before + per_page, []
    if entries:
        yield _page(entries, before, layout)


def _pdf_write(report: BatchReport, target: Path, progress: Progress) -> None:
    progress(1, 3)
    layout = unit_layout(report.longest_code)
    with report_units(report.batch.id) as units:
        html = render_template(
            "pdf/batch_report.html",
            report=report,
            chart=_chart(report),
            number=_number,
            stylesheet=static_url("css/print.css"),
            unit_pages=unit_pages(units, layout),
            layout=layout,
            head=layout.line([f"{CODE_HEAD:<{layout.code_width}} {'Время':^{TIME_WIDTH}}"] * layout.columns),
        )
    progress(2, 3)
    pdf_write(html, target)
    progress(3, 3)


BOLD = Font(bold=True)
DATE, DATE_TIME, HOUR = "DD.MM.YYYY", "DD.MM.YYYY HH:MM:SS", "DD.MM.YYYY HH:MM"


def _cell(sheet, value, number_format: str | None = None, font: Font | None = None) -> WriteOnlyCell:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value.replace(GS, GS_SHOWN))
    cell = WriteOnlyCell(sheet, value)
    if number_format:
        cell.number_format = number_format
    if font:
        cell.font = font
    return cell


def _sheet(book: Workbook, title: str, head: list[str], widths: list[int]):
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABC", widths, strict=False):
        sheet.column_dimensions[letter].width = width
    sheet.append([_cell(sheet, name, font=BOLD) for name in head])
    return sheet


def _info_rows(report: BatchReport) -> list[tuple[str, object, str | None]]:
    batch = report.batch
    return [
        ("Номер партии", batch.batch_number, None),
        ("Дата партии", batch.batch_date, DATE),
        ("Рабочий центр", batch.work_center.name, None),
        ("Идентификатор рабочего центра", batch.work_center.identifier, None),
        ("Смена", batch.shift, None),
        ("Бригада", batch.team, None),
        ("Номенклатура", batch.nomenclature, None),
        ("Код ЕКН", batch.ekn_code, None),
        ("Задание на смену", batch.task_description, None),
        ("Начало смены", _plant(batch.shift_start), DATE_TIME),
        ("Окончание смены", _plant(batch.shift_end), DATE_TIME),
        ("Статус", "закрыта" if batch.is_closed else "открыта", None),
        ("Закрыта", _plant(batch.closed_at), DATE_TIME),
        ("Сформирован", _plant(report.generated_at), DATE_TIME),
        ("Часовой пояс времени в отчёте", current_app.config["PLANT_TIMEZONE"], None),
    ]


def _statistics_rows(report: BatchReport) -> list[tuple[str, object, str | None]]:
    production, timeline = report.statistics["production_stats"], report.statistics["timeline"]
    finish = timeline["estimated_completion"]
    return [
        ("Всего единиц", production["total_products"], None),
        ("Агрегировано", production["aggregated"], None),
        ("Осталось", production["remaining"], None),
        ("Агрегировано, %", production["aggregation_rate"], "0.00"),
        ("Единиц в час", timeline["products_per_hour"], "0.00"),
        ("Длительность смены, ч", timeline["shift_duration_hours"], "0.00"),
        ("Прошло смены, ч", timeline["elapsed_hours"], "0.00"),
        ("Ожидаемое окончание", _plant(datetime.fromisoformat(finish)) if finish else None, DATE_TIME),
        ("Агрегировано вне окна смены", report.outside_shift, None),
    ]


def _pairs(sheet, rows: list[tuple[str, object, str | None]]) -> None:
    for name, value, number_format in rows:
        sheet.append([_cell(sheet, name), _cell(sheet, value, number_format)])


def _excel_write(report: BatchReport, target: Path, progress: Progress) -> None:
    book = Workbook(write_only=True)
    _pairs(_sheet(book, "Информация о партии", ["Поле", "Значение"], [34, 60]), _info_rows(report))
    products = _sheet(book, "Продукция", ["Код", "Агрегирована", "Время агрегации"], [40, 14, 22])
    total = report.statistics["production_stats"]["total_products"] + 1
    with report_units(report.batch.id) as units:
        for done, (code, is_aggregated, moment) in enumerate(units, start=1):
            when = _plant(moment) if is_aggregated else None
            products.append([_cell(products, code), "да" if is_aggregated else "нет", _cell(products, when, DATE_TIME)])
            if done % PROGRESS_EVERY == 0:
                progress(done, total)
    statistics = _sheet(book, "Статистика", ["Показатель", "Значение"], [30, 16, 16])
    _pairs(statistics, _statistics_rows(report))
    statistics.append([])
    statistics.append([_cell(statistics, name, font=BOLD) for name in ("Час смены", "Агрегировано", "Нужный темп")])
    for hour in report.hours:
        statistics.append([_cell(statistics, _plant(hour.start), HOUR), hour.aggregated, hour.needed])
    book.save(target)
    progress(total, total)


_WRITERS = {"pdf": _pdf_write, "excel": _excel_write}
