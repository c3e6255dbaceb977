"""How a job's row follows its attempts: a dead queue, a lost job, and a late word from a given-up attempt."""

from datetime import timedelta

from flask import current_app
from rq import SimpleWorker

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.jobs.runner import JobProgress
from mes_web.models import Job, JobStatus
from mes_web.services.jobs import job_fail, job_start, job_succeed, jobs_fail_stalled
from tests.jobs.conftest import task


def _export(client, supervisor) -> str:
    response = client.post("/api/v1/batches/export", json={"format": "csv"}, headers=supervisor)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["task_id"]


def test_with_the_queue_down_the_request_says_so_and_the_job_is_failed(client, supervisor, job_queue, monkeypatch):
    monkeypatch.setattr(job_queue.queue, "connection", type(job_queue.connection).from_url("redis://127.0.0.1:1/0"))
    response = client.post("/api/v1/batches/export", json={"format": "csv"}, headers=supervisor)
    assert response.status_code == 503 and response.get_json()["error"] == "queue_unavailable"
    [job] = db.session.query(Job).all()
    assert job.status == JobStatus.FAILURE and "Redis" in job.error


def test_a_queued_job_the_queue_forgot_is_failed_not_left_waiting(client, supervisor, job_queue):
    task_id = _export(client, supervisor)
    job_queue.queue.empty()  # Redis restarted without persistence
    assert jobs_fail_stalled(job_id=task_id) == 0  # young: it may still be on its way
    job = db.session.get(Job, task_id)
    job.created_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    body = task(client, supervisor, task_id)
    assert body["status"] == "FAILURE" and "пропало из очереди" in body["result"]["error"]


def test_a_queued_job_still_in_the_queue_is_left_alone(client, supervisor, job_queue):
    task_id = _export(client, supervisor)
    db.session.get(Job, task_id).created_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    assert task(client, supervisor, task_id)["status"] == "PENDING"


def test_a_late_word_from_a_given_up_attempt_does_not_touch_the_retry(client, supervisor, job_queue):
    task_id = _export(client, supervisor)
    assert job_start(job_id=task_id, attempt=1) is not None
    job = db.session.get(Job, task_id)
    job.heartbeat_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert task(client, supervisor, task_id)["status"] == "FAILURE"
    assert client.post(f"/api/v1/tasks/{task_id}/retry", headers=supervisor).status_code == 202
    assert job_start(job_id=task_id, attempt=2) is not None

    assert job_succeed(job_id=task_id, attempt=1, result={"stale": True}) is None
    assert job_fail(job_id=task_id, attempt=1, error="late") is None
    JobProgress(task_id, 1)(5, 10)
    db.session.expire_all()
    job = db.session.get(Job, task_id)
    assert (job.status, job.attempt, job.result, job.progress_total) == (JobStatus.STARTED, 2, None, None)
    assert job_start(job_id=task_id, attempt=2) is None  # and the same attempt never starts twice


def test_a_long_list_publishes_its_progress_through_the_database(pg_committed):
    """Progress goes through a connection of its own, so this runs with real commits and reads the row back."""
    from mes_web.services.batches import batches_upsert
    from mes_web.services.job_requests import aggregation_request
    from mes_web.services.products import products_add_from_1c
    from mes_web.services.transaction import SYSTEM
    from tests.factories import shift_task

    queue = current_app.extensions["mes_web.job_queue"]
    queue.queue.empty()
    [(batch, _)] = batches_upsert(payload=shift_task(НомерПартии=4343), actor=SYSTEM)
    products_add_from_1c(
        payload=[{"УникальныйКодПродукта": "P-1", "НомерПартии": 4343, "ДатаПартии": "2024-01-30"}], actor=SYSTEM
    )
    codes = ["P-1"] + [f"NOPE-{n}" for n in range(11_999)]
    job = aggregation_request(batch_id=batch.id, unique_codes=codes, actor=SYSTEM)
    SimpleWorker([queue.queue], connection=queue.connection).work(burst=True)
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert (done.status, done.progress_current, done.progress_total) == (JobStatus.SUCCESS, 12_000, 12_000)
    assert done.result["aggregated"] == 1 and done.result["failed"] == 11_999
