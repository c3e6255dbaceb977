"""Record background jobs: asked for, started, moving, finished. The row is what people read."""

from datetime import timedelta
from functools import partial
from uuid import uuid4

from flask import current_app
from sqlalchemy import update

from mes_web.clock import utcnow
from mes_web.errors import DomainError, Forbidden, InvalidState, NotFound
from mes_web.extensions import db
from mes_web.models import Job, JobStatus, Role
from mes_web.models.jobs import RUNNING, is_job_id
from mes_web.services.events import event_record
from mes_web.services.transaction import SYSTEM, Actor, after_commit, transactional

STALLED = (
    "Обработчик заданий остановился, не закончив (процесс завершён или не хватило памяти). Запустите задание повторно."
)


class QueueUnavailable(DomainError):
    status = 503
    code = "queue_unavailable"


def job_actor(job: Job) -> Actor:
    """Who asked for the job: its work is done in their name."""
    return Actor(label=job.actor, role=Role(job.actor_role), user_id=job.user_id)


def _dispatch(job_id: str, attempt: int) -> None:
    try:
        current_app.extensions["mes_web.job_queue"].enqueue(job_id, attempt)
    except ConnectionError as exc:  # redis' ConnectionError derives from the builtin one
        job_fail(job_id=job_id, error="Очередь заданий (Redis) недоступна; задание не запущено.")
        raise QueueUnavailable("Очередь заданий недоступна; повторите позже.") from exc


def job_add(*, kind: str, params: dict, actor: Actor, batch_id: int | None = None, queued: bool = True) -> Job:
    """Record a job in the caller's transaction; it is queued once that transaction commits."""
    job = Job(
        id=uuid4().hex,
        kind=kind,
        params=params,
        status=JobStatus.PENDING,
        progress_current=0,
        attempt=1,
        batch_id=batch_id,
        actor=actor.label,
        actor_role=actor.role.value,
        user_id=actor.user_id,
        created_at=utcnow(),
    )
    db.session.add(job)
    db.session.flush()
    if queued:
        after_commit(partial(_dispatch, job.id, job.attempt))
    return job


@transactional
def periodic_job_record(*, name: str) -> Job:
    """Record a periodic job that this process runs itself."""
    return job_add(kind="periodic", params={"name": name}, actor=SYSTEM, queued=False)


def job_for_update(job_id: str) -> Job:
    """The job, locked until the caller's transaction ends, or a 404 naming it."""
    job = db.session.get(Job, job_id, with_for_update=True) if is_job_id(job_id) else None
    if job is None:
        raise NotFound(f"Задание {job_id} не найдено.", code="task_not_found")
    return job


@transactional
def job_start(*, job_id: str, attempt: int) -> Job | None:
    """Mark a job started; None when there is nothing to run (rolled back, finished, or a later attempt exists)."""
    job = db.session.get(Job, job_id, with_for_update=True)
    if job is None or job.attempt != attempt or job.status != JobStatus.PENDING:
        return None
    job.status = JobStatus.STARTED
    job.started_at = job.heartbeat_at = utcnow()
    return job


@transactional
def job_succeed(*, job_id: str, result: dict, event: tuple[str, int | None, dict] | None = None) -> Job:
    """Record a job's result, and the event it is worth telling others about, in one transaction."""
    job = job_for_update(job_id)
    job.status = JobStatus.SUCCESS
    job.result = result
    job.error = None
    job.finished_at = utcnow()
    if job.progress_total:
        job.progress_current = job.progress_total
    if event:
        event_type, batch_id, payload = event
        event_record(event_type=event_type, actor=job_actor(job), batch_id=batch_id, payload=payload)
    return job


@transactional
def job_fail(*, job_id: str, error: str) -> Job:
    """Record why a job did not finish."""
    job = job_for_update(job_id)
    job.status = JobStatus.FAILURE
    job.error = error
    job.finished_at = utcnow()
    return job


def _running(job_id: str):
    return update(Job).where(Job.id == job_id, Job.status.in_(RUNNING))


def job_progress_record(*, job_id: str, current: int, total: int) -> None:
    """Publish how far a job is, on a connection of its own: the job's own transaction may still be open."""
    with db.engine.begin() as connection:
        connection.execute(
            _running(job_id).values(
                status=JobStatus.PROGRESS, progress_current=current, progress_total=total, heartbeat_at=utcnow()
            )
        )


def job_heartbeat(*, engine, job_id: str) -> None:
    """Prove the job's worker is alive (called from the worker's heartbeat thread)."""
    with engine.begin() as connection:
        connection.execute(_running(job_id).values(heartbeat_at=utcnow()))


@transactional
def jobs_fail_stalled(*, job_id: str | None = None) -> int:
    """Fail running jobs whose worker stopped beating (killed, out of memory); return how many."""
    silent_since = utcnow() - timedelta(seconds=3 * current_app.config["JOB_HEARTBEAT_SECONDS"])
    query = update(Job).where(Job.status.in_(RUNNING), Job.heartbeat_at < silent_since)
    if job_id is not None:
        if not is_job_id(job_id):
            return 0
        query = query.where(Job.id == job_id)
    stalled = query.values(status=JobStatus.FAILURE, error=STALLED, finished_at=utcnow())
    return db.session.execute(stalled.execution_options(synchronize_session="fetch")).rowcount


@transactional
def job_retry(*, job_id: str, actor: Actor) -> Job:
    """Run a failed job again under the same id; people may retry their own jobs, supervisors anyone's."""
    job = job_for_update(job_id)
    if job.actor != actor.label and not actor.role.allows(Role.SUPERVISOR):
        raise Forbidden("Повторить чужое задание может только мастер.")
    if job.status != JobStatus.FAILURE:
        raise InvalidState("Повторить можно только задание, которое завершилось ошибкой.", code="task_not_failed")
    job.attempt += 1
    job.status = JobStatus.PENDING
    job.progress_current, job.progress_total = 0, None
    job.error = job.result = job.started_at = job.finished_at = job.heartbeat_at = None
    after_commit(partial(_dispatch, job.id, job.attempt))
    return job
