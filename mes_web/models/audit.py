"""The append-only event log: the audit trail and the source of outgoing webhooks."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.models.types import BigId, Json, UTCDateTime


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (
        Index("idx_event_batch", "batch_id", "id"),
        # The outbox: events not yet turned into webhook deliveries, a small set however long the log grows.
        Index(
            "idx_event_undispatched",
            "id",
            postgresql_where=text("dispatched_at IS NULL"),
            sqlite_where=text("dispatched_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(50))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    payload: Mapped[dict] = mapped_column(Json, default=dict)
    actor: Mapped[str] = mapped_column(String(255))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when webhook deliveries were made of it
