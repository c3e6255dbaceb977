"""Jobs as people read them: one job with a fresh download link, and the recent ones."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import defer

from mes_web.clock import isoformat, utcnow
from mes_web.extensions import db
from mes_web.integrations.storage import storage
from mes_web.models import Job, JobStatus


def jobs_recent(
    *,
    limit: int = 50,
    include_scheduled: bool = False,
    kind: str | None = None,
    batch_id: int | None = None,
    with_results: bool = True,
) -> list[Job]:
    """The newest jobs; scheduled housekeeping only when asked for; results only for cards."""
    query = select(Job).order_by(Job.created_at.desc()).limit(limit)
    if not with_results:
        query = query.options(defer(Job.result))
    if kind is not None:
        query = query.where(Job.kind == kind)
    elif not include_scheduled:
        query = query.where(Job.kind != "periodic")
    if batch_id is not None:
        query = query.where(Job.batch_id == batch_id)
    return list(db.session.scalars(query))


def job_file_link(job: Job) -> dict | None:
    """The job's file with a download link valid for the next days, or None once the file is gone."""
    result = job.result or {}
    if job.status != JobStatus.SUCCESS or "object_name" not in result:
        return None
    kept_until = job.finished_at + timedelta(days=current_app.config["FILES_RETENTION_DAYS"])
    if kept_until <= utcnow():
        return {"file_url": None, "file_name": result["file_name"], "file_size": result["file_size"], "expired": True}
    days = current_app.config["DOWNLOAD_LINK_DAYS"]
    url = storage().download_url(result["bucket"], result["object_name"], file_name=result["file_name"])
    return {
        "file_url": url,
        "file_name": result["file_name"],
        "file_size": result["file_size"],
        "expires_at": isoformat(min(utcnow() + timedelta(days=days), kept_until)),
    }


def job_result(job: Job) -> dict | None:
    """What GET /tasks/{id} shows as `result` for the job's status."""
    if job.status in (JobStatus.PENDING, JobStatus.STARTED):
        return None
    if job.status == JobStatus.PROGRESS:
        return {"current": job.progress_current, "total": job.progress_total, "progress": job.percent}
    if job.status == JobStatus.FAILURE:
        return {"error": job.error}
    shown = {key: value for key, value in job.result.items() if key not in ("bucket", "object_name")}
    return shown | (job_file_link(job) or {})
