"""The job queue: RQ on Redis in production, a background thread in the embedded default."""

from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.job import Job as RqJob

from mes_web.extensions import db
from mes_web.jobs.runner import job_run

QUEUE_NAME = "mes_web"
RESULT_TTL = 24 * 3600  # the database row is the record; RQ's copy is only for `rq info`
FAILURE_TTL = 7 * 24 * 3600


class RedisJobQueue:
    def __init__(self, redis_url: str, timeout: int):
        self.connection = Redis.from_url(redis_url)
        self.queue = Queue(QUEUE_NAME, connection=self.connection, default_timeout=timeout)

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


class InProcessJobQueue:
    """Jobs one at a time in a thread of the web process: `make run` needs no Redis."""

    def __init__(self, app: Flask):
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mes_web-job")
        self.submitted: set[tuple[str, int]] = set()

    def enqueue(self, job_id: str, attempt: int) -> None:
        self.submitted.add((job_id, attempt))
        self.executor.submit(self._run, job_id, attempt)

    def holds(self, job_id: str, attempt: int) -> bool:
        """Whether this process took the attempt: what another process queued died with it."""
        return (job_id, attempt) in self.submitted

    def _run(self, job_id: str, attempt: int) -> None:
        with self.app.app_context():
            try:
                job_run(job_id, attempt)
            except Exception:  # already logged and recorded on the job's row
                pass
            finally:
                db.session.remove()


def init_app(app: Flask) -> None:
    redis_url = app.config["REDIS_URL"]
    queue = RedisJobQueue(redis_url, app.config["JOB_TIMEOUT_SECONDS"]) if redis_url else InProcessJobQueue(app)
    app.extensions["mes_web.job_queue"] = queue


def job_queue() -> RedisJobQueue:
    queue = current_app.extensions["mes_web.job_queue"]
    if not isinstance(queue, RedisJobQueue):
        raise RuntimeError("REDIS_URL is not set: jobs run inside the web process, there is no worker to start")
    return queue


def worker_run(*, burst: bool = False) -> None:
    """Work the queue; each job runs in a forked child that opens its own database connections."""
    queue = job_queue()
    db.engine.dispose()
    Worker([queue.queue], connection=queue.connection).work(burst=burst)
