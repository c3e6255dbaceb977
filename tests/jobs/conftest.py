"""Jobs run through a real RQ worker on the real Redis (SimpleWorker in burst mode, inside the test)."""

import time

import pytest
from flask import current_app
from rq import SimpleWorker

from mes_web.models import Role
from mes_web.services.webhook_deliveries import deliveries_due_queue, events_dispatch


@pytest.fixture
def app(pg):
    """These tests run on PostgreSQL, whose app queues jobs in the real Redis."""
    return pg


@pytest.fixture
def job_queue(app):
    queue = current_app.extensions["mes_web.job_queue"]
    queue.queue.empty()
    queue.webhook_queue.empty()
    yield queue
    queue.queue.empty()
    queue.webhook_queue.empty()


@pytest.fixture
def run_jobs(job_queue):
    """Work the queue until it is empty, in this process and transaction, like a worker would."""

    def run() -> None:
        SimpleWorker([job_queue.queue, job_queue.webhook_queue], connection=job_queue.connection).work(burst=True)

    return run


@pytest.fixture
def admin(tokens):
    return tokens[Role.ADMIN]


@pytest.fixture
def subscribe(app, client, admin, monkeypatch):
    """Subscribe the loopback receiver (opened by the allow-list); returns the subscription with its secret."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")

    def make(url: str, events: list[str], **fields) -> dict:
        response = client.post("/api/v1/webhooks", json={"url": url, "events": events} | fields, headers=admin)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


def deliver(run_jobs, now=None) -> None:
    """What the dispatcher thread and the workers do: dispatch the log, queue the retries due `now`, send."""
    while events_dispatch():
        pass
    deliveries_due_queue(now=now)
    run_jobs()


def task(client, headers, task_id: str) -> dict:
    response = client.get(f"/api/v1/tasks/{task_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def finished(client, headers, task_id: str, seconds: float = 60) -> dict:
    """Poll a task as a client would until it ends."""
    deadline = time.monotonic() + seconds
    while (body := task(client, headers, task_id))["status"] not in ("SUCCESS", "FAILURE"):
        assert time.monotonic() < deadline, body
        time.sleep(0.1)
    return body
