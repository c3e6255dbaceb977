"""`make run`'s default: no Redis, no MinIO. Jobs run in a thread of the app and files come from a folder."""

import io
import json
import time

import pytest
from pypdf import PdfReader

from mes_web.jobs.dispatcher import OutboxDispatcher
from mes_web.models import Role
from tests.factories import add_codes, create_batch


@pytest.fixture
def app(sqlite):
    return sqlite


def _finished(client, headers, task_id):
    deadline = time.monotonic() + 60
    while (body := client.get(f"/api/v1/tasks/{task_id}", headers=headers).get_json())["status"] not in (
        "SUCCESS",
        "FAILURE",
    ):
        assert time.monotonic() < deadline, body
        time.sleep(0.1)
    return body


def test_a_report_runs_in_process_and_downloads_from_the_app(sqlite, supervisor):
    client = sqlite.test_client()
    batch = create_batch(client, supervisor, НомерПартии=777)
    add_codes(client, supervisor, batch, ["E-1", "E-2"])
    response = client.post(f"/api/v1/batches/{batch['id']}/reports", json={"format": "pdf"}, headers=supervisor)
    assert response.status_code == 202
    done = _finished(client, supervisor, response.get_json()["task_id"])
    assert done["status"] == "SUCCESS", done
    url = done["result"]["file_url"]
    assert "/files/" in url
    with client.get(url) as download:
        assert download.status_code == 200 and len(download.data) == done["result"]["file_size"]
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(download.data)).pages)
    assert "777" in text and "E-2" in text
    assert client.get(url.replace("/files/", "/files/x")).status_code == 404


def test_webhooks_are_dispatched_and_sent_inside_the_process(sqlite, supervisor, tokens, webhook_receiver):
    sqlite.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    client = sqlite.test_client()
    hook = {"url": webhook_receiver.url(), "events": ["batch_created"]}
    assert client.post("/api/v1/webhooks", json=hook, headers=tokens[Role.ADMIN]).status_code == 201
    with OutboxDispatcher(sqlite, every_seconds=0.05).running():  # what `flask serve` (make run) starts
        batch = create_batch(client, supervisor, НомерПартии=778)
        (request,) = webhook_receiver.wait_for(1, timeout=10)
    body = json.loads(request.body)
    assert body["event"] == "batch_created" and body["data"]["batch"]["id"] == batch["id"]
