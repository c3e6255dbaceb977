"""Datetimes from 1C: with an offset as given, without one in the plant's zone; answers carry an offset."""

from datetime import datetime

from mes_web.extensions import db
from mes_web.models import Batch
from tests.factories import create_batch


def _stored(batch_id: int) -> Batch:
    return db.session.get(Batch, batch_id)


def test_naive_times_are_read_in_the_plant_time_zone(client, supervisor):
    body = create_batch(
        client, supervisor, ДатаВремяНачалаСмены="2024-01-30T08:00:00", ДатаВремяОкончанияСмены="2024-01-30T20:00:00"
    )
    assert body["shift_start"] == "2024-01-30T08:00:00+03:00"
    stored = _stored(body["id"])
    assert stored.shift_start == datetime.fromisoformat("2024-01-30T05:00:00+00:00")
    assert stored.shift_start.utcoffset().total_seconds() == 0


def test_an_offset_from_1c_is_respected_and_shown_in_plant_time(client, supervisor):
    body = create_batch(
        client,
        supervisor,
        ДатаВремяНачалаСмены="2024-01-30T20:00:00+05:00",
        ДатаВремяОкончанияСмены="2024-01-31T08:00:00+05:00",
    )
    assert body["shift_start"] == "2024-01-30T18:00:00+03:00"
    assert _stored(body["id"]).shift_start == datetime.fromisoformat("2024-01-30T15:00:00+00:00")


def test_a_night_shift_over_midnight_is_twelve_hours(client, supervisor):
    body = create_batch(
        client, supervisor, ДатаВремяНачалаСмены="2024-01-30T20:00:00", ДатаВремяОкончанияСмены="2024-01-31T08:00:00"
    )
    stored = _stored(body["id"])
    assert (stored.shift_end - stored.shift_start).total_seconds() == 12 * 3600
    assert body["shift_end"] == "2024-01-31T08:00:00+03:00"


def test_1c_midnight_datetime_is_accepted_as_the_batch_date(client, supervisor):
    body = create_batch(client, supervisor, ДатаПартии="2024-01-30T00:00:00")
    assert body["batch_date"] == "2024-01-30"


def test_another_plant_time_zone_reads_and_answers_in_it(app, client, supervisor):
    app.config["PLANT_TIMEZONE"] = "Asia/Yekaterinburg"
    try:
        body = create_batch(
            client,
            supervisor,
            ДатаВремяНачалаСмены="2024-01-30T08:00:00",
            ДатаВремяОкончанияСмены="2024-01-30T20:00:00",
        )
    finally:
        app.config["PLANT_TIMEZONE"] = "Europe/Moscow"
    assert body["shift_start"] == "2024-01-30T08:00:00+05:00"
    assert _stored(body["id"]).shift_start == datetime.fromisoformat("2024-01-30T03:00:00+00:00")
