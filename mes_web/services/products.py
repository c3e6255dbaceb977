"""Register unit codes in batches: one from a station, or thousands from 1C at once."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert, select, tuple_

from mes_web.clock import utcnow
from mes_web.errors import Conflict, Invalid, InvalidState, NotFound
from mes_web.extensions import db
from mes_web.models import Batch, Product
from mes_web.services import fields as f
from mes_web.services.events import event_record, events_record
from mes_web.services.transaction import Actor, transactional

CODE_KEYS = ("УникальныйКодПродукта", "УникальныйКод", "unique_code")
LOOKUP_CHUNK = 10_000


@dataclass
class ProductsAdded:
    total: int
    created: int = 0
    skipped: list[dict] = field(default_factory=list)


@transactional
def product_add(*, unique_code, batch_id: int, actor: Actor) -> Product:
    """Register one unit code in an open batch."""
    code = f.field_value(f.unique_code, unique_code, "unique_code")
    batch = db.session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"Партия {batch_id} не найдена.", code="batch_not_found")
    if batch.is_closed:
        raise InvalidState(f"Партия {batch_id} закрыта: добавлять продукцию нельзя.", code="batch_closed")
    if db.session.scalar(select(Product.id).where(Product.unique_code == code)) is not None:
        raise Conflict(f"Код {code} уже зарегистрирован.", code="code_exists")
    product = Product(unique_code=code, batch_id=batch_id, is_aggregated=False, created_at=utcnow())
    db.session.add(product)
    db.session.flush()
    event_record(
        event_type="product_added", actor=actor, batch_id=batch_id, payload={"count": 1, "unique_codes": [code]}
    )
    return product


def _read_1c_items(payload: list) -> list[tuple[str, int, date]]:
    rows, errors = [], {}
    for index, item in enumerate(payload):
        if not isinstance(item, Mapping):
            errors[f"[{index}]"] = "должно быть JSON-объектом"
            continue
        code_key = next((key for key in CODE_KEYS if key in item), CODE_KEYS[0])
        try:
            rows.append(
                (
                    f.unique_code(item.get(code_key)),
                    f.whole_number(item.get("НомерПартии")),
                    f.calendar_date(item.get("ДатаПартии")),
                )
            )
        except f.FieldError as exc:
            errors[f"[{index}]"] = f"{code_key}, НомерПартии, ДатаПартии: {exc}"
    if errors:
        first_key, first_message = next(iter(errors.items()))
        raise Invalid(f"Элемент {first_key}: {first_message}. Ничего не записано.", fields=errors)
    return rows


def _existing_codes(codes: list[str]) -> set[str]:
    found = set()
    for start in range(0, len(codes), LOOKUP_CHUNK):
        chunk = codes[start : start + LOOKUP_CHUNK]
        found.update(db.session.scalars(select(Product.unique_code).where(Product.unique_code.in_(chunk))))
    return found


def _insert(rows: list[dict]) -> None:
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(Product), rows)
        return
    # COPY is several times faster than INSERT for the 100,000-code lists 1C sends.
    columns = ("unique_code", "batch_id", "is_aggregated", "created_at")
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY products ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])


@transactional
def products_add_from_1c(*, payload: list, actor: Actor) -> ProductsAdded:
    """Register 1C's list of codes by (НомерПартии, ДатаПартии), skipping what cannot be added."""
    items = _read_1c_items(payload)
    keys = {(number, day) for _, number, day in items}
    batches = {
        (b.batch_number, b.batch_date): b
        for b in db.session.execute(
            select(Batch.id, Batch.batch_number, Batch.batch_date, Batch.is_closed).where(
                tuple_(Batch.batch_number, Batch.batch_date).in_(keys)
            )
        )
    }
    existing = _existing_codes([code for code, _, _ in items])
    result, now, new_rows, added = ProductsAdded(total=len(items)), utcnow(), [], {}
    for index, (code, number, day) in enumerate(items):
        batch = batches.get((number, day))
        reason = (
            "batch not found"
            if batch is None
            else "batch closed"
            if batch.is_closed
            else "code exists"
            if code in existing
            else None
        )
        if reason:
            result.skipped.append({"index": index, "unique_code": code, "reason": reason})
            continue
        existing.add(code)
        new_rows.append({"unique_code": code, "batch_id": batch.id, "is_aggregated": False, "created_at": now})
        added.setdefault(batch.id, []).append(code)
    _insert(new_rows)
    result.created = len(new_rows)
    events_record(
        event_type="product_added",
        actor=actor,
        rows=[(batch_id, {"count": len(codes), "unique_codes": codes}) for batch_id, codes in added.items()],
    )
    return result
