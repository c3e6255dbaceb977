"""Signing in to the screens."""

import re

from playwright.sync_api import Page, expect


def test_right_password_lands_on_the_board(page: Page, users, plant):
    batch = plant.batch(units=3)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next="))  # an anonymous visitor is sent to sign in
    page.locator("#username").fill("operator")
    page.locator("#password").fill(users["operator"])
    page.get_by_role("button", name="Войти").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#board")).to_contain_text(f"№ {batch.number}")
    expect(page.locator(".topbar .who")).to_contain_text("operator")


def test_wrong_password_shows_the_error_and_stays_on_login(page: Page, users):
    page.goto("/login")
    page.locator("#username").fill("operator")
    page.locator("#password").fill("not-" + users["operator"])
    with page.expect_response(lambda r: r.request.method == "POST" and "/login" in r.url) as answer:
        page.get_by_role("button", name="Войти").click()

    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_have_text("Неверное имя пользователя или пароль.")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("#username")).to_have_value("operator")
    expect(page.locator("#password")).to_have_value("")
    expect(page.locator("#board")).to_have_count(0)
