"""Reading field values from 1C and API input: one rule per field, one message per rule."""

import re
from datetime import date, datetime

from mes_web.clock import as_plant_time
from mes_web.errors import Invalid
from mes_web.integrations.gs1 import InvalidMarkingCode, identification_code

INT32_MAX = 2**31 - 1
# A plant plans within living memory; anything outside is a typo (and year 0550 has no sane UTC offset).
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
_CONTROL = {chr(n) for n in range(32)} | {"\x7f"}
_RU_DATE = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")


class FieldError(ValueError):
    """A value that cannot be used, with a message for the person who sent it."""


def text(value, *, max_length: int = 255, required: bool = False, allowed_controls: str = "\t\n\r") -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise FieldError("должно быть строкой")
    value = value.strip()
    if required and not value:
        raise FieldError("не может быть пустым")
    if len(value) > max_length:
        raise FieldError(f"не длиннее {max_length} символов")
    if any(ch in _CONTROL and ch not in allowed_controls for ch in value):
        raise FieldError("содержит управляющие символы")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldError("содержит недопустимые символы") from None
    return value


def required_text(value, *, max_length: int = 255) -> str:
    return text(value, max_length=max_length, required=True)


def long_text(value) -> str:
    return text(value, max_length=2000)


def whole_number(value, *, minimum: int = 1, maximum: int = INT32_MAX) -> int:
    """An integer, also given as digits in a string ("22 222" as 1C prints it)."""
    if isinstance(value, bool):
        raise FieldError("должно быть целым числом")
    if isinstance(value, str):
        digits = value.replace("\u00a0", "").replace(" ", "")
        if not re.fullmatch(r"[+-]?\d{1,12}", digits):
            raise FieldError("должно быть целым числом")
        value = int(digits)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise FieldError("должно быть целым числом")
    if not minimum <= value <= maximum:
        raise FieldError(f"должно быть от {minimum} до {maximum}")
    return value


def flag(value) -> bool:
    """A yes/no value: JSON true/false, or the words 1C files use."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in {"true", "да", "1", "yes"}:
            return True
        if word in {"false", "нет", "0", "no", ""}:
            return False
    raise FieldError("должно быть true или false")


def _in_range(day: date) -> date:
    if not EARLIEST <= day <= LATEST:
        raise FieldError(f"должно быть между {EARLIEST.year} и {LATEST.year} годом")
    return day


def calendar_date(value) -> date:
    """A date as ISO 8601, as 1C's midnight datetime, or as ДД.ММ.ГГГГ."""
    if isinstance(value, datetime):
        return _in_range(value.date())
    if isinstance(value, date):
        return _in_range(value)
    if not isinstance(value, str):
        raise FieldError("должно быть датой ГГГГ-ММ-ДД")
    raw = value.strip()
    ru = _RU_DATE.match(raw)
    if ru:
        raw = f"{ru[3]}-{ru[2]}-{ru[1]}"
    elif "T" in raw and raw.endswith("T00:00:00"):
        raw = raw[:10]
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise FieldError("должно быть датой ГГГГ-ММ-ДД") from None
    return _in_range(day)


def moment(value) -> datetime:
    """A date and time; without an offset it is read in the plant's time zone."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise FieldError("должно быть датой и временем ISO 8601, например 2024-01-30T08:00:00+03:00") from None
    else:
        raise FieldError("должно быть датой и временем ISO 8601")
    _in_range(parsed.date())
    return as_plant_time(parsed)


def unique_code(value) -> str:
    """A unit's code; a scanned Честный ЗНАК DataMatrix is reduced to its identification code."""
    # GS (U+001D) separates the parts of a scanned DataMatrix code.
    raw = text(value, max_length=255, required=True, allowed_controls="\x1d")
    try:
        return identification_code(raw)
    except InvalidMarkingCode as exc:
        raise FieldError(str(exc)) from None


def choice(value, options) -> str:
    """One of a few named options, spelled exactly."""
    if not isinstance(value, str) or value not in options:
        raise FieldError("должно быть одним из: " + ", ".join(options))
    return value


def field_value(parse, value, key: str):
    """Parse one named input value, or refuse it with a 422 that names the field."""
    try:
        return parse(value)
    except FieldError as exc:
        raise Invalid(f"Поле {key}: {exc}.", fields={key: str(exc)}) from None
