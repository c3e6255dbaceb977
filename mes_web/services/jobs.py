"""Record background jobs: asked for, started, moving, finished. The row is what people read.

Every outcome names the attempt it belongs to: a late word from an attempt that was given up on
(its worker looked dead, the job was retried) never overwrites the attempt running now.
"""

from datetime import timedelta
from functools import partial
from uuid import uuid4

from flask import current_app
from sqlalchemy import delete, select, update

from mes_web.clock import utcnow
from mes_web.errors import DomainError, Forbidden, InvalidState, NotFound
from mes_web.extensions import db
from mes_web.models import Job, JobStatus, Role
from mes_web.models.jobs import FINISHED, RUNNING, is_job_id
from mes_web.services.events import event_record
from mes_web.services.transaction import SYSTEM, Actor, after_commit, transactional

STALLED = (
    "Обработчик заданий остановился, не закончив (процесс завершён или не хватило памяти). Запустите задание повторно."
)
LOST = "Задание пропало из очереди (перезапуск сервера или Redis), не начавшись. Запустите его повторно."
QUEUE_DOWN = "Очередь заданий (Redis) недоступна; задание не запущено. Запустите его повторно позже."
LOST_AFTER = timedelta(minutes=1)  # a queued job younger than this may still be on its way to the queue


class QueueUnavailable(DomainError):
    status = 503
    code = "queue_unavailable"


def job_actor(job: Job) -> Actor:
    """Who asked for the job: its work is done in their name."""
    return Actor(label=job.actor, role=Role(job.actor_role), user_id=job.user_id)


def _queue():
    return current_app.extensions["mes_web.job_queue"]


def _dispatch(job_id: str, attempt: int) -> None:
    try:
        _queue().enqueue(job_id, attempt)
    except ConnectionError as exc:
        job_fail(job_id=job_id, attempt=attempt, error=QUEUE_DOWN)
        raise QueueUnavailable("Очередь заданий недоступна; повторите позже.") from exc


def job_add(
    *,
    kind: str,
    params: dict,
    actor: Actor,
    inputs: dict | None = None,
    batch_id: int | None = None,
    queued: bool = True,
) -> Job:
    """Record a job in the caller's transaction; it is queued once that transaction commits."""
    job = Job(
        id=uuid4().hex,
        kind=kind,
        params=params,
        inputs=inputs,
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


def _attempt(job_id: str, attempt: int, statuses) -> Job | None:
    """The job if `attempt` is its current one and it is in one of `statuses`, locked; else None."""
    job = db.session.get(Job, job_id, with_for_update=True)
    return job if job is not None and job.attempt == attempt and job.status in statuses else None


@transactional
def job_start(*, job_id: str, attempt: int) -> Job | None:
    """Mark a job started; None when there is nothing to run (rolled back, finished, or a later attempt exists)."""
    job = _attempt(job_id, attempt, (JobStatus.PENDING,))
    if job is not None:
        job.status = JobStatus.STARTED
        job.started_at = job.heartbeat_at = utcnow()
    return job


@transactional
def job_succeed(*, job_id: str, attempt: int, result: dict, event: tuple | None = None) -> Job | None:
    """Record an attempt's result, and the event worth telling others about, in one transaction."""
    job = _attempt(job_id, attempt, RUNNING)
    if job is None:
        return None
    job.status, job.result, job.error, job.finished_at = JobStatus.SUCCESS, result, None, utcnow()
    if job.progress_total:
        job.progress_current = job.progress_total
    if event:
        event_type, batch_id, payload = event
        event_record(event_type=event_type, actor=job_actor(job), batch_id=batch_id, payload=payload)
    return job


@transactional
def job_fail(*, job_id: str, attempt: int, error: str) -> Job | None:
    """Record why an attempt did not finish."""
    job = _attempt(job_id, attempt, (JobStatus.PENDING, *RUNNING))
    if job is not None:
        job.status, job.error, job.finished_at = JobStatus.FAILURE, error, utcnow()
    return job


def _running(job_id: str, attempt: int):
    return update(Job).where(Job.id == job_id, Job.attempt == attempt, Job.status.in_(RUNNING))


def job_progress_record(*, job_id: str, attempt: int, current: int, total: int) -> None:
    """Publish how far a job is, on a connection of its own: the job's own transaction may still be open."""
    values = {"status": JobStatus.PROGRESS, "progress_current": current, "progress_total": total}
    with db.engine.begin() as connection:
        connection.execute(_running(job_id, attempt).values(**values, heartbeat_at=utcnow()))


def job_heartbeat(*, engine, job_id: str, attempt: int) -> None:
    """Prove the job's worker is alive (called from the worker's heartbeat thread)."""
    with engine.begin() as connection:
        connection.execute(_running(job_id, attempt).values(heartbeat_at=utcnow()))


def _lost(job: Job) -> bool:
    return job.created_at < utcnow() - LOST_AFTER and not _queue().holds(job.id, job.attempt)


@transactional
def jobs_fail_stalled(*, job_id: str | None = None) -> int:
    """Fail jobs whose worker stopped beating (killed, out of memory) or that left the queue unstarted."""
    if job_id is not None and not is_job_id(job_id):
        return 0
    silent_since = utcnow() - timedelta(seconds=3 * current_app.config["JOB_HEARTBEAT_SECONDS"])
    stalled = update(Job).where(Job.status.in_(RUNNING), Job.heartbeat_at < silent_since)
    waiting = select(Job).where(Job.status == JobStatus.PENDING, Job.created_at < utcnow() - LOST_AFTER)
    if job_id is not None:
        stalled, waiting = stalled.where(Job.id == job_id), waiting.where(Job.id == job_id)
    stalled = stalled.values(status=JobStatus.FAILURE, error=STALLED, finished_at=utcnow())
    failed = db.session.execute(stalled.execution_options(synchronize_session="fetch")).rowcount
    for job in db.session.scalars(waiting.with_for_update(skip_locked=True)):
        if _lost(job):
            job.status, job.error, job.finished_at = JobStatus.FAILURE, LOST, utcnow()
            failed += 1
    return failed


def job_read(job_id: str) -> Job:
    """A job as it stands, a stalled one already marked failed; a 404 for an unknown id."""
    jobs_fail_stalled(job_id=job_id)
    job = db.session.get(Job, job_id) if is_job_id(job_id) else None
    if job is None:
        raise NotFound(f"Задание {job_id} не найдено.", code="task_not_found")
    return job


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


@transactional
def jobs_delete_scheduled_older_than(*, days: int) -> int:
    """Forget the rows of periodic runs older than `days`; people's jobs stay."""
    cutoff = utcnow() - timedelta(days=days)
    query = delete(Job).where(Job.kind == "periodic", Job.status.in_(FINISHED), Job.created_at < cutoff)
    return db.session.execute(query.execution_options(synchronize_session=False)).rowcount
