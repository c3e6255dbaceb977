"""Run one recorded job and record how it ended; the same code under RQ and in-process."""

import logging
import threading
from contextlib import contextmanager
from time import monotonic

from flask import current_app
from rq.timeouts import JobTimeoutException

from mes_web.errors import DomainError
from mes_web.extensions import db
from mes_web.jobs.kinds import KINDS
from mes_web.services.jobs import job_fail, job_heartbeat, job_progress_record, job_start, job_succeed

log = logging.getLogger(__name__)
INTERNAL_ERROR = "Внутренняя ошибка при выполнении задания; она записана в журнал. Задание можно запустить повторно."


class JobProgress:
    """What a service calls to say how far it is; writes at most twice a second, never fails the job."""

    def __init__(self, job_id: str, attempt: int, every_seconds: float = 0.5):
        self.job_id, self.attempt = job_id, attempt
        self.every_seconds = every_seconds
        self.written_at = float("-inf")

    def __call__(self, current: int, total: int) -> None:
        now = monotonic()
        if current < total and now - self.written_at < self.every_seconds:
            return
        self.written_at = now
        try:
            job_progress_record(job_id=self.job_id, attempt=self.attempt, current=current, total=total)
        except Exception:  # progress is for the eyes; the work goes on
            log.exception("progress of job %s not recorded", self.job_id)


@contextmanager
def _heartbeat(job_id: str, attempt: int):
    """Beat while the job runs, so a job whose worker was killed is seen to have stopped."""
    engine, interval, stop = db.engine, current_app.config["JOB_HEARTBEAT_SECONDS"], threading.Event()

    def beat():
        while not stop.wait(interval):
            try:
                job_heartbeat(engine=engine, job_id=job_id, attempt=attempt)
            except Exception:  # one missed beat is not death; the next one may get through
                log.exception("heartbeat of job %s not recorded", job_id)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _failure(job_id: str, attempt: int, error: str) -> None:
    db.session.rollback()
    job_fail(job_id=job_id, attempt=attempt, error=error)


def job_run(job_id: str, attempt: int) -> None:
    """Run a job by its id (the RQ entry point)."""
    job = job_start(job_id=job_id, attempt=attempt)
    if job is None:
        return
    with _heartbeat(job_id, attempt):
        try:
            outcome = KINDS[job.kind](job, JobProgress(job_id, attempt))
        except DomainError as exc:
            _failure(job_id, attempt, exc.detail)
            return
        except JobTimeoutException:
            minutes = current_app.config["JOB_TIMEOUT_SECONDS"] // 60
            _failure(job_id, attempt, f"Задание не уложилось в {minutes} мин и остановлено.")
            raise
        except Exception:
            log.exception("job %s (%s) failed", job_id, job.kind)
            _failure(job_id, attempt, INTERNAL_ERROR)
            raise
    job_succeed(job_id=job_id, attempt=attempt, result=outcome.result, event=outcome.event)
