"""Reports, exports and imports on the screens: ask, watch the job's card, download or confirm.

The live app has neither Redis nor MinIO: jobs run one at a time in a thread of the server, and files
are kept in the instance's folder and downloaded through the app's signed /files/<token> links.
"""

import csv
import io
import re
import shutil
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Download, Locator, Page, expect
from pypdf import PdfReader
from sqlalchemy import func, select

from mes_web.extensions import db
from mes_web.integrations.storage import storage
from mes_web.models import Batch, Job
from tests.web.helpers import board_card, screenshot

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "shift_tasks_1c.xlsx"
# A job here takes a few seconds at most; the margin is for a loaded CI machine.
JOB_TIMEOUT_MS = 60_000
# Records every version of a job's card that HTMX swaps into the list: [status, percent shown or null].
RECORD_CARDS = """list => {
  window.cardsSeen = [];
  const note = card => window.cardsSeen.push(
    [card.dataset.status, card.querySelector("[role=progressbar]")?.getAttribute("aria-valuenow") ?? null]);
  new MutationObserver(changes => changes.forEach(change => change.addedNodes.forEach(node => {
    if (node.matches?.("article.job-card")) note(node);
  }))).observe(list, {childList: true});
}"""


def job_request(page: Page, button: Locator, job_list: str) -> Locator:
    """Press a button that asks for a job; returns the new card, found by its id across its swaps."""
    cards = page.locator(f"{job_list} > article.job-card")
    before = cards.count()
    button.click()
    expect(cards).to_have_count(before + 1)
    return page.locator(f"#{cards.first.get_attribute('id')}")


def job_done(card: Locator, status: str = "SUCCESS") -> Locator:
    expect(card).to_have_attribute("data-status", status, timeout=JOB_TIMEOUT_MS)
    return card


def download(page: Page, card: Locator) -> tuple[Download, bytes]:
    """Click the card's download link as a person would; returns the download and the file's bytes."""
    with page.expect_download() as started:
        card.locator("a.job-download").click()
    saved = started.value
    return saved, Path(saved.path()).read_bytes()


def batch_count(plant) -> int:
    with plant.app.app_context():
        return db.session.scalar(select(func.count(Batch.id)))


def uploaded_file(plant, job_id: str) -> Path:
    """Where the folder storage keeps the file an import job reads."""
    with plant.app.app_context():
        return storage().path("imports", db.session.get(Job, job_id).params["object_name"])


def job_id(card: Locator) -> str:
    return card.get_attribute("id").removeprefix("job-")


def test_pdf_report_from_the_batch_page_downloads(sign_in, plant):
    batch = plant.batch(units=3, aggregated=2)
    page = sign_in("supervisor")
    page.goto(f"/batches/{batch.id}")

    card = job_request(page, page.locator("button[data-report='pdf']"), "#batch-jobs")

    job_done(card)
    expect(card.locator(".job-status")).to_have_text("готово")
    expect(card.locator("strong")).to_have_text(f"Отчёт по партии · PDF · № {batch.number} от {batch.day_shown}")
    expect(card.locator(".progress")).to_have_count(0)
    screenshot(page, "job_report_card")
    saved, content = download(page, card)
    assert saved.suggested_filename == f"Партия {batch.number} от {batch.day.isoformat()}.pdf"
    assert content.startswith(b"%PDF")
    text = "\n".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(content)).pages)
    assert f"Партия № {batch.number}" in text
    assert all(code in text for code in batch.codes)


def test_excel_report_from_the_batch_page_downloads(sign_in, plant):
    batch = plant.batch(units=3, aggregated=2)
    page = sign_in("supervisor")
    page.goto(f"/batches/{batch.id}")

    card = job_done(job_request(page, page.locator("button[data-report='excel']"), "#batch-jobs"))

    expect(card.locator("strong")).to_contain_text("Отчёт по партии · EXCEL")
    saved, content = download(page, card)
    assert saved.suggested_filename == f"Партия {batch.number} от {batch.day.isoformat()}.xlsx"
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ["Информация о партии", "Продукция", "Статистика"]
    info = dict(row[:2] for row in book["Информация о партии"].iter_rows(values_only=True))
    assert info["Номер партии"] == batch.number
    codes = [row[0] for row in book["Продукция"].iter_rows(min_row=2, values_only=True)]
    assert sorted(codes) == sorted(batch.codes)
    book.close()


def test_a_long_report_shows_its_progress_before_it_finishes(sign_in, plant):
    # 20,000 units make a PDF of some 80 pages: seconds of layout between «read» and «written».
    batch = plant.batch(units=20_000, aggregated=500)
    page = sign_in("supervisor")
    page.goto(f"/batches/{batch.id}")
    page.locator("#batch-jobs").evaluate(RECORD_CARDS)

    card = job_request(page, page.locator("button[data-report='pdf']"), "#batch-jobs")

    expect(card.locator(".progress")).to_be_visible()
    job_done(card)
    seen = page.evaluate("window.cardsSeen")
    assert seen[0][0] in ("PENDING", "STARTED", "PROGRESS"), seen
    assert any(status == "PROGRESS" and 0 < int(percent) < 100 for status, percent in seen), seen
    assert seen[-1] == ["SUCCESS", None], seen
    expect(card.locator("a.job-download")).to_be_visible()


def test_board_export_to_csv_holds_only_the_filtered_work_center(sign_in, plant):
    line_1 = [plant.batch(units=2), plant.batch(units=1)]
    line_2 = [plant.batch(units=n, РабочийЦентр="Линия фасовки №2", ИдентификаторРЦ="LINE-2") for n in (3, 0)]
    page = sign_in("supervisor")
    page.locator("select[name='work_center_id']").select_option(label="Линия фасовки №2")
    expect(board_card(page, line_1[0].id)).to_have_count(0)
    expect(board_card(page, line_2[0].id)).to_be_visible()

    card = job_done(job_request(page, page.get_by_role("button", name="Выгрузить в CSV"), "#board-jobs"))

    expect(card).to_contain_text("Партий в файле: 2")
    saved, content = download(page, card)
    assert re.fullmatch(r"Партии \d{4}-\d\d-\d\d \d\d-\d\d\.csv", saved.suggested_filename)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert {row["РабочийЦентр"] for row in rows} == {"Линия фасовки №2"}
    assert sorted(int(row["НомерПартии"]) for row in rows) == sorted(batch.number for batch in line_2)
    assert sorted(int(row["ВсегоЕдиниц"]) for row in rows) == [0, 3]


def import_preview(page: Page) -> Locator:
    """Upload the 1C sample on the import page; returns the preview's card once checked."""
    page.get_by_role("link", name="Отчёты и загрузки").click()
    page.get_by_role("link", name="Загрузка из файла").click()
    expect(page).to_have_url(re.compile(r"/imports$"))
    page.locator("input[name='file']").set_input_files(SAMPLE)
    return job_done(job_request(page, page.get_by_role("button", name="Проверить файл"), "#import-jobs"))


def test_import_preview_writes_nothing_until_confirmed(sign_in, plant):
    page = sign_in("supervisor")

    preview = import_preview(page)

    expect(preview.locator(".import-summary")).to_have_text(
        re.compile(r"Строк: 7 · будет создано: 5\s+· будет обновлено: 0 · пропущено: 2")
    )
    errors = preview.locator(".job-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0).locator("td").first).to_have_text("7")
    expect(errors.nth(0)).to_contain_text("НомерПартии")
    expect(errors.nth(1).locator("td").first).to_have_text("8")
    expect(errors.nth(1)).to_contain_text("повторяют строку 3")
    expect(preview.locator(".import-confirm")).to_have_text("Загрузить (5)")
    screenshot(page, "import_preview")
    preview_id = job_id(preview)
    assert batch_count(plant) == 0
    board = page.context.new_page()
    board.goto("/")
    expect(board.locator("#board .empty")).to_have_text("Нет партий по этим условиям.")

    preview.locator(".import-confirm").click()

    real = page.locator("#import-jobs > article.job-card")
    expect(real).to_have_count(1)
    expect(real).not_to_have_id(f"job-{preview_id}")
    job_done(real)
    expect(real.locator(".import-summary")).to_have_text(
        re.compile(r"Строк: 7 · создано: 5\s+· обновлено: 0 · пропущено: 2")
    )
    expect(real.locator(".import-confirm")).to_have_count(0)
    assert batch_count(plant) == 5
    board.reload()
    # The sample's batch 22224 is closed: the board leaves it out unless asked.
    numbers = board.locator("#board .batch__number")
    expect(numbers).to_have_count(4)
    assert sorted(numbers.all_inner_texts()) == ["№ 1001", "№ 22222", "№ 22223", "№ 22225"]

    # Coming back to the page, the preview offers no second import of the same check.
    page.reload()
    old_preview = page.locator(f"#job-{preview_id}")
    expect(old_preview.get_by_role("link", name="Файл загружен по этой проверке")).to_be_visible()
    expect(old_preview.locator(".import-confirm")).to_have_count(0)


def test_a_file_that_is_not_a_table_is_refused_with_a_message(sign_in, plant, live_server):
    page = sign_in("supervisor")
    page.goto("/imports")

    page.locator("input[name='file']").set_input_files(
        {"name": "задания.txt", "mimeType": "text/plain", "buffer": "НомерПартии 1\n".encode()}
    )
    page.get_by_role("button", name="Проверить файл").click()

    expect(page.locator("#import-message").get_by_role("alert")).to_have_text(
        "Нужен файл .xlsx или .csv, а загружен «задания.txt». Сохраните таблицу в одном из них."
    )
    expect(page.locator("#import-jobs article.job-card")).to_have_count(0)
    [answer] = [status for method, path, status in live_server.answers if (method, path) == ("POST", "/imports")]
    assert answer == 422
    assert batch_count(plant) == 0

    # The next, good file replaces the message with its card instead of piling up under it.
    page.locator("input[name='file']").set_input_files(SAMPLE)
    page.get_by_role("button", name="Проверить файл").click()
    expect(page.locator("#import-jobs article.job-card")).to_have_count(1)
    expect(page.locator("#import-message").get_by_role("alert")).to_have_count(0)


def test_jobs_page_lists_what_was_asked_and_by_whom(sign_in, plant):
    batch = plant.batch(units=2)
    page = sign_in("supervisor")
    page.goto(f"/batches/{batch.id}")
    pdf = job_done(job_request(page, page.locator("button[data-report='pdf']"), "#batch-jobs"))
    excel = job_done(job_request(page, page.locator("button[data-report='excel']"), "#batch-jobs"))
    pdf_id, excel_id = job_id(pdf), job_id(excel)

    page.get_by_role("link", name="Отчёты и загрузки").click()

    rows = page.locator(".jobs-table tbody tr")
    expect(rows).to_have_count(2)
    label = f"№ {batch.number} от {batch.day_shown}"
    for row, kind in zip(rows.all(), ("EXCEL", "PDF"), strict=True):  # newest first
        expect(row.locator("td")).to_have_text(
            [
                f"Отчёт по партии · {kind} · {label}",
                "готово",
                "supervisor",
                re.compile(r"\d\d\.\d\d\.\d{4} \d\d:\d\d"),
                "Открыть",
            ]
        )
    expect(rows.nth(0).get_by_role("link", name="Открыть")).to_have_attribute("href", f"/jobs/{excel_id}")
    rows.nth(1).get_by_role("link", name="Открыть").click()
    expect(page).to_have_url(re.compile(rf"/jobs/{pdf_id}$"))
    saved, content = download(page, page.locator(f"#job-{pdf_id}"))
    assert saved.suggested_filename.endswith(".pdf") and content.startswith(b"%PDF")


def test_operator_has_no_job_screens(sign_in, plant):
    page = sign_in("operator")

    expect(page.get_by_role("link", name="Отчёты и загрузки")).to_have_count(0)
    expect(page.locator("button[data-export]")).to_have_count(0)
    for path in ("/jobs", "/imports"):
        answer = page.goto(path)
        assert answer.status == 403, path
        expect(page.locator("main")).to_contain_text("Этой роли это действие не разрешено.")


def test_a_failed_import_shows_why_and_runs_again_on_retry(sign_in, plant, tmp_path):
    page = sign_in("supervisor")
    preview = import_preview(page)
    # The kept upload goes before the import is confirmed, as the nightly clean-up of old files would take it.
    kept = uploaded_file(plant, job_id(preview))
    aside = tmp_path / kept.name
    shutil.move(kept, aside)

    preview.locator(".import-confirm").click()

    card = page.locator("#import-jobs > article.job-card")
    job_done(card, "FAILURE")
    expect(card.locator(".job-status")).to_have_text("ошибка")
    expect(card.get_by_role("alert")).to_have_text("Загруженный файл больше не хранится; загрузите его заново.")
    assert batch_count(plant) == 0

    shutil.move(aside, kept)
    card.get_by_role("button", name="Повторить").click()

    job_done(card)
    expect(card).to_contain_text("попытка 2")
    expect(card.locator(".import-summary")).to_contain_text("создано: 5")
    assert batch_count(plant) == 5
