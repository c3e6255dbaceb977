"""Batches: create from 1C, read, list, change, close, reopen, aggregate."""

from flask import g, jsonify

from mes_web.api import api
from mes_web.api.auth import requires
from mes_web.api.params import batch_list_params, json_body
from mes_web.errors import Invalid
from mes_web.models import Role
from mes_web.selectors.batches import ProductCounts, batch_get, batch_list, batch_products, product_counts
from mes_web.selectors.cached import batch_detail_cached, batch_list_cached
from mes_web.serializers import batch_json, product_json
from mes_web.services.aggregation import product_aggregate, product_disaggregate, products_aggregate
from mes_web.services.batches import batch_close, batch_reopen, batch_update, batches_upsert


@api.post("/batches")
@requires(Role.SUPERVISOR)
def batches_create():
    results = batches_upsert(payload=json_body(), actor=g.actor)
    body = _batches_json([batch for batch, _ in results])
    return jsonify(body), 201 if any(created for _, created in results) else 200


@api.get("/batches")
@requires(Role.OPERATOR)
def batches_index():
    filters, offset, limit = batch_list_params()

    def page() -> dict:
        batches, total = batch_list(filters=filters, offset=offset, limit=limit)
        return {"items": _batches_json(batches), "total": total, "offset": offset, "limit": limit}

    return jsonify(batch_list_cached(f"{filters}|{offset}|{limit}", page))


def _batches_json(batches) -> list[dict]:
    counts = product_counts([batch.id for batch in batches])
    return [batch_json(batch, counts.get(batch.id, ProductCounts())) for batch in batches]


def _with_products(batch) -> dict:
    products = [product_json(row) for row in batch_products(batch.id)]
    aggregated = sum(1 for p in products if p["is_aggregated"])
    return batch_json(batch, ProductCounts(len(products), aggregated)) | {"products": products}


@api.get("/batches/<id:batch_id>")
@requires(Role.OPERATOR)
def batches_show(batch_id: int):
    return jsonify(batch_detail_cached(batch_id, lambda: _with_products(batch_get(batch_id))))


@api.patch("/batches/<id:batch_id>")
@requires(Role.SUPERVISOR)
def batches_update(batch_id: int):
    batch = batch_update(batch_id=batch_id, payload=json_body(), actor=g.actor)
    return jsonify(_batches_json([batch])[0])


@api.post("/batches/<id:batch_id>/close")
@requires(Role.SUPERVISOR)
def batches_close(batch_id: int):
    batch = batch_close(batch_id=batch_id, actor=g.actor)
    return jsonify(_batches_json([batch])[0])


@api.post("/batches/<id:batch_id>/reopen")
@requires(Role.SUPERVISOR)
def batches_reopen(batch_id: int):
    batch = batch_reopen(batch_id=batch_id, actor=g.actor)
    return jsonify(_batches_json([batch])[0])


@api.post("/batches/<id:batch_id>/aggregate")
@requires(Role.OPERATOR)
def batches_aggregate(batch_id: int):
    body = json_body()
    if isinstance(body, dict) and "unique_codes" in body:
        result = products_aggregate(batch_id=batch_id, unique_codes=body["unique_codes"], actor=g.actor)
        return jsonify(result.to_json())
    if not isinstance(body, dict) or "unique_code" not in body:
        raise Invalid(
            'Нужен {"unique_code": "..."} или {"unique_codes": [...]}.',
            fields={"unique_code": "обязательное поле"},
        )
    row = product_aggregate(batch_id=batch_id, unique_code=body["unique_code"], actor=g.actor)
    return jsonify(product_json(row))


@api.post("/batches/<id:batch_id>/disaggregate")
@requires(Role.SUPERVISOR)
def batches_disaggregate(batch_id: int):
    body = json_body()
    if not isinstance(body, dict):
        raise Invalid('Нужен {"unique_code": "...", "reason": "..."}.', fields={"unique_code": "обязательное поле"})
    row = product_disaggregate(
        batch_id=batch_id, unique_code=body.get("unique_code"), reason=body.get("reason"), actor=g.actor
    )
    return jsonify(product_json(row))
