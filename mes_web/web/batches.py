"""The batch page: every field, the units with search and paging, and the supervisor's actions."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mes_web.clock import plant_tz
from mes_web.errors import DomainError
from mes_web.models import Role
from mes_web.selectors.batches import batch_counts, batch_get, product_page
from mes_web.selectors.board import work_center_choices
from mes_web.selectors.jobs import jobs_recent
from mes_web.services.batches import batch_close, batch_reopen, batch_update
from mes_web.web import web
from mes_web.web.forms import BatchEditForm
from mes_web.web.session import can, requires_role

PAGE_SIZE = 50


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(int(raw), 1) if raw.isdigit() else 1


@web.get("/batches/<id:batch_id>")
@requires_role(Role.OPERATOR)
def batch_page(batch_id: int):
    batch, search, page = batch_get(batch_id), request.args.get("q", "").strip(), _page_number()
    rows, total = product_page(batch_id, search=search, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    fragment = bool(request.headers.get("HX-Request"))
    template = "batches/_products.html" if fragment else "batches/show.html"
    response = render_template(
        template,
        batch=batch,
        counts=batch_counts(batch_id),
        products=rows,
        search=search,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        matching=total,
        reports=[] if fragment or not can(Role.SUPERVISOR) else jobs_recent(batch_id=batch_id, kind="report", limit=5),
    )
    return response, 200, {"Vary": "HX-Request"}


def _local(moment) -> str:
    return moment.astimezone(plant_tz()).strftime("%Y-%m-%dT%H:%M")


def _edit_form(batch) -> BatchEditForm:
    form = BatchEditForm(
        data={
            "task_description": batch.task_description,
            "work_center_id": batch.work_center_id,
            "shift": batch.shift,
            "team": batch.team,
            "batch_number": str(batch.batch_number),
            "batch_date": batch.batch_date.isoformat(),
            "nomenclature": batch.nomenclature,
            "ekn_code": batch.ekn_code,
            "shift_start": _local(batch.shift_start),
            "shift_end": _local(batch.shift_end),
            "is_closed": batch.is_closed,
        }
        if request.method == "GET"
        else None
    )
    form.work_center_id.choices = work_center_choices()
    return form


@web.route("/batches/<id:batch_id>/edit", methods=["GET", "POST"])
@requires_role(Role.SUPERVISOR)
def batch_edit(batch_id: int):
    batch = batch_get(batch_id)
    form = _edit_form(batch)
    if form.validate_on_submit():
        try:
            batch_update(batch_id=batch_id, payload=form.changes(), actor=g.actor)
        except DomainError as exc:
            form.show_errors(exc.fields or {"": exc.detail})
        else:
            flash(_("Партия сохранена."), "success")
            return redirect(url_for("web.batch_page", batch_id=batch_id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("batches/edit.html", batch=batch, form=form), status


@web.post("/batches/<id:batch_id>/close")
@requires_role(Role.SUPERVISOR)
def batch_close_action(batch_id: int):
    batch_close(batch_id=batch_id, actor=g.actor)
    flash(_("Партия закрыта."), "success")
    return redirect(url_for("web.batch_page", batch_id=batch_id))


@web.post("/batches/<id:batch_id>/reopen")
@requires_role(Role.SUPERVISOR)
def batch_reopen_action(batch_id: int):
    batch_reopen(batch_id=batch_id, actor=g.actor)
    flash(_("Партия снова открыта."), "success")
    return redirect(url_for("web.batch_page", batch_id=batch_id))
