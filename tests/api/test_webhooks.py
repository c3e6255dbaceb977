"""Webhook subscriptions through the API: admin only, validated, secrets shown once, rotated with a grace period."""

import base64
from datetime import datetime, timedelta

import pytest

from mes_web.clock import utcnow
from mes_web.models import Role, WebhookSubscription
from mes_web.services.webhooks import signing_secrets


@pytest.fixture
def admin(tokens):
    return tokens[Role.ADMIN]


@pytest.fixture
def loopback_allowed(app, monkeypatch):
    """The tests' receivers live on loopback, which only the allow-list opens."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")


def _create(client, admin, **overrides):
    body = {"url": "http://127.0.0.1:9/hook", "events": ["batch_created"]} | overrides
    return client.post("/api/v1/webhooks", json=body, headers=admin)


def test_a_subscription_gets_a_secret_shown_only_once(client, admin, loopback_allowed):
    created = _create(client, admin, events=["batch.created", "batch_closed", "batch_created"])
    assert created.status_code == 201
    body = created.get_json()
    assert body["events"] == ["batch_created", "batch_closed"]
    assert (body["retry_count"], body["timeout"], body["is_active"]) == (3, 10, True)
    assert body["secret_key"].startswith("whsec_")
    assert len(base64.b64decode(body["secret_key"].removeprefix("whsec_"))) == 32
    shown = client.get(f"/api/v1/webhooks/{body['id']}", headers=admin).get_json()
    assert "secret_key" not in shown and shown["url"] == "http://127.0.0.1:9/hook"
    listed = client.get("/api/v1/webhooks", headers=admin).get_json()
    assert listed["total"] == 1 and "secret_key" not in listed["items"][0]


def test_a_given_secret_is_kept(client, admin, loopback_allowed):
    body = _create(client, admin, secret_key="plant-1c-shared-secret", retry_count=5, timeout=3).get_json()
    assert body["secret_key"] == "plant-1c-shared-secret" and (body["retry_count"], body["timeout"]) == (5, 3)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"events": ["batch_exploded"]}, "events"),
        ({"events": []}, "events"),
        ({"url": "ftp://127.0.0.1/hook"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://[::1"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "http://10.0.0.5/hook"}, "url"),
        ({"secret_key": "short"}, "secret_key"),
        ({"retry_count": 11}, "retry_count"),
        ({"timeout": 0}, "timeout"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_subscriptions_are_refused_by_name(client, admin, loopback_allowed, overrides, field):
    response = _create(client, admin, **overrides)
    assert response.status_code == 422 and field in response.get_json()["fields"]


def test_loopback_is_refused_unless_allowed(client, admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "")
    refused = _create(client, admin)
    assert refused.status_code == 422 and "WEBHOOK_ALLOWED_HOSTS" in refused.get_json()["fields"]["url"]
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.0/8")
    assert _create(client, admin).status_code == 201


def test_only_admins_manage_webhooks(client, tokens, loopback_allowed):
    for role in (Role.OPERATOR, Role.SUPERVISOR):
        assert _create(client, tokens[role]).status_code == 403
        assert client.get("/api/v1/webhooks", headers=tokens[role]).status_code == 403


def test_change_disable_enable_and_delete(client, admin, loopback_allowed):
    webhook_id = _create(client, admin).get_json()["id"]
    url = f"/api/v1/webhooks/{webhook_id}"
    changed = client.patch(url, json={"events": ["import.completed"], "is_active": False}, headers=admin)
    assert changed.status_code == 200
    assert changed.get_json()["events"] == ["import_completed"] and changed.get_json()["is_active"] is False
    assert client.patch(url, json={"secret_key": "x" * 20}, headers=admin).status_code == 422
    assert client.patch(url, json={}, headers=admin).status_code == 422
    assert client.delete(url, headers=admin).status_code == 204
    assert client.get(url, headers=admin).status_code == 404
    assert client.delete(url, headers=admin).status_code == 404
    assert client.patch("/api/v1/webhooks/999999", json={"timeout": 5}, headers=admin).status_code == 404


def test_enabling_again_forgets_the_failures_that_disabled_it(client, admin, loopback_allowed, app):
    from mes_web.extensions import db

    webhook_id = _create(client, admin).get_json()["id"]
    subscription = db.session.get(WebhookSubscription, webhook_id)
    subscription.is_active, subscription.consecutive_failures = False, 20
    subscription.disabled_reason = "20 неудачных доставок подряд"
    db.session.commit()
    enabled = client.patch(f"/api/v1/webhooks/{webhook_id}", json={"is_active": True}, headers=admin).get_json()
    assert (enabled["is_active"], enabled["consecutive_failures"], enabled["disabled_reason"]) == (True, 0, None)


def test_a_rotated_secret_signs_beside_the_old_one_for_a_day(client, admin, loopback_allowed):
    from mes_web.extensions import db

    created = _create(client, admin).get_json()
    rotated = client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret", headers=admin)
    assert rotated.status_code == 200
    new_secret = rotated.get_json()["secret_key"]
    assert new_secret.startswith("whsec_") and new_secret != created["secret_key"]
    until = datetime.fromisoformat(rotated.get_json()["previous_secret_expires_at"])
    assert abs(until - (utcnow() + timedelta(hours=24))) < timedelta(minutes=1)
    subscription = db.session.get(WebhookSubscription, created["id"])
    assert signing_secrets(subscription) == [new_secret, created["secret_key"]]
    subscription.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
    assert signing_secrets(subscription) == [new_secret]
    assert client.post("/api/v1/webhooks/999999/rotate-secret", headers=admin).status_code == 404
