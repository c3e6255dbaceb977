"""What the browser tests do on the screens and around them."""

import json
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PLANT_TZ = ZoneInfo("Europe/Moscow")  # the app under test is built with PLANT_TIMEZONE=Europe/Moscow


def api_post(base_url: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    """POST to the JSON API as another system would, outside the browser."""
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def csrf_token(page: Page) -> str:
    """The session's CSRF token, as the page hands it to HTMX and station.js."""
    return json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRFToken"]


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def plant_time(moment: datetime, pattern: str = "%H:%M:%S") -> str:
    """A stored moment as the plant reads it."""
    return moment.astimezone(PLANT_TZ).strftime(pattern)


def board_card(page: Page, batch_id: int) -> Locator:
    return page.locator(f"#board article.batch[data-batch-id='{batch_id}']")


def open_station(page: Page, batch_id: int) -> None:
    page.goto(f"/batches/{batch_id}/station")
    expect(page.locator("#scan-input")).to_be_focused()
    # station.js is deferred: wait until it has its CSRF token and listens for Enter.
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")


def type_scan(page: Page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the characters into the focused field, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def scan(page: Page, code: str) -> Locator:
    """Scan one code and wait for its answer; returns the answer's line in the log."""
    before = scan_log(page).count()
    type_scan(page, code)
    expect(scan_log(page)).to_have_count(before + 1)
    return scan_log(page).first


def scan_log(page: Page) -> Locator:
    """The answers, newest first."""
    return page.locator("#scan-log > li")


def status(page: Page) -> Locator:
    return page.locator("#scan-status")


def aggregated_count(page: Page) -> Locator:
    return page.locator("#scan-counter [data-aggregated]")


def logged_codes(page: Page) -> list[str]:
    """The codes as the log shows them, newest first."""
    return scan_log(page).locator(".code").all_inner_texts()
