"""Register unit codes in batches: one from a station, or thousands from 1C at once."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mes_web.clock import utcnow
from mes_web.errors import BatchClosed, BatchNotFound, Conflict, Invalid, refuse_if_invalid
from mes_web.extensions import db
from mes_web.models import Batch, Product
from mes_web.models.chunks import chunked
from mes_web.services import fields as f
from mes_web.services.events import event_record, events_record
from mes_web.services.transaction import Actor, transactional

CODE_KEYS = ("УникальныйКодПродукта", "УникальныйКод", "unique_code")


@dataclass
class ProductsAdded:
    total: int
    created: int = 0
    skipped: list[dict] = field(default_factory=list)


@transactional
def product_add(*, unique_code, batch_id, actor: Actor) -> Product:
    """Register one unit code in an open batch."""
    code = f.field_value(f.unique_code, unique_code, "unique_code")
    batch_id = f.field_value(f.whole_number, batch_id, "batch_id")
    batch = db.session.get(Batch, batch_id)
    if batch is None:
        raise BatchNotFound(batch_id)
    if batch.is_closed:
        raise BatchClosed(batch_id, "добавлять в неё продукцию")
    if db.session.scalar(select(Product.id).where(Product.unique_code == code)) is not None:
        raise Conflict(f"Код {code} уже зарегистрирован.", code="code_exists")
    product = Product(unique_code=code, batch_id=batch_id, is_aggregated=False, created_at=utcnow())
    db.session.add(product)
    db.session.flush()
    payload = {"count": 1, "unique_codes": [code]}
    event_record(event_type="product_added", actor=actor, batch_id=batch_id, payload=payload)
    return product


def _read_1c_item(item, prefix: str, errors: dict[str, str]) -> tuple | None:
    if not isinstance(item, Mapping):
        errors[prefix.rstrip(".")] = "должно быть JSON-объектом"
        return None
    code_key = next((key for key in CODE_KEYS if key in item), CODE_KEYS[0])
    values = []
    for key, parse in ((code_key, f.unique_code), ("НомерПартии", f.whole_number), ("ДатаПартии", f.calendar_date)):
        try:
            values.append(parse(item.get(key)))
        except f.FieldError as exc:
            errors[prefix + key] = "обязательное поле" if item.get(key) is None else str(exc)
    return tuple(values) if len(values) == 3 else None


def _read_1c_items(payload: list) -> list[tuple[str, int, date]]:
    if not payload:
        raise Invalid("Список кодов пуст.", fields={"[]": "нужен хотя бы один код"})
    errors: dict[str, str] = {}
    rows = [_read_1c_item(item, f"[{index}].", errors) for index, item in enumerate(payload)]
    refuse_if_invalid(errors, subject="Элемент", after=" Ничего не записано.")
    return rows


def _batches_by_key(keys: set[tuple[int, date]]) -> dict:
    found = {}
    for chunk in chunked(keys, 1_000):
        query = select(Batch.id, Batch.batch_number, Batch.batch_date, Batch.is_closed)
        rows = db.session.execute(query.where(tuple_(Batch.batch_number, Batch.batch_date).in_(chunk)))
        found.update(((row.batch_number, row.batch_date), row) for row in rows)
    return found


def _insert_new(codes: dict[str, int], now: datetime) -> list[str]:
    """Insert codes -> batch ids, skipping codes that exist (also ones another request just added)."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        inserted = []
        for chunk in chunked(codes.items(), 500):
            rows = [{"unique_code": c, "batch_id": b, "is_aggregated": False, "created_at": now} for c, b in chunk]
            statement = sqlite_insert(Product).values(rows).on_conflict_do_nothing(index_elements=["unique_code"])
            inserted += db.session.scalars(statement.returning(Product.unique_code)).all()
        return inserted
    # COPY into a scratch table is several times faster than INSERT for the 100,000-code lists 1C sends;
    # ON CONFLICT then skips what exists without failing the whole list.
    cursor = connection.connection.driver_connection.cursor()
    with cursor:
        cursor.execute("CREATE TEMP TABLE incoming_products (position int, unique_code text, batch_id int)")
        with cursor.copy("COPY incoming_products FROM STDIN") as copy:
            for position, (code, batch_id) in enumerate(codes.items()):
                copy.write_row((position, code, batch_id))
        cursor.execute(
            "INSERT INTO products (unique_code, batch_id, is_aggregated, created_at)"
            " SELECT unique_code, batch_id, false, %s FROM incoming_products ORDER BY position"
            " ON CONFLICT (unique_code) DO NOTHING RETURNING unique_code",
            (now,),
        )
        inserted = [row[0] for row in cursor.fetchall()]
        cursor.execute("DROP TABLE incoming_products")
    return inserted


def _skip_reason(batch, code: str, taken: dict) -> str | None:
    if batch is None:
        return "batch not found"
    if batch.is_closed:
        return "batch closed"
    return "code exists" if code in taken else None


@transactional
def products_add_from_1c(*, payload: list, actor: Actor) -> ProductsAdded:
    """Register 1C's list of codes by (НомерПартии, ДатаПартии), skipping what cannot be added."""
    items = _read_1c_items(payload)
    batches = _batches_by_key({(number, day) for _, number, day in items})
    result, wanted, positions = ProductsAdded(total=len(items)), {}, {}
    for index, (code, number, day) in enumerate(items):
        batch = batches.get((number, day))
        reason = _skip_reason(batch, code, wanted)
        if reason:
            result.skipped.append({"index": index, "unique_code": code, "reason": reason})
        else:
            wanted[code], positions[code] = batch.id, index
    inserted = _insert_new(wanted, utcnow()) if wanted else []
    for code in wanted.keys() - set(inserted):
        result.skipped.append({"index": positions[code], "unique_code": code, "reason": "code exists"})
    result.skipped.sort(key=lambda skip: skip["index"])
    result.created = len(inserted)
    by_batch: dict[int, list[str]] = {}
    for code in inserted:
        by_batch.setdefault(wanted[code], []).append(code)
    rows = [(batch_id, {"count": len(codes), "unique_codes": codes}) for batch_id, codes in by_batch.items()]
    events_record(event_type="product_added", actor=actor, rows=rows)
    return result
