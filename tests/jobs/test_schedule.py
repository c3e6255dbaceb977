"""The periodic jobs: on rq-scheduler under fixed ids, and each runnable by hand with a visible effect."""

import io
import time
from datetime import timedelta

import pytest
from rq_scheduler import Scheduler

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.integrations.storage import BUCKETS, storage
from mes_web.jobs.schedule import PERIODIC, SCHEDULE_ID_PREFIX, periodic_run, schedule_register
from mes_web.models import Job, JobStatus
from tests.factories import create_batch


@pytest.fixture
def scheduler(job_queue):
    scheduler = Scheduler(queue=job_queue.queue, connection=job_queue.connection)
    yield scheduler
    for scheduled in scheduler.get_jobs():
        scheduler.cancel(scheduled)


def _moment(delta: timedelta) -> str:
    return (utcnow() + delta).isoformat()


def test_the_schedule_holds_each_job_once_however_often_it_is_registered(scheduler):
    schedule_register(scheduler)
    schedule_register(scheduler)  # a restarted scheduler
    ids = sorted(job.id for job in scheduler.get_jobs())
    assert ids == sorted(SCHEDULE_ID_PREFIX + name for name in PERIODIC)
    crons = {job.id.removeprefix(SCHEDULE_ID_PREFIX): job.meta["cron_string"] for job in scheduler.get_jobs()}
    # 01:00 and 02:00 on the plant's clock (Moscow, UTC+3) are 22:00 and 23:00 UTC.
    assert crons == {
        "close-overdue-batches": "0 22 * * *",
        "delete-old-files": "0 23 * * *",
        "delete-old-deliveries": "30 23 * * *",
        "refresh-dashboard": "*/5 * * * *",
        "resend-webhooks": "*/15 * * * *",
        "fail-stalled-jobs": "*/5 * * * *",
    }


def test_a_scheduled_job_runs_through_the_queue(client, supervisor, scheduler, run_jobs):
    overdue = create_batch(
        client,
        supervisor,
        ДатаВремяНачалаСмены=_moment(-timedelta(hours=13)),
        ДатаВремяОкончанияСмены=_moment(-timedelta(hours=1)),
    )
    schedule_register(scheduler)
    [closing] = [job for job in scheduler.get_jobs() if job.id.endswith("close-overdue-batches")]
    scheduler.enqueue_job(closing)
    run_jobs()
    assert client.get(f"/api/v1/batches/{overdue['id']}", headers=supervisor).get_json()["is_closed"] is True
    recorded = db.session.query(Job).filter_by(kind="periodic").one()
    assert recorded.status == JobStatus.SUCCESS and recorded.params == {"name": "close-overdue-batches"}
    assert recorded.result["message"].endswith(": 1.")
    # The schedule's own record must outlive a day, or the daily job would drop off it.
    assert scheduler.connection.ttl(f"rq:job:{closing.id}") == -1
    assert closing.id in scheduler


def test_overdue_batches_close_and_others_stay_as_they_are(client, supervisor):
    overdue = create_batch(
        client,
        supervisor,
        ДатаВремяНачалаСмены=_moment(-timedelta(hours=13)),
        ДатаВремяОкончанияСмены=_moment(-timedelta(minutes=1)),
    )
    running = create_batch(
        client,
        supervisor,
        ДатаВремяНачалаСмены=_moment(-timedelta(hours=1)),
        ДатаВремяОкончанияСмены=_moment(timedelta(hours=11)),
    )
    assert periodic_run("close-overdue-batches").endswith(": 1.")
    closed = client.get(f"/api/v1/batches/{overdue['id']}", headers=supervisor).get_json()
    assert closed["is_closed"] is True and closed["closed_at"]
    assert client.get(f"/api/v1/batches/{running['id']}", headers=supervisor).get_json()["is_closed"] is False
    assert periodic_run("close-overdue-batches").endswith(": 0.")


def test_old_files_go_and_recent_ones_stay(app, monkeypatch):
    files = storage()
    for bucket in BUCKETS:
        files.upload(bucket, f"test/{bucket}.txt", io.BytesIO(b"old"))
    periodic_run("delete-old-files")
    assert all(any(f.name == f"test/{b}.txt" for f in files.list(b, prefix="test/")) for b in BUCKETS)
    time.sleep(1.1)
    monkeypatch.setitem(app.config, "FILES_RETENTION_DAYS", 0)
    assert periodic_run("delete-old-files").startswith("Удалено файлов старше 0 дней")
    assert not any(list(files.list(bucket, prefix="test/")) for bucket in BUCKETS)
    # The rows of earlier runs go with the files; the run that did it stays on record.
    assert [job.status for job in db.session.query(Job).filter_by(kind="periodic")] == [JobStatus.SUCCESS]


def test_stalled_jobs_are_failed_by_the_periodic_check(app):
    from mes_web.services.jobs import job_add
    from mes_web.services.transaction import SYSTEM, transactional

    job = transactional(lambda: job_add(kind="export", params={}, actor=SYSTEM, queued=False))()
    job.status, job.heartbeat_at = JobStatus.PROGRESS, utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert periodic_run("fail-stalled-jobs").endswith(": 1.")
    db.session.refresh(job)
    assert job.status == JobStatus.FAILURE and "остановился" in job.error


def test_webhook_resend_runs_and_finds_nothing_yet(app):
    assert periodic_run("resend-webhooks").endswith(": 0.")
