"""Work centers, batches (shift tasks from 1C) and the units made in them."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.models.types import BigId, UTCDateTime


class WorkCenter(db.Model):
    __tablename__ = "work_centers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Batch(db.Model):
    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("batch_number", "batch_date", name="uq_batch_number_date"),
        Index("idx_batch_closed", "is_closed"),
        Index("idx_batch_shift_times", "shift_start", "shift_end"),
        Index("idx_batch_created_at", "created_at"),
        Index("idx_batch_closed_at", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    task_description: Mapped[str] = mapped_column(Text, default="")
    work_center_id: Mapped[int] = mapped_column(ForeignKey("work_centers.id"), index=True)
    shift: Mapped[str] = mapped_column(String(255), default="")
    team: Mapped[str] = mapped_column(String(255), default="")
    batch_number: Mapped[int] = mapped_column(Integer)
    batch_date: Mapped[date] = mapped_column(Date)
    nomenclature: Mapped[str] = mapped_column(String(255))
    ekn_code: Mapped[str] = mapped_column(String(255), default="")
    shift_start: Mapped[datetime] = mapped_column(UTCDateTime)
    shift_end: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    work_center: Mapped[WorkCenter] = relationship(lazy="joined", innerjoin=True)


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        Index("idx_product_batch_aggregated", "batch_id", "is_aggregated"),
        # «Today» on the dashboard: units registered and aggregated in the plant's day.
        Index("idx_product_created_at", "created_at"),
        Index("idx_product_aggregated_at", "aggregated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unique_code: Mapped[str] = mapped_column(String(255), unique=True)
    # Indexed by idx_product_batch_aggregated, whose leading column it is; a second index would
    # only add a write to every scan.
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    is_aggregated: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    aggregated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
