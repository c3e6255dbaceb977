"""The station's fragments: the same rules as the API, worded for an operator."""

import pytest
from sqlalchemy import select

from mes_web.extensions import db
from mes_web.models import Event, Product


def _scan(browser, batch, code):
    return browser.post(f"/batches/{batch.id}/scan", data={"code": code}, htmx=True)


def test_a_good_scan_is_green_with_the_running_count(operator_browser, batch):
    response = _scan(operator_browser, batch, "U-1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-result="ok"' in html and "scan-status--ok" in html
    assert 'data-aggregated="1"' in html and 'data-total="3"' in html


def test_a_repeated_scan_is_red_with_the_time_of_the_first(operator_browser, batch):
    _scan(operator_browser, batch, "U-1")
    first = db.session.scalar(select(Product.aggregated_at).where(Product.unique_code == "U-1"))
    response = _scan(operator_browser, batch, "U-1")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "scan-status--bad" in html
    expected = first.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Moscow")).strftime("%H:%M:%S %d.%m.%Y")
    assert f"Уже отсканирован в {expected}" in html


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [
        ("OTHER-1", 400, "Из другой партии: № 502 от 30.01.2024"),
        ("NOPE", 404, "Неизвестный код"),
        ("0104601234567890215ABCDEFGHIJKL", 422, "Неверная контрольная цифра GTIN 04601234567890"),
    ],
)
def test_refusals_say_why(operator_browser, batch, code, status, words):
    response = _scan(operator_browser, batch, code)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)


def test_a_closed_batch_refuses_scans(operator_browser, supervisor_browser, batch):
    supervisor_browser.post(f"/batches/{batch.id}/close")
    response = _scan(operator_browser, batch, "U-1")
    assert response.status_code == 409
    assert "Партия закрыта" in response.get_data(as_text=True)


def test_undo_needs_a_supervisor_and_a_reason(operator_browser, supervisor_browser, batch):
    _scan(operator_browser, batch, "U-2")
    url = f"/batches/{batch.id}/undo"
    assert operator_browser.post(url, data={"unique_code": "U-2", "reason": "x"}, htmx=True).status_code == 403
    no_reason = supervisor_browser.post(url, data={"unique_code": "U-2", "reason": " "}, htmx=True)
    assert no_reason.status_code == 422
    undone = supervisor_browser.post(url, data={"unique_code": "U-2", "reason": "двойная этикетка"}, htmx=True)
    assert undone.status_code == 200 and 'data-aggregated="0"' in undone.get_data(as_text=True)
    event = db.session.scalars(select(Event).where(Event.event_type == "product_disaggregated")).one()
    assert (event.payload["reason"], event.actor) == ("двойная этикетка", "user:supervisor")
    again = supervisor_browser.post(url, data={"unique_code": "U-2", "reason": "ещё раз"}, htmx=True)
    assert again.status_code == 409
