"""Shift tasks as 1C sends them (Russian keys) or as other systems do (English keys)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mes_web.errors import Invalid, refuse_if_invalid
from mes_web.services import fields as f

KEEP = object()  # an absent СтатусЗакрытия leaves an existing batch as it is


@dataclass(frozen=True)
class Field:
    name: str
    russian: str
    parse: Callable
    required: bool = False
    default: object = None


TASK_FIELDS = [
    Field("is_closed", "СтатусЗакрытия", f.flag, default=KEEP),
    Field("task_description", "ПредставлениеЗаданияНаСмену", f.long_text, default=""),
    Field("work_center_name", "РабочийЦентр", f.required_text, required=True),
    Field("shift", "Смена", f.text, default=""),
    Field("team", "Бригада", f.text, default=""),
    Field("batch_number", "НомерПартии", f.whole_number, required=True),
    Field("batch_date", "ДатаПартии", f.calendar_date, required=True),
    Field("nomenclature", "Номенклатура", f.required_text, required=True),
    Field("ekn_code", "КодЕКН", f.text, default=""),
    Field("work_center_identifier", "ИдентификаторРЦ", lambda v: f.required_text(v, max_length=100), required=True),
    Field("shift_start", "ДатаВремяНачалаСмены", f.moment, required=True),
    Field("shift_end", "ДатаВремяОкончанияСмены", f.moment, required=True),
]
WORK_CENTER_KEYS = {"work_center_name", "work_center_identifier"}

# What PATCH may change, in English keys; the work center moves by its id.
EDITABLE_FIELDS = {fld.name: fld for fld in TASK_FIELDS if fld.name not in WORK_CENTER_KEYS} | {
    "work_center_id": Field("work_center_id", "work_center_id", f.whole_number, required=True)
}


def shift_task_read(item: Mapping) -> tuple[dict, dict[str, str]]:
    """Read one task: its values under their English names, and its problems under the keys as sent."""
    values, errors = {}, {}
    for fld in TASK_FIELDS:
        key = fld.russian if fld.russian in item else fld.name
        raw = item.get(key)
        if raw is None:
            if fld.required:
                errors[fld.russian] = "обязательное поле"
            else:
                values[fld.name] = fld.default
            continue
        try:
            values[fld.name] = fld.parse(raw)
        except f.FieldError as exc:
            errors[key] = str(exc)
    if "shift_start" in values and "shift_end" in values and values["shift_end"] <= values["shift_start"]:
        errors["ДатаВремяОкончанияСмены"] = "окончание смены должно быть позже начала"
    return values, errors


def shift_tasks_read(payload) -> list[dict]:
    """Read a 1C array (or one object) of shift tasks; any invalid item refuses all of them."""
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        raise Invalid("Список заданий пуст.", fields={"[]": "нужно хотя бы одно задание"})
    errors: dict[str, str] = {}
    tasks = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            errors[f"[{index}]"] = "задание должно быть JSON-объектом"
            continue
        task, problems = shift_task_read(item)
        tasks.append(task)
        errors.update((f"[{index}].{key}", message) for key, message in problems.items())
    refuse_if_invalid(errors, subject="Задание", after=" Ничего не записано.")
    return tasks


def batch_changes_read(payload) -> dict:
    """Read a partial update in English keys; unknown keys are refused, not ignored."""
    if not isinstance(payload, Mapping) or not payload:
        raise Invalid("Нужен JSON-объект с изменяемыми полями.", fields={"body": "пустое или не объект"})
    errors = {key: "неизвестное поле" for key in payload if key not in EDITABLE_FIELDS}
    changes = {}
    for key, raw in payload.items():
        fld = EDITABLE_FIELDS.get(key)
        if fld is None:
            continue
        if raw is None:
            errors[key] = "не может быть null"
            continue
        try:
            changes[key] = fld.parse(raw)
        except f.FieldError as exc:
            errors[key] = str(exc)
    refuse_if_invalid(errors)
    return changes
