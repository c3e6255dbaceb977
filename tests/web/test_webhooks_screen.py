"""The webhook settings screen in Chromium, as an admin uses it: create, edit, disable, rotate, delete,
send a test to a real receiver and read the delivery history.

The live app has no Redis: deliveries are sent by a thread of the web process, as in the embedded mode.
"""

import json
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from mes_web.extensions import db
from mes_web.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from mes_web.services.transaction import SYSTEM
from mes_web.services.webhook_deliveries import events_dispatch
from mes_web.services.webhooks import webhook_create
from tests.web.helpers import plant_time, screenshot

RECEIVER = "http://127.0.0.1:9/hooks"
ADMIN_PASSWORD = "admin-pass"
SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$")


@pytest.fixture(autouse=True)
def _loopback_allowed(live_app, monkeypatch):
    """The receiver here is on loopback, which the address check refuses unless allowed."""
    monkeypatch.setitem(live_app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")


@pytest.fixture
def admin(page, plant) -> Page:
    """An admin, signed in through the login form, on the webhook screen."""
    plant.user("admin", ADMIN_PASSWORD, "admin")
    page.goto("/login")
    page.locator("#username").fill("admin")
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("#board")).to_be_visible()
    page.get_by_role("link", name="Вебхуки").click()
    expect(page.get_by_role("heading", name="Вебхуки", exact=True)).to_be_visible()
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    return page


@pytest.fixture
def subscription(live_app) -> int:
    """A subscription made through the service, as the API would make it."""
    with live_app.app_context():
        created, _ = webhook_create(payload={"url": RECEIVER, "events": ["batch_created"]}, actor=SYSTEM)
        return created.id


@pytest.fixture
def receiving(live_app, webhook_receiver) -> int:
    """A subscription whose receiver is a real HTTP server on loopback."""
    with live_app.app_context():
        created, _ = webhook_create(payload={"url": webhook_receiver.url(), "events": ["batch_created"]}, actor=SYSTEM)
        return created.id


def _subscriptions(live_app) -> list[tuple[str, list[str], bool]]:
    with live_app.app_context():
        rows = db.session.execute(
            select(WebhookSubscription.url, WebhookSubscription.events, WebhookSubscription.is_active)
        )
        return [tuple(row) for row in rows]


def _card(page: Page, subscription_id: int):
    return page.locator(f"#webhook-{subscription_id}")


def _confirm_next(page: Page) -> list[str]:
    """Accept the next confirmation dialog; returns the list its message is put into."""
    messages: list[str] = []

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    return messages


def test_a_new_subscription_shows_its_secret_once(admin, live_app):
    form = admin.locator("#webhook-create")
    form.get_by_label("Адрес получателя (URL)").fill(RECEIVER)
    form.get_by_label("Партия создана (batch_created)").check()
    form.get_by_label("Партия закрыта (batch_closed)").check()
    expect(form.locator("input[name=retry_count]")).to_have_value("3")
    expect(form.locator("input[name=timeout]")).to_have_value("10")
    form.get_by_role("button", name="Создать подписку").click()

    card = admin.locator("#webhook-list article.webhook")
    expect(card).to_have_count(1)
    expect(card.locator(".webhook__url")).to_have_text(RECEIVER)
    expect(card.locator(".webhook__events")).to_contain_text("Партия создана")
    expect(card.locator(".webhook__events")).to_contain_text("Партия закрыта")
    expect(card.locator(".webhook__state")).to_have_text("активна")
    box = admin.locator("#webhook-create .webhook-secret")
    expect(box).to_contain_text("сохраните его сейчас: больше он показан не будет")
    secret = box.locator(".webhook-secret__value").inner_text()
    assert SECRET.match(secret)
    expect(admin.locator("#webhook-create input[name=url]")).to_have_value("")
    screenshot(admin, "webhooks_secret")
    assert _subscriptions(live_app) == [(RECEIVER, ["batch_created", "batch_closed"], True)]

    admin.reload()
    expect(admin.locator("#webhook-list article.webhook")).to_have_count(1)
    expect(admin.locator(".webhook-secret")).to_have_count(0)
    assert secret not in admin.content()


def test_a_bad_url_and_no_events_are_shown_next_to_their_fields(admin, live_app):
    form = admin.locator("#webhook-create")
    form.get_by_label("Адрес получателя (URL)").fill("ftp://x")
    form.get_by_role("button", name="Создать подписку").click()

    form = admin.locator("#webhook-create")
    expect(form.locator(".has-error [data-field=url]")).to_have_text("нужен адрес http:// или https:// с именем хоста")
    expect(form.locator(".has-error [data-field=events]")).to_have_text("нужен непустой список событий")
    expect(form.get_by_label("Адрес получателя (URL)")).to_have_value("ftp://x")
    expect(admin.locator("#webhook-list article.webhook")).to_have_count(0)
    expect(admin.locator("#webhook-list")).to_contain_text("Подписок пока нет.")
    assert _subscriptions(live_app) == []


def test_editing_the_events_updates_the_card(admin, live_app, subscription):
    admin.reload()
    card = _card(admin, subscription)
    card.get_by_role("button", name="Изменить").click()
    card.get_by_label("Партия создана (batch_created)").uncheck()
    card.get_by_label("Отчёт сформирован (report_generated)").check()
    card.get_by_label("Повторов при ошибке").fill("5")
    card.get_by_role("button", name="Сохранить").click()

    expect(card.locator(".webhook__events")).to_have_text("Отчёт сформирован (report_generated)")
    expect(card.locator(".webhook__retries")).to_have_text("5")
    expect(card.locator("form")).to_have_count(0)
    assert _subscriptions(live_app) == [(RECEIVER, ["report_generated"], True)]


def test_an_edit_without_events_is_refused_in_the_card(admin, live_app, subscription):
    admin.reload()
    card = _card(admin, subscription)
    card.get_by_role("button", name="Изменить").click()
    card.get_by_label("Партия создана (batch_created)").uncheck()
    card.get_by_role("button", name="Сохранить").click()
    expect(card.locator("[data-field=events]")).to_have_text("нужен непустой список событий")
    card.get_by_role("button", name="Отмена").click()
    expect(card.locator(".webhook__events")).to_have_text("Партия создана (batch_created)")
    assert _subscriptions(live_app) == [(RECEIVER, ["batch_created"], True)]


def test_disable_and_enable_again(admin, live_app, subscription):
    admin.reload()
    card = _card(admin, subscription)
    card.get_by_role("button", name="Отключить").click()
    expect(card.locator(".webhook__state")).to_have_text("отключена")
    assert _subscriptions(live_app) == [(RECEIVER, ["batch_created"], False)]
    card.get_by_role("button", name="Включить").click()
    expect(card.locator(".webhook__state")).to_have_text("активна")
    assert _subscriptions(live_app) == [(RECEIVER, ["batch_created"], True)]


def test_a_rotated_secret_is_shown_once_with_the_grace_period(admin, live_app, subscription):
    with live_app.app_context():
        first = db.session.get(WebhookSubscription, subscription).secret_key
    admin.reload()
    card = _card(admin, subscription)
    asked = _confirm_next(admin)
    card.get_by_role("button", name="Новый секрет").click()

    secret = card.locator(".webhook-secret__value")
    expect(secret).to_have_text(SECRET)
    assert secret.inner_text() != first
    assert RECEIVER in asked[0]
    expect(card.locator(".webhook-secret__grace")).to_contain_text("ещё 24 часа")
    expect(card.locator(".webhook-secret__grace")).to_contain_text(re.compile(r"до \d\d\.\d\d\.\d{4} \d\d:\d\d"))
    admin.reload()
    expect(card.locator(".webhook-secret")).to_have_count(0)
    expect(card).to_contain_text("Старый секрет действует до")


def test_delete_removes_the_card(admin, live_app, subscription):
    admin.reload()
    asked = _confirm_next(admin)
    _card(admin, subscription).get_by_role("button", name="Удалить").click()
    expect(_card(admin, subscription)).to_have_count(0)
    assert RECEIVER in asked[0]
    with live_app.app_context():
        assert db.session.scalar(select(func.count(WebhookSubscription.id))) == 0


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_other_roles_have_no_link_and_are_refused(sign_in, role):
    page = sign_in(role)
    expect(page.get_by_role("link", name="Вебхуки")).to_have_count(0)
    response = page.goto("/webhooks")
    assert response.status == 403
    expect(page.locator("#webhook-create")).to_have_count(0)


def _history(page: Page, subscription_id: int):
    return page.locator(f"#webhook-{subscription_id}-history")


def _attempts(live_app) -> list[tuple[int | None, str]]:
    with live_app.app_context():
        rows = db.session.execute(select(WebhookAttempt.status_code, WebhookAttempt.attempted_at))
        return [tuple(row) for row in rows]


def _send_a_test(admin: Page, subscription_id: int):
    """Press «Отправить тест» and wait for the test to be delivered; returns its row in the history."""
    _card(admin, subscription_id).get_by_role("button", name="Отправить тест").click()
    row = _history(admin, subscription_id).locator("li.delivery").first
    expect(row).to_have_attribute("data-status", "delivered", timeout=10_000)
    return row


def test_a_test_reaches_the_receiver_and_the_card_and_history_show_it(admin, live_app, receiving, webhook_receiver):
    admin.reload()
    card = _card(admin, receiving)
    expect(card.locator(".webhook__last")).to_contain_text("доставок ещё не было")
    webhook_receiver.answer(("sleep", 1.5))  # a slow receiver: the screen must follow the test until it ends

    card.get_by_role("button", name="Отправить тест").click()
    row = _history(admin, receiving).locator("li.delivery").first
    expect(row.locator(".delivery__state")).to_have_text(re.compile("^(в очереди|отправляется)$"))
    expect(card.locator(".webhook__last")).to_contain_text(re.compile("в очереди|отправляется"))
    expect(row).to_have_attribute("data-status", "delivered", timeout=10_000)
    (request,) = webhook_receiver.wait_for(1)
    body = json.loads(request.body)
    assert body["event"] == "ping" and body["id"] == request.headers["webhook-id"]
    expect(row.locator(".delivery__state")).to_have_text("доставлено")
    expect(row.locator(".delivery__event")).to_have_text("Проверка (ping)")
    expect(row.locator(".delivery__message-id")).to_have_text(request.headers["webhook-id"])
    [(code, attempted_at)] = _attempts(live_app)
    attempt = row.locator("tr.attempt")
    expect(attempt).to_have_count(1)
    expect(attempt.locator(".attempt__code")).to_have_text("200")
    expect(attempt.locator(".attempt__time")).to_have_text(plant_time(attempted_at, "%d.%m.%Y %H:%M:%S"))
    expect(attempt.locator(".attempt__body")).to_have_text("OK")
    expect(attempt.locator(".attempt__latency")).to_have_text(re.compile(r"^\d+$"))
    last = card.locator(".webhook__last")
    expect(last).to_contain_text("Проверка")
    expect(last).to_contain_text("доставлено · HTTP 200")
    expect(row).not_to_have_attribute("hx-trigger", "every 2s")  # done: it no longer asks for itself
    screenshot(admin, "webhooks_test_delivered")

    _history(admin, receiving).get_by_role("button", name="Скрыть").click()
    expect(_history(admin, receiving).locator("li.delivery")).to_have_count(0)
    card.get_by_role("button", name="История доставок").click()
    expect(_history(admin, receiving).locator("li.delivery")).to_have_count(1)


def test_a_failed_test_shows_the_receivers_answer(admin, receiving, webhook_receiver):
    webhook_receiver.answer((503, {}, "ERP на обслуживании до 06:00"))
    admin.reload()
    _card(admin, receiving).get_by_role("button", name="Отправить тест").click()
    row = _history(admin, receiving).locator("li.delivery").first
    expect(row).to_have_attribute("data-status", "failed", timeout=10_000)
    expect(row.locator(".delivery__state")).to_have_text("не доставлено")
    expect(row.locator(".attempt__code")).to_have_text("503")
    expect(row.locator(".attempt__error")).to_have_text("Получатель ответил 503.")
    expect(row.locator(".attempt__body")).to_have_text("ERP на обслуживании до 06:00")
    expect(_card(admin, receiving).locator(".webhook__last")).to_contain_text("не доставлено · HTTP 503")


def test_redelivering_sends_the_same_message_again_and_adds_an_attempt(admin, live_app, receiving, webhook_receiver):
    admin.reload()
    row = _send_a_test(admin, receiving)
    row.get_by_role("button", name="Доставить снова").click()

    expect(row.locator("tr.attempt")).to_have_count(2, timeout=10_000)
    expect(row).to_have_attribute("data-status", "delivered")
    first, second = webhook_receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    expect(row.locator(".attempt__code")).to_have_text(["200", "200"])
    assert [code for code, _ in _attempts(live_app)] == [200, 200]
    expect(_history(admin, receiving).locator("li.delivery")).to_have_count(1)


def test_a_refused_redelivery_says_why_in_its_row(admin, live_app, plant, receiving, webhook_receiver):
    plant.batch()
    with live_app.app_context():
        events_dispatch()  # what the worker's dispatcher thread does; the sending thread takes it from there
    webhook_receiver.wait_for(1)
    admin.reload()
    card = _card(admin, receiving)
    expect(card.locator(".webhook__last")).to_contain_text("Партия создана")
    card.get_by_role("button", name="Отключить").click()
    expect(card.locator(".webhook__state")).to_have_text("отключена")
    card.get_by_role("button", name="История доставок").click()
    row = _history(admin, receiving).locator("li.delivery").first
    expect(row).to_have_attribute("data-status", "delivered")

    row.get_by_role("button", name="Доставить снова").click()
    expect(row.get_by_role("alert")).to_have_text("Подписка отключена: включите её, чтобы доставить снова.")
    expect(row).to_have_attribute("data-status", "delivered")
    assert len(webhook_receiver.requests) == 1
    with live_app.app_context():
        assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 1
