"""Background jobs as the screens and the API see them; RQ only carries them."""

import re
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.models.types import Json, UTCDateTime


class JobStatus(StrEnum):
    PENDING = "PENDING"
    STARTED = "STARTED"
    PROGRESS = "PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


RUNNING = (JobStatus.STARTED, JobStatus.PROGRESS)
_JOB_ID = re.compile(r"[0-9a-f]{32}")


def is_job_id(value: str) -> bool:
    """Job ids are uuid4 hex; anything else names no job (and never reaches the database)."""
    return bool(_JOB_ID.fullmatch(value))


FINISHED = (JobStatus.SUCCESS, JobStatus.FAILURE)


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("idx_job_created_at", "created_at"),
        Index("idx_job_status_heartbeat", "status", "heartbeat_at"),
        Index("idx_job_batch", "batch_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(Json, default=dict)
    # Large inputs (the codes of a long list) apart from params, so lists of jobs never load them.
    inputs: Mapped[dict | None] = mapped_column(Json, deferred=True)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.PENDING)
    progress_current: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict | None] = mapped_column(Json)
    error: Mapped[str | None] = mapped_column(Text)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    batch_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(255))
    actor_role: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCESS:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_current / self.progress_total))

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED
