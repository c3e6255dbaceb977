"""The aggregation station: a scanner types a code and Enter; every scan gets its own answer."""

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.web.helpers import (
    aggregated_count,
    logged_codes,
    open_station,
    plant_time,
    scan,
    scan_log,
    screenshot,
    status,
    type_scan,
)

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "datamatrix_scans.jsonl"
OK, BAD = re.compile(r"\bscan-status--ok\b"), re.compile(r"\bscan-status--bad\b")


def test_good_scan_turns_the_panel_green_and_counts_it(sign_in, plant):
    batch = plant.batch(units=5, aggregated=2)
    page = sign_in("operator")
    open_station(page, batch.id)
    expect(aggregated_count(page)).to_have_text("2")
    expect(page.locator("#scan-counter [data-total]")).to_have_text("5")

    answer = scan(page, batch.codes[2])

    expect(status(page)).to_have_class(OK)
    expect(status(page)).to_contain_text("Принято")
    expect(status(page)).to_contain_text("3 из 5")
    expect(aggregated_count(page)).to_have_text("3")
    expect(answer).to_have_attribute("data-result", "ok")
    expect(answer.locator(".code")).to_have_text(batch.codes[2])
    expect(page.locator("#scan-input")).to_have_value("")
    expect(page.locator("#scan-input")).to_be_focused()
    assert plant.product(batch.codes[2]).is_aggregated
    screenshot(page, "station")


def test_repeated_scan_is_refused_with_the_time_of_the_first(sign_in, plant):
    batch = plant.batch(units=3)
    page = sign_in("operator")
    open_station(page, batch.id)
    scan(page, batch.codes[0])
    first_scan = plant.product(batch.codes[0]).aggregated_at

    answer = scan(page, batch.codes[0])

    expect(status(page)).to_have_class(BAD)
    expect(status(page)).to_contain_text("Не принято")
    expect(status(page).locator(".scan-status__reason")).to_contain_text(f"Уже отсканирован в {plant_time(first_scan)}")
    expect(answer).to_have_attribute("data-result", "bad")
    expect(answer).to_contain_text(f"Уже отсканирован в {plant_time(first_scan)}")
    expect(aggregated_count(page)).to_have_text("1")


def test_code_of_another_batch_is_refused_naming_that_batch(sign_in, plant):
    here, other = plant.batch(units=2), plant.batch(units=2)
    page = sign_in("operator")
    open_station(page, here.id)

    answer = scan(page, other.codes[0])

    expect(status(page)).to_have_class(BAD)
    expect(status(page)).to_contain_text(f"Из другой партии: № {other.number} от {other.day_shown}")
    expect(answer).to_have_attribute("data-result", "bad")
    expect(aggregated_count(page)).to_have_text("0")
    assert not plant.product(other.codes[0]).is_aggregated


def _datamatrix_samples() -> list[dict]:
    return [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_datamatrix_variant_is_the_same_code(sign_in, plant):
    samples = _datamatrix_samples()
    kis = list(dict.fromkeys(sample["expected_ki"] for sample in samples))
    batch = plant.batch(codes=kis)  # registered by their КИ, as 1C sends them
    page = sign_in("operator")
    open_station(page, batch.id)

    answers = []
    for sample in samples:
        page.keyboard.type(sample["scan"])
        expect(page.locator("#scan-input")).to_have_value(sample["scan"])  # GS (U+001D) and all reach the field
        page.keyboard.press("Enter")
        expect(scan_log(page)).to_have_count(len(answers) + 1)
        answer = scan_log(page).first
        already = "Уже отсканирован в" in answer.inner_text()
        answers.append((sample["variant"], sample["expected_ki"], answer.get_attribute("data-result"), already))

    # For each КИ the first variant scanned is accepted and every other one is refused as already scanned.
    expected, scanned = [], set()
    for sample in samples:
        ki = sample["expected_ki"]
        expected.append((sample["variant"], ki, *(("bad", True) if ki in scanned else ("ok", False))))
        scanned.add(ki)
    assert answers == expected
    expect(aggregated_count(page)).to_have_text(str(len(kis)))
    assert all(plant.product(ki).is_aggregated for ki in kis)

    # The log names the unit by its КИ, never by the raw scan with its separators and crypto tail.
    shown = [(sample["variant"], code) for sample, code in zip(samples, reversed(logged_codes(page)), strict=True)]
    assert shown == [(sample["variant"], sample["expected_ki"]) for sample in samples]


def test_twenty_rapid_scans_are_neither_lost_nor_reordered(sign_in, plant):
    batch = plant.batch(units=20)
    page = sign_in("operator")
    open_station(page, batch.id)

    # While the database makes every scan wait, the scanner keeps typing: all 20 queue in the page.
    with plant.products_locked():
        for code in batch.codes:
            page.keyboard.type(code + "\n", delay=0)
        expect(page.locator("#scan-input")).to_have_value("")
        assert scan_log(page).count() == 0

    expect(scan_log(page)).to_have_count(20)
    expect(aggregated_count(page)).to_have_text("20")
    expect(status(page)).to_have_class(OK)
    assert logged_codes(page) == list(reversed(batch.codes))  # newest first, in the order typed, no duplicate
    assert [item.get_attribute("data-result") for item in scan_log(page).all()] == ["ok"] * 20
    expect(page.locator(".scan-counter__done")).to_have_text("Все единицы агрегированы")
    assert len(plant.events("product_aggregated")) == 20


def test_supervisor_undoes_the_last_scan_with_a_reason(sign_in, plant):
    batch = plant.batch(units=3, aggregated=1)
    page = sign_in("supervisor")
    open_station(page, batch.id)
    expect(page.locator("#undo-open")).to_be_disabled()
    scan(page, batch.codes[1])
    expect(aggregated_count(page)).to_have_text("2")

    page.locator("#undo-open").click()
    dialog = page.locator("#undo-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#undo-code")).to_have_text(batch.codes[1])
    dialog.locator("#undo-reason").fill("Упаковка повреждена")
    dialog.get_by_role("button", name="Отменить агрегацию").click()

    expect(dialog).to_be_hidden()
    expect(aggregated_count(page)).to_have_text("1")
    expect(status(page)).to_contain_text("Отменено")
    expect(scan_log(page).first).to_have_attribute("data-undone", "1")
    expect(scan_log(page).first).to_contain_text("отменено")
    expect(page.locator("#undo-open")).to_be_disabled()
    expect(page.locator("#scan-input")).to_be_focused()
    assert not plant.product(batch.codes[1]).is_aggregated
    [event] = plant.events("product_disaggregated")
    assert (event["unique_code"], event["reason"], event["actor"]) == (
        batch.codes[1],
        "Упаковка повреждена",
        "user:supervisor",
    )


def test_operator_has_no_undo(sign_in, plant):
    batch = plant.batch(units=1)
    page: Page = sign_in("operator")
    open_station(page, batch.id)
    type_scan(page, batch.codes[0])
    expect(status(page)).to_have_class(OK)
    expect(page.locator("#undo-open")).to_have_count(0)
    expect(page.locator("#undo-dialog")).to_have_count(0)
