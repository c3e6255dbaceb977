"""Background jobs: ask for one (202), then follow it at /tasks/{task_id}."""

from flask import g, jsonify, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from mes_web.api import api
from mes_web.api.auth import requires
from mes_web.api.params import json_body, query_shape_errors
from mes_web.clock import isoformat
from mes_web.errors import Invalid, refuse_if_invalid
from mes_web.models import Job, Role
from mes_web.selectors.jobs import job_result
from mes_web.services import fields as f
from mes_web.services.job_requests import (
    aggregation_request,
    export_request,
    import_request,
    report_request,
    upload_too_large,
)
from mes_web.services.jobs import job_read, job_retry

ACCEPTED = {
    "aggregate": "Агрегация поставлена в очередь.",
    "report": "Отчёт формируется.",
    "export": "Выгрузка формируется.",
    "import": "Файл принят и поставлен в очередь на загрузку.",
}


def task_json(job: Job) -> dict:
    return {
        "task_id": job.id,
        "status": job.status,
        "result": job_result(job),
        "kind": job.kind,
        "attempt": job.attempt,
        "asked_by": job.actor,
        "created_at": isoformat(job.created_at),
        "started_at": isoformat(job.started_at),
        "finished_at": isoformat(job.finished_at),
    }


def _accepted(job: Job):
    body = {"task_id": job.id, "status": job.status, "message": ACCEPTED.get(job.kind, "Задание принято.")}
    return jsonify(body), 202, {"Location": url_for("api.tasks_show", task_id=job.id)}


def _object_body() -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise Invalid("Тело запроса должно быть JSON-объектом.", fields={"body": "нужен JSON-объект"})
    return body


@api.get("/tasks/<task_id>")
@requires(Role.OPERATOR)
def tasks_show(task_id: str):
    return jsonify(task_json(job_read(task_id)))


@api.post("/tasks/<task_id>/retry")
@requires(Role.OPERATOR)
def tasks_retry(task_id: str):
    return _accepted(job_retry(job_id=task_id, actor=g.actor))


@api.post("/batches/<id:batch_id>/aggregate-async")
@requires(Role.OPERATOR)
def batches_aggregate_async(batch_id: int):
    body = _object_body()
    return _accepted(aggregation_request(batch_id=batch_id, unique_codes=body.get("unique_codes"), actor=g.actor))


@api.post("/batches/<id:batch_id>/reports")
@requires(Role.SUPERVISOR)
def batches_report(batch_id: int):
    body = _object_body()
    return _accepted(report_request(batch_id=batch_id, file_format=body.get("format"), actor=g.actor))


@api.post("/batches/export")
@requires(Role.SUPERVISOR)
def batches_export():
    body = _object_body()
    return _accepted(export_request(file_format=body.get("format"), filters=body.get("filters"), actor=g.actor))


@api.post("/batches/import")
@requires(Role.SUPERVISOR)
def batches_import_file():
    errors = query_shape_errors({"dry_run"})
    dry_run = False
    if "dry_run" in request.args and not errors:
        try:
            dry_run = f.flag(request.args["dry_run"] or "?")
        except f.FieldError as exc:
            errors["dry_run"] = str(exc)
    refuse_if_invalid(errors, subject="Параметр")
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        raise upload_too_large() from None
    return _accepted(
        import_request(
            stream=upload.stream if upload else None,
            file_name=upload.filename if upload else None,
            dry_run=dry_run,
            actor=g.actor,
        )
    )
