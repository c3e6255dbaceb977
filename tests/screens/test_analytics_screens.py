"""Analytics screens over HTTP: the figures on the page, the figures inside the charts, comparison, the pace board."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from mes_web.extensions import db
from mes_web.services.aggregation import products_aggregate
from mes_web.services.batches import batches_upsert
from mes_web.services.products import products_add_from_1c
from mes_web.services.transaction import SYSTEM
from tests.factories import shift_task

HTMX = {"HX-Request": "true"}


def _aggregate(batch_id: int, codes: list[str], at: str | None = None) -> None:
    products_aggregate(batch_id=batch_id, unique_codes=codes, actor=SYSTEM)
    if at:
        db.session.execute(
            text("UPDATE products SET aggregated_at = :t WHERE batch_id = :b AND is_aggregated"),
            {"t": datetime.fromisoformat(at).astimezone(UTC), "b": batch_id},
        )
        db.session.commit()


def _freeze(monkeypatch, moment: str) -> None:
    frozen = datetime.fromisoformat(moment).astimezone(UTC)
    for where in ("mes_web.clock", "mes_web.selectors.analytics", "mes_web.web.analytics"):
        monkeypatch.setattr(f"{where}.utcnow", lambda: frozen)


def _figure(page: str, figure_id: str) -> str:
    """The SVG inside one chart panel of the page."""
    return re.search(rf'<figure[^>]*id="{figure_id}".*?(<svg.*?</svg>)', page, re.S)[1]


def _bar(svg: str, label: str) -> tuple[str, float, float]:
    """A bar's <title>, its drawn length and the length of its full-scale track."""
    group = re.search(rf"<g class=\"chart__bar\"><title>{re.escape(label)}: [^<]*</title>.*?</g>", svg, re.S)[0]
    track, bar = (float(width) for width in re.findall(r'<rect [^>]*width="([\d.]+)"', group))
    return re.search(r"<title>([^<]*)</title>", group)[1], bar, track


def _tiles(page: str) -> dict[str, str]:
    found = re.findall(r'data-tile="(\w+)">.*?<strong class="tile__value">([^<]*)</strong>', page, re.S)
    return {name: value.replace("\xa0", " ") for name, value in found}


def test_analytics_needs_a_signed_in_person(client):
    assert client.get("/analytics").status_code == 302


def test_the_page_shows_the_dashboards_numbers(operator_browser, batch):
    _aggregate(batch.id, ["U-0"])
    page = operator_browser.get("/analytics").get_data(as_text=True)
    assert _tiles(page) == {
        "total_batches": "2",
        "active_batches": "2",
        "closed_batches": "0",
        "total_products": "4",
        "aggregated_products": "1",
        "aggregation_rate": "25 %",
        "batches_created": "2",
        "batches_closed": "0",
        "products_added": "4",
        "products_aggregated": "1",
    }
    assert "Аналитика" in page and 'href="/analytics/pace"' in page


def test_each_bar_says_the_rate_it_draws(operator_browser, batch):
    _aggregate(batch.id, ["U-0"])
    page = operator_browser.get("/analytics").get_data(as_text=True)
    work_centers = _figure(page, "chart-work-centers")
    title, length, track = _bar(work_centers, "Линия розлива №1 (A)")
    assert title == "Линия розлива №1 (A): 33,33 %"
    assert length / track == pytest.approx(0.3333, abs=0.001)
    title, length, _ = _bar(work_centers, "Линия розлива №1 (B)")
    assert (title, length) == ("Линия розлива №1 (B): 0 %", 0)
    assert ">33,33 %</text>" in work_centers
    title, length, track = _bar(_figure(page, "chart-shifts"), "Смена 1")
    assert title == "Смена 1: 25 %" and length / track == pytest.approx(0.25)
    assert 'viewBox="0 0 520 ' in work_centers and "<script" not in page.split("<main>")[1]


def test_the_hourly_line_goes_through_the_hours_count(operator_browser, batch, monkeypatch):
    _aggregate(batch.id, ["U-0"], at="2024-01-30T10:10:00+03:00")
    _freeze(monkeypatch, "2024-01-30T10:30:00+03:00")
    svg = _figure(operator_browser.get("/analytics").get_data(as_text=True), "chart-hourly")
    assert "<title>10:00 — Агрегировано: 1</title>" in svg
    assert "<title>09:00 — Агрегировано: 0</title>" in svg
    # Both open batches need their units over their twelve-hour shifts: 3/12 + 1/12 an hour.
    assert "<title>10:00 — Нужный темп: 0,33</title>" in svg
    assert "<title>07:00 — Нужный темп: 0</title>" in svg
    actual = re.search(r'<g class="chart__line"><polyline [^>]*points="([^"]+)"', svg)[1]
    heights = [float(point.split(",")[1]) for point in actual.split()]
    assert len(heights) == 24
    assert heights[10] < min(heights[:10] + heights[11:])  # the one hour with a unit stands above the rest
    assert len(set(heights[:10] + heights[11:])) == 1


def test_the_board_offers_each_batch_for_comparison(operator_browser, batch):
    page = operator_browser.get("/").get_data(as_text=True)
    assert '<form id="compare-form" class="compare-bar" action="/analytics/compare" method="get">' in page
    for batch_id in (batch.id, batch.id + 1):
        assert f'name="batch_ids" value="{batch_id}" form="compare-form"' in page


def test_compare_shows_the_table_and_the_chart(operator_browser, batch):
    other = batch.id + 1
    _aggregate(other, ["OTHER-1"])
    response = operator_browser.get(f"/analytics/compare?batch_ids={batch.id}&batch_ids={other}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = re.findall(r'<tr data-batch-id="(\d+)">(.*?)</tr>', page, re.S)
    cells = {int(batch_id): re.findall(r"<t[hd][^>]*>(?:<a [^>]*>)?([^<]*)", row) for batch_id, row in rows}
    assert cells == {
        batch.id: ["№ 501", "3", "0", "0 %", "12", "0"],
        other: ["№ 502", "1", "1", "100 %", "12", "0,08"],
    }
    assert "<td data-average-rate>50 %</td>" in page and "<td data-average-per-hour>0,04</td>" in page
    chart = _figure(page, "chart-compare")
    assert _bar(chart, "№ 502")[0] == "№ 502: 100 %" and _bar(chart, "Среднее")[0] == "Среднее: 50 %"


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("", 422, "Для сравнения отметьте на доске от 2 до 50 разных партий."),
        ("batch_ids={a}", 422, "Для сравнения отметьте на доске от 2 до 50 разных партий."),
        ("batch_ids={a}&batch_ids={a}", 422, "Для сравнения отметьте на доске от 2 до 50 разных партий."),
        ("batch_ids={a}&batch_ids=abc", 422, "Для сравнения отметьте на доске от 2 до 50 разных партий."),
        ("batch_ids={a}&batch_ids=999999", 404, "Партии не найдены: 999999."),
    ],
)
def test_compare_refuses_with_a_message(operator_browser, batch, query, status, message):
    response = operator_browser.get("/analytics/compare?" + query.format(a=batch.id))
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert re.search(r'<p class="form-error" role="alert">([^<]*)</p>', page)[1].startswith(message)
    assert "<table" not in page


@pytest.fixture
def one_hour_batch(app):
    """An open batch of 20 units on its own line, planned for 10:00-11:00: the pace is 20 units an hour."""
    task = shift_task(
        НомерПартии=777,
        ИдентификаторРЦ="PACE",
        РабочийЦентр="Линия темпа",
        ДатаВремяНачалаСмены="2024-01-30T10:00:00+03:00",
        ДатаВремяОкончанияСмены="2024-01-30T11:00:00+03:00",
    )
    [(created, _)] = batches_upsert(payload=[task], actor=SYSTEM)
    codes = [f"P-{n}" for n in range(20)]
    products_add_from_1c(
        payload=[{"УникальныйКодПродукта": c, "НомерПартии": 777, "ДатаПартии": "2024-01-30"} for c in codes],
        actor=SYSTEM,
    )
    return created, codes


@pytest.mark.parametrize(("done", "state"), [(12, "on-pace"), (10, "on-pace"), (8, "near"), (7, "behind")])
def test_the_pace_board_colours_by_state(operator_browser, one_hour_batch, monkeypatch, done, state):
    pace_batch, codes = one_hour_batch
    _aggregate(pace_batch.id, codes[:done], at="2024-01-30T10:05:00+03:00")
    _freeze(monkeypatch, "2024-01-30T10:30:00+03:00")  # half the hour gone: 10 of the 20 are due
    response = operator_browser.get(f"/analytics/pace?work_center_id={pace_batch.work_center_id}", headers=HTMX)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment
    opening = re.search(r'<section id="pace-board"[^>]*>', fragment)[0]
    assert f'hx-get="/analytics/pace?work_center_id={pace_batch.work_center_id}"' in opening
    assert all(part in opening for part in ('hx-trigger="every 10s"', 'hx-target="this"', 'hx-swap="outerHTML"'))
    tile = re.search(
        r'<article class="pace-tile pace-tile--([\w-]+)"[^>]*data-state="([\w-]+)">(.*?)</article>', fragment, re.S
    )
    assert tile[1] == tile[2] == state
    assert "№ 777 · Молоко 3,2% 1 л" in tile[3] and "Линия темпа" in tile[3]
    assert re.search(r"<strong data-actual>(\d+)</strong>", tile[3])[1] == str(done)
    assert re.search(r"<strong data-target>([^<]+)</strong>", tile[3])[1] == "20"
    assert "Час 10:00 · к этой минуте нужно 10" in tile[3]


def test_the_pace_page_includes_its_board_and_shows_every_line(operator_browser, one_hour_batch, batch, monkeypatch):
    _freeze(monkeypatch, "2024-01-30T12:30:00+03:00")  # the one-hour batch's shift is over: nothing planned
    page = operator_browser.get("/analytics/pace").get_data(as_text=True)
    assert "<html" in page and 'id="pace-board"' in page and 'class="pace-picker"' in page
    states = dict(re.findall(r'data-work-center-id="\d+" data-state="([\w-]+)">\s*<h2[^>]*>([^<]+)</h2>', page))
    assert states["idle"] == "Линия темпа"
    assert "behind" in states  # lines A and B need a unit every few hours and have done none


def test_the_pace_board_refuses_an_unknown_work_center(operator_browser):
    response = operator_browser.get("/analytics/pace?work_center_id=999999", headers=HTMX)
    assert response.status_code == 404 and "Рабочий центр 999999 не найден." in response.get_data(as_text=True)
    assert operator_browser.get("/analytics/pace?work_center_id=x").status_code == 422


def test_in_english_the_charts_and_refusals_are_english(operator_browser, batch):
    _aggregate(batch.id, ["U-0"])
    operator_browser.get("/lang/en")
    page = operator_browser.get("/analytics").get_data(as_text=True)
    assert _bar(_figure(page, "chart-work-centers"), "Линия розлива №1 (A)")[0] == "Линия розлива №1 (A): 33.33 %"
    assert "Units per hour today" in page and "Aggregation rate by shift" in page
    refusal = operator_browser.get(f"/analytics/compare?batch_ids={batch.id}").get_data(as_text=True)
    assert "To compare, tick 2 to 50 different batches on the board." in refusal
