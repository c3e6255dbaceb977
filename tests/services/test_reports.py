"""Batch reports: what a supervisor finds in the PDF and the workbook, and what a report may never read."""

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from mes_web.clock import plant_tz
from mes_web.errors import BatchNotFound, Invalid
from mes_web.integrations.gs1 import gtin_check_digit
from mes_web.integrations.pdf import ResourceRefused, StaticFilesFetcher, pdf_write, static_files_fetcher, static_url
from mes_web.models import Role
from mes_web.services.access import token_create
from mes_web.services.reports import ROWS_PER_PAGE, report_write
from tests.factories import create_batch

SERIAL_CHARACTERS = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def app(pg):
    return pg


def marking_codes(count: int, seed: int = 1) -> list[str]:
    """Честный ЗНАК identification codes: 01 + GTIN-14 + 21 + a 13-character serial."""
    rng, gtin = random.Random(seed), "0460043993125"
    serials = ("".join(rng.choice(SERIAL_CHARACTERS) for _ in range(13)) for _ in range(count))
    return [f"01{gtin}{gtin_check_digit(gtin)}21{serial}" for serial in serials]


def running_batch(client, headers, **overrides) -> dict:
    """A batch whose shift is under way now, so scans fall inside its window."""
    now = datetime.now(UTC)
    start = (now - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=8)
    task = {
        "НомерПартии": 22222,
        "ДатаПартии": now.astimezone(plant_tz()).date().isoformat(),
        "ДатаВремяНачалаСмены": start.isoformat(),
        "ДатаВремяОкончанияСмены": end.isoformat(),
    }
    return create_batch(client, headers, **(task | overrides))


def register(client, headers, batch: dict, codes: list[str]) -> None:
    items = [
        {"УникальныйКодПродукта": c, "НомерПартии": batch["batch_number"], "ДатаПартии": batch["batch_date"]}
        for c in codes
    ]
    response = client.post("/api/v1/products", json=items, headers=headers)
    assert response.status_code == 201, response.get_json()


def scan(client, headers, batch: dict, code: str) -> datetime:
    response = client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": code}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return datetime.fromisoformat(response.get_json()["aggregated_at"])


@pytest.fixture
def batch(client, supervisor, operator):
    """Batch 22222 with three units, the first two aggregated; and the times of those scans."""
    batch = running_batch(client, supervisor)
    codes = marking_codes(3)
    register(client, supervisor, batch, codes)
    return batch | {"codes": codes, "scanned": [scan(client, operator, batch, code) for code in codes[:2]]}


def pdf_text(path: Path) -> tuple[PdfReader, str]:
    reader = PdfReader(path)
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_shows_the_batch_its_figures_and_every_code(batch, tmp_path):
    calls = []
    made = report_write(
        batch_id=batch["id"], file_format="pdf", target=tmp_path / "r.pdf", progress=lambda *a: calls.append(a)
    )
    assert made.file_name == f"Партия 22222 от {batch['batch_date']}.pdf"
    assert made.content_type == "application/pdf"
    reader, text = pdf_text(tmp_path / "r.pdf")
    for shown in ("Партия № 22222", "Линия розлива №1 (A)", "Молоко 3,2% 1 л", "456678", "Бригада №4 ХПС", "открыта"):
        assert shown in text
    assert all(code in text for code in batch["codes"])
    for moment in batch["scanned"]:
        assert f"{batch['codes'][batch['scanned'].index(moment)]} {moment:%H:%M:%S}" in text
    assert f"{batch['codes'][2]}    —" in text  # not aggregated
    assert "Агрегировано, %\n66,67 %" in text
    assert "Партия № 22222 от" in reader.pages[-1].extract_text()  # the running head of every page
    assert f"стр. {len(reader.pages)} из {len(reader.pages)}" in text
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_the_pdf_embeds_its_fonts(batch, tmp_path):
    report_write(batch_id=batch["id"], file_format="pdf", target=tmp_path / "r.pdf")
    fonts = {}
    for page in PdfReader(tmp_path / "r.pdf").pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[str(font["/BaseFont"]).split("+")[-1]] = "/FontFile2" in descriptor
    assert {"DejaVu-Sans", "DejaVu-Sans-Bold", "DejaVu-Sans-Mono"} <= set(fonts)
    assert all(fonts.values()), fonts


def test_each_page_of_codes_fits_one_sheet_and_more_units_make_more_pages(client, supervisor, batch, tmp_path):
    report_write(batch_id=batch["id"], file_format="pdf", target=tmp_path / "small.pdf")
    register(client, supervisor, batch, marking_codes(600, seed=2))
    report_write(batch_id=batch["id"], file_format="pdf", target=tmp_path / "big.pdf")
    per_page = 3 * ROWS_PER_PAGE
    small, big = PdfReader(tmp_path / "small.pdf"), PdfReader(tmp_path / "big.pdf")
    assert (len(small.pages), len(big.pages)) == (2, 1 + math.ceil(603 / per_page))
    assert f"Коды продукции {per_page + 1}–{2 * per_page} из 603" in big.pages[2].extract_text()


def test_the_fetcher_serves_our_stylesheet_and_refuses_everything_else(app):
    fetcher = static_files_fetcher()
    served = fetcher.fetch(static_url("css/print.css"))
    assert served.read() == (Path(app.static_folder) / "css/print.css").read_bytes()
    assert (served.content_type, served.charset) == ("text/css", "utf-8")
    for url in (
        "file:///etc/passwd",
        "http://example.com/x.css",
        "https://example.com/static/css/print.css",
        "data:text/css,body{}",
        "https://mes-web.invalid/static/../../../etc/passwd",
        "https://mes-web.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://mes-web.invalid/etc/passwd",
        "https://mes-web.invalid/static/css/missing.css",
    ):
        with pytest.raises(ResourceRefused):
            fetcher.fetch(url)


@pytest.mark.parametrize(
    "html", ['<img src="file:///etc/passwd">', '<link rel="stylesheet" href="http://example.com/x.css">']
)
def test_a_document_that_asks_for_more_than_our_static_files_is_not_written(app, tmp_path, html):
    with pytest.raises(ResourceRefused):
        pdf_write(f"<p>Партия</p>{html}", tmp_path / "r.pdf")


def test_markup_in_batch_fields_is_printed_as_text_and_fetches_nothing(client, supervisor, tmp_path, monkeypatch):
    nasty = '<img src="file:///etc/passwd">'
    batch = running_batch(client, supervisor, Номенклатура=nasty, Бригада="<style>@import 'http://example.com/x.css';")
    register(client, supervisor, batch, ["<b>K-1</b>"])
    fetched, fetch = [], StaticFilesFetcher.fetch
    monkeypatch.setattr(
        StaticFilesFetcher, "fetch", lambda self, url, headers=None: fetched.append(url) or fetch(self, url)
    )
    report_write(batch_id=batch["id"], file_format="pdf", target=tmp_path / "r.pdf")
    _, text = pdf_text(tmp_path / "r.pdf")
    assert nasty in text and "<style>@import" in text and "<b>K-1</b>" in text
    assert fetched == [static_url("css/print.css")]


def test_the_workbook_has_the_batch_its_units_and_its_figures(batch, tmp_path):
    made = report_write(batch_id=batch["id"], file_format="excel", target=tmp_path / "r.xlsx")
    assert made.file_name == f"Партия 22222 от {batch['batch_date']}.xlsx"
    assert made.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["Информация о партии", "Продукция", "Статистика"]

    info = {name: value for name, value in book["Информация о партии"].iter_rows(min_row=2, values_only=True)}
    assert info["Номер партии"] == 22222
    assert (info["Рабочий центр"], info["Идентификатор рабочего центра"]) == ("Линия розлива №1", "A")
    assert info["Статус"] == "открыта"
    start = datetime.fromisoformat(batch["shift_start"]).astimezone(plant_tz()).replace(tzinfo=None)
    assert info["Начало смены"] == start

    products = book["Продукция"]
    assert [cell.value for cell in products[1]] == ["Код", "Агрегирована", "Время агрегации"]
    assert products["A1"].font.b and products.freeze_panes == "A2"
    rows = list(products.iter_rows(min_row=2, values_only=True))
    assert [row[:2] for row in rows] == [
        (code, done) for code, done in zip(batch["codes"], ("да", "да", "нет"), strict=True)
    ]
    for (_, _, when), scanned in zip(rows[:2], batch["scanned"], strict=True):
        assert abs(when - scanned.astimezone(plant_tz()).replace(tzinfo=None, microsecond=0)) < timedelta(seconds=1)
    assert rows[2][2] is None
    assert products["C2"].number_format == "DD.MM.YYYY HH:MM:SS"

    figures = list(book["Статистика"].iter_rows(min_row=2, values_only=True))
    named = {row[0]: row[1] for row in figures if row and row[0]}
    assert (named["Всего единиц"], named["Агрегировано"], named["Осталось"]) == (3, 2, 1)
    assert named["Агрегировано, %"] == 66.67
    hours = figures[[row[0] for row in figures].index("Час смены") + 1 :]
    assert sum(row[1] for row in hours) == 2 and len(hours) == 8


def test_codes_with_a_group_separator_are_written_as_gs(client, supervisor, batch, tmp_path):
    register(client, supervisor, batch, ["ABC\x1dDEF"])
    report_write(batch_id=batch["id"], file_format="excel", target=tmp_path / "r.xlsx")
    report_write(batch_id=batch["id"], file_format="pdf", target=tmp_path / "r.pdf")
    codes = [row[0] for row in load_workbook(tmp_path / "r.xlsx")["Продукция"].iter_rows(min_row=2, values_only=True)]
    assert codes[-1] == "ABC<GS>DEF"
    assert "ABC<GS>DEF" in pdf_text(tmp_path / "r.pdf")[1]


def test_a_closed_batch_says_when_it_closed(client, supervisor, batch, tmp_path):
    closed = client.post(f"/api/v1/batches/{batch['id']}/close", headers=supervisor).get_json()
    report_write(batch_id=batch["id"], file_format="pdf", target=tmp_path / "r.pdf")
    closed_at = datetime.fromisoformat(closed["closed_at"])
    assert f"закрыта {closed_at:%d.%m.%Y %H:%M}" in pdf_text(tmp_path / "r.pdf")[1]


def test_an_unknown_batch_or_format_is_refused_and_writes_nothing(batch, tmp_path):
    with pytest.raises(BatchNotFound):
        report_write(batch_id=batch["id"] + 1000, file_format="pdf", target=tmp_path / "r.pdf")
    with pytest.raises(Invalid) as refused:
        report_write(batch_id=batch["id"], file_format="docx", target=tmp_path / "r.pdf")
    assert set(refused.value.fields) == {"format"}
    assert list(tmp_path.iterdir()) == []


def test_both_files_on_the_embedded_sqlite(sqlite, tmp_path):
    client = sqlite.test_client()
    headers = {"Authorization": f"Bearer {token_create(name='reports', role=Role.SUPERVISOR.value)}"}
    batch = running_batch(client, headers)
    codes = marking_codes(2)
    register(client, headers, batch, codes)
    scanned = scan(client, headers, batch, codes[0])
    report_write(batch_id=batch["id"], file_format="pdf", target=tmp_path / "r.pdf")
    report_write(batch_id=batch["id"], file_format="excel", target=tmp_path / "r.xlsx")
    assert f"{codes[0]} {scanned:%H:%M:%S}" in pdf_text(tmp_path / "r.pdf")[1]
    rows = list(load_workbook(tmp_path / "r.xlsx")["Продукция"].iter_rows(min_row=2, values_only=True))
    assert [row[:2] for row in rows] == [(codes[0], "да"), (codes[1], "нет")]


@pytest.mark.parametrize(("length", "columns"), [(31, 3), (50, 2), (90, 1)])
def test_longer_codes_get_fewer_columns_and_stay_whole(client, supervisor, operator, tmp_path, length, columns):
    batch = running_batch(client, supervisor)
    codes = [f"{n}-".ljust(length, "x") for n in range(6)]
    register(client, supervisor, batch, codes)
    scanned = scan(client, operator, batch, codes[0])
    report_write(batch_id=batch["id"], file_format="pdf", target=tmp_path / "r.pdf")
    lines = PdfReader(tmp_path / "r.pdf").pages[1].extract_text().splitlines()
    assert lines[2].startswith(f"{codes[0]} {scanned:%H:%M:%S}")
    assert sum(code in lines[2] for code in codes) == columns
