"""Delivery history, test pings and redelivery through the API, with a real RQ worker and a real receiver."""

import json
from datetime import timedelta

import jsonschema_rs
import pytest

from mes_web.api.openapi import DOCUMENT
from mes_web.clock import utcnow
from mes_web.models import Role
from mes_web.services.webhook_deliveries import events_dispatch
from tests.factories import create_batch
from tests.jobs.conftest import deliver


def _documented(path: str, method: str, status: str) -> jsonschema_rs.Draft202012Validator:
    schema = DOCUMENT["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator(schema)


def _deliveries(client, admin, hook: dict, query: str = "") -> dict:
    response = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries{query}", headers=admin)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    _documented("/webhooks/{webhook_id}/deliveries", "get", "200").validate(body)
    return body


def _delivery(client, admin, url: str) -> dict:
    response = client.get(url, headers=admin)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    _documented("/webhooks/{webhook_id}/deliveries/{delivery_id}", "get", "200").validate(body)
    return body


def test_the_history_shows_every_attempt_of_a_delivery_that_failed_then_succeeded(
    client, supervisor, admin, subscribe, webhook_receiver, run_jobs
):
    hook = subscribe(webhook_receiver.url(), ["batch_created"], retry_count=3)
    webhook_receiver.answer(500, "drop", (200, {}, "принято"))
    batch = create_batch(client, supervisor)
    deliver(run_jobs)
    for _retry in range(2):
        deliver(run_jobs, now=utcnow() + timedelta(hours=13))
    requests = webhook_receiver.wait_for(3)

    listed = _deliveries(client, admin, hook)
    assert listed["total"] == 1
    (delivery,) = listed["items"]
    assert (delivery["status"], delivery["attempts"], delivery["response_status"]) == ("delivered", 3, 200)
    assert delivery["delivered_at"] is not None and delivery["next_attempt_at"] is None
    assert delivery["error_message"] is None
    assert delivery["event_type"] == "batch_created" and delivery["payload"]["data"]["batch"]["id"] == batch["id"]
    assert delivery["payload"] == json.loads(requests[-1].body)
    assert delivery["message_id"] == requests[-1].headers["webhook-id"]
    history = delivery["attempt_history"]
    assert [attempt["status_code"] for attempt in history] == [500, None, 200]
    assert history[0]["error"] == "Получатель ответил 500." and history[0]["response_body"] == "Internal Server Error"
    assert history[1]["error"]  # the connection was dropped: no status, but a reason
    assert history[2]["error"] is None and history[2]["response_body"] == "принято"
    assert history[0]["attempted_at"] <= history[1]["attempted_at"] <= history[2]["attempted_at"]  # to the second
    assert all(attempt["latency_ms"] >= 0 for attempt in history)
    shown = _delivery(client, admin, f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}")
    assert shown == delivery


def test_deliveries_are_listed_newest_first_a_page_at_a_time(
    client, supervisor, admin, subscribe, webhook_receiver, run_jobs
):
    hook = subscribe(webhook_receiver.url(), ["batch_created"])
    batch_ids = [create_batch(client, supervisor)["id"] for _ in range(3)]
    deliver(run_jobs)
    webhook_receiver.wait_for(3)

    first = _deliveries(client, admin, hook, "?limit=2")
    assert (first["total"], len(first["items"])) == (3, 2)
    assert [item["payload"]["data"]["batch"]["id"] for item in first["items"]] == batch_ids[:0:-1]
    rest = _deliveries(client, admin, hook, "?limit=2&offset=2")
    assert (rest["total"], [item["payload"]["data"]["batch"]["id"] for item in rest["items"]]) == (3, batch_ids[:1])
    assert _deliveries(client, admin, hook)["total"] == 3
    assert _deliveries(client, admin, hook, "?status=delivered")["total"] == 3
    assert _deliveries(client, admin, hook, "?status=failed") == {"items": [], "total": 0, "offset": 0, "limit": 20}


@pytest.mark.parametrize(
    ("query", "field"),
    [("?status=lost", "status"), ("?status=", "status"), ("?limit=101", "limit"), ("?offset=-1", "offset")],
)
def test_bad_list_parameters_are_refused_by_name(client, admin, subscribe, webhook_receiver, query, field):
    hook = subscribe(webhook_receiver.url(), ["batch_created"])
    response = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries{query}", headers=admin)
    assert response.status_code == 422
    body = response.get_json()
    assert field in body["fields"] and body["detail"].startswith(f"Параметр {field}:")


def test_a_ping_reaches_the_receiver_and_is_recorded(client, admin, subscribe, webhook_receiver, run_jobs):
    hook = subscribe(webhook_receiver.url(), ["batch_closed"])
    response = client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=admin)
    assert response.status_code == 202, response.get_json()
    accepted = response.get_json()
    _documented("/webhooks/{webhook_id}/test", "post", "202").validate(accepted)
    assert (accepted["event_type"], accepted["status"], accepted["event_id"]) == ("ping", "queued", None)
    assert accepted["attempt_history"] == []

    run_jobs()
    (request,) = webhook_receiver.wait_for(1)
    body = json.loads(request.body)
    assert body["event"] == "ping" and body["data"]["webhook_id"] == hook["id"]
    assert request.headers["webhook-id"] == accepted["message_id"] == body["id"]
    assert request.headers["X-Webhook-Event"] == "ping"
    recorded = _delivery(client, admin, response.headers["Location"])
    assert (recorded["id"], recorded["status"], recorded["response_status"]) == (accepted["id"], "delivered", 200)
    assert [attempt["status_code"] for attempt in recorded["attempt_history"]] == [200]
    assert _deliveries(client, admin, hook)["items"] == [recorded]


def test_redelivery_sends_the_same_message_again_and_adds_an_attempt(
    client, supervisor, admin, subscribe, webhook_receiver, run_jobs
):
    hook = subscribe(webhook_receiver.url(), ["batch_created"])
    create_batch(client, supervisor)
    deliver(run_jobs)
    (first,) = webhook_receiver.wait_for(1)
    (delivery,) = _deliveries(client, admin, hook)["items"]

    url = f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}"
    response = client.post(f"{url}/redeliver", headers=admin)
    assert response.status_code == 202, response.get_json()
    accepted = response.get_json()
    _documented("/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", "post", "202").validate(accepted)
    assert (accepted["status"], accepted["attempts"], accepted["delivered_at"]) == ("queued", 0, None)
    assert accepted["response_status"] is None  # the last attempt's answer belongs to the round before
    assert len(accepted["attempt_history"]) == 1  # the first sending stays in the history
    assert response.headers["Location"].endswith(url)

    run_jobs()
    _, again = webhook_receiver.wait_for(2)
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == delivery["message_id"]
    assert again.body == first.body
    redelivered = _delivery(client, admin, url)
    assert (redelivered["status"], redelivered["attempts"]) == ("delivered", 1)
    assert [attempt["status_code"] for attempt in redelivered["attempt_history"]] == [200, 200]
    assert _deliveries(client, admin, hook)["total"] == 1  # the same delivery, not a new one


def test_a_delivery_still_queued_cannot_be_redelivered(
    client, supervisor, admin, subscribe, webhook_receiver, run_jobs
):
    hook = subscribe(webhook_receiver.url(), ["batch_created"])
    create_batch(client, supervisor)
    while events_dispatch():  # made and queued, not yet sent
        pass
    (delivery,) = _deliveries(client, admin, hook)["items"]
    assert delivery["status"] == "queued"

    response = client.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver", headers=admin)
    assert response.status_code == 409
    assert response.get_json() == {
        "error": "delivery_in_progress",
        "detail": "Доставка ещё идёт: дождитесь её результата.",
    }
    run_jobs()
    assert len(webhook_receiver.wait_for(1)) == 1  # sent once, by the queue, not twice


def test_unknown_subscriptions_and_deliveries_are_404(client, supervisor, admin, subscribe, webhook_receiver, run_jobs):
    hook = subscribe(webhook_receiver.url(), ["batch_created"])
    other = subscribe(webhook_receiver.url("/other"), ["batch_created"])
    create_batch(client, supervisor)
    deliver(run_jobs)
    (delivery,) = _deliveries(client, admin, hook)["items"]

    refusals = [
        ("get", "/webhooks/999999/deliveries", "webhook_not_found"),
        ("post", "/webhooks/999999/test", "webhook_not_found"),
        ("get", f"/webhooks/{hook['id']}/deliveries/999999", "delivery_not_found"),
        ("post", f"/webhooks/{hook['id']}/deliveries/999999/redeliver", "delivery_not_found"),
        ("get", f"/webhooks/{other['id']}/deliveries/{delivery['id']}", "delivery_not_found"),
        ("post", f"/webhooks/{other['id']}/deliveries/{delivery['id']}/redeliver", "delivery_not_found"),
    ]
    for method, path, code in refusals:
        response = getattr(client, method)(f"/api/v1{path}", headers=admin)
        assert (response.status_code, response.get_json()["error"]) == (404, code), path


def test_only_admins_see_and_send_deliveries(client, tokens, supervisor, admin, subscribe, webhook_receiver, run_jobs):
    hook = subscribe(webhook_receiver.url(), ["batch_created"])
    create_batch(client, supervisor)
    deliver(run_jobs)
    (delivery,) = _deliveries(client, admin, hook)["items"]
    base = f"/api/v1/webhooks/{hook['id']}"

    for role in (Role.OPERATOR, Role.SUPERVISOR):
        headers = tokens[role]
        assert client.get(f"{base}/deliveries", headers=headers).status_code == 403
        assert client.get(f"{base}/deliveries/{delivery['id']}", headers=headers).status_code == 403
        assert client.post(f"{base}/deliveries/{delivery['id']}/redeliver", headers=headers).status_code == 403
        assert client.post(f"{base}/test", headers=headers).status_code == 403
    run_jobs()
    assert len(webhook_receiver.requests) == 1  # neither a ping nor a redelivery went out
    assert _deliveries(client, admin, hook)["total"] == 1
