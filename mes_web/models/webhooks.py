"""Outgoing webhook subscriptions and their deliveries."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.models.types import BigId, Json, UTCDateTime


class WebhookSubscription(db.Model):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list] = mapped_column(Json, default=list)
    secret_key: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True, server_default="true")
    retry_count: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    timeout: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    # After a rotation the old secret keeps signing, beside the new one, until this moment.
    previous_secret_key: Mapped[str | None] = mapped_column(String(255))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


PING = "ping"  # the test event: sent on request, to enabled and disabled subscriptions alike


class DeliveryStatus:
    """Where a delivery is: waiting in the queue, being sent, waiting to retry, or done."""

    QUEUED = "queued"  # handed to the queue at queued_at
    SENDING = "sending"  # an attempt started at last_attempt_at
    RETRYING = "retrying"  # the next attempt is due at next_attempt_at
    DELIVERED = "delivered"
    FAILED = "failed"  # no attempts left, or the subscription was disabled
    ALL = (QUEUED, SENDING, RETRYING, DELIVERED, FAILED)
    FINISHED = (DELIVERED, FAILED)  # only these may be redelivered, and only these are ever deleted


class WebhookDelivery(db.Model):
    """One message to one subscription; redelivering sends the same bytes again."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("idx_delivery_subscription", "subscription_id", "id"),
        # An event becomes at most one delivery per subscription, however often dispatching is tried.
        UniqueConstraint("subscription_id", "event_id", name="uq_delivery_subscription_event"),
        Index(
            "idx_delivery_waiting",
            "status",
            "next_attempt_at",
            postgresql_where=text("status IN ('queued', 'sending', 'retrying')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event_id: Mapped[int | None] = mapped_column(BigId)  # None for a test (ping)
    message_id: Mapped[str] = mapped_column(String(64))  # webhook-id: the same on every attempt
    event_type: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict] = mapped_column(Json)  # the body, exactly as sent
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # since made or redelivered
    response_status: Mapped[int | None] = mapped_column(Integer)  # of the last attempt
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    queue_job_id: Mapped[str | None] = mapped_column(String(64))  # the queue's job that carries it
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempt_history: Mapped[list["WebhookAttempt"]] = relationship(
        order_by="WebhookAttempt.id", lazy="raise", viewonly=True
    )


class WebhookAttempt(db.Model):
    """One POST of a delivery and what came back: the delivery history."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("idx_attempt_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_body: Mapped[str] = mapped_column(Text, default="")
