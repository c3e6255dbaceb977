"""Analytics in real Chromium: the tiles and the drawn charts, and batches picked on the board and compared."""

import re
import time

from playwright.sync_api import expect

from tests.web.helpers import api_post, board_card, screenshot

# The board polls every 3 s, the pace board every 10 s; a change shows within these.
REFRESH_WINDOW_MS = 5_000
PACE_WINDOW_MS = 12_000


def _seed_two_lines(plant):
    milk = plant.batch(units=4, aggregated=2, Смена="1", Номенклатура="Молоко 3,2% 1 л")
    kefir = plant.batch(units=5, aggregated=1, Смена="2", РабочийЦентр="Линия фасовки №2", ИдентификаторРЦ="LINE-2")
    return milk, kefir


def test_the_analytics_page_shows_tiles_and_draws_its_charts(sign_in, plant):
    _seed_two_lines(plant)
    page = sign_in("operator")
    page.get_by_role("link", name="Аналитика").click()
    expect(page).to_have_url(re.compile(r"/analytics$"))

    expected = {
        "total_batches": "2",
        "active_batches": "2",
        "closed_batches": "0",
        "total_products": "9",
        "aggregated_products": "3",
        "aggregation_rate": "33,33 %",
        "products_added": "9",
        "products_aggregated": "3",
    }
    for name, value in expected.items():
        expect(page.locator(f"[data-tile='{name}'] .tile__value")).to_have_text(value)

    for chart in ("chart-work-centers", "chart-shifts", "chart-hourly"):
        svg = page.locator(f"#{chart} svg")
        expect(svg).to_be_visible()
        box = svg.bounding_box()
        assert box["width"] > 300 and box["height"] > 40, (chart, box)
    bar = page.locator("#chart-work-centers g.chart__bar").filter(has_text="Линия фасовки")
    expect(bar.locator("text").last).to_have_text("20 %")
    assert bar.locator("rect").last.bounding_box()["width"] > 0
    drawn_line = page.locator("#chart-hourly polyline").first.bounding_box()
    assert drawn_line["width"] > 300
    screenshot(page, "analytics")


def test_batches_picked_on_the_board_are_compared(sign_in, plant):
    milk, kefir = _seed_two_lines(plant)
    page = sign_in("operator")
    pick = board_card(page, milk.id).locator(".compare-pick")
    box = pick.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a glove can hit it
    pick.click()
    board_card(page, kefir.id).get_by_label("Выбрать для сравнения").check()

    # A new batch redraws the board; the ticks survive the refresh.
    newcomer = plant.batch(units=1)
    expect(board_card(page, newcomer.id)).to_be_visible(timeout=REFRESH_WINDOW_MS)
    expect(board_card(page, milk.id).get_by_label("Выбрать для сравнения")).to_be_checked()
    expect(board_card(page, newcomer.id).get_by_label("Выбрать для сравнения")).not_to_be_checked()

    page.get_by_role("button", name="Сравнить").click()
    expect(page).to_have_url(re.compile(rf"/analytics/compare\?batch_ids={milk.id}&batch_ids={kefir.id}$"))
    rows = page.locator("table.compare tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(f"№ {milk.number}")
    expect(rows.nth(0).locator("td").nth(2)).to_have_text("50 %")
    expect(rows.nth(1).locator("td").nth(2)).to_have_text("20 %")
    expect(page.locator("[data-average-rate]")).to_have_text("35 %")
    assert page.locator("#chart-compare svg").bounding_box()["height"] > 40


def test_compare_with_one_batch_says_what_to_do(sign_in, plant):
    milk, _ = _seed_two_lines(plant)
    page = sign_in("operator")
    board_card(page, milk.id).get_by_label("Выбрать для сравнения").check()
    page.get_by_role("button", name="Сравнить").click()
    expect(page.get_by_role("alert")).to_have_text("Для сравнения отметьте на доске от 2 до 50 разных партий.")
    expect(page.locator("table.compare")).to_have_count(0)


def _clear_of_the_hour_change(seconds: int = 30) -> None:
    """«This hour» must not turn over mid-test (the plant's hours start on the UTC hour)."""
    into_hour = time.time() % 3600
    if into_hour > 3600 - seconds:
        time.sleep(3600 - into_hour + 1)


def test_the_pace_board_keeps_itself_current(sign_in, plant, live_server):
    _clear_of_the_hour_change()
    milk = plant.batch(units=3, aggregated=1)
    token = plant.token("operator")
    page = sign_in("operator")
    page.goto("/analytics/pace")
    tile = page.locator(".pace-tile").filter(has_text=f"№ {milk.number}")
    expect(tile.locator("[data-actual]")).to_have_text("1")
    page.evaluate("window.openedBeforeTheScan = true")  # a reload would wipe it

    status, body = api_post(
        live_server.url, f"/api/v1/batches/{milk.id}/aggregate", token, {"unique_codes": milk.codes[1:]}
    )
    assert (status, body["aggregated"]) == (200, 2)

    expect(tile.locator("[data-actual]")).to_have_text("3", timeout=PACE_WINDOW_MS)
    assert page.evaluate("window.openedBeforeTheScan") is True
    assert tile.locator("[data-actual]").bounding_box()["height"] >= 96  # readable across the hall
