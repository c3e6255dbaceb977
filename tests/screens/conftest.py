"""Screens over HTTP (no browser): sign-in with CSRF, roles, fragments, the same rules as the API."""

import json
import re

import pytest

from mes_web.services.access import user_create
from mes_web.services.batches import batches_upsert
from mes_web.services.products import products_add_from_1c
from mes_web.services.transaction import SYSTEM
from tests.factories import shift_task

PASSWORD = "shift-1234"


class Browser:
    """A test client that signs in through the form and sends the CSRF token like the pages do.

    Each request gets an app context of its own, as under a real server: the fixtures keep one open
    for the database, and Flask would otherwise share its `g` (and the cached CSRF token) across requests.
    """

    def __init__(self, client):
        self.client = client
        self.token = None

    def _send(self, method: str, url: str, **kwargs):
        with self.client.application.app_context():
            return self.client.open(url, method=method, **kwargs)

    def sign_in(self, username: str) -> "Browser":
        login = self.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)[1]
        response = self.raw_post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        page = self.get("/").get_data(as_text=True)
        self.token = json.loads(re.search(r"hx-headers='([^']+)'", page)[1])["X-CSRFToken"]
        return self

    def get(self, url, **kwargs):
        return self._send("GET", url, **kwargs)

    def raw_post(self, url, **kwargs):
        """A POST as a page without its CSRF header would send it."""
        return self._send("POST", url, **kwargs)

    def post(self, url, data=None, htmx=False):
        headers = {"X-CSRFToken": self.token} | ({"HX-Request": "true"} if htmx else {})
        return self._send("POST", url, data=data or {}, headers=headers)


@pytest.fixture
def people(app):
    for role in ("operator", "supervisor"):
        user_create(username=role, password=PASSWORD, role=role)


@pytest.fixture
def operator_browser(app, people):
    return Browser(app.test_client()).sign_in("operator")


@pytest.fixture
def supervisor_browser(app, people):
    return Browser(app.test_client()).sign_in("supervisor")


@pytest.fixture
def batch(app):
    """An open batch with three units, none aggregated."""
    (created, _), (other, _) = batches_upsert(
        payload=[shift_task(НомерПартии=501), shift_task(НомерПартии=502, ИдентификаторРЦ="B")], actor=SYSTEM
    )
    units = [{"УникальныйКодПродукта": f"U-{n}", "НомерПартии": 501, "ДатаПартии": "2024-01-30"} for n in range(3)]
    units.append({"УникальныйКодПродукта": "OTHER-1", "НомерПартии": 502, "ДатаПартии": "2024-01-30"})
    products_add_from_1c(payload=units, actor=SYSTEM)
    return created
