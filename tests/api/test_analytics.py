"""Analytics figures, written by hand for a small plant, with a frozen clock where time matters."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from mes_web.extensions import db
from tests.factories import add_codes, create_batch


def _scan(client, headers, batch, codes):
    response = client.post(f"/api/v1/batches/{batch['id']}/aggregate", json={"unique_codes": codes}, headers=headers)
    assert response.get_json()["aggregated"] == len(codes)


@pytest.fixture
def plant(client, supervisor, operator):
    """A: batch 1 (shift 1, open, 1 of 4 aggregated) and 2 (shift 2, closed, 2 of 2); B: batch 3 (shift 1, 0 of 2)."""
    one = create_batch(client, supervisor, НомерПартии=1, Смена="1", ИдентификаторРЦ="A", РабочийЦентр="Линия A")
    two = create_batch(client, supervisor, НомерПартии=2, Смена="2", ИдентификаторРЦ="A", РабочийЦентр="Линия A")
    three = create_batch(client, supervisor, НомерПартии=3, Смена="1", ИдентификаторРЦ="B", РабочийЦентр="Линия B")
    add_codes(client, supervisor, one, ["1-a", "1-b", "1-c", "1-d"])
    add_codes(client, supervisor, two, ["2-a", "2-b"])
    add_codes(client, supervisor, three, ["3-a", "3-b"])
    _scan(client, operator, one, ["1-a"])
    _scan(client, operator, two, ["2-a", "2-b"])
    client.post(f"/api/v1/batches/{two['id']}/close", headers=supervisor)
    return one, two, three


def test_the_dashboard_by_hand(client, operator, plant):
    body = client.get("/api/v1/analytics/dashboard", headers=operator).get_json()
    assert body["summary"] == {
        "total_batches": 3,
        "active_batches": 2,
        "closed_batches": 1,
        "total_products": 8,
        "aggregated_products": 3,
        "aggregation_rate": 37.5,
    }
    assert body["today"] == {"batches_created": 3, "batches_closed": 1, "products_added": 8, "products_aggregated": 3}
    assert body["by_shift"] == {
        "1": {"batches": 2, "products": 6, "aggregated": 1},
        "2": {"batches": 1, "products": 2, "aggregated": 2},
    }
    assert body["top_work_centers"] == [
        {"id": "A", "name": "Линия A", "batches_count": 2, "products_count": 6, "aggregation_rate": 50.0},
        {"id": "B", "name": "Линия B", "batches_count": 1, "products_count": 2, "aggregation_rate": 0.0},
    ]
    assert body["cached_at"].endswith("+03:00")


def _freeze(monkeypatch, moment: str) -> None:
    frozen = datetime.fromisoformat(moment).astimezone(UTC)
    monkeypatch.setattr("mes_web.clock.utcnow", lambda: frozen)
    monkeypatch.setattr("mes_web.selectors.analytics.utcnow", lambda: frozen)


def test_today_is_the_plant_day_across_midnight(client, operator, plant, monkeypatch):
    db.session.execute(
        text("UPDATE products SET aggregated_at = :t, is_aggregated = true WHERE unique_code = :c"),
        [
            {"t": datetime(2024, 1, 30, 21, 10, tzinfo=UTC), "c": "1-b"},
            {"t": datetime(2024, 1, 30, 20, 50, tzinfo=UTC), "c": "1-c"},
        ],
    )
    db.session.execute(
        text("UPDATE products SET aggregated_at = :t WHERE unique_code = '1-a'"),
        {"t": datetime(2024, 1, 29, 9, 0, tzinfo=UTC)},
    )
    db.session.execute(
        text("UPDATE products SET aggregated_at = :t WHERE unique_code LIKE '2-%'"),
        {"t": datetime(2024, 1, 29, 9, 0, tzinfo=UTC)},
    )
    _freeze(monkeypatch, "2024-01-31T00:30:00+03:00")  # 21:30 UTC on the 30th: already the 31st at the plant
    body = client.get("/api/v1/analytics/dashboard", headers=operator).get_json()
    assert body["today"]["products_aggregated"] == 1  # 00:10 on the 31st counts; 23:50 on the 30th does not


@pytest.fixture
def ten_unit_batch(client, supervisor, operator):
    batch = create_batch(
        client,
        supervisor,
        ДатаВремяНачалаСмены="2024-01-30T08:00:00",
        ДатаВремяОкончанияСмены="2024-01-30T20:00:00",
        Бригада="Б-7",
    )
    add_codes(client, supervisor, batch, [f"T-{n}" for n in range(10)])
    _scan(client, operator, batch, [f"T-{n}" for n in range(4)])
    return batch


def test_statistics_with_a_frozen_clock(client, operator, ten_unit_batch, monkeypatch):
    _freeze(monkeypatch, "2024-01-30T10:00:00+03:00")
    body = client.get(f"/api/v1/batches/{ten_unit_batch['id']}/statistics", headers=operator).get_json()
    assert body == {
        "batch_info": {
            "id": ten_unit_batch["id"],
            "batch_number": ten_unit_batch["batch_number"],
            "batch_date": "2024-01-30",
            "is_closed": False,
        },
        "production_stats": {"total_products": 10, "aggregated": 4, "remaining": 6, "aggregation_rate": 40.0},
        "timeline": {
            "shift_duration_hours": 12.0,
            "elapsed_hours": 2.0,
            "products_per_hour": 2.0,
            "estimated_completion": "2024-01-30T13:00:00+03:00",
        },
        "team_performance": {"team": "Б-7", "avg_products_per_hour": 2.0, "efficiency_score": 240.0},
    }
    again = client.get(f"/api/v1/analytics/batches/{ten_unit_batch['id']}/statistics", headers=operator).get_json()
    assert again == body


@pytest.mark.parametrize(
    ("now", "elapsed", "finish"),
    [("2024-01-30T07:00:00+03:00", 0.0, None), ("2024-01-31T07:00:00+03:00", 12.0, "2024-02-01T01:00:00+03:00")],
)
def test_elapsed_is_clamped_to_the_shift(client, operator, ten_unit_batch, monkeypatch, now, elapsed, finish):
    _freeze(monkeypatch, now)
    timeline = client.get(f"/api/v1/batches/{ten_unit_batch['id']}/statistics", headers=operator).get_json()["timeline"]
    assert timeline["elapsed_hours"] == elapsed
    assert timeline["estimated_completion"] == finish


def test_statistics_of_an_unknown_batch_is_404(client, operator):
    assert client.get("/api/v1/batches/999999/statistics", headers=operator).status_code == 404


def test_compare_batches(client, operator, plant, monkeypatch):
    _freeze(monkeypatch, "2024-01-30T14:00:00+03:00")  # six hours into the 08:00-20:00 shifts
    one, _, three = plant
    body = client.post(
        "/api/v1/analytics/compare-batches", json={"batch_ids": [one["id"], three["id"]]}, headers=operator
    ).get_json()
    assert body["comparison"] == [
        {
            "batch_id": one["id"],
            "batch_number": 1,
            "total_products": 4,
            "aggregated": 1,
            "rate": 25.0,
            "duration_hours": 12.0,
            "products_per_hour": 0.17,
        },
        {
            "batch_id": three["id"],
            "batch_number": 3,
            "total_products": 2,
            "aggregated": 0,
            "rate": 0.0,
            "duration_hours": 12.0,
            "products_per_hour": 0.0,
        },
    ]
    assert body["average"] == {"aggregation_rate": 12.5, "products_per_hour": 0.08}


@pytest.mark.parametrize(
    ("ids", "status"),
    [(lambda b: [b], 422), (lambda b: [b, b], 422), (lambda b: [b, 999998, 999999], 404), (lambda b: "1,2", 422)],
)
def test_compare_refusals(client, operator, plant, ids, status):
    response = client.post(
        "/api/v1/analytics/compare-batches", json={"batch_ids": ids(plant[0]["id"])}, headers=operator
    )
    assert response.status_code == status
    if status == 404:
        assert response.get_json()["detail"] == "Партии не найдены: 999998, 999999."


def test_hourly_pace(client, operator, ten_unit_batch):
    db.session.execute(
        text("UPDATE products SET aggregated_at = :t WHERE is_aggregated"),
        {"t": datetime(2024, 1, 30, 6, 15, tzinfo=UTC)},
    )
    wc = ten_unit_batch["work_center"]["id"]
    body = client.get(f"/api/v1/analytics/hourly?work_center_id={wc}&date=2024-01-30", headers=operator).get_json()
    hours = body["hours"]
    assert len(hours) == 24 and hours[9]["hour"] == "2024-01-30T09:00:00+03:00"
    assert [hour["aggregated"] for hour in hours] == [0] * 9 + [4] + [0] * 14
    assert [hour["needed"] for hour in hours] == [0.0] * 8 + [0.83] * 12 + [0.0] * 4
    assert client.get("/api/v1/analytics/hourly?work_center_id=999999", headers=operator).status_code == 404
    assert client.get("/api/v1/analytics/hourly?day=2024-01-30", headers=operator).status_code == 422


def test_a_closed_batch_has_no_estimated_completion(client, supervisor, operator, ten_unit_batch, monkeypatch):
    client.post(f"/api/v1/batches/{ten_unit_batch['id']}/close", headers=supervisor)
    _freeze(monkeypatch, "2024-02-05T10:00:00+03:00")
    timeline = client.get(f"/api/v1/batches/{ten_unit_batch['id']}/statistics", headers=operator).get_json()["timeline"]
    assert timeline["estimated_completion"] is None


def test_a_finish_beyond_a_year_is_no_estimate(client, supervisor, operator, monkeypatch):
    batch = create_batch(
        client, supervisor, ДатаВремяНачалаСмены="2024-01-01T00:00:00", ДатаВремяОкончанияСмены="2099-12-31T00:00:00"
    )
    add_codes(client, supervisor, batch, [f"Y-{n}" for n in range(1000)])
    _scan(client, operator, batch, ["Y-0"])
    _freeze(monkeypatch, "2090-01-01T00:00:00+03:00")
    response = client.get(f"/api/v1/batches/{batch['id']}/statistics", headers=operator)
    assert response.status_code == 200
    assert response.get_json()["timeline"]["estimated_completion"] is None


def test_efficiency_is_computed_from_the_exact_pace(client, supervisor, operator, monkeypatch):
    batch = create_batch(client, supervisor)  # 08:00-20:00
    add_codes(client, supervisor, batch, ["E-1", "E-2", "E-3", "E-4"])
    _scan(client, operator, batch, ["E-1"])
    _freeze(monkeypatch, "2024-01-30T14:00:00+03:00")  # 1 unit in 6 h against 4 units in 12 h: half the pace
    team = client.get(f"/api/v1/batches/{batch['id']}/statistics", headers=operator).get_json()["team_performance"]
    assert team["efficiency_score"] == 50.0


def test_closing_a_batch_does_not_rewrite_its_past_hourly_pace(
    client, supervisor, operator, ten_unit_batch, monkeypatch
):
    wc = ten_unit_batch["work_center"]["id"]
    url = f"/api/v1/analytics/hourly?work_center_id={wc}&date=2024-01-30"
    before = client.get(url, headers=operator).get_json()["hours"]
    db.session.execute(
        text("UPDATE batches SET is_closed = true, closed_at = :t WHERE id = :id"),
        {"t": datetime(2024, 1, 30, 9, 0, tzinfo=UTC), "id": ten_unit_batch["id"]},
    )
    after = client.get(url, headers=operator).get_json()["hours"]
    assert [h["needed"] for h in after[:12]] == [h["needed"] for h in before[:12]]  # up to 12:00 plant time
    assert after[13]["needed"] == 0.0
