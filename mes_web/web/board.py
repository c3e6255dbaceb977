"""The batch board: the home page, refreshing itself cheaply."""

from flask import g, make_response, render_template, request
from flask_babel import get_locale

from mes_web.models import Role
from mes_web.selectors.board import BoardFilters, board_columns, board_fingerprint, shift_choices, work_center_choices
from mes_web.services import fields as f
from mes_web.web import web
from mes_web.web.session import requires_role

REFRESH_SECONDS = 3


def _board_filters() -> BoardFilters:
    """The filter form's values; a value that does not parse is simply not applied."""
    args = request.args

    def parsed(name, parse):
        try:
            return parse(args[name]) if args.get(name) else None
        except f.FieldError:
            return None

    return BoardFilters(
        work_center_id=parsed("work_center_id", f.whole_number),
        shift=parsed("shift", f.required_text),
        day=parsed("day", f.calendar_date),
        show_closed=args.get("show_closed") == "1",
    )


@web.get("/")
@requires_role(Role.OPERATOR)
def board():
    filters = _board_filters()
    template = "board/_board.html" if request.headers.get("HX-Request") else "board/index.html"
    etag = board_fingerprint(filters, viewer=f"{g.actor.label}|{get_locale()}|{template}")
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        response = make_response(
            render_template(
                template,
                columns=board_columns(filters),
                filters=filters,
                work_centers=work_center_choices(),
                shifts=shift_choices(),
                refresh_seconds=REFRESH_SECONDS,
            )
        )
    response.set_etag(etag)
    # Revalidate every time: the ETag makes an unchanged board a 304 with no body.
    response.headers["Cache-Control"] = "no-cache, private"
    response.vary.add("HX-Request")
    return response
