"""The webhook settings screen over HTTP: admins only, the service's rules, a secret shown once."""

import re

import pytest
from sqlalchemy import func, select

from mes_web.extensions import db
from mes_web.models import WebhookSubscription
from mes_web.services.access import user_create
from mes_web.services.transaction import SYSTEM
from mes_web.services.webhooks import webhook_create
from tests.screens.conftest import PASSWORD, Browser

RECEIVER = "http://127.0.0.1:9/hooks"


@pytest.fixture
def admin_browser(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    user_create(username="admin", password=PASSWORD, role="admin")
    return Browser(app.test_client()).sign_in("admin")


def _count() -> int:
    return db.session.scalar(select(func.count(WebhookSubscription.id)))


def test_only_admins_see_and_open_the_screen(client, operator_browser, supervisor_browser, admin_browser):
    assert client.get("/webhooks").headers["Location"].startswith("/login?next=/webhooks")
    for browser in (operator_browser, supervisor_browser):
        assert browser.get("/webhooks").status_code == 403
        assert browser.post("/webhooks", data={"url": RECEIVER, "events": "batch_created"}).status_code == 403
        assert 'href="/webhooks"' not in browser.get("/").get_data(as_text=True)
    assert 'href="/webhooks"' in admin_browser.get("/").get_data(as_text=True)
    assert admin_browser.get("/webhooks").status_code == 200
    assert _count() == 0


def test_a_created_subscription_shows_its_secret_in_the_answer_only(admin_browser):
    form = {"url": RECEIVER, "events": ["batch_created", "batch_closed"], "retry_count": "3", "timeout": "10"}
    response = admin_browser.post("/webhooks", data=form, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", html)[0]
    assert db.session.scalar(select(WebhookSubscription.secret_key)) == secret
    subscription_id = db.session.scalar(select(WebhookSubscription.id))
    assert 'hx-swap-oob="beforeend:#webhook-list"' in html and f'id="webhook-{subscription_id}"' in html
    page = admin_browser.get("/webhooks").get_data(as_text=True)
    assert RECEIVER in page and "Партия закрыта" in page
    assert "whsec_" not in page


def test_a_refused_form_comes_back_with_the_services_messages(admin_browser):
    response = admin_browser.post("/webhooks", data={"url": "ftp://x", "retry_count": "11", "timeout": "10"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-field="url">нужен адрес http:// или https:// с именем хоста' in html
    assert 'data-field="events">нужен непустой список событий' in html
    assert 'data-field="retry_count">должно быть от 0 до 10' in html
    assert 'value="ftp://x"' in html
    assert _count() == 0


def test_an_internal_address_is_refused_without_the_allow_list(admin_browser, app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "")
    response = admin_browser.post("/webhooks", data={"url": RECEIVER, "events": "batch_created"}, htmx=True)
    assert response.status_code == 422
    assert 'data-field="url"' in response.get_data(as_text=True)
    assert _count() == 0


def test_a_subscription_the_system_disabled_says_why(admin_browser):
    subscription, _ = webhook_create(payload={"url": RECEIVER, "events": ["batch_created"]}, actor=SYSTEM)
    subscription.is_active, subscription.disabled_reason = False, "20 неудачных доставок подряд"
    db.session.commit()
    page = admin_browser.get("/webhooks").get_data(as_text=True)
    assert "Отключена системой: 20 неудачных доставок подряд" in page
    assert 'data-state="disabled"' in page and 'data-action="enable"' in page


def test_a_delete_without_the_csrf_header_is_refused(admin_browser):
    subscription, _ = webhook_create(payload={"url": RECEIVER, "events": ["batch_created"]}, actor=SYSTEM)
    url = f"/webhooks/{subscription.id}"
    assert admin_browser._send("DELETE", url).status_code == 400
    assert _count() == 1
    assert admin_browser._send("DELETE", url, headers={"X-CSRFToken": admin_browser.token}).status_code == 200
    assert _count() == 0
