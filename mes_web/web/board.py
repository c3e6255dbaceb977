"""The batch board: the home page, refreshing itself cheaply."""

from flask import g, make_response, render_template, request
from flask_babel import get_locale

from mes_web.models import Role
from mes_web.selectors.board import BoardFilters, board_columns, board_version, shift_choices, work_center_choices
from mes_web.selectors.cached import read_through
from mes_web.services import fields as f
from mes_web.web import web
from mes_web.web.session import requires_role

REFRESH_SECONDS = 3


def board_filters(args) -> BoardFilters:
    """The filter form's values; a value that does not parse is simply not applied."""

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


def _render(template: str, filters: BoardFilters) -> str:
    return render_template(
        template,
        columns=board_columns(filters),
        filters=filters,
        work_centers=work_center_choices(),
        shifts=shift_choices(),
        refresh_seconds=REFRESH_SECONDS,
    )


@web.get("/")
@requires_role(Role.OPERATOR)
def board():
    filters, fragment = board_filters(request.args), bool(request.headers.get("HX-Request"))
    version = board_version(filters, context=f"{get_locale()}|{fragment}")
    # The page names who is signed in; the fragment does not, so every tablet shares its ETag and its render.
    etag = version.text if fragment else f"{version.text}-{g.actor.user_id}"
    if version.settled and request.if_none_match.contains(etag):
        response = make_response("", 304)
    elif fragment:
        html = read_through(
            "board:fragment", version, REFRESH_SECONDS * 20, lambda: _render("board/_board.html", filters)
        )
        response = make_response(html)
    else:
        response = make_response(_render("board/index.html", filters))
    if version.settled:
        response.set_etag(etag)
    # Revalidate every time: the ETag makes an unchanged board a 304 with no body.
    response.headers["Cache-Control"] = "no-cache, private"
    response.vary.add("HX-Request")
    return response
