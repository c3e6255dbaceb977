"""The job queue: RQ on Redis in production, a background thread in the embedded default."""

import logging
import os
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job as RqJob
from rq.job import JobStatus

from mes_web.extensions import db
from mes_web.jobs.dispatcher import OutboxDispatcher
from mes_web.jobs.runner import job_run
from mes_web.jobs.webhooks import webhooks_deliver
from mes_web.services.webhook_deliveries import DeliveryJob

log = logging.getLogger(__name__)

QUEUE_NAME = "mes_web"
WEBHOOK_QUEUE_NAME = "mes_web-webhooks"
# A delivery job stops taking new deliveries after a minute; the one it is sending may take two 60 s timeouts.
DELIVERY_JOB_TIMEOUT = 200
RESULT_TTL = 24 * 3600  # the database row is the record; RQ's copy is only for `rq info`
FAILURE_TTL = 7 * 24 * 3600


class RedisJobQueue:
    def __init__(self, redis_url: str, timeout: int):
        self.connection = Redis.from_url(redis_url)
        self.queue = Queue(QUEUE_NAME, connection=self.connection, default_timeout=timeout)
        self.webhook_queue = Queue(WEBHOOK_QUEUE_NAME, connection=self.connection)

    def enqueue(self, job_id: str, attempt: int) -> None:
        try:
            self.queue.enqueue(
                "mes_web.jobs.runner.job_run",
                job_id,
                attempt,
                job_id=f"{job_id}-{attempt}",
                result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
            )
        except RedisError as exc:
            raise ConnectionError(f"Redis: {exc}") from exc

    def holds(self, job_id: str, attempt: int) -> bool:
        """Whether RQ still knows the attempt (a restarted Redis without persistence forgets)."""
        return RqJob.exists(f"{job_id}-{attempt}", connection=self.connection)

    def enqueue_deliveries(self, jobs: list[DeliveryJob]) -> None:
        """Queue jobs of webhook deliveries, all sent to Redis in one round trip."""
        prepared = [
            Queue.prepare_data(
                "mes_web.jobs.webhooks.webhooks_deliver",
                args=(job.subscription_id, job.delivery_ids),
                job_id=job.job_id,
                timeout=DELIVERY_JOB_TIMEOUT,
                result_ttl=0,  # the delivery rows are the record
                failure_ttl=FAILURE_TTL,
            )
            for job in jobs
        ]
        try:
            self.webhook_queue.enqueue_many(prepared)
        except RedisError as exc:
            raise ConnectionError(f"Redis: {exc}") from exc

    def holds_deliveries(self, job_id: str | None) -> bool:
        """Whether the job waits in the queue or runs (a job that failed is kept, but not held)."""
        try:
            job = RqJob.fetch(job_id, connection=self.connection) if job_id else None
        except NoSuchJobError:
            return False
        return job is not None and job.get_status() in (JobStatus.QUEUED, JobStatus.STARTED)


class InProcessJobQueue:
    """Jobs one at a time in a thread of the web process: `make run` needs no Redis."""

    def __init__(self, app: Flask):
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mes_web-job")
        self.sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mes_web-webhook")
        self.submitted: set[tuple[str, int]] = set()
        self.delivery_jobs: set[str] = set()

    def enqueue(self, job_id: str, attempt: int) -> None:
        self.submitted.add((job_id, attempt))
        self.executor.submit(self._run, job_id, attempt)

    def holds(self, job_id: str, attempt: int) -> bool:
        """Whether this process took the attempt: what another process queued died with it."""
        return (job_id, attempt) in self.submitted

    def enqueue_deliveries(self, jobs: list[DeliveryJob]) -> None:
        for job in jobs:
            self.delivery_jobs.add(job.job_id)
            self.sender.submit(self._deliver, job)

    def holds_deliveries(self, job_id: str | None) -> bool:
        return job_id in self.delivery_jobs

    def _run(self, job_id: str, attempt: int) -> None:
        with self.app.app_context():
            try:
                job_run(job_id, attempt)
            except Exception:  # already logged and recorded on the job's row
                pass
            finally:
                db.session.remove()

    def _deliver(self, job: DeliveryJob) -> None:
        with self.app.app_context():
            try:
                webhooks_deliver(job.subscription_id, job.delivery_ids)
            except Exception:  # what was claimed is re-sent by the dispatcher's periodic check
                log.exception("webhook job %s failed", job.job_id)
            finally:
                self.delivery_jobs.discard(job.job_id)


def init_app(app: Flask) -> None:
    redis_url = app.config["REDIS_URL"]
    queue = RedisJobQueue(redis_url, app.config["JOB_TIMEOUT_SECONDS"]) if redis_url else InProcessJobQueue(app)
    app.extensions["mes_web.job_queue"] = queue


def job_queue() -> RedisJobQueue:
    queue = current_app.extensions["mes_web.job_queue"]
    if not isinstance(queue, RedisJobQueue):
        raise RuntimeError("REDIS_URL is not set: jobs run inside the web process, there is no worker to start")
    return queue


class JobWorker(Worker):
    """Runs each job in a forked child, except webhook deliveries: small and many, the worker sends them itself."""

    def execute_job(self, job, queue):
        if queue.name == WEBHOOK_QUEUE_NAME:
            return SimpleWorker.execute_job(self, job, queue)
        return super().execute_job(job, queue)

    def get_heartbeat_ttl(self, job) -> int:
        # A job run in this process sends no heartbeats while it runs: keep the worker listed until its timeout.
        if job.origin == WEBHOOK_QUEUE_NAME:
            return SimpleWorker.get_heartbeat_ttl(self, job)
        return super().get_heartbeat_ttl(job)


def worker_run(*, burst: bool = False) -> None:
    """Work both queues and dispatch the event log's webhooks; a forked child opens its own database connections."""
    queue = job_queue()
    engine = db.engine
    engine.dispose()
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    dispatcher = OutboxDispatcher(current_app._get_current_object())
    dispatcher.hold_forks()
    with dispatcher.running():
        JobWorker([queue.queue, queue.webhook_queue], connection=queue.connection).work(burst=burst)
