"""Sign-in, CSRF and roles on the screens."""

import re


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/batches/1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/batches/1")


def test_a_wrong_password_is_refused_with_a_message(client, people):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    response = client.post("/login", data={"username": "operator", "password": "nope", "csrf_token": token})
    assert response.status_code == 401
    assert "Неверное имя пользователя или пароль." in response.get_data(as_text=True)


def test_sign_in_never_redirects_off_site(client, people):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    form = {"username": "operator", "password": "shift-1234", "csrf_token": token}
    response = client.post("/login?next=//evil.example/", data=form)
    assert response.headers["Location"] == "/"


def test_a_form_without_its_csrf_token_is_refused(client, people):
    response = client.post("/login", data={"username": "operator", "password": "shift-1234"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_a_write_without_the_csrf_header_is_refused_and_changes_nothing(supervisor_browser, batch):
    response = supervisor_browser.raw_post(f"/batches/{batch.id}/close")
    assert response.status_code == 400
    assert "закрыта" not in supervisor_browser.get(f"/batches/{batch.id}").get_data(as_text=True).split("<h1>")[1][:200]


def test_an_operator_sees_no_close_button_and_is_refused_anyway(operator_browser, batch):
    page = operator_browser.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert 'data-action="close"' not in page
    assert "/edit" not in page
    assert operator_browser.post(f"/batches/{batch.id}/close").status_code == 403
    assert operator_browser.get(f"/batches/{batch.id}/edit").status_code == 403


def test_a_supervisor_closes_and_reopens_from_the_batch_page(supervisor_browser, batch):
    page = supervisor_browser.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert 'data-action="close"' in page
    closed = supervisor_browser.post(f"/batches/{batch.id}/close")
    assert closed.status_code == 302
    page = supervisor_browser.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "Партия закрыта." in page and 'data-action="reopen"' in page
    assert supervisor_browser.post(f"/batches/{batch.id}/close").status_code == 409


def test_the_interface_switches_to_english(operator_browser, batch):
    operator_browser.get("/lang/en?next=/")
    page = operator_browser.get("/").get_data(as_text=True)
    assert "Batch board" in page and "Доска партий" not in page
    operator_browser.get("/lang/ru?next=/")
    assert "Доска партий" in operator_browser.get("/").get_data(as_text=True)
