"""Read a table of shift tasks from a file: an Excel workbook (.xlsx) or a CSV saved by 1C or by hand.

A row comes out as {header: value} for the known columns only, keyed by the header as the file
spells it (Russian 1C keys or English names, spaces trimmed). Cells read as a CSV would give them
(text), so both formats meet the same field rules; only yes/no and dates keep their Excel types.
An empty cell is None, as if the key were absent.
"""

import codecs
import csv
import warnings
import zipfile
import zlib
from collections.abc import Generator
from contextlib import closing
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from mes_web.errors import Invalid
from mes_web.services.shift_tasks import TASK_FIELDS

FIELD_OF_COLUMN = {fld.russian: fld for fld in TASK_FIELDS} | {fld.name: fld for fld in TASK_FIELDS}
SNIFF_BYTES = 64 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls, and any password-protected workbook
# What openpyxl raises on a zip that is not a workbook or on broken sheet XML (ParseError is a SyntaxError).
_BROKEN_WORKBOOK = (zipfile.BadZipFile, zlib.error, InvalidFileException, KeyError, ValueError, TypeError)
_BROKEN_WORKBOOK += (OSError, EOFError, SyntaxError)


class UnreadableTable(Invalid):
    """A file that is not a table of shift tasks; the message says what to do about it."""

    code = "unsupported_file"


def table_check(path: Path, file_name: str) -> None:
    """Refuse at once a file that is not a readable table with at least one task row."""
    with closing(table_rows(path, file_name)) as rows:
        if next(rows, None) is None:
            raise UnreadableTable("В файле нет ни одной строки с заданием: только заголовок.")


def table_rows(path: Path, file_name: str) -> Generator[tuple[int, dict[str, object]], None, None]:
    """(row number as a spreadsheet shows it, {header: value}) for each non-blank row under the header."""
    head = _head(path)
    kind = Path(file_name).suffix.lower()
    if kind == ".xlsx":
        rows = _xlsx_rows(path, head)
    elif kind == ".csv":
        rows = _csv_rows(path, head)
    else:
        raise UnreadableTable(f"Нужен файл .xlsx или .csv, а загружен «{file_name}». Сохраните таблицу в одном из них.")
    return _records(rows)


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        head = file.read(SNIFF_BYTES)
    if not head.strip().removeprefix(codecs.BOM_UTF8).strip():
        raise UnreadableTable("Файл пуст.")
    return head


def _records(rows: Generator[list, None, None]) -> Generator[tuple[int, dict[str, object]], None, None]:
    with closing(rows):  # the file closes as soon as the reader stops, not when it is collected
        header = next(rows, None)
        if header is None:
            raise UnreadableTable("Таблица пуста: в ней нет ни заголовка, ни строк.")
        columns = _columns(header)
        for number, cells in enumerate(rows, start=2):
            values = {name: _cell(cells[index]) if index < len(cells) else None for index, name in columns}
            if any(value is not None for value in values.values()):
                yield number, values


def _columns(header: list) -> list[tuple[int, str]]:
    """(position, name) of the known columns; refuse a header a plant person must fix first."""
    names = [str(cell).strip() if cell is not None else "" for cell in header]
    columns = [(index, name) for index, name in enumerate(names) if name in FIELD_OF_COLUMN]
    if not columns:
        raise UnreadableTable(
            "В первой строке нет ни одного известного столбца: первой строкой должен быть заголовок"
            " с именами столбцов 1С (НомерПартии, ДатаПартии, РабочийЦентр…)."
        )
    spellings: dict[str, list[str]] = {}
    for _, name in columns:
        spellings.setdefault(FIELD_OF_COLUMN[name].russian, []).append(name)
    repeated = [" и ".join(names) for names in spellings.values() if len(names) > 1]
    if repeated:
        raise UnreadableTable(f"Столбец повторяется в заголовке: {'; '.join(repeated)}. Оставьте один.")
    missing = [fld.russian for fld in TASK_FIELDS if fld.required and fld.russian not in spellings]
    if missing:
        raise UnreadableTable(f"В файле нет обязательных столбцов: {', '.join(missing)}.")
    return columns


def _cell(value) -> object:
    """A cell as text (as in a CSV), None when empty; yes/no and dates keep their Excel types."""
    if value is None or isinstance(value, bool | datetime | date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = str(value).strip()
    return value or None


def _xlsx_rows(path: Path, head: bytes) -> Generator[list, None, None]:
    if head.startswith(OLE_MAGIC):
        raise UnreadableTable(
            "Это книга старого формата Excel (.xls) или книга с паролем: сохраните её как .xlsx без пароля."
        )
    if not head.startswith(ZIP_MAGIC):
        raise UnreadableTable("Файл не является книгой Excel .xlsx (повреждён или это другой формат).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a missing default style and the like
            workbook = load_workbook(path, read_only=True, data_only=True)
    except _BROKEN_WORKBOOK:
        raise _broken_workbook() from None
    try:
        if not workbook.worksheets:
            raise UnreadableTable("В книге Excel нет листов с таблицей.")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the size a writer recorded may be wrong; read every cell there is
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except _BROKEN_WORKBOOK:
        raise _broken_workbook() from None
    finally:
        workbook.close()


def _broken_workbook() -> UnreadableTable:
    return UnreadableTable("Книга Excel повреждена и не читается; откройте её в Excel и сохраните заново как .xlsx.")


def _csv_rows(path: Path, head: bytes) -> Generator[list, None, None]:
    if b"\x00" in head:
        raise UnreadableTable(
            "Файл .csv не похож на текст (это UTF-16 или двоичный файл); сохраните его как CSV UTF-8."
        )
    _utf8_or_refuse(head, final=len(head) < SNIFF_BYTES)
    first_line = head.decode("utf-8", errors="replace").removeprefix("\ufeff").splitlines()[0]
    delimiter = max(";,", key=lambda sep: (_known_count(first_line, sep), first_line.count(sep)))
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file, delimiter=delimiter)
        try:
            yield from reader
        except UnicodeDecodeError:
            raise _not_utf8() from None
        except csv.Error:
            raise UnreadableTable(
                f"Файл .csv не читается как таблица около строки {reader.line_num}: проверьте кавычки в ней."
            ) from None


def _known_count(line: str, delimiter: str) -> int:
    cells = next(csv.reader([line], delimiter=delimiter), [])
    return sum(cell.strip() in FIELD_OF_COLUMN for cell in cells)


def _utf8_or_refuse(head: bytes, *, final: bool) -> None:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=final)
    except UnicodeDecodeError:
        raise _not_utf8() from None


def _not_utf8() -> UnreadableTable:
    return UnreadableTable(
        "Файл .csv не в кодировке UTF-8 (похоже, Windows-1251). Сохраните его как «CSV UTF-8» и загрузите снова."
    )
