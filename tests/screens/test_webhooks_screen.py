"""The webhook settings screen over HTTP: admins only, the service's rules, a secret shown once, deliveries."""

import json
import re
import threading

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from mes_web.extensions import db
from mes_web.jobs.queues import RedisJobQueue
from mes_web.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription
from mes_web.services.access import user_create
from mes_web.services.batches import batches_upsert
from mes_web.services.transaction import SYSTEM
from mes_web.services.webhook_deliveries import events_dispatch, webhook_ping
from mes_web.services.webhooks import webhook_create, webhook_update
from mes_web.web.presentation import plant_time
from tests.factories import shift_task
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


class _HeldSender:
    """The SQLite app's sending thread, kept waiting behind a gate until the test lets the deliveries go."""

    def __init__(self, queue):
        self.queue = queue
        self._hold()

    def _hold(self) -> None:
        self.gate = threading.Event()
        self.queue.sender.submit(self.gate.wait, 30)

    def release(self, *, hold_again: bool = True) -> None:
        self.gate.set()
        # One sending thread: once this no-op has run, everything queued before it has been sent.
        self.queue.sender.submit(lambda: None).result(timeout=30)
        if hold_again:
            self._hold()


@pytest.fixture(autouse=True)
def deliver(app):
    """Send what is queued when the test says: a burst RQ worker (PostgreSQL app) or the app's own thread (SQLite)."""
    queue = app.extensions["mes_web.job_queue"]
    if isinstance(queue, RedisJobQueue):
        queue.webhook_queue.empty()
        yield lambda: SimpleWorker([queue.webhook_queue], connection=queue.connection).work(burst=True)
        queue.webhook_queue.empty()
    else:
        sender = _HeldSender(queue)
        yield sender.release
        sender.release(hold_again=False)


def _subscribe(url: str, events: list[str] | None = None, **fields) -> int:
    subscription, _ = webhook_create(payload={"url": url, "events": events or ["batch_created"]} | fields, actor=SYSTEM)
    return subscription.id


def _card(browser, subscription_id: int) -> str:
    page = browser.get("/webhooks").get_data(as_text=True)
    return re.search(rf'<article id="webhook-{subscription_id}".*?</article>', page, re.S)[0]


def _text(html: str) -> str:
    """What a person reads: the tags gone and the spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _ping(browser, subscription_id: int):
    response = browser.post(f"/webhooks/{subscription_id}/ping", htmx=True)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response


def _delivery_ids(subscription_id: int) -> list[int]:
    query = select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == subscription_id)
    return list(db.session.scalars(query.order_by(WebhookDelivery.id)))


def test_a_test_is_queued_in_the_opened_history_and_the_card_shows_how_it_ended(
    admin_browser, webhook_receiver, deliver
):
    hook = _subscribe(webhook_receiver.url())
    assert "доставок ещё не было" in _text(_card(admin_browser, hook))
    webhook_receiver.answer((500, {}, "сервер 1С недоступен"))

    response = _ping(admin_browser, hook)
    html = response.get_data(as_text=True)
    assert response.headers["HX-Trigger"] == f"webhook-delivery-{hook}"
    assert f'id="webhook-{hook}-history"' in html
    [delivery_id] = _delivery_ids(hook)
    row = re.search(rf'<li id="delivery-{delivery_id}".*?</li>', html, re.S)[0]
    assert 'hx-trigger="every 2s"' in row and "Проверка (ping) в очереди" in _text(row)

    deliver()
    assert [json.loads(r.body)["event"] for r in webhook_receiver.requests] == ["ping"]
    card = _text(_card(admin_browser, hook))
    assert "Последняя доставка: Проверка" in card and "не доставлено · HTTP 500" in card

    _ping(admin_browser, hook)
    deliver()
    assert "доставлено · HTTP 200" in _text(_card(admin_browser, hook))


def test_a_delivery_waiting_to_retry_says_when(admin_browser, webhook_receiver, deliver):
    hook = _subscribe(webhook_receiver.url(), retry_count=3)
    batches_upsert(payload=[shift_task()], actor=SYSTEM)
    events_dispatch()
    webhook_receiver.answer(503)
    deliver()
    next_attempt_at = db.session.scalar(select(WebhookDelivery.next_attempt_at))
    card = _text(_card(admin_browser, hook))
    assert "Последняя доставка: Партия создана" in card
    assert f"ждёт повтора в {plant_time(next_attempt_at, '%H:%M')} · HTTP 503" in card
    assert "every 2s" not in _card(admin_browser, hook)  # nothing to watch for a minute or more: no polling


def test_the_history_shows_each_attempt_and_its_response_and_redelivers(admin_browser, webhook_receiver, deliver):
    hook = _subscribe(webhook_receiver.url())
    webhook_receiver.answer((500, {}, "сервер 1С недоступен"), (200, {}, '{"accepted": true}'))
    _ping(admin_browser, hook)
    deliver()
    [delivery_id] = _delivery_ids(hook)

    redelivered = admin_browser.post(f"/webhooks/{hook}/deliveries/{delivery_id}/redeliver", htmx=True)
    assert redelivered.status_code == 202
    assert redelivered.headers["HX-Trigger"] == f"webhook-delivery-{hook}"
    assert 'data-action="redeliver"' not in redelivered.get_data(as_text=True)
    deliver()

    history = admin_browser.get(f"/webhooks/{hook}/deliveries", headers={"HX-Request": "true"})
    assert "HX-Request" in history.headers["Vary"]
    html = history.get_data(as_text=True)
    attempts = re.findall(r'<tr class="attempt">(.*?)</tr>', html, re.S)
    assert len(attempts) == 2
    first, second = (_text(attempt) for attempt in attempts)
    assert first.startswith("1 ") and " 500 " in first and "Получатель ответил 500." in first
    assert "сервер 1С недоступен" in first
    assert second.startswith("2 ") and " 200 " in second and "{&#34;accepted&#34;: true}" in second
    times = [a.attempted_at for a in db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id))]
    assert plant_time(times[0], "%d.%m.%Y %H:%M:%S") in first and plant_time(times[1], "%H:%M:%S") in second
    assert '<pre class="attempt__body">' in html
    assert "доставлено" in _text(html) and 'data-action="redeliver"' in html
    assert 'hx-trigger="every 2s"' not in html
    message_id = db.session.scalar(select(WebhookDelivery.message_id))
    assert {r.headers["webhook-id"] for r in webhook_receiver.requests} == {message_id}
    assert message_id in html


def test_a_long_response_is_cut_short(admin_browser, webhook_receiver, deliver):
    hook = _subscribe(webhook_receiver.url())
    webhook_receiver.answer((502, {}, "x" * 2000))
    _ping(admin_browser, hook)
    deliver()
    html = admin_browser.get(f"/webhooks/{hook}/deliveries", headers={"HX-Request": "true"}).get_data(as_text=True)
    body = re.search(r'<pre class="attempt__body">(.*?)</pre>', html, re.S)[1]
    assert body == "x" * 499 + "…"


def test_the_history_is_newest_first_a_page_at_a_time_without_repeats(admin_browser):
    hook = _subscribe(RECEIVER)
    for _ in range(25):
        webhook_ping(webhook_id=hook, actor=SYSTEM)
    ids = _delivery_ids(hook)
    htmx = {"HX-Request": "true"}
    first = admin_browser.get(f"/webhooks/{hook}/deliveries", headers=htmx).get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'<li id="delivery-(\d+)"', first)]
    assert shown == ids[::-1][:20]
    more = re.search(r'data-action="more"[^>]*hx-get="([^"]+)"', first)[1].replace("&amp;", "&")
    assert "(осталось 5)" in first

    for _ in range(3):  # newer deliveries push the older ones down while the admin reads
        webhook_ping(webhook_id=hook, actor=SYSTEM)
    rest = admin_browser.get(more, headers=htmx).get_data(as_text=True)
    assert [int(n) for n in re.findall(r'<li id="delivery-(\d+)"', rest)] == ids[::-1][20:]
    assert 'data-action="more"' not in rest


def test_a_refused_redelivery_shows_the_services_message_in_its_row(admin_browser, webhook_receiver, deliver):
    hook = _subscribe(webhook_receiver.url())
    batches_upsert(payload=[shift_task()], actor=SYSTEM)
    events_dispatch()
    deliver()
    [delivery_id] = _delivery_ids(hook)
    webhook_update(webhook_id=hook, payload={"is_active": False}, actor=SYSTEM)

    response = admin_browser.post(f"/webhooks/{hook}/deliveries/{delivery_id}/redeliver", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert html.strip().startswith(f'<li id="delivery-{delivery_id}"')
    assert '<p class="form-error" role="alert">Подписка отключена: включите её, чтобы доставить снова.</p>' in html
    assert "HX-Trigger" not in response.headers
    assert db.session.scalar(select(WebhookDelivery.status)) == DeliveryStatus.DELIVERED
    assert len(webhook_receiver.requests) == 1

    other = _subscribe(RECEIVER)
    missing = admin_browser.post(f"/webhooks/{other}/deliveries/{delivery_id}/redeliver", htmx=True)
    assert missing.status_code == 404
    assert f"Доставка {delivery_id} подписки {other} не найдена." in missing.get_data(as_text=True)


def test_other_roles_cannot_send_tests_or_read_deliveries(operator_browser, supervisor_browser, admin_browser):
    hook = _subscribe(RECEIVER)
    delivery = webhook_ping(webhook_id=hook, actor=SYSTEM)
    for browser in (operator_browser, supervisor_browser):
        assert browser.post(f"/webhooks/{hook}/ping", htmx=True).status_code == 403
        assert browser.get(f"/webhooks/{hook}/deliveries", headers={"HX-Request": "true"}).status_code == 403
        assert browser.get(f"/webhooks/{hook}/last-delivery").status_code == 403
        assert browser.post(f"/webhooks/{hook}/deliveries/{delivery.id}/redeliver", htmx=True).status_code == 403
    assert admin_browser.raw_post(f"/webhooks/{hook}/ping", headers={"HX-Request": "true"}).status_code == 400
    assert _delivery_ids(hook) == [delivery.id]


def test_a_delivery_given_up_without_a_post_says_why(admin_browser, webhook_receiver, deliver):
    hook = _subscribe(webhook_receiver.url())
    batches_upsert(payload=[shift_task()], actor=SYSTEM)
    events_dispatch()
    webhook_update(webhook_id=hook, payload={"is_active": False}, actor=SYSTEM)
    deliver()
    html = admin_browser.get(f"/webhooks/{hook}/deliveries", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "не доставлено" in html and "attempt__code" not in html
    assert '<p class="delivery__error">Подписка отключена; доставка не отправлялась.</p>' in html
    assert webhook_receiver.requests == []
