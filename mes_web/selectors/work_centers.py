"""Reads of work centers."""

from sqlalchemy import case, func, select

from mes_web.extensions import db
from mes_web.models import Batch, WorkCenter


def work_center_list() -> list:
    """Every work center with its open and total batch counts, by identifier."""
    return db.session.execute(
        select(
            WorkCenter.id,
            WorkCenter.identifier,
            WorkCenter.name,
            func.count(Batch.id).label("total_batches"),
            func.count(case((Batch.is_closed.is_(False), 1))).label("open_batches"),
        )
        .outerjoin(Batch, Batch.work_center_id == WorkCenter.id)
        .group_by(WorkCenter.id)
        .order_by(WorkCenter.identifier)
    ).all()
