"""Reports, exports and imports through the API: 202, a real worker, a file in S3 behind a download link."""

import csv
import io
import urllib.request
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.factories import add_codes, create_batch
from tests.jobs.conftest import task

SAMPLES = Path(__file__).parent.parent / "samples"


def _download(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers.get("Content-Disposition", "")


def _done(client, headers, task_id, run_jobs) -> dict:
    run_jobs()
    body = task(client, headers, task_id)
    assert body["status"] == "SUCCESS", body
    return body["result"]


@pytest.fixture
def batch(client, supervisor, operator):
    batch = create_batch(client, supervisor, НомерПартии=31337)
    add_codes(client, supervisor, batch, ["R-1", "R-2", "R-3"])
    client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": "R-2"}, headers=operator)
    return batch


def test_a_pdf_report_is_made_stored_and_downloadable(client, supervisor, batch, run_jobs):
    response = client.post(f"/api/v1/batches/{batch['id']}/reports", json={"format": "pdf"}, headers=supervisor)
    assert response.status_code == 202
    result = _done(client, supervisor, response.get_json()["task_id"], run_jobs)
    assert result["file_name"].endswith(".pdf") and result["expires_at"]
    data, disposition = _download(result["file_url"])
    assert len(data) == result["file_size"] and "attachment" in disposition
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "31337" in text and all(code in text for code in ("R-1", "R-2", "R-3"))


def test_an_excel_report_has_the_three_sheets(client, supervisor, batch, run_jobs):
    response = client.post(f"/api/v1/batches/{batch['id']}/reports", json={"format": "excel"}, headers=supervisor)
    result = _done(client, supervisor, response.get_json()["task_id"], run_jobs)
    workbook = load_workbook(io.BytesIO(_download(result["file_url"])[0]), read_only=True)
    assert workbook.sheetnames == ["Информация о партии", "Продукция", "Статистика"]
    codes = [row[0] for row in workbook["Продукция"].iter_rows(min_row=2, values_only=True)]
    assert codes == ["R-1", "R-2", "R-3"]


def test_report_requests_are_checked_at_once(client, supervisor, operator, batch):
    assert client.post("/api/v1/batches/999999/reports", json={"format": "pdf"}, headers=supervisor).status_code == 404
    bad = client.post(f"/api/v1/batches/{batch['id']}/reports", json={"format": "docx"}, headers=supervisor)
    assert bad.status_code == 422 and "format" in bad.get_json()["fields"]
    assert (
        client.post(f"/api/v1/batches/{batch['id']}/reports", json={"format": "pdf"}, headers=operator).status_code
        == 403
    )


def test_a_report_tells_other_systems_it_is_ready(client, supervisor, batch, run_jobs):
    from mes_web.extensions import db
    from mes_web.models import Event

    task_id = client.post(
        f"/api/v1/batches/{batch['id']}/reports", json={"format": "pdf"}, headers=supervisor
    ).get_json()["task_id"]
    run_jobs()
    event = db.session.query(Event).filter_by(event_type="report_generated").one()
    assert event.batch_id == batch["id"] and event.payload["task_id"] == task_id


def test_an_export_follows_the_list_filters(client, supervisor, run_jobs):
    for number, closed in ((901, False), (902, True), (903, False)):
        create_batch(client, supervisor, НомерПартии=number, СтатусЗакрытия=closed, ДатаПартии="2024-03-01")
    create_batch(client, supervisor, НомерПартии=904, ДатаПартии="2024-03-02")
    response = client.post(
        "/api/v1/batches/export",
        json={"format": "csv", "filters": {"batch_date": "2024-03-01", "is_closed": False}},
        headers=supervisor,
    )
    assert response.status_code == 202
    result = _done(client, supervisor, response.get_json()["task_id"], run_jobs)
    assert result["total_batches"] == 2
    data, _ = _download(result["file_url"])
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert [row["НомерПартии"] for row in rows] == ["901", "903"]
    assert rows[0]["СтатусЗакрытия"] == "Нет" and rows[0]["ДатаВремяНачалаСмены"] == "2024-01-30T08:00:00+03:00"


def test_an_excel_export_can_be_imported_back(client, supervisor, run_jobs):
    create_batch(client, supervisor, НомерПартии=911, ДатаПартии="2024-03-05")
    task_id = client.post("/api/v1/batches/export", json={"format": "excel"}, headers=supervisor).get_json()["task_id"]
    exported = _done(client, supervisor, task_id, run_jobs)
    data, _ = _download(exported["file_url"])
    imported = client.post(
        "/api/v1/batches/import",
        data={"file": (io.BytesIO(data), "export.xlsx")},
        headers=supervisor,
        content_type="multipart/form-data",
    )
    assert imported.status_code == 202, imported.get_json()
    result = _done(client, supervisor, imported.get_json()["task_id"], run_jobs)
    assert result == {"total_rows": 1, "created": 0, "updated": 1, "skipped": 0, "errors": [], "dry_run": False}


def test_export_requests_are_checked_at_once(client, supervisor):
    bad = client.post(
        "/api/v1/batches/export", json={"format": "csv", "filters": {"colour": "red"}}, headers=supervisor
    )
    assert bad.status_code == 422 and "filters.colour" in bad.get_json()["fields"]
    bad = client.post(
        "/api/v1/batches/export", json={"format": "csv", "filters": {"batch_date": "30.02.2024"}}, headers=supervisor
    )
    assert bad.status_code == 422 and "filters.batch_date" in bad.get_json()["fields"]
    assert client.post("/api/v1/batches/export", json={"format": "pdf"}, headers=supervisor).status_code == 422


def _upload(client, headers, path: Path, query: str = ""):
    # Encoded here in memory: the test client spools bodies over 500 KB to a temporary file it never closes.
    with path.open("rb") as stream:
        boundary, data = encode_multipart({"file": FileStorage(stream, filename=path.name)})
        return client.post(
            f"/api/v1/batches/import{query}",
            data=data,
            headers=headers,
            content_type=f"multipart/form-data; boundary={boundary}",
        )


@pytest.mark.parametrize("sample", ["shift_tasks_1c.csv", "shift_tasks_1c.xlsx"])
def test_the_1c_sample_files_preview_then_import(client, supervisor, run_jobs, sample):
    preview = _upload(client, supervisor, SAMPLES / sample, "?dry_run=true")
    assert preview.status_code == 202, preview.get_json()
    dry = _done(client, supervisor, preview.get_json()["task_id"], run_jobs)
    assert client.get("/api/v1/batches", headers=supervisor).get_json()["total"] == 0
    real = _done(client, supervisor, _upload(client, supervisor, SAMPLES / sample).get_json()["task_id"], run_jobs)
    assert dry | {"dry_run": False} == real
    assert real["skipped"] == 2 and [error["row"] for error in real["errors"]] == [7, 8]
    assert client.get("/api/v1/batches", headers=supervisor).get_json()["total"] == real["created"]


def test_files_that_are_not_tables_are_refused_at_once(client, supervisor, tmp_path, app, monkeypatch):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert _upload(client, supervisor, text).status_code == 422
    broken = tmp_path / "tasks.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    refused = _upload(client, supervisor, broken)
    assert refused.status_code == 422 and refused.get_json()["detail"]
    monkeypatch.setitem(app.config, "IMPORT_MAX_MB", 1)
    big = tmp_path / "big.csv"
    big.write_bytes(SAMPLES.joinpath("shift_tasks_1c.csv").read_bytes() * 2000)
    too_large = _upload(client, supervisor, big)
    assert too_large.status_code == 413 and "1 МБ" in too_large.get_json()["detail"]
    missing = client.post("/api/v1/batches/import", data={}, headers=supervisor, content_type="multipart/form-data")
    assert missing.status_code == 422 and "file" in missing.get_json()["fields"]
    assert _upload(client, supervisor, text, "?dry_run=maybe").status_code == 422
    for name in ("..", "x" * 300 + ".csv", "bad\x01name.csv"):
        data = {"file": FileStorage(io.BytesIO(b"a;b\n"), filename=name)}
        boundary, body = encode_multipart(data)
        refused = client.post(
            "/api/v1/batches/import",
            data=body,
            headers=supervisor,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        assert refused.status_code == 422, name


def test_a_failed_job_says_why_and_can_be_retried(client, supervisor, run_jobs):
    """The uploaded file vanished before the worker got to it: the job says so; once it is back, a retry works."""
    from mes_web.extensions import db
    from mes_web.integrations.storage import storage
    from mes_web.models import Job

    task_id = _upload(client, supervisor, SAMPLES / "shift_tasks_1c.csv", "?dry_run=1").get_json()["task_id"]
    job = db.session.get(Job, task_id)
    kept = storage()
    with kept.open("imports", job.params["object_name"]) as stream:
        content = stream.read()
    kept.delete("imports", job.params["object_name"])
    run_jobs()
    failed = task(client, supervisor, task_id)
    assert failed["status"] == "FAILURE" and "загрузите его заново" in failed["result"]["error"]
    kept.upload("imports", job.params["object_name"], io.BytesIO(content))
    retried = client.post(f"/api/v1/tasks/{task_id}/retry", headers=supervisor)
    assert retried.status_code == 202
    result = _done(client, supervisor, task_id, run_jobs)
    assert result["total_rows"] == 7 and task(client, supervisor, task_id)["attempt"] == 2
    again = client.post(f"/api/v1/tasks/{task_id}/retry", headers=supervisor)
    assert again.status_code == 409 and again.get_json()["error"] == "task_not_failed"


def test_a_preview_is_imported_once(client, supervisor, run_jobs):
    from mes_web.errors import InvalidState
    from mes_web.services.job_requests import import_confirm
    from mes_web.services.transaction import SYSTEM

    preview_id = _upload(client, supervisor, SAMPLES / "shift_tasks_1c.csv", "?dry_run=true").get_json()["task_id"]
    with pytest.raises(InvalidState):  # not checked yet
        import_confirm(job_id=preview_id, actor=SYSTEM)
    run_jobs()
    real = import_confirm(job_id=preview_id, actor=SYSTEM)
    with pytest.raises(InvalidState, match="уже загружен"):
        import_confirm(job_id=preview_id, actor=SYSTEM)
    assert _done(client, supervisor, real.id, run_jobs)["created"] == 5
    assert task(client, supervisor, preview_id)["result"]["confirmed_task_id"] == real.id
