"""Ask for background work: check the request at once, then record the job and queue it."""

import shutil
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import BinaryIO

from flask import current_app

from mes_web.errors import DomainError, Invalid, InvalidState
from mes_web.models import Job, JobStatus
from mes_web.selectors.batches import batch_filters_read, batch_get
from mes_web.services import fields as f
from mes_web.services.aggregation import check_batch_open, codes_read
from mes_web.services.exports import EXPORT_FORMATS
from mes_web.services.files import file_store
from mes_web.services.jobs import job_add, job_for_update
from mes_web.services.reports import REPORT_FORMATS
from mes_web.services.shift_task_files import table_check
from mes_web.services.transaction import Actor, transactional

MAX_CODES_PER_JOB = 100_000


class FileTooLarge(DomainError):
    status = 413
    code = "file_too_large"


def _format(value, formats) -> str:
    return f.field_value(lambda v: f.choice(v, formats), value, "format")


def _batch_label(batch_id: int) -> str:
    batch = batch_get(batch_id)
    return f"№ {batch.batch_number} от {batch.batch_date:%d.%m.%Y}"


@transactional
def aggregation_request(*, batch_id: int, unique_codes, actor: Actor) -> Job:
    """Aggregate up to 100,000 codes in the background, with the rules of the list form."""
    codes = codes_read(unique_codes, limit=MAX_CODES_PER_JOB)
    check_batch_open(batch_id)
    params = {"batch_label": _batch_label(batch_id)}
    return job_add(kind="aggregate", params=params, inputs={"unique_codes": codes}, actor=actor, batch_id=batch_id)


@transactional
def report_request(*, batch_id: int, file_format, actor: Actor) -> Job:
    """Make a batch's PDF or Excel report in the background."""
    chosen = _format(file_format, REPORT_FORMATS)
    params = {"format": chosen, "batch_label": _batch_label(batch_id)}
    return job_add(kind="report", params=params, actor=actor, batch_id=batch_id)


@transactional
def export_request(*, file_format, filters, actor: Actor) -> Job:
    """Export the batches the list filters select, in the background."""
    chosen = _format(file_format, EXPORT_FORMATS)
    batch_filters_read(filters)
    return job_add(kind="export", params={"format": chosen, "filters": filters or {}}, actor=actor)


def _file_name(file_name) -> str:
    """The uploaded file's own name, or a 422 when it cannot be one."""
    name = Path(str(file_name or "").replace("\\", "/")).name.strip()
    if not name:
        raise Invalid("Выберите файл для загрузки.", fields={"file": "файл не выбран"})
    if name in (".", "..") or len(name) > 200 or any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        raise Invalid(
            "Имя файла не подходит; переименуйте файл (до 200 символов).", fields={"file": "плохое имя файла"}
        )
    return name


def upload_too_large() -> FileTooLarge:
    """The refusal of a file over the import limit, whoever noticed it first (us or the request parser)."""
    limit_mb = current_app.config["IMPORT_MAX_MB"]
    return FileTooLarge(f"Файл больше {limit_mb} МБ; разделите его на несколько.", fields={"file": "слишком большой"})


@transactional
def import_request(*, stream: BinaryIO | None, file_name, dry_run: bool, actor: Actor) -> Job:
    """Check an uploaded shift-task file at once, keep it in `imports`, and import it in the background."""
    if stream is None:
        raise Invalid("Нужен файл в поле file (multipart/form-data).", fields={"file": "файл не передан"})
    name = _file_name(file_name)
    with TemporaryDirectory() as scratch:
        copy = Path(scratch) / f"upload{Path(name).suffix.lower()}"
        with copy.open("wb") as local:
            shutil.copyfileobj(stream, local, 1 << 20)
        if copy.stat().st_size > current_app.config["IMPORT_MAX_MB"] * 1024 * 1024:
            raise upload_too_large()
        table_check(copy, name)
        stored = file_store(bucket="imports", file_name=name, source=copy)
    params = {"object_name": stored["object_name"], "file_name": name, "dry_run": dry_run}
    return job_add(kind="import", params=params, actor=actor)


@transactional
def import_confirm(*, job_id: str, actor: Actor) -> Job:
    """Import for real the file a finished dry run previewed; a preview is imported once."""
    preview = job_for_update(job_id)
    if preview.kind != "import" or not preview.params.get("dry_run") or preview.status != JobStatus.SUCCESS:
        raise InvalidState("Подтвердить можно только законченную проверку файла.", code="not_a_preview")
    if preview.result.get("confirmed_task_id"):
        raise InvalidState(
            "Этот файл уже загружен по этой проверке; чтобы загрузить снова, проверьте файл ещё раз.",
            code="preview_already_imported",
        )
    job = job_add(kind="import", params=preview.params | {"dry_run": False}, actor=actor)
    preview.result = preview.result | {"confirmed_task_id": job.id}
    return job
