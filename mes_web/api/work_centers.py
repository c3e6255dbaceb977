"""Work centers with their batch counts."""

from flask import jsonify

from mes_web.api import api
from mes_web.api.auth import requires
from mes_web.models import Role
from mes_web.selectors.work_centers import work_center_list


@api.get("/work-centers")
@requires(Role.OPERATOR)
def work_centers_index():
    items = [row._asdict() for row in work_center_list()]
    return jsonify(items=items, total=len(items))
