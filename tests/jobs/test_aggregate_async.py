"""POST /batches/{id}/aggregate-async: the list form's rules and result, in the background."""

from tests.factories import add_codes, create_batch
from tests.jobs.conftest import task


def _batch(client, supervisor, codes):
    batch = create_batch(client, supervisor)
    add_codes(client, supervisor, batch, codes)
    return batch


def test_codes_aggregate_in_the_background_with_the_list_forms_result(client, supervisor, operator, run_jobs):
    batch = _batch(client, supervisor, ["A-1", "A-2", "A-3"])
    other = _batch(client, supervisor, ["B-1"])
    response = client.post(
        f"/api/v1/batches/{batch['id']}/aggregate-async",
        json={"unique_codes": ["A-1", "A-2", "A-2", "B-1", "NOPE"]},
        headers=operator,
    )
    assert response.status_code == 202
    accepted = response.get_json()
    assert accepted["status"] == "PENDING" and accepted["message"]
    assert response.headers["Location"].endswith(f"/api/v1/tasks/{accepted['task_id']}")
    assert task(client, operator, accepted["task_id"])["status"] == "PENDING"
    assert client.get(f"/api/v1/batches/{batch['id']}", headers=operator).get_json()["products_aggregated"] == 0

    run_jobs()

    done = task(client, operator, accepted["task_id"])
    assert done["status"] == "SUCCESS"
    assert done["result"] == {
        "total": 5,
        "aggregated": 2,
        "failed": 3,
        "errors": [
            {"code": "A-2", "reason": "already aggregated"},
            {"code": "B-1", "reason": "belongs to different batch"},
            {"code": "NOPE", "reason": "not found"},
        ],
    }
    assert client.get(f"/api/v1/batches/{batch['id']}", headers=operator).get_json()["products_aggregated"] == 2
    assert client.get(f"/api/v1/batches/{other['id']}", headers=operator).get_json()["products_aggregated"] == 0


def test_a_long_list_aggregates_every_code(client, supervisor, operator, run_jobs):
    codes = [f"L-{n}" for n in range(12_000)]
    batch = create_batch(client, supervisor)
    payload = [
        {"УникальныйКодПродукта": c, "НомерПартии": batch["batch_number"], "ДатаПартии": batch["batch_date"]}
        for c in codes
    ]
    assert client.post("/api/v1/products", json=payload, headers=supervisor).status_code == 201
    task_id = client.post(
        f"/api/v1/batches/{batch['id']}/aggregate-async", json={"unique_codes": codes}, headers=operator
    ).get_json()["task_id"]
    run_jobs()
    done = task(client, operator, task_id)
    assert done["result"]["aggregated"] == 12_000 and done["result"]["errors"] == []
    assert client.get(f"/api/v1/batches/{batch['id']}", headers=operator).get_json()["products_aggregated"] == 12_000


def test_codes_after_the_batch_closed_are_reported_not_lost(client, supervisor, operator, run_jobs):
    batch = _batch(client, supervisor, ["C-1"])
    task_id = client.post(
        f"/api/v1/batches/{batch['id']}/aggregate-async", json={"unique_codes": ["C-1"]}, headers=operator
    ).get_json()["task_id"]
    client.post(f"/api/v1/batches/{batch['id']}/close", headers=supervisor)
    run_jobs()
    done = task(client, operator, task_id)
    assert done["status"] == "SUCCESS"
    assert done["result"]["errors"] == [{"code": "C-1", "reason": "batch closed"}]


def test_bad_requests_are_refused_at_once_and_queue_nothing(client, supervisor, operator, job_queue):
    batch = _batch(client, supervisor, ["D-1"])
    url = f"/api/v1/batches/{batch['id']}/aggregate-async"
    assert (
        client.post(
            "/api/v1/batches/999999/aggregate-async", json={"unique_codes": ["D-1"]}, headers=operator
        ).status_code
        == 404
    )
    empty = client.post(url, json={"unique_codes": []}, headers=operator)
    assert empty.status_code == 422 and "unique_codes" in empty.get_json()["fields"]
    bad = client.post(url, json={"unique_codes": ["D-1", 7]}, headers=operator)
    assert bad.status_code == 422 and "unique_codes[1]" in bad.get_json()["fields"]
    too_many = client.post(url, json={"unique_codes": ["X"] * 100_001}, headers=operator)
    assert too_many.status_code == 422
    client.post(f"/api/v1/batches/{batch['id']}/close", headers=supervisor)
    closed = client.post(url, json={"unique_codes": ["D-1"]}, headers=operator)
    assert closed.status_code == 409 and closed.get_json()["error"] == "batch_closed"
    assert job_queue.queue.count == 0


def test_an_unknown_task_is_a_404(client, operator):
    response = client.get("/api/v1/tasks/0123456789abcdef0123456789abcdef", headers=operator)
    assert response.status_code == 404 and response.get_json()["error"] == "task_not_found"


def test_a_task_id_that_is_not_one_is_a_404_not_a_database_error(client, operator):
    for task_id in ("abc", "x" * 40, "0123456789ABCDEF0123456789abcdef", "%00" * 16):
        response = client.get(f"/api/v1/tasks/{task_id}", headers=operator)
        assert response.status_code == 404, task_id
    assert client.post("/api/v1/tasks/%00/retry", headers=operator).status_code == 404
