"""Reads of batches, shaped for the list, the detail page and the board."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, case, func, select

from mes_web.errors import BatchNotFound, Invalid, refuse_if_invalid
from mes_web.extensions import db
from mes_web.models import Batch, Product, WorkCenter
from mes_web.services import fields as f


@dataclass(frozen=True)
class BatchFilters:
    is_closed: bool | None = None
    batch_number: int | None = None
    batch_date: date | None = None
    date_from: date | None = None
    date_to: date | None = None
    work_center_id: int | None = None
    work_center_identifier: str | None = None
    shift: str | None = None
    team: str | None = None
    nomenclature: str | None = None
    ekn_code: str | None = None


FILTER_PARSERS = {
    "is_closed": f.flag,
    "batch_number": f.whole_number,
    "batch_date": f.calendar_date,
    "date_from": f.calendar_date,
    "date_to": f.calendar_date,
    "work_center_id": f.whole_number,
    "work_center_identifier": f.required_text,
    "shift": f.required_text,
    "team": f.required_text,
    "nomenclature": f.required_text,
    "ekn_code": f.required_text,
}


def batch_filters_read(values, *, key: str = "filters") -> BatchFilters:
    """The list filters from a JSON object; an unknown or bad filter is refused by name, never ignored."""
    if values is None:
        return BatchFilters()
    if not isinstance(values, Mapping):
        raise Invalid(f"{key} должен быть JSON-объектом.", fields={key: "нужен JSON-объект"})
    errors = {f"{key}.{name}": "неизвестный фильтр" for name in values if name not in FILTER_PARSERS}
    parsed = {}
    for name, parse in FILTER_PARSERS.items():
        if values.get(name) is not None:
            try:
                parsed[name] = parse(values[name])
            except f.FieldError as exc:
                errors[f"{key}.{name}"] = str(exc)
    refuse_if_invalid(errors, subject="Фильтр")
    return BatchFilters(**parsed)


@dataclass(frozen=True)
class ProductCounts:
    total: int = 0
    aggregated: int = 0


def batches_filtered(query: Select, filters: BatchFilters) -> Select:
    exact = ("is_closed", "batch_number", "batch_date", "work_center_id", "shift", "team", "nomenclature", "ekn_code")
    for name in exact:
        value = getattr(filters, name)
        if value is not None:
            query = query.where(getattr(Batch, name) == value)
    if filters.date_from is not None:
        query = query.where(Batch.batch_date >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(Batch.batch_date <= filters.date_to)
    if filters.work_center_identifier is not None:
        query = query.where(Batch.work_center.has(WorkCenter.identifier == filters.work_center_identifier))
    return query


def batch_list(*, filters: BatchFilters, offset: int, limit: int) -> tuple[list[Batch], int]:
    """One page of batches, newest batch date first, and how many match in all."""
    total = db.session.scalar(batches_filtered(select(func.count(Batch.id)), filters))
    page = db.session.scalars(
        batches_filtered(select(Batch), filters)
        .order_by(Batch.batch_date.desc(), Batch.batch_number.asc(), Batch.id.asc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(page), total


def product_counts(batch_ids: list[int]) -> dict[int, ProductCounts]:
    """Total and aggregated units per batch."""
    if not batch_ids:
        return {}
    rows = db.session.execute(
        select(
            Product.batch_id,
            func.count(),
            func.count(case((Product.is_aggregated.is_(True), 1))),
        )
        .where(Product.batch_id.in_(batch_ids))
        .group_by(Product.batch_id)
    )
    return {batch_id: ProductCounts(total, aggregated) for batch_id, total, aggregated in rows}


def batch_get(batch_id: int) -> Batch:
    """A batch, or a 404 naming it."""
    batch = db.session.get(Batch, batch_id)
    if batch is None:
        raise BatchNotFound(batch_id)
    return batch


def batch_products(batch_id: int) -> list:
    """Every unit of a batch in the order they were registered."""
    return db.session.execute(
        select(Product.id, Product.unique_code, Product.is_aggregated, Product.aggregated_at)
        .where(Product.batch_id == batch_id)
        .order_by(Product.id)
    ).all()


def product_page(batch_id: int, *, search: str, offset: int, limit: int) -> tuple[list, int]:
    """One page of a batch's units, optionally those whose code contains `search`."""
    query = select(Product.id, Product.unique_code, Product.is_aggregated, Product.aggregated_at).where(
        Product.batch_id == batch_id
    )
    if search:
        query = query.where(Product.unique_code.contains(search, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(Product.id).offset(offset).limit(limit)).all()
    return rows, total


def batch_counts(batch_id: int) -> ProductCounts:
    return product_counts([batch_id]).get(batch_id, ProductCounts())
