"""Products: one code from a station, or 1C's bulk list."""

from flask import g, jsonify

from mes_web.api import api
from mes_web.api.auth import requires
from mes_web.api.params import json_body
from mes_web.errors import Invalid
from mes_web.models import Role
from mes_web.serializers import product_json
from mes_web.services.products import product_add, products_add_from_1c


@api.post("/products")
@requires(Role.SUPERVISOR)
def products_create():
    body = json_body()
    if isinstance(body, list):
        result = products_add_from_1c(payload=body, actor=g.actor)
        answer = {"total": result.total, "created": result.created, "skipped": result.skipped}
        return jsonify(answer), 201 if result.created else 200
    if not isinstance(body, dict):
        raise Invalid("Нужен объект {unique_code, batch_id} или массив кодов из 1С.")
    product = product_add(unique_code=body.get("unique_code"), batch_id=body.get("batch_id"), actor=g.actor)
    return jsonify(product_json(product) | {"batch_id": product.batch_id}), 201
