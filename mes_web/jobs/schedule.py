"""Periodic housekeeping: defined once here, run by rq-scheduler or by hand (`flask run-periodic NAME`)."""

import os
import time as clock_time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from flask import current_app
from rq_scheduler import Scheduler

from mes_web.clock import plant_today, plant_tz
from mes_web.jobs.queues import QUEUE_NAME, job_queue
from mes_web.jobs.runner import job_run
from mes_web.selectors.analytics import dashboard
from mes_web.selectors.cached import dashboard_refresh
from mes_web.services.batches import batches_close_overdue
from mes_web.services.files import files_delete_older_than
from mes_web.services.jobs import jobs_delete_scheduled_older_than, jobs_fail_stalled, periodic_job_record
from mes_web.services.transaction import SYSTEM
from mes_web.services.webhook_deliveries import deliveries_delete_older_than, deliveries_resend_lost

SCHEDULE_ID_PREFIX = "mes_web-periodic-"


def _close_overdue_batches() -> str:
    return f"Закрыто партий с прошедшим окончанием смены: {len(batches_close_overdue(actor=SYSTEM))}."


def _delete_old_files() -> str:
    days = current_app.config["FILES_RETENTION_DAYS"]
    runs = jobs_delete_scheduled_older_than(days=days)
    return (
        f"Удалено файлов старше {days} дней: {files_delete_older_than(days=days)} (и записей плановых заданий: {runs})."
    )


def _delete_old_deliveries() -> str:
    days = current_app.config["WEBHOOK_HISTORY_DAYS"]
    return f"Удалено доставок вебхуков старше {days} дней: {deliveries_delete_older_than(days=days)}."


def _refresh_dashboard() -> str:
    figures = dashboard_refresh(dashboard)
    return f"Сводка пересчитана: {figures['summary']['total_batches']} партий, {figures['cached_at']}."


def _resend_webhooks() -> str:
    return f"Доставок вебхуков, потерянных очередью или обработчиком и отправленных снова: {deliveries_resend_lost()}."


def _fail_stalled_jobs() -> str:
    return f"Заданий, чей обработчик остановился: {jobs_fail_stalled()}."


@dataclass(frozen=True)
class Periodic:
    name: str
    run: Callable[[], str]
    every_minutes: int | None = None
    daily_at: time | None = None  # the plant's wall clock

    def cron(self) -> str:
        """The cron line in UTC, which is the scheduler's clock."""
        if self.every_minutes:
            return f"*/{self.every_minutes} * * * *"
        at = datetime.combine(plant_today(), self.daily_at, plant_tz()).astimezone(UTC)
        return f"{at.minute} {at.hour} * * *"


PERIODIC = {
    periodic.name: periodic
    for periodic in (
        Periodic("close-overdue-batches", _close_overdue_batches, daily_at=time(1, 0)),
        Periodic("delete-old-files", _delete_old_files, daily_at=time(2, 0)),
        Periodic("delete-old-deliveries", _delete_old_deliveries, daily_at=time(2, 30)),
        Periodic("refresh-dashboard", _refresh_dashboard, every_minutes=5),
        Periodic("resend-webhooks", _resend_webhooks, every_minutes=15),
        Periodic("fail-stalled-jobs", _fail_stalled_jobs, every_minutes=5),
    )
}


def periodic_run(name: str) -> str:
    """Run one periodic job now, recorded as a job row like any other; return what it did."""
    job = periodic_job_record(name=name)
    job_run(job.id, job.attempt)
    return job.result["message"] if job.result else job.error


def schedule_register(scheduler: Scheduler) -> list[str]:
    """Put every periodic job on the schedule under a fixed id; a restart replaces, never doubles."""
    for scheduled in scheduler.get_jobs():
        if scheduled.id.startswith(SCHEDULE_ID_PREFIX):
            scheduler.cancel(scheduled)
    for periodic in PERIODIC.values():
        scheduler.cron(
            periodic.cron(),
            func="mes_web.jobs.schedule.periodic_run",
            args=[periodic.name],
            id=SCHEDULE_ID_PREFIX + periodic.name,
            queue_name=QUEUE_NAME,
            # No result_ttl: RQ would put it on the scheduled job's own record, which would expire before a daily run.
            timeout=current_app.config["JOB_TIMEOUT_SECONDS"],
        )
    return [SCHEDULE_ID_PREFIX + name for name in PERIODIC]


def scheduler_run() -> None:
    """Keep putting due periodic jobs on the queue (one scheduler at a time holds Redis' lock)."""
    # rq-scheduler reads cron lines on the process' local clock; ours are written in UTC.
    os.environ["TZ"] = "UTC"
    clock_time.tzset()
    # With the clock on UTC, crontab's announced switch to UTC changes nothing for us.
    warnings.filterwarnings("ignore", message="Version 0.22.0", category=FutureWarning)
    queue = job_queue()
    scheduler = Scheduler(queue=queue.queue, connection=queue.connection, interval=10)
    schedule_register(scheduler)
    scheduler.run()
