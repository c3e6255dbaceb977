"""Query strings and JSON bodies: a bad value is a 422 that names it, never ignored."""

from flask import request

from mes_web.errors import DomainError, refuse_if_invalid
from mes_web.models import DeliveryStatus
from mes_web.selectors.batches import FILTER_PARSERS, BatchFilters
from mes_web.services import fields as f


def _query_flag(value: str) -> bool:
    # In a query string an empty value is a mistake, not "false" as in a 1C file.
    if not value.strip():
        raise f.FieldError("должно быть true или false")
    return f.flag(value)


_FILTER_PARSERS = FILTER_PARSERS | {"is_closed": _query_flag}


def json_body():
    """The request's JSON, whatever Content-Type 1C's HTTP client sent."""
    try:
        body = request.get_json(force=True, silent=True)
    except RecursionError:  # nested deeper than Python's parser goes: not a shift task either
        body = None
    if body is None:
        raise DomainError("Тело запроса должно быть JSON.", code="invalid_json")
    return body


def query_shape_errors(allowed: set[str]) -> dict[str, str]:
    """Unknown and repeated query parameters: silently ignoring either would answer another question."""
    errors = {}
    for name in request.args:
        if name not in allowed:
            errors[name] = "неизвестный параметр"
        elif len(request.args.getlist(name)) > 1:
            errors[name] = "указан несколько раз"
    return errors


def _page_bounds(args, errors: dict) -> tuple[int, int]:
    bounds = {}
    for name, default, low, high in (("offset", 0, 0, f.INT32_MAX), ("limit", 20, 1, 100)):
        raw = args.get(name)
        try:
            bounds[name] = default if raw is None else f.whole_number(raw, minimum=low, maximum=high)
        except f.FieldError as exc:
            errors[name] = str(exc)
    return bounds.get("offset", 0), bounds.get("limit", 20)


def batch_list_params() -> tuple[BatchFilters, int, int]:
    """Filters and page bounds of GET /batches."""
    args, values = request.args, {}
    errors = query_shape_errors(set(_FILTER_PARSERS) | {"offset", "limit"})
    for name, parse in _FILTER_PARSERS.items():
        if name in args:
            try:
                values[name] = parse(args[name])
            except f.FieldError as exc:
                errors[name] = str(exc)
    offset, limit = _page_bounds(args, errors)
    refuse_if_invalid(errors, subject="Параметр")
    return BatchFilters(**values), offset, limit


def delivery_list_params() -> tuple[str | None, int, int]:
    """Status filter and page bounds of GET /webhooks/{id}/deliveries."""
    args = request.args
    errors = query_shape_errors({"status", "offset", "limit"})
    status = None
    if "status" in args and "status" not in errors:
        try:
            status = f.choice(args["status"], DeliveryStatus.ALL)
        except f.FieldError as exc:
            errors["status"] = str(exc)
    offset, limit = _page_bounds(args, errors)
    refuse_if_invalid(errors, subject="Параметр")
    return status, offset, limit
