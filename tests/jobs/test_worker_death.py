"""A worker killed in the middle of a job: the job ends as failed with a reason, and a retry finishes it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flask import current_app
from rq import SimpleWorker

from mes_web.extensions import db
from mes_web.models import Job
from mes_web.services.job_requests import report_request
from mes_web.services.transaction import SYSTEM
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.factories import shift_task

FLASK = Path(sys.executable).parent / "flask"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _status(job_id: str) -> str:
    db.session.expire_all()
    return db.session.get(Job, job_id).status


def _big_batch(count: int) -> int:
    from mes_web.services.batches import batches_upsert
    from mes_web.services.products import products_add_from_1c

    [(batch, _)] = batches_upsert(payload=shift_task(НомерПартии=4242), actor=SYSTEM)
    codes = [
        {"УникальныйКодПродукта": f"K-{n:06}", "НомерПартии": 4242, "ДатаПартии": "2024-01-30"} for n in range(count)
    ]
    products_add_from_1c(payload=codes, actor=SYSTEM)
    return batch.id


def test_a_killed_worker_leaves_a_failed_job_that_a_retry_finishes(pg_committed, tmp_path, monkeypatch, s3_server):
    app = pg_committed
    queue = current_app.extensions["mes_web.job_queue"]
    queue.queue.empty()
    job = report_request(batch_id=_big_batch(8_000), file_format="pdf", actor=SYSTEM)
    env = os.environ | {
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": TEST_REDIS_URL,
        "MINIO_ENDPOINT": s3_server.endpoint,
        "MINIO_ACCESS_KEY": s3_server.access_key,
        "MINIO_SECRET_KEY": s3_server.secret_key,
        "MES_INSTANCE_PATH": str(tmp_path),
        "JOB_HEARTBEAT_SECONDS": "0.5",
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [str(FLASK), "--app", "wsgi", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while _status(job.id) == "PENDING":
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.05)
    finally:
        for pid in [*_children(worker.pid), worker.pid]:  # the forked work horse, then the worker itself
            os.kill(pid, signal.SIGKILL)
        worker.wait()
        log.close()
    assert _status(job.id) in ("STARTED", "PROGRESS")

    monkeypatch.setitem(app.config, "JOB_HEARTBEAT_SECONDS", 0.5)
    time.sleep(2)
    client = app.test_client()
    from mes_web.services.access import token_create

    headers = {"Authorization": f"Bearer {token_create(name='death', role='supervisor')}"}
    failed = client.get(f"/api/v1/tasks/{job.id}", headers=headers).get_json()
    assert failed["status"] == "FAILURE"
    assert "остановился" in failed["result"]["error"]

    assert client.post(f"/api/v1/tasks/{job.id}/retry", headers=headers).status_code == 202
    SimpleWorker([queue.queue], connection=queue.connection).work(burst=True)
    done = client.get(f"/api/v1/tasks/{job.id}", headers=headers).get_json()
    assert done["status"] == "SUCCESS" and done["attempt"] == 2
    queue.queue.empty()
