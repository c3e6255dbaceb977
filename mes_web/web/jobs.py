"""Reports, exports and imports on the screens: ask, watch the job's card fill up, download."""

from dataclasses import asdict
from datetime import date

from flask import g, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from mes_web.errors import DomainError
from mes_web.models import Job, Role
from mes_web.selectors.jobs import job_file_link, jobs_recent
from mes_web.services.job_requests import (
    export_request,
    import_confirm,
    import_request,
    report_request,
    upload_too_large,
)
from mes_web.services.jobs import job_read, job_retry
from mes_web.web import web
from mes_web.web.board import board_filters
from mes_web.web.session import requires_role

POLL_SECONDS = 1


def _card(job: Job, status: int = 200):
    """The job's card: it polls itself while the job runs and shows the outcome when it ends."""
    html = render_template("jobs/_card.html", job=job, link=job_file_link(job), poll_seconds=POLL_SECONDS)
    return html, status


@web.get("/jobs")
@requires_role(Role.SUPERVISOR)
def jobs_page():
    scheduled = request.args.get("scheduled") == "1"
    jobs = jobs_recent(include_scheduled=scheduled, with_results=False)
    return render_template("jobs/index.html", jobs=jobs, scheduled=scheduled)


@web.get("/jobs/<job_id>")
@requires_role(Role.OPERATOR)
def job_card(job_id: str):
    job = job_read(job_id)
    if request.headers.get("HX-Request"):
        html, status = _card(job)
    else:
        html, status = render_template("jobs/show.html", job=job, link=job_file_link(job)), 200
    return html, status, {"Vary": "HX-Request"}


def _on_the_card(action):
    """A new card for the job; a refusal is added inside the card it came from, which keeps polling."""
    try:
        return _card(action(), 202)
    except DomainError as exc:
        message = render_template("errors/_message.html", status=exc.status, message=exc.detail)
        return message, exc.status, {"HX-Reswap": "beforeend"}


@web.post("/jobs/<job_id>/retry")
@requires_role(Role.OPERATOR)
def job_retry_action(job_id: str):
    return _on_the_card(lambda: job_retry(job_id=job_id, actor=g.actor))


@web.post("/batches/<id:batch_id>/reports")
@requires_role(Role.SUPERVISOR)
def batch_report_action(batch_id: int):
    return _card(report_request(batch_id=batch_id, file_format=request.form.get("format"), actor=g.actor), 202)


def _filters_json(filters) -> dict:
    values = asdict(filters.as_batch_filters())
    return {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in values.items()
        if value is not None
    }


@web.post("/jobs/export")
@requires_role(Role.SUPERVISOR)
def export_action():
    filters = _filters_json(board_filters(request.form))
    return _card(export_request(file_format=request.form.get("format"), filters=filters, actor=g.actor), 202)


@web.get("/imports")
@requires_role(Role.SUPERVISOR)
def imports_page():
    return render_template("imports/index.html", jobs=jobs_recent(kind="import", limit=10), poll_seconds=POLL_SECONDS)


def _uploaded_file():
    try:
        return request.files.get("file")
    except RequestEntityTooLarge:
        raise upload_too_large() from None


@web.post("/imports")
@requires_role(Role.SUPERVISOR)
def import_action():
    """Check an uploaded file; a refusal goes to the form's message line, replacing the last one."""
    try:
        upload = _uploaded_file()
        job = import_request(
            stream=upload.stream if upload and upload.filename else None,
            file_name=upload.filename if upload else None,
            dry_run=True,
            actor=g.actor,
        )
    except DomainError as exc:
        message = render_template("errors/_message.html", status=exc.status, message=exc.detail)
        return message, exc.status, {"HX-Retarget": "#import-message", "HX-Reswap": "innerHTML"}
    html, status = _card(job, 202)
    return html + '<div id="import-message" hx-swap-oob="true"></div>', status


@web.post("/imports/<job_id>/confirm")
@requires_role(Role.SUPERVISOR)
def import_confirm_action(job_id: str):
    return _on_the_card(lambda: import_confirm(job_id=job_id, actor=g.actor))
