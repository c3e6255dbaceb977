"""Webhook deliveries end to end: the event log, the dispatcher, a real RQ worker and a real receiver on loopback."""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from rq.job import JobStatus

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.jobs import webhooks as webhook_jobs
from mes_web.jobs.schedule import periodic_run
from mes_web.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription
from mes_web.services import webhook_sending
from mes_web.services.job_requests import import_request, report_request
from mes_web.services.transaction import SYSTEM
from mes_web.services.webhook_deliveries import deliveries_resend_lost, events_dispatch
from mes_web.services.webhook_sending import retry_delay
from mes_web.services.webhooks import EVENT_TYPES
from tests.factories import add_codes, create_batch, shift_task
from tests.jobs.conftest import deliver


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


def test_a_created_batch_reaches_the_receiver_signed_both_ways(
    client, supervisor, subscribe, webhook_receiver, run_jobs
):
    hook = subscribe(webhook_receiver.url(), ["batch.created"])
    batch = create_batch(client, supervisor)
    deliver(run_jobs)
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
    deliver(run_jobs)
    for _retry in range(3):
        deliver(run_jobs, now=utcnow() + timedelta(hours=13))
    requests = webhook_receiver.wait_for(4)
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    delivery = db.session.query(WebhookDelivery).one()
    assert delivery.status == DeliveryStatus.DELIVERED
    attempts = db.session.query(WebhookAttempt).order_by(WebhookAttempt.id).all()
    assert [a.status_code for a in attempts] == [500, 503, None, 200]
    deliver(run_jobs, now=utcnow() + timedelta(days=3))
    assert len(webhook_receiver.requests) == 4


SAMPLES = Path(__file__).parent.parent / "samples"


def _bodies(webhook_receiver) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for request in webhook_receiver.requests:
        body = json.loads(request.body)
        assert set(body) == {"id", "event", "data", "timestamp"}
        assert request.headers["X-Webhook-Event"] == body["event"]
        found.setdefault(body["event"], []).append(body)
    return found


def test_each_of_the_eight_events_arrives_with_its_documented_shape(
    client, supervisor, operator, subscribe, webhook_receiver, run_jobs
):
    subscribe(webhook_receiver.url(), list(EVENT_TYPES))
    batch = create_batch(client, supervisor)
    add_codes(client, supervisor, batch, ["CODE-1", "CODE-2"])
    url = f"/api/v1/batches/{batch['id']}"
    assert client.post(f"{url}/aggregate", json={"unique_code": "CODE-1"}, headers=operator).status_code == 200
    assert client.post(f"{url}/aggregate", json={"unique_code": "CODE-2"}, headers=operator).status_code == 200
    undo = {"unique_code": "CODE-2", "reason": "брак упаковки"}
    assert client.post(f"{url}/disaggregate", json=undo, headers=supervisor).status_code == 200
    assert client.patch(url, json={"team": "Бригада №5"}, headers=supervisor).status_code == 200
    assert client.post(f"{url}/close", headers=supervisor).status_code == 200
    assert client.post(f"{url}/reopen", headers=supervisor).status_code == 200
    report_request(batch_id=batch["id"], file_format="excel", actor=SYSTEM)
    with (SAMPLES / "shift_tasks_1c.csv").open("rb") as sample:
        import_request(stream=sample, file_name="shift_tasks_1c.csv", dry_run=False, actor=SYSTEM)
    run_jobs()  # the report and the import
    deliver(run_jobs)
    bodies = _bodies(webhook_receiver)

    assert set(bodies) == set(EVENT_TYPES)
    created = next(b for b in bodies["batch_created"] if b["data"]["batch"]["id"] == batch["id"])
    assert created["data"]["batch_number"] == batch["batch_number"]
    assert created["data"]["batch"]["work_center"]["identifier"] == "A"
    assert created["timestamp"].endswith("+03:00")  # the plant's time, with its offset
    (updated,) = [b for b in bodies["batch_updated"] if b["data"]["batch"]["id"] == batch["id"]]
    assert updated["data"]["changes"] == {"team": {"old": "Бригада №4 ХПС", "new": "Бригада №5"}}
    (closed,) = [b for b in bodies["batch_closed"] if b["data"]["batch"]["id"] == batch["id"]]
    assert closed["data"]["statistics"]["production_stats"]["total_products"] == 2
    assert closed["data"]["statistics"]["production_stats"]["aggregated"] == 1
    assert closed["data"]["closed_at"] and closed["data"]["batch"]["id"] == batch["id"]
    assert [b["data"]["batch"]["id"] for b in bodies["batch_reopened"]] == [batch["id"]]
    aggregated = {b["data"]["unique_code"] for b in bodies["product_aggregated"]}
    assert aggregated == {"CODE-1", "CODE-2"}
    (disaggregated,) = bodies["product_disaggregated"]
    assert disaggregated["data"]["unique_code"] == "CODE-2" and disaggregated["data"]["reason"] == "брак упаковки"
    (report,) = bodies["report_generated"]
    assert report["data"]["format"] == "excel" and report["data"]["file_name"].endswith(".xlsx")
    assert report["data"]["batch"]["id"] == batch["id"]
    (imported,) = bodies["import_completed"]
    assert imported["data"]["file_name"] == "shift_tasks_1c.csv" and imported["data"]["created"] > 0
    ids = [body["id"] for events in bodies.values() for body in events]
    assert len(ids) == len(set(ids))


def test_a_subscription_hears_only_its_events_and_only_those_after_it_was_made(
    client, supervisor, subscribe, webhook_receiver, run_jobs
):
    before = create_batch(client, supervisor)
    subscribe(webhook_receiver.url(), ["batch_closed"])
    after = create_batch(client, supervisor)
    for batch in (before, after):
        assert client.post(f"/api/v1/batches/{batch['id']}/close", headers=supervisor).status_code == 200
    deliver(run_jobs)
    bodies = _bodies(webhook_receiver)
    assert list(bodies) == ["batch_closed"]
    assert sorted(b["data"]["batch"]["id"] for b in bodies["batch_closed"]) == sorted([before["id"], after["id"]])


def test_a_rolled_back_change_sends_nothing(client, supervisor, subscribe, webhook_receiver, run_jobs):
    subscribe(webhook_receiver.url(), ["batch_created"])
    refused = client.post(
        "/api/v1/batches", json=[shift_task(), shift_task(ДатаПартии="30.02.2024")], headers=supervisor
    )
    assert refused.status_code == 422
    deliver(run_jobs)
    assert db.session.query(WebhookDelivery).count() == 0
    time.sleep(0.2)
    assert webhook_receiver.requests == []


def test_410_gone_disables_the_subscription_and_says_why(
    client, supervisor, admin, subscribe, webhook_receiver, run_jobs
):
    hook = subscribe(webhook_receiver.url(), ["batch_created"])
    webhook_receiver.answer(410)
    create_batch(client, supervisor)
    deliver(run_jobs)
    shown = client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).get_json()
    assert shown["is_active"] is False and "410" in shown["disabled_reason"]
    assert db.session.query(WebhookDelivery).one().status == DeliveryStatus.FAILED
    create_batch(client, supervisor)
    deliver(run_jobs, now=utcnow() + timedelta(days=1))
    assert len(webhook_receiver.requests) == 1


def test_a_run_of_given_up_deliveries_disables_the_subscription(
    app, client, supervisor, admin, subscribe, webhook_receiver, run_jobs, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOK_DISABLE_AFTER_FAILURES", 2)
    hook = subscribe(webhook_receiver.url(), ["batch_created"], retry_count=1)
    webhook_receiver.answer(*[500] * 4)
    create_batch(client, supervisor)
    deliver(run_jobs)
    shown = client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).get_json()
    assert shown["is_active"] is True  # one failed attempt is not a failed delivery: a retry is due
    create_batch(client, supervisor)
    deliver(run_jobs, now=utcnow() + timedelta(hours=1))  # the first one's retry and the second's first attempt
    deliver(run_jobs, now=utcnow() + timedelta(hours=2))
    shown = client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).get_json()
    assert shown["is_active"] is False and "2 недоставленных подряд" in shown["disabled_reason"]
    assert [d.status for d in db.session.query(WebhookDelivery)] == [DeliveryStatus.FAILED] * 2
    assert len(webhook_receiver.requests) == 4


def test_a_success_ends_a_run_of_failures(client, supervisor, subscribe, webhook_receiver, run_jobs):
    hook = subscribe(webhook_receiver.url(), ["batch_created"], retry_count=0)
    webhook_receiver.answer(500)
    create_batch(client, supervisor)
    deliver(run_jobs)
    assert db.session.get(WebhookSubscription, hook["id"]).consecutive_failures == 1
    create_batch(client, supervisor)
    deliver(run_jobs)
    assert db.session.get(WebhookSubscription, hook["id"]).consecutive_failures == 0


def test_retry_after_is_waited_for(client, supervisor, subscribe, webhook_receiver, run_jobs):
    subscribe(webhook_receiver.url(), ["batch_created"])
    webhook_receiver.answer((429, {"Retry-After": "600"}))
    create_batch(client, supervisor)
    deliver(run_jobs)
    delivery = db.session.query(WebhookDelivery).one()
    waited = delivery.next_attempt_at - delivery.last_attempt_at
    assert delivery.status == DeliveryStatus.RETRYING and timedelta(seconds=599) < waited < timedelta(seconds=602)
    deliver(run_jobs, now=utcnow() + timedelta(minutes=5))  # the backoff alone would retry after a minute
    assert len(webhook_receiver.requests) == 1
    deliver(run_jobs, now=utcnow() + timedelta(minutes=11))
    assert len(webhook_receiver.requests) == 2
    assert db.session.query(WebhookDelivery).one().status == DeliveryStatus.DELIVERED


@pytest.mark.parametrize("retry, minutes", [(1, 1), (2, 15), (3, 60), (4, 240), (5, 720), (9, 720)])
def test_the_retry_schedule_backs_off_with_jitter(retry, minutes):
    waits = {retry_delay(retry) for _ in range(20)}
    assert len(waits) > 1  # jittered: receivers that come back are not hit all at once
    assert all(timedelta(minutes=minutes * 0.8) <= wait <= timedelta(minutes=minutes * 1.2) for wait in waits)


def test_a_delivery_the_queue_lost_is_sent_by_the_periodic_resend(
    client, supervisor, subscribe, webhook_receiver, run_jobs, job_queue
):
    subscribe(webhook_receiver.url(), ["batch_created"])
    create_batch(client, supervisor)
    events_dispatch()
    job_queue.webhook_queue.empty()  # as a Redis restarted without persistence would: the job is gone
    run_jobs()
    assert webhook_receiver.requests == []
    assert deliveries_resend_lost() == 0  # too fresh to call lost: it may be on its way
    assert deliveries_resend_lost(now=utcnow() + timedelta(minutes=2)) == 1
    run_jobs()
    webhook_receiver.wait_for(1)
    assert db.session.query(WebhookDelivery).one().status == DeliveryStatus.DELIVERED
    assert deliveries_resend_lost(now=utcnow() + timedelta(hours=1)) == 0


def test_a_delivery_still_in_the_queue_is_not_sent_twice(client, supervisor, subscribe, webhook_receiver, run_jobs):
    subscribe(webhook_receiver.url(), ["batch_created"])
    create_batch(client, supervisor)
    events_dispatch()
    assert deliveries_resend_lost(now=utcnow() + timedelta(minutes=2)) == 0
    run_jobs()
    assert len(webhook_receiver.wait_for(1)) == 1


def test_the_address_is_checked_again_when_sending(app, client, supervisor, subscribe, webhook_receiver, run_jobs):
    subscribe(webhook_receiver.url(), ["batch_created"])
    app.config["WEBHOOK_ALLOWED_HOSTS"] = ""  # the admin took loopback off the allow-list
    create_batch(client, supervisor)
    deliver(run_jobs)
    time.sleep(0.2)
    assert webhook_receiver.requests == []
    (attempt,) = db.session.query(WebhookAttempt).all()
    assert attempt.status_code is None and "WEBHOOK_ALLOWED_HOSTS" in attempt.error


def test_during_a_rotation_both_secrets_sign(client, supervisor, admin, subscribe, webhook_receiver, run_jobs):
    hook = subscribe(webhook_receiver.url(), ["batch_created"])
    rotated = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=admin).get_json()
    create_batch(client, supervisor)
    deliver(run_jobs)
    (request,) = webhook_receiver.wait_for(1)
    assert _verify_standard(hook["secret_key"], request.headers, request.body)
    assert _verify_standard(rotated["secret_key"], request.headers, request.body)
    assert _verify_simple(rotated["secret_key"], request.headers, request.body)


def test_a_delivery_whose_job_failed_is_sent_again(
    client, supervisor, subscribe, webhook_receiver, run_jobs, job_queue
):
    subscribe(webhook_receiver.url(), ["batch_created"])
    create_batch(client, supervisor)
    events_dispatch()
    (job,) = job_queue.webhook_queue.get_jobs()
    job_queue.webhook_queue.remove(job)  # as if the job had raised before claiming (its record kept for a week)
    job.set_status(JobStatus.FAILED)
    assert deliveries_resend_lost(now=utcnow() + timedelta(minutes=2)) == 1
    run_jobs()
    assert len(webhook_receiver.wait_for(1)) == 1


def test_one_job_sends_a_subscriptions_deliveries_and_stops_at_a_410(
    client, supervisor, subscribe, webhook_receiver, run_jobs, job_queue
):
    subscribe(webhook_receiver.url(), ["batch_created"])
    webhook_receiver.answer(410)
    for _ in range(3):
        create_batch(client, supervisor)
    events_dispatch()
    assert len(job_queue.webhook_queue.get_jobs()) == 1  # three deliveries of one subscription, one job
    run_jobs()
    time.sleep(0.2)
    assert len(webhook_receiver.requests) == 1  # gone: the rest of the job is not sent
    deliveries = db.session.query(WebhookDelivery).order_by(WebhookDelivery.id).all()
    assert [d.status for d in deliveries] == [DeliveryStatus.FAILED] * 3
    assert [d.error_message for d in deliveries[1:]] == ["Подписка отключена; доставка не отправлялась."] * 2


def test_a_receiver_that_does_not_answer_holds_up_one_attempt_not_the_whole_job(
    client, supervisor, subscribe, webhook_receiver, run_jobs
):
    subscribe(webhook_receiver.url(), ["batch_created"])
    webhook_receiver.answer("drop")
    for _ in range(3):
        create_batch(client, supervisor)
    deliver(run_jobs)
    time.sleep(0.2)
    assert len(webhook_receiver.requests) == 1
    first, *rest = db.session.query(WebhookDelivery).order_by(WebhookDelivery.id).all()
    assert first.status == DeliveryStatus.RETRYING and first.attempts == 1
    assert [(d.status, d.attempts) for d in rest] == [(DeliveryStatus.RETRYING, 0)] * 2
    assert all("не засчитана" in d.error_message for d in rest)
    deliver(run_jobs, now=utcnow() + timedelta(minutes=2))
    assert len(webhook_receiver.wait_for(4)) == 4
    assert {d.status for d in db.session.query(WebhookDelivery)} == {DeliveryStatus.DELIVERED}


def test_a_job_out_of_time_hands_the_rest_to_a_new_job(
    client, supervisor, subscribe, webhook_receiver, run_jobs, monkeypatch
):
    monkeypatch.setattr(webhook_jobs, "SENDING_SECONDS", 0)
    subscribe(webhook_receiver.url(), ["batch_created"])
    for _ in range(3):
        create_batch(client, supervisor)
    deliver(run_jobs)
    assert len(webhook_receiver.wait_for(3)) == 3
    deliveries = db.session.query(WebhookDelivery).all()
    assert {d.status for d in deliveries} == {DeliveryStatus.DELIVERED}
    assert len({d.queue_job_id for d in deliveries}) == 3  # one delivery per job before time ran out


def test_a_cyrillic_path_is_sent_percent_encoded(client, supervisor, subscribe, webhook_receiver, run_jobs):
    subscribe(webhook_receiver.url("/вебхук?канал=цех"), ["batch_created"])
    create_batch(client, supervisor)
    deliver(run_jobs)
    (request,) = webhook_receiver.wait_for(1)
    assert unquote(request.path) == "/вебхук?канал=цех"


def test_a_sending_bug_is_recorded_and_retried_not_left_sending(
    client, supervisor, subscribe, webhook_receiver, run_jobs, monkeypatch
):
    def broken(**_):
        raise RuntimeError("a bug")

    subscribe(webhook_receiver.url(), ["batch_created"])
    create_batch(client, supervisor)
    with monkeypatch.context() as patched:
        patched.setattr(webhook_sending, "webhook_post", broken)  # no HTTP: what is tested is the recovery
        deliver(run_jobs)
    delivery = db.session.query(WebhookDelivery).one()
    assert delivery.status == DeliveryStatus.RETRYING and "журнал" in delivery.error_message
    deliver(run_jobs, now=utcnow() + timedelta(minutes=2))
    assert db.session.query(WebhookDelivery).one().status == DeliveryStatus.DELIVERED


def test_old_finished_deliveries_are_deleted_and_waiting_ones_kept(
    client, supervisor, subscribe, webhook_receiver, run_jobs
):
    subscribe(webhook_receiver.url(), ["batch_created"])
    webhook_receiver.answer(200, 500)
    create_batch(client, supervisor)
    create_batch(client, supervisor)
    deliver(run_jobs)
    delivered, retrying = db.session.query(WebhookDelivery).order_by(WebhookDelivery.id).all()
    assert (delivered.status, retrying.status) == (DeliveryStatus.DELIVERED, DeliveryStatus.RETRYING)
    for delivery in (delivered, retrying):
        delivery.created_at = utcnow() - timedelta(days=31)
    db.session.flush()
    waiting = retrying.id
    assert periodic_run("delete-old-deliveries") == "Удалено доставок вебхуков старше 30 дней: 1."
    assert [d.status for d in db.session.query(WebhookDelivery)] == [DeliveryStatus.RETRYING]
    assert {a.delivery_id for a in db.session.query(WebhookAttempt)} == {waiting}
