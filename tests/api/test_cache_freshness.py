"""With Redis as the cache: read, write, read again, and see the new figure on every write path."""

import io

import pytest
from flask import current_app
from rq import SimpleWorker

from mes_web.extensions import cache
from mes_web.jobs.schedule import periodic_run
from tests.factories import add_codes, create_batch, shift_task


@pytest.fixture
def app(pg):
    """These tests run on PostgreSQL, whose app keeps its cache in the real Redis."""
    return pg


@pytest.fixture
def batch(client, supervisor, operator):
    batch = create_batch(client, supervisor, НомерПартии=700, Смена="1")
    add_codes(client, supervisor, batch, ["C-1", "C-2", "C-3"])
    client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": "C-1"}, headers=operator)
    return batch


def _create(client, sup, op, batch):
    client.post("/api/v1/batches", json=shift_task(НомерПартии=701), headers=sup)


def _overwrite(client, sup, op, batch):
    client.post("/api/v1/batches", json=shift_task(НомерПартии=700, Смена="2"), headers=sup)


def _update(client, sup, op, batch):
    client.patch(f"/api/v1/batches/{batch['id']}", json={"shift": "3"}, headers=sup)


def _close(client, sup, op, batch):
    client.post(f"/api/v1/batches/{batch['id']}/close", headers=sup)


def _reopen(client, sup, op, batch):
    client.post(f"/api/v1/batches/{batch['id']}/reopen", headers=sup)


def _add_one(client, sup, op, batch):
    client.post("/api/v1/products", json={"unique_code": "NEW-1", "batch_id": batch["id"]}, headers=sup)


def _add_bulk(client, sup, op, batch):
    item = {"УникальныйКодПродукта": "NEW-2", "НомерПартии": 700, "ДатаПартии": "2024-01-30"}
    client.post("/api/v1/products", json=[item], headers=sup)


def _scan(client, sup, op, batch):
    client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": "C-2"}, headers=op)


def _scan_list(client, sup, op, batch):
    client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_codes": ["C-2", "C-3"]}, headers=op)


def _rename_work_center(client, sup, op, batch):
    client.post("/api/v1/batches", json=shift_task(НомерПартии=702, РабочийЦентр="Новое имя"), headers=sup)


def _move_to_another_work_center(client, sup, op, batch):
    other = create_batch(client, sup, НомерПартии=703, ИдентификаторРЦ="OTHER", РабочийЦентр="Другая линия")
    client.patch(f"/api/v1/batches/{batch['id']}", json={"work_center_id": other["work_center"]["id"]}, headers=sup)


def _undo(client, sup, op, batch):
    client.post(f"/api/v1/batches/{batch['id']}/disaggregate", json={"unique_code": "C-1", "reason": "r"}, headers=sup)


def _work_the_queue():
    queue = current_app.extensions["mes_web.job_queue"]
    SimpleWorker([queue.queue], connection=queue.connection).work(burst=True)


def _scan_async(client, sup, op, batch):
    client.post(f"/api/v1/batches/{batch['id']}/aggregate-async", json={"unique_codes": ["C-2", "C-3"]}, headers=op)
    _work_the_queue()


def _import_file(client, sup, op, batch):
    rows = "НомерПартии;ДатаПартии;РабочийЦентр;ИдентификаторРЦ;Номенклатура;Смена;"
    rows += "ДатаВремяНачалаСмены;ДатаВремяОкончанияСмены\n"
    rows += "700;2024-01-30;Линия розлива №1;A;Молоко 3,2% 1 л;9;2024-01-30T08:00:00+03:00;2024-01-30T20:00:00+03:00\n"
    upload = {"file": (io.BytesIO(rows.encode("utf-8-sig")), "tasks.csv")}
    client.post("/api/v1/batches/import", data=upload, headers=sup, content_type="multipart/form-data")
    _work_the_queue()


def _auto_close(client, sup, op, batch):
    periodic_run("close-overdue-batches")  # the batch's shift ended in 2024


WRITES = [
    _create,
    _overwrite,
    _update,
    _close,
    _reopen,
    _add_one,
    _add_bulk,
    _scan,
    _scan_list,
    _undo,
    _rename_work_center,
    _move_to_another_work_center,
    _scan_async,
    _import_file,
    _auto_close,
]
PREPARE = {_reopen: _close}  # what must be true before the write can change anything


def _figures(client, op, batch) -> dict:
    """What a reader sees through every cached family."""
    dashboard = client.get("/api/v1/analytics/dashboard", headers=op).get_json()
    listed = client.get("/api/v1/batches?limit=100", headers=op).get_json()
    detail = client.get(f"/api/v1/batches/{batch['id']}", headers=op).get_json()
    statistics = client.get(f"/api/v1/batches/{batch['id']}/statistics", headers=op).get_json()
    mine = next(item for item in listed["items"] if item["id"] == batch["id"])
    return {
        "names": (mine["work_center"]["name"], detail["work_center"]["name"]),
        "dashboard": {key: value for key, value in dashboard.items() if key != "cached_at"},
        "list": (
            listed["total"],
            mine["shift"],
            mine["is_closed"],
            mine["products_total"],
            mine["products_aggregated"],
        ),
        "detail": (detail["shift"], detail["is_closed"], len(detail["products"]), detail["products_aggregated"]),
        "statistics": statistics["production_stats"],
    }


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__.strip("_") for w in WRITES])
def test_no_cached_figure_survives_a_write(client, supervisor, operator, batch, write):
    if write in PREPARE:
        PREPARE[write](client, supervisor, operator, batch)
    before = _figures(client, operator, batch)
    assert _figures(client, operator, batch) == before  # served from the cache, and stable
    write(client, supervisor, operator, batch)
    after = _figures(client, operator, batch)
    cache.clear()
    assert after == _figures(client, operator, batch)  # what the cache served is what the database says
    assert after != before


def test_repeated_reads_are_served_from_the_cache(client, operator, batch, monkeypatch):
    from mes_web.api import analytics
    from mes_web.selectors.analytics import dashboard

    computed = []
    monkeypatch.setattr(analytics, "dashboard", lambda: computed.append(1) or dashboard())
    for _ in range(3):
        assert client.get("/api/v1/analytics/dashboard", headers=operator).status_code == 200
    assert len(computed) == 1
    client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_code": "C-2"}, headers=operator)
    client.get("/api/v1/analytics/dashboard", headers=operator)
    assert len(computed) == 2


def test_a_rolled_back_write_leaves_the_cached_figures_alone(client, supervisor, operator, batch, monkeypatch):
    from mes_web.services import batches as batches_service

    before = _figures(client, operator, batch)
    real, calls = batches_service.event_record, []

    def fail_after_writing(**kwargs):
        calls.append(kwargs)
        real(**kwargs)
        if len(calls) == 2:
            raise RuntimeError("power cut")

    monkeypatch.setattr(batches_service, "event_record", fail_after_writing)
    response = client.post(
        "/api/v1/batches", json=[shift_task(НомерПартии=800), shift_task(НомерПартии=801)], headers=supervisor
    )
    assert response.status_code == 500 and len(calls) == 2
    assert _figures(client, operator, batch) == before
