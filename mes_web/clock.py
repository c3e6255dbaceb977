"""Time: stored in UTC, read from 1C and shown in the plant's time zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(UTC)


def plant_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["PLANT_TIMEZONE"])


def plant_day(moment: datetime) -> date:
    """The plant's calendar day of an instant."""
    return moment.astimezone(plant_tz()).date()


def plant_today() -> date:
    return plant_day(utcnow())


def as_plant_time(moment: datetime) -> datetime:
    """Attach the plant's zone to a naive datetime (as 1C sends it) and convert to UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=plant_tz())
    return moment.astimezone(UTC)


def isoformat(moment: datetime | None) -> str | None:
    """ISO 8601 in the plant's time zone, with its offset."""
    if moment is None:
        return None
    return moment.astimezone(plant_tz()).isoformat(timespec="seconds")
