"""What each kind of job does: load what the row names, call the services, return the outcome."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mes_web.models import Job
from mes_web.selectors.batches import batch_filters_read
from mes_web.services.aggregation import products_aggregate_all
from mes_web.services.exports import batches_export_write
from mes_web.services.files import file_copy, file_made
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
    codes = job.inputs["unique_codes"]
    result = products_aggregate_all(batch_id=job.batch_id, unique_codes=codes, actor=job_actor(job), progress=progress)
    return Outcome(result.to_json())


def report(job: Job, progress: Progress) -> Outcome:
    def write(target: Path) -> tuple[str, str]:
        made = report_write(batch_id=job.batch_id, file_format=job.params["format"], target=target, progress=progress)
        return made.file_name, made.content_type

    stored = file_made(bucket="reports", folder=job.id, write=write)
    told = {"task_id": job.id, "format": job.params["format"]} | {k: stored[k] for k in ("file_name", "file_size")}
    return Outcome(stored, event=("report_generated", job.batch_id, told))


def export(job: Job, progress: Progress) -> Outcome:
    filters, written = batch_filters_read(job.params["filters"]), {}

    def write(target: Path) -> tuple[str, str]:
        made = batches_export_write(filters=filters, file_format=job.params["format"], target=target, progress=progress)
        written["total_batches"] = made.total_batches
        return made.file_name, made.content_type

    return Outcome(file_made(bucket="exports", folder=job.id, write=write) | written)


def import_(job: Job, progress: Progress) -> Outcome:
    params = job.params
    suffix = Path(params["file_name"]).suffix.lower()
    with file_copy(bucket="imports", object_name=params["object_name"], suffix=suffix) as source:
        result = batches_import(
            rows=table_rows(source, params["file_name"]),
            dry_run=params["dry_run"],
            actor=job_actor(job),
            progress=progress,
            file_name=params["file_name"],
        )
    return Outcome(result.to_json() | {"dry_run": params["dry_run"]})


def periodic(job: Job, progress: Progress) -> Outcome:
    from mes_web.jobs.schedule import PERIODIC  # the schedule runs jobs through the runner, which needs this table

    return Outcome({"message": PERIODIC[job.params["name"]].run()})


KINDS: dict[str, Callable[[Job, Progress], Outcome]] = {
    "aggregate": aggregate,
    "report": report,
    "export": export,
    "import": import_,
    "periodic": periodic,
}
