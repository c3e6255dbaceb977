"""A real `flask worker` dispatches the event log and sends; killed in the middle, the periodic re-send delivers."""

import json
import os
import signal
import subprocess
import time
from datetime import timedelta

from flask import current_app
from rq import SimpleWorker

from mes_web.clock import utcnow
from mes_web.extensions import db
from mes_web.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from mes_web.services.batches import batches_upsert
from mes_web.services.transaction import SYSTEM
from mes_web.services.webhook_deliveries import deliveries_resend_lost
from mes_web.services.webhooks import webhook_create
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.factories import shift_task
from tests.jobs.test_worker_death import FLASK


def _delivery() -> WebhookDelivery | None:
    db.session.expire_all()
    return db.session.query(WebhookDelivery).one_or_none()


def test_a_worker_killed_while_sending_still_delivers_after_the_periodic_resend(
    pg_committed, webhook_receiver, tmp_path, monkeypatch
):
    monkeypatch.setitem(pg_committed.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    queue = current_app.extensions["mes_web.job_queue"]
    queue.webhook_queue.empty()
    webhook_create(payload={"url": webhook_receiver.url(), "events": ["batch_created"], "timeout": 30}, actor=SYSTEM)
    webhook_receiver.answer(("sleep", 30))  # the first POST hangs: the worker is in the middle of sending
    batches_upsert(payload=shift_task(), actor=SYSTEM)
    env = os.environ | {
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "MES_INSTANCE_PATH": str(tmp_path),
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(
            [str(FLASK), "--app", "wsgi", "worker"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        (first,) = webhook_receiver.wait_for(1, timeout=30)  # dispatched and sent by the worker on its own
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait()
    assert _delivery().status == DeliveryStatus.SENDING, log.read_text()

    assert deliveries_resend_lost() == 0  # an attempt may take minutes: too early to call it lost
    assert deliveries_resend_lost(now=utcnow() + timedelta(minutes=6)) == 1
    SimpleWorker([queue.webhook_queue], connection=queue.connection).work(burst=True)

    second = webhook_receiver.wait_for(2)[1]
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert json.loads(second.body) == json.loads(first.body)
    delivery = _delivery()
    assert delivery.status == DeliveryStatus.DELIVERED
    attempts = db.session.query(WebhookAttempt).order_by(WebhookAttempt.id).all()
    assert [a.status_code for a in attempts] == [None, 200]
    assert "остановился" in attempts[0].error
    time.sleep(0.2)
    assert len(webhook_receiver.requests) == 2
