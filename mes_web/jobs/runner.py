"""Run one recorded job and record how it ended; the same code under RQ and in-process."""

import threading
from collections.abc import Callable
from contextlib import contextmanager
from time import monotonic

from flask import current_app

from mes_web.errors import DomainError
from mes_web.extensions import db
from mes_web.services.jobs import job_fail, job_heartbeat, job_progress_record, job_start, job_succeed

INTERNAL_ERROR = "Внутренняя ошибка при выполнении задания; она записана в журнал. Задание можно запустить повторно."


class JobProgress:
    """What a service calls to say how far it is; writes at most twice a second."""

    def __init__(self, job_id: str, every_seconds: float = 0.5):
        self.job_id = job_id
        self.every_seconds = every_seconds
        self.written_at = float("-inf")

    def __call__(self, current: int, total: int) -> None:
        now = monotonic()
        if current < total and now - self.written_at < self.every_seconds:
            return
        self.written_at = now
        job_progress_record(job_id=self.job_id, current=current, total=total)


@contextmanager
def _heartbeat(job_id: str):
    """Beat while the job runs, so a job whose worker was killed is seen to have stopped."""
    engine, interval, stop = db.engine, current_app.config["JOB_HEARTBEAT_SECONDS"], threading.Event()

    def beat():
        while not stop.wait(interval):
            job_heartbeat(engine=engine, job_id=job_id)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def job_run(job_id: str, attempt: int) -> None:
    """Run a job by its id (the RQ entry point)."""
    from mes_web.jobs.kinds import KINDS

    job = job_start(job_id=job_id, attempt=attempt)
    if job is None:
        return
    work: Callable = KINDS[job.kind]
    with _heartbeat(job_id):
        try:
            outcome = work(job, JobProgress(job_id))
        except DomainError as exc:
            db.session.rollback()
            job_fail(job_id=job_id, error=exc.detail)
            return
        except Exception:
            db.session.rollback()
            current_app.logger.exception("job %s (%s) failed", job_id, job.kind)
            job_fail(job_id=job_id, error=INTERNAL_ERROR)
            raise
    job_succeed(job_id=job_id, result=outcome.result, event=outcome.event)
