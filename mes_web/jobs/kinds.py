"""What each kind of job does: load what the row names, call the services, return the outcome."""

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from mes_web.errors import InvalidState
from mes_web.integrations.storage import storage
from mes_web.models import Job
from mes_web.selectors.batches import batch_filters_read
from mes_web.services.aggregation import products_aggregate_all
from mes_web.services.exports import EXPORT_FORMATS, batches_export_write
from mes_web.services.files import file_store
from mes_web.services.imports import batches_import
from mes_web.services.jobs import job_actor
from mes_web.services.reports import report_write
from mes_web.services.shift_task_files import table_rows

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Outcome:
    result: dict
    event: tuple[str, int | None, dict] | None = None


def aggregate(job: Job, progress: Progress) -> Outcome:
    result = products_aggregate_all(
        batch_id=job.batch_id, unique_codes=job.params["unique_codes"], actor=job_actor(job), progress=progress
    )
    return Outcome(result.to_json())


def report(job: Job, progress: Progress) -> Outcome:
    with TemporaryDirectory() as folder:
        target = Path(folder) / "report"
        made = report_write(batch_id=job.batch_id, file_format=job.params["format"], target=target, progress=progress)
        stored = file_store(
            bucket="reports", job_id=job.id, file_name=made.file_name, source=target, content_type=made.content_type
        )
    event = {
        "task_id": job.id,
        "format": job.params["format"],
        "file_name": made.file_name,
        "file_size": stored["file_size"],
    }
    return Outcome(stored, event=("report_generated", job.batch_id, event))


def export(job: Job, progress: Progress) -> Outcome:
    file_format = job.params["format"]
    with TemporaryDirectory() as folder:
        target = Path(folder) / "export"
        total = batches_export_write(
            filters=batch_filters_read(job.params["filters"]), file_format=file_format, target=target, progress=progress
        )
        file_name, content_type = EXPORT_FORMATS[file_format].file_name(), EXPORT_FORMATS[file_format].content_type
        stored = file_store(
            bucket="exports", job_id=job.id, file_name=file_name, source=target, content_type=content_type
        )
    return Outcome(stored | {"total_batches": total})


def import_(job: Job, progress: Progress) -> Outcome:
    params = job.params
    with TemporaryDirectory() as folder:
        source = Path(folder) / params["file_name"]
        try:
            with storage().open("imports", params["object_name"]) as stream, source.open("wb") as copy:
                shutil.copyfileobj(stream, copy, 1 << 20)
        except FileNotFoundError:
            raise InvalidState("Загруженный файл больше не хранится; загрузите его заново.") from None
        result = batches_import(
            rows=table_rows(source, params["file_name"]),
            dry_run=params["dry_run"],
            actor=job_actor(job),
            progress=progress,
            file_name=params["file_name"],
        )
    return Outcome(result.to_json() | {"dry_run": params["dry_run"]})


def periodic(job: Job, progress: Progress) -> Outcome:
    from mes_web.jobs.schedule import PERIODIC

    return Outcome({"message": PERIODIC[job.params["name"]].run()})


KINDS: dict[str, Callable[[Job, Progress], Outcome]] = {
    "aggregate": aggregate,
    "report": report,
    "export": export,
    "import": import_,
    "periodic": periodic,
}
