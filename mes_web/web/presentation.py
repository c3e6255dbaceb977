"""What templates need: plant-time formats, the role check and the language in use."""

from datetime import date, datetime

from flask import Flask, current_app, g, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from mes_web.clock import plant_tz
from mes_web.models import Role
from mes_web.web.session import can

ROLE_NAMES = {Role.OPERATOR: _l("оператор"), Role.SUPERVISOR: _l("мастер"), Role.ADMIN: _l("администратор")}
JOB_KINDS = {
    "aggregate": _l("Агрегация списка кодов"),
    "report": _l("Отчёт по партии"),
    "export": _l("Выгрузка партий"),
    "import": _l("Загрузка заданий из файла"),
    "periodic": _l("Плановое задание"),
}
JOB_STATES = {
    "PENDING": _l("в очереди"),
    "STARTED": _l("выполняется"),
    "PROGRESS": _l("выполняется"),
    "SUCCESS": _l("готово"),
    "FAILURE": _l("ошибка"),
}


def plant_time(moment: datetime | None, pattern: str = "%d.%m.%Y %H:%M") -> str:
    return "" if moment is None else moment.astimezone(plant_tz()).strftime(pattern)


def day(value: date | None) -> str:
    return "" if value is None else value.strftime("%d.%m.%Y")


def shift_label(shift: str) -> str:
    """«Смена 1», but «1 смена» as it is when 1C already wrote the word."""
    return shift if "смен" in shift.lower() or not shift else f"{_l('Смена')} {shift}"


def job_title(job) -> str:
    """«Отчёт по партии · PDF · № 22222 от 30.01.2024»: what the job is, in a line."""
    params = job.params
    details = [params.get("format", "").upper(), params.get("batch_label"), params.get("file_name"), params.get("name")]
    return " · ".join([str(JOB_KINDS.get(job.kind, job.kind)), *filter(None, details)])


def interface_locale() -> str:
    """Russian unless the person picked another language: tablets often ship set to English."""
    chosen = session.get("lang")
    return chosen if chosen in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def register_presentation(app: Flask) -> None:
    app.jinja_env.filters.update(
        plant_time=plant_time,
        day=day,
        role_name=ROLE_NAMES.get,
        shift_label=shift_label,
        job_title=job_title,
        job_state=JOB_STATES.get,
    )
    app.jinja_env.globals.update(can=can, Role=Role, get_locale=get_locale)
    app.context_processor(lambda: {"actor": g.get("actor")})
