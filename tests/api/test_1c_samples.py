"""The payloads a real 1C sends (copied from the shared samples) go through end to end."""

import json
from pathlib import Path

SAMPLES = Path(__file__).parent.parent / "samples"


def _load(name: str):
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def test_1c_shift_tasks_and_products_load_and_aggregate(client, supervisor, operator):
    created = client.post("/api/v1/batches", json=_load("shift_tasks_1c.json"), headers=supervisor)
    assert created.status_code == 201
    batches = {b["batch_number"]: b for b in created.get_json()}
    assert sorted(batches) == [1001, 22222, 22223, 22224]
    assert batches[22224]["is_closed"] is True and batches[22224]["closed_at"]
    assert batches[22222]["shift_start"] == "2024-01-30T18:00:00+03:00"
    assert batches[22223]["shift_start"] == "2024-01-30T08:00:00+03:00"

    products = _load("products_1c.json")
    added = client.post("/api/v1/products", json=products, headers=supervisor).get_json()
    assert (added["total"], added["created"]) == (12, 11)
    assert added["skipped"] == [
        {"index": 11, "unique_code": products[11]["УникальныйКодПродукта"], "reason": "batch not found"}
    ]

    code = products[0]["УникальныйКодПродукта"]
    scan = client.post(
        f"/api/v1/batches/{batches[22222]['id']}/aggregate", json={"unique_code": code}, headers=operator
    )
    assert scan.status_code == 200 and scan.get_json()["unique_code"] == code

    resent = client.post("/api/v1/batches", json=_load("shift_tasks_1c.json"), headers=supervisor)
    assert resent.status_code == 200
    assert {b["id"] for b in resent.get_json()} == {b["id"] for b in batches.values()}
