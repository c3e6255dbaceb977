"""Webhook deliveries end to end: the event log, the dispatcher, a real RQ worker and a real receiver on loopback."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.models import DeliveryStatus, Role, WebhookAttempt, WebhookDelivery
from mes_web.services.webhook_deliveries import deliveries_due_queue, events_dispatch
from tests.factories import create_batch


@pytest.fixture
def admin(tokens):
    return tokens[Role.ADMIN]


@pytest.fixture
def subscribe(app, client, admin, monkeypatch):
    """Subscribe the loopback receiver (opened by the allow-list) and return the subscription with its secret."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")

    def make(url: str, events: list[str], **fields) -> dict:
        response = client.post("/api/v1/webhooks", json={"url": url, "events": events} | fields, headers=admin)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


def _verify_standard(secret: str, headers, body: bytes) -> bool:
    """Standard Webhooks verification, written from the spec, apart from the code under test."""
    key = base64.b64decode(secret[len("whsec_") :]) if secret.startswith("whsec_") else secret.encode()
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(part == f"v1,{expected}" for part in headers["webhook-signature"].split(" "))


def _verify_simple(secret: str, headers, body: bytes) -> bool:
    key = base64.b64decode(secret[len("whsec_") :]) if secret.startswith("whsec_") else secret.encode()
    expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Webhook-Signature"], expected)


def _deliver(run_jobs, now=None) -> None:
    """What the dispatcher thread and the workers do: dispatch the log, queue due retries, work the queue."""
    while events_dispatch():
        pass
    deliveries_due_queue(now=now)
    run_jobs()


def test_a_created_batch_reaches_the_receiver_signed_both_ways(
    client, supervisor, subscribe, webhook_receiver, run_jobs
):
    hook = subscribe(webhook_receiver.url(), ["batch.created"])
    batch = create_batch(client, supervisor)
    _deliver(run_jobs)
    (request,) = webhook_receiver.wait_for(1)
    body = json.loads(request.body)
    assert body["event"] == "batch_created" and body["data"]["batch"]["id"] == batch["id"]
    assert body["id"] == request.headers["webhook-id"] and body["id"].startswith("evt_")
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Webhook-Event"] == "batch_created"
    assert _verify_standard(hook["secret_key"], request.headers, request.body)
    assert _verify_simple(hook["secret_key"], request.headers, request.body)
    delivery = db.session.query(WebhookDelivery).one()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.response_status == 200


def test_a_receiver_down_for_three_attempts_gets_the_event_once_as_a_success(
    client, supervisor, subscribe, webhook_receiver, run_jobs
):
    subscribe(webhook_receiver.url(), ["batch_created"], retry_count=3)
    webhook_receiver.answer(500, 503, "drop")
    create_batch(client, supervisor)
    _deliver(run_jobs)
    for _retry in range(3):
        _deliver(run_jobs, now=utcnow() + timedelta(hours=13))
    requests = webhook_receiver.wait_for(4)
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    delivery = db.session.query(WebhookDelivery).one()
    assert delivery.status == DeliveryStatus.DELIVERED
    attempts = db.session.query(WebhookAttempt).order_by(WebhookAttempt.id).all()
    assert [a.status_code for a in attempts] == [500, 503, None, 200]
    _deliver(run_jobs, now=utcnow() + timedelta(days=3))
    assert len(webhook_receiver.requests) == 4
