"""The event log commits and rolls back with the change it describes."""

import pytest
from sqlalchemy import func, select

from mes_web.errors import Invalid
from mes_web.extensions import db
from mes_web.models import Batch, Event
from mes_web.services.batches import batches_upsert
from mes_web.services.transaction import SYSTEM
from tests.factories import shift_task


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_a_refused_upsert_leaves_neither_batches_nor_events(pg):
    with pytest.raises(Invalid):
        batches_upsert(payload=[shift_task(), shift_task(ДатаПартии="нет")], actor=SYSTEM)
    assert (_count(Batch), _count(Event)) == (0, 0)
