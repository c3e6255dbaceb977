"""The aggregation station: one scan field, an unmistakable answer for every scan."""

from flask import g, render_template, request

from mes_web.clock import utcnow
from mes_web.errors import DomainError
from mes_web.models import Role
from mes_web.selectors.batches import batch_counts, batch_get
from mes_web.services import fields as f
from mes_web.services.aggregation import product_aggregate, product_disaggregate
from mes_web.web import web
from mes_web.web.session import requires_role


@web.get("/batches/<id:batch_id>/station")
@requires_role(Role.OPERATOR)
def station(batch_id: int):
    return render_template("station/index.html", batch=batch_get(batch_id), counts=batch_counts(batch_id))


def _answer(batch_id: int, code: str, *, refusal: DomainError | None = None, undone: bool = False):
    """The fragment the station swaps in: a log line, the big status panel and the counter."""
    page = render_template(
        "station/_scan.html",
        batch_id=batch_id,
        code=code,
        refusal=refusal,
        undone=undone,
        counts=batch_counts(batch_id),
        answered_at=utcnow(),
    )
    return page, refusal.status if refusal else 200


def _shown_code(scan: str) -> str:
    """The code as the log shows it: the identification code when the scan has one, else the scan trimmed."""
    try:
        return f.unique_code(scan)
    except f.FieldError:
        return scan.strip()


@web.post("/batches/<id:batch_id>/scan")
@requires_role(Role.OPERATOR)
def station_scan(batch_id: int):
    code = request.form.get("code", "")
    try:
        row = product_aggregate(batch_id=batch_id, unique_code=code, actor=g.actor)
    except DomainError as refusal:
        return _answer(batch_id, _shown_code(code), refusal=refusal)
    return _answer(batch_id, row.unique_code)


@web.post("/batches/<id:batch_id>/undo")
@requires_role(Role.SUPERVISOR)
def station_undo(batch_id: int):
    code = request.form.get("unique_code", "")
    try:
        row = product_disaggregate(
            batch_id=batch_id, unique_code=code, reason=request.form.get("reason"), actor=g.actor
        )
    except DomainError as refusal:
        return _answer(batch_id, _shown_code(code), refusal=refusal)
    return _answer(batch_id, row.unique_code, undone=True)
