"""Reading a shift-task table from .xlsx or .csv; a file that is not such a table is refused at once."""

import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from mes_web.services.shift_task_files import UnreadableTable, table_check, table_rows

SAMPLES = Path(__file__).parent.parent / "samples"
HEADER = ";".join(
    ["СтатусЗакрытия", "РабочийЦентр", "НомерПартии", "ДатаПартии", "Номенклатура", "ИдентификаторРЦ"]
    + ["ДатаВремяНачалаСмены", "ДатаВремяОкончанияСмены"]
)
ROW = "Нет;Цех №1;101;2024-01-30;Болт;RC-1;2024-01-30T08:00:00;2024-01-30T20:00:00"


def _rows(path: Path, name: str | None = None) -> list:
    return list(table_rows(path, name or path.name))


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _xlsx(tmp_path: Path, rows: list[list], name: str = "tasks.xlsx") -> Path:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(tmp_path / name)
    return tmp_path / name


def _refusal(path: Path, name: str | None = None) -> str:
    with pytest.raises(UnreadableTable) as refused:
        table_check(path, name or path.name)
    assert (refused.value.status, refused.value.code) == (422, "unsupported_file")
    return refused.value.detail


@pytest.mark.parametrize("name", ["shift_tasks_1c.csv", "shift_tasks_1c.xlsx"])
def test_the_1c_samples_read_row_by_row_with_spreadsheet_row_numbers(name):
    table_check(SAMPLES / name, name)
    rows = _rows(SAMPLES / name)
    assert [number for number, _ in rows] == [2, 3, 4, 5, 6, 7, 8]
    number, first = rows[0]
    assert first["НомерПартии"] == "22222"
    assert first["ДатаВремяНачалаСмены"] == "2024-01-30T20:00:00+05:00"
    assert len(first) == 12
    assert rows[5][1]["НомерПартии"] == "двадцать"
    closed = rows[2][1]["СтатусЗакрытия"]
    assert closed in ("Да", True)


def test_csv_and_xlsx_samples_hold_the_same_cells_apart_from_yes_no():
    def comparable(rows):
        return [(n, {k: v for k, v in row.items() if k != "СтатусЗакрытия"}) for n, row in rows]

    assert comparable(_rows(SAMPLES / "shift_tasks_1c.csv")) == comparable(_rows(SAMPLES / "shift_tasks_1c.xlsx"))


def test_comma_separated_csv_without_bom_with_english_headers_and_quoted_cells(tmp_path):
    content = (
        "batch_number,batch_date,work_center_identifier,work_center_name,nomenclature,shift_start,shift_end,notes\n"
        '7,2024-02-01,EN-1,"Line 1, hall B",Bolt,2024-02-01T08:00:00,2024-02-01T20:00:00,"two\nlines"\n'
        "8,2024-02-01,EN-1,Line 1,Nut,2024-02-01T08:00:00,2024-02-01T20:00:00,\n"
    )
    rows = _rows(_write(tmp_path, "tasks.csv", content.encode()))
    assert [number for number, _ in rows] == [2, 3]  # a cell with a line break stays one row
    assert rows[0][1]["work_center_name"] == "Line 1, hall B"
    assert "notes" not in rows[0][1]


def test_headers_are_trimmed_blank_rows_skipped_and_empty_cells_are_none(tmp_path):
    content = f" {HEADER.replace(';', ' ; ')} ;Комментарий\n{ROW};\n;;;;;;;\n\n{ROW.replace('101', '102')};\n"
    rows = _rows(_write(tmp_path, "tasks.csv", content.encode("utf-8-sig")))
    assert [number for number, _ in rows] == [2, 5]
    assert rows[1][1]["НомерПартии"] == "102"
    short = f"{HEADER}\nДа;Цех №1;103\n"
    [(_, row)] = _rows(_write(tmp_path, "short.csv", short.encode()))
    assert (row["СтатусЗакрытия"], row["ДатаПартии"], row["Номенклатура"]) == ("Да", None, None)


def test_excel_cells_keep_dates_and_yes_no_and_give_numbers_as_text(tmp_path):
    header = HEADER.split(";") + ["Смена"]
    start, end = datetime(2024, 1, 30, 8), datetime(2024, 1, 30, 20)
    path = _xlsx(
        tmp_path,
        [header, [True, "Цех №1", 101, datetime(2024, 1, 30), "Болт", "RC-1", start, end, 1], [], [None] * 9]
        + [[False, "Цех №1", 102.0, "30.01.2024", "Гайка", 7, start, end, 2.5]],
    )
    rows = _rows(path)
    assert [number for number, _ in rows] == [2, 5]
    first, second = rows[0][1], rows[1][1]
    assert (first["СтатусЗакрытия"], first["НомерПартии"], first["Смена"]) == (True, "101", "1")
    assert first["ДатаВремяНачалаСмены"] == start and first["ДатаПартии"] == datetime(2024, 1, 30)
    assert (second["НомерПартии"], second["ИдентификаторРЦ"], second["Смена"]) == ("102", "7", "2.5")


@pytest.mark.parametrize("name", ["tasks.txt", "tasks.pdf", "tasks.xls", "tasks"])
def test_a_file_of_another_type_is_refused_by_its_name(tmp_path, name):
    path = _write(tmp_path, name, f"{HEADER}\n{ROW}\n".encode())
    assert "Нужен файл .xlsx или .csv" in _refusal(path)


def test_garbage_named_xlsx_is_refused(tmp_path):
    detail = _refusal(_write(tmp_path, "tasks.xlsx", b"%PDF-1.7 not a workbook at all"))
    assert "не является книгой Excel .xlsx" in detail


def test_an_old_xls_renamed_to_xlsx_is_refused_with_the_fix(tmp_path):
    detail = _refusal(_write(tmp_path, "tasks.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600))
    assert "сохраните её как .xlsx" in detail


def test_a_zip_that_is_not_a_workbook_and_a_truncated_workbook_are_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "other.xlsx", "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "повреждена" in _refusal(tmp_path / "other.xlsx")
    whole = (SAMPLES / "shift_tasks_1c.xlsx").read_bytes()
    assert "повреждена" in _refusal(_write(tmp_path, "cut.xlsx", whole[: len(whole) // 2]))


def test_a_cp1251_csv_is_refused_with_the_utf8_hint(tmp_path):
    path = _write(tmp_path, "tasks.csv", f"{HEADER}\n{ROW}\n".encode("cp1251"))
    assert "UTF-8" in _refusal(path)


def test_a_utf16_csv_is_refused_with_the_utf8_hint(tmp_path):
    path = _write(tmp_path, "tasks.csv", f"{HEADER}\n{ROW}\n".encode("utf-16"))
    assert "UTF-8" in _refusal(path)


def test_bad_utf8_after_the_first_bytes_stops_the_reading(tmp_path):
    rows = "".join(f"{ROW.replace('101', str(n))}\n" for n in range(1, 2_000))
    path = _write(tmp_path, "tasks.csv", f"{HEADER}\n{rows}".encode() + "Нет;Цех\n".encode("cp1251"))
    table_check(path, path.name)
    with pytest.raises(UnreadableTable, match="UTF-8"):
        _rows(path)


@pytest.mark.parametrize("name", ["tasks.csv", "tasks.xlsx"])
@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n"])
def test_an_empty_file_is_refused(tmp_path, name, content):
    assert _refusal(_write(tmp_path, name, content)) == "Файл пуст."


def test_an_empty_workbook_and_a_header_alone_are_refused(tmp_path):
    assert "пуста" in _refusal(_xlsx(tmp_path, []))
    assert "только заголовок" in _refusal(_xlsx(tmp_path, [HEADER.split(";")], name="header.xlsx"))
    assert "только заголовок" in _refusal(_write(tmp_path, "header.csv", f"{HEADER}\n\n".encode()))


def test_a_table_without_known_columns_is_refused(tmp_path):
    detail = _refusal(_write(tmp_path, "tasks.csv", "Артикул;Количество\n1;2\n".encode()))
    assert "первой строкой должен быть заголовок" in detail
    assert "первой строкой" in _refusal(_write(tmp_path, "data.csv", f"{ROW}\n{ROW}\n".encode()))


def test_missing_required_and_repeated_columns_are_named(tmp_path):
    without_date = HEADER.replace("ДатаПартии;", "")
    detail = _refusal(_write(tmp_path, "tasks.csv", f"{without_date}\n{ROW}\n".encode()))
    assert detail == "В файле нет обязательных столбцов: ДатаПартии."
    twice = _refusal(_write(tmp_path, "twice.csv", f"{HEADER};batch_number\n{ROW};5\n".encode()))
    assert "НомерПартии и batch_number" in twice
