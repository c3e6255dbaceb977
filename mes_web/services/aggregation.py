"""Aggregate scanned units into their batch: the operation every station does all shift."""

from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Boolean, String, bindparam, exists, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from mes_web.clock import isoformat, utcnow
from mes_web.errors import BatchClosed, BatchNotFound, DomainError, Invalid, InvalidState, NotFound, refuse_if_invalid
from mes_web.extensions import db
from mes_web.models import Batch, Product
from mes_web.models.chunks import chunked
from mes_web.models.types import UTCDateTime
from mes_web.services import fields as f
from mes_web.services.events import events_record
from mes_web.services.transaction import Actor, transactional

MAX_CODES_PER_REQUEST = 1000
CODES_PER_CHUNK = 5_000

# Aggregating on PostgreSQL: mark and log in one statement, one round trip.
_AGGREGATE_AND_LOG = """
    WITH aggregated AS (
        UPDATE products SET is_aggregated = true, aggregated_at = :now
        WHERE {match} AND batch_id = :batch_id AND NOT is_aggregated
          AND EXISTS (SELECT 1 FROM batches WHERE id = :batch_id AND NOT is_closed)
        RETURNING id, unique_code, is_aggregated, aggregated_at
    ), logged AS (
        INSERT INTO events (event_type, batch_id, payload, actor, occurred_at)
        SELECT 'product_aggregated', :batch_id,
               jsonb_build_object('product_id', id, 'unique_code', unique_code, 'aggregated_at', :shown_at),
               :actor, :now
        FROM aggregated
    )
    SELECT id, unique_code, is_aggregated, aggregated_at FROM aggregated
"""


def _aggregate_and_log_statement(match: str, *codes_parameter):
    return (
        text(_AGGREGATE_AND_LOG.format(match=match))
        .bindparams(bindparam("now", type_=UTCDateTime), bindparam("shown_at", type_=String), *codes_parameter)
        .columns(id=BigInteger, unique_code=String, is_aggregated=Boolean, aggregated_at=UTCDateTime)
    )


# A single scan matches with `=`: measured, `= ANY(array)` of one code halved the scan path's throughput.
_SCAN_AND_LOG = _aggregate_and_log_statement("unique_code = :code")
_LIST_AND_LOG = _aggregate_and_log_statement("unique_code = ANY(:codes)", bindparam("codes", type_=ARRAY(String)))


@dataclass
class AggregationResult:
    total: int
    aggregated: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.errors)

    def to_json(self) -> dict:
        return {"total": self.total, "aggregated": self.aggregated, "failed": self.failed, "errors": self.errors}


def _open_batch_exists(batch_id: int):
    return exists().where(Batch.id == batch_id, Batch.is_closed.is_(False))


def _aggregate_where(batch_id: int, codes: list[str]):
    """Mark units aggregated; the WHERE clause makes a concurrent second scan of a code match nothing."""
    return (
        update(Product)
        .where(
            Product.unique_code.in_(codes),
            Product.batch_id == batch_id,
            Product.is_aggregated.is_(False),
            _open_batch_exists(batch_id),
        )
        .values(is_aggregated=True, aggregated_at=utcnow())
        .returning(Product.id, Product.unique_code, Product.is_aggregated, Product.aggregated_at)
        .execution_options(synchronize_session=False)
    )


def _scan_connection():
    """A connection for the one-statement scan.

    The statement is atomic on its own, so outside a transaction it runs in autocommit: BEGIN and
    COMMIT would be two more round trips on the path every station waits on.
    """
    if db.session().in_transaction():
        return db.session.connection()
    return db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def check_batch_open(batch_id: int, *, lock: bool = False) -> None:
    """Refuse an unknown or closed batch; `lock` holds off a concurrent close until this transaction ends."""
    query = select(Batch.is_closed).where(Batch.id == batch_id)
    is_closed = db.session.scalar(query.with_for_update(read=True, key_share=True) if lock else query)
    if is_closed is None:
        raise BatchNotFound(batch_id)
    if is_closed:
        raise BatchClosed(batch_id, "агрегировать в неё")


def _refusal(batch_id: int, code: str) -> DomainError:
    """Explain why a single scan did not aggregate."""
    check_batch_open(batch_id)
    product = db.session.execute(
        select(Product.batch_id, Product.aggregated_at).where(Product.unique_code == code)
    ).first()
    if product is None:
        return NotFound(f"Код {code} не найден.", code="product_not_found")
    if product.batch_id != batch_id:
        owner = db.session.execute(
            select(Batch.id, Batch.batch_number, Batch.batch_date).where(Batch.id == product.batch_id)
        ).one()
        return DomainError(
            "Данная продукция принадлежит другой партии",
            code="belongs_to_different_batch",
            context={"batch": owner._asdict()},
        )
    return DomainError(
        f"Данная продукция уже была использована в {isoformat(product.aggregated_at)}",
        code="already_aggregated",
        context={"aggregated_at": product.aggregated_at},
    )


def _record(batch_id: int, rows, actor: Actor) -> None:
    events_record(
        event_type="product_aggregated",
        actor=actor,
        rows=[
            (
                batch_id,
                {"product_id": row.id, "unique_code": row.unique_code, "aggregated_at": isoformat(row.aggregated_at)},
            )
            for row in rows
        ],
    )


@transactional
def product_aggregate(*, batch_id: int, unique_code, actor: Actor):
    """Aggregate one scanned unit into its batch, or say exactly why not."""
    code = f.field_value(f.unique_code, unique_code, "unique_code")
    if db.session.get_bind().dialect.name == "postgresql":
        row = _scan_connection().execute(_SCAN_AND_LOG, _statement_params(batch_id, actor) | {"code": code}).first()
    else:
        row = next(iter(_aggregate_and_log(batch_id, [code], actor)), None)
    if row is None:
        raise _refusal(batch_id, code)
    return row


def codes_read(unique_codes, *, limit: int = MAX_CODES_PER_REQUEST) -> list[str]:
    """The codes of a list form as identification codes; any bad one refuses the list, naming it."""
    if not isinstance(unique_codes, list) or not unique_codes:
        raise Invalid("unique_codes должен быть непустым списком.", fields={"unique_codes": "нужен непустой список"})
    if len(unique_codes) > limit:
        raise Invalid(f"Не больше {limit} кодов за запрос.", fields={"unique_codes": f"не больше {limit} кодов"})
    codes, errors = [], {}
    for index, value in enumerate(unique_codes):
        try:
            codes.append(f.unique_code(value))
        except f.FieldError as exc:
            errors[f"unique_codes[{index}]"] = str(exc)
    refuse_if_invalid(errors, subject="Код")
    return codes


def _statement_params(batch_id: int, actor: Actor) -> dict:
    now = utcnow()
    return {"now": now, "shown_at": isoformat(now), "batch_id": batch_id, "actor": actor.label}


def _aggregate_and_log(batch_id: int, codes: list[str], actor: Actor) -> list:
    """Aggregate the codes that can be, log each, and return their rows."""
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.execute(_LIST_AND_LOG, _statement_params(batch_id, actor) | {"codes": codes}).all()
    rows = db.session.execute(_aggregate_where(batch_id, codes)).all()
    _record(batch_id, rows, actor)
    return rows


def _aggregate_codes(batch_id: int, codes: list[str], actor: Actor) -> AggregationResult:
    check_batch_open(batch_id, lock=True)
    fresh = {row.unique_code for row in _aggregate_and_log(batch_id, list(set(codes)), actor)}
    known = {}
    for chunk in chunked(set(codes) - fresh, 5_000):
        known.update(
            db.session.execute(
                select(Product.unique_code, Product.batch_id).where(Product.unique_code.in_(chunk))
            ).all()
        )
    result, counted = AggregationResult(total=len(codes)), set()
    for code in codes:
        if code in fresh and code not in counted:
            counted.add(code)
            result.aggregated += 1
            continue
        owner = batch_id if code in fresh else known.get(code)
        reason = (
            "not found"
            if owner is None
            else "belongs to different batch"
            if owner != batch_id
            else "already aggregated"
        )
        result.errors.append({"code": code, "reason": reason})
    return result


@transactional
def products_aggregate(*, batch_id: int, unique_codes, actor: Actor) -> AggregationResult:
    """Aggregate a list of codes; each one succeeds or gets its own reason."""
    return _aggregate_codes(batch_id, codes_read(unique_codes), actor)


_aggregate_chunk = transactional(_aggregate_codes)


def products_aggregate_all(*, batch_id: int, unique_codes: list[str], actor: Actor, progress=None) -> AggregationResult:
    """Aggregate a long list in chunks, each its own transaction; codes after a close say «batch closed»."""
    result = AggregationResult(total=len(unique_codes))
    for start in range(0, len(unique_codes), CODES_PER_CHUNK):
        chunk = unique_codes[start : start + CODES_PER_CHUNK]
        try:
            part = _aggregate_chunk(batch_id, chunk, actor)
        except BatchClosed:
            result.errors.extend({"code": code, "reason": "batch closed"} for code in unique_codes[start:])
            break
        result.aggregated += part.aggregated
        result.errors.extend(part.errors)
        if progress:
            progress(min(start + CODES_PER_CHUNK, len(unique_codes)), len(unique_codes))
    return result


@transactional
def product_disaggregate(*, batch_id: int, unique_code, reason, actor: Actor):
    """Undo a scan: the unit is no longer aggregated, and the event log says who did it and why."""
    code = f.field_value(f.unique_code, unique_code, "unique_code")
    why = f.field_value(lambda v: f.text(v, max_length=500, required=True), reason, "reason")
    check_batch_open(batch_id)
    previous = db.session.scalar(
        select(Product.aggregated_at).where(
            Product.unique_code == code, Product.batch_id == batch_id, Product.is_aggregated.is_(True)
        )
    )
    row = db.session.execute(
        update(Product)
        .where(Product.unique_code == code, Product.batch_id == batch_id, Product.is_aggregated.is_(True))
        .values(is_aggregated=False, aggregated_at=None)
        .returning(Product.id, Product.unique_code, Product.is_aggregated, Product.aggregated_at)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        raise InvalidState(f"Код {code} не агрегирован в партию {batch_id}.", code="not_aggregated")
    events_record(
        event_type="product_disaggregated",
        actor=actor,
        rows=[
            (batch_id, {"product_id": row.id, "unique_code": code, "reason": why, "aggregated_at": isoformat(previous)})
        ],
    )
    return row
