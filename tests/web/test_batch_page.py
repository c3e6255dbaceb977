"""The batch page: who may close a batch, and forms that must carry a CSRF token."""

import re

from playwright.sync_api import expect

from tests.web.helpers import csrf_token

CLOSE_BUTTON = "button[data-action='close']"


def test_operator_sees_no_close_button_and_is_refused_anyway(sign_in, plant):
    batch = plant.batch(units=2)
    page = sign_in("operator")
    page.goto(f"/batches/{batch.id}")
    expect(page.locator("h1")).to_contain_text(f"Партия № {batch.number}")
    expect(page.locator(CLOSE_BUTTON)).to_have_count(0)
    expect(page.get_by_role("button", name="Закрыть партию")).to_have_count(0)

    # A valid CSRF token, so the refusal is about the role and nothing else.
    answer = page.request.post(f"/batches/{batch.id}/close", headers={"X-CSRFToken": csrf_token(page)})

    assert answer.status == 403
    assert "Этой роли это действие не разрешено." in answer.text()
    assert plant.is_closed(batch.id) is False


def test_form_without_csrf_token_is_refused_and_changes_nothing(sign_in, plant):
    batch = plant.batch(units=2)
    page = sign_in("supervisor")
    page.goto(f"/batches/{batch.id}")

    # The close form as a forged page would post it: without the hidden token.
    form = page.locator("form").filter(has=page.locator(CLOSE_BUTTON))
    form.locator("input[name='csrf_token']").evaluate("input => input.remove()")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator(CLOSE_BUTTON).click()

    assert answer.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text("нет CSRF-токена")
    assert plant.is_closed(batch.id) is False

    # The same without the browser's form: a bare POST with the session cookie.
    assert page.request.post(f"/batches/{batch.id}/close").status == 400
    assert plant.is_closed(batch.id) is False
    page.goto(f"/batches/{batch.id}")
    expect(page.locator("h1 .badge")).to_have_text("открыта")


def test_supervisor_closes_a_batch_from_its_page(sign_in, plant):
    batch = plant.batch(units=3, aggregated=3)
    page = sign_in("supervisor")
    page.goto(f"/batches/{batch.id}")
    expect(page.locator("h1 .badge")).to_have_text("открыта")

    page.locator(CLOSE_BUTTON).click()

    expect(page).to_have_url(re.compile(rf"/batches/{batch.id}$"))
    expect(page.get_by_role("status")).to_have_text("Партия закрыта.")
    expect(page.locator("h1 .badge")).to_have_text("закрыта")
    expect(page.locator("button[data-action='reopen']")).to_have_text("Открыть снова")
    expect(page.get_by_role("link", name="Сканировать")).to_have_count(0)
    assert plant.is_closed(batch.id) is True
    [event] = plant.events("batch_closed")
    assert event["actor"] == "user:supervisor"
