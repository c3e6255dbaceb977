"""The board refreshes cheaply; the batch page pages and searches; the edit form speaks the API's rules."""

import re

from mes_web.services.batches import batch_close
from mes_web.services.transaction import SYSTEM


def test_the_board_shows_open_batches_and_hides_closed_ones(operator_browser, batch):
    page = operator_browser.get("/").get_data(as_text=True)
    assert "№ 501" in page and "№ 502" in page
    assert "<strong>0</strong> / 3" in page
    batch_close(batch_id=batch.id, actor=SYSTEM)
    page = operator_browser.get("/").get_data(as_text=True)
    assert "№ 501" not in page
    assert "№ 501" in operator_browser.get("/?show_closed=1").get_data(as_text=True)


def test_an_unchanged_board_is_a_304_and_a_scan_changes_it(operator_browser, batch):
    first = operator_browser.get("/", headers={"HX-Request": "true"})
    etag = first.headers["ETag"]
    again = operator_browser.get("/", headers={"HX-Request": "true", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    operator_browser.post(f"/batches/{batch.id}/scan", data={"code": "U-0"}, htmx=True)
    changed = operator_browser.get("/", headers={"HX-Request": "true", "If-None-Match": etag})
    assert changed.status_code == 200
    assert "<strong>1</strong> / 3" in changed.get_data(as_text=True)
    assert 'id="board"' in changed.get_data(as_text=True) and "<html" not in changed.get_data(as_text=True)


def test_the_board_filters_by_work_center(operator_browser, batch):
    page = operator_browser.get(f"/?work_center_id={batch.work_center_id}").get_data(as_text=True)
    assert "№ 501" in page and "№ 502" not in page


def test_the_product_list_searches_and_pages(operator_browser, batch):
    page = operator_browser.get(f"/batches/{batch.id}?q=U-1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.findall(r'<td class="code">([^<]+)</td>', page) == ["U-1"]


def _edit_form(browser, batch_id):
    page = browser.get(f"/batches/{batch_id}/edit").get_data(as_text=True)
    fields = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', page))
    fields["work_center_id"] = re.search(r'<option selected value="(\d+)"', page)[1]
    fields["task_description"] = ""
    return fields


def test_the_edit_form_shows_the_services_messages(supervisor_browser, batch):
    form = _edit_form(supervisor_browser, batch.id) | {"nomenclature": "", "shift_end": "2024-01-30T07:00"}
    response = supervisor_browser.raw_post(f"/batches/{batch.id}/edit", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "не может быть пустым" in html


def test_the_edit_form_refuses_another_batchs_number(supervisor_browser, batch):
    form = _edit_form(supervisor_browser, batch.id) | {"batch_number": "502"}
    response = supervisor_browser.raw_post(f"/batches/{batch.id}/edit", data=form)
    assert response.status_code == 422
    assert "Партия №502 от 2024-01-30 уже есть" in response.get_data(as_text=True)


def test_the_edit_form_saves(supervisor_browser, batch):
    form = _edit_form(supervisor_browser, batch.id) | {"team": "Бригада 9", "shift_end": "2024-01-30T21:30"}
    response = supervisor_browser.raw_post(f"/batches/{batch.id}/edit", data=form)
    assert response.status_code == 302
    page = supervisor_browser.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "Бригада 9" in page and "30.01.2024 21:30" in page
