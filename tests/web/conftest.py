"""A live mes_web on its own PostgreSQL database, and headless Chromium driving it.

The server runs in a thread of the test process with real commits; each test starts from empty
tables and seeds what it needs through the services, as 1C and the CLI would.
"""

import os
import random
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import psycopg
import pytest
from flask_migrate import upgrade
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import WSGIRequestHandler, make_server

from mes_web.clock import plant_tz, utcnow
from mes_web.extensions import db
from mes_web.models import Batch, Event, Product
from mes_web.services.access import token_create, user_create
from mes_web.services.aggregation import products_aggregate
from mes_web.services.batches import batch_close, batches_upsert
from mes_web.services.demo import marking_code
from mes_web.services.products import products_add_from_1c
from mes_web.services.transaction import SYSTEM
from tests.conftest import TEST_DATABASE_URL, make_app
from tests.factories import shift_task

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A 10-inch tablet in landscape, the station's usual screen.
TABLET = {"width": 1280, "height": 800}
# The pid keeps two runs on this machine (CI and an engineer) from dropping each other's database.
DATABASE_NAME = f"mes_web_browser_{os.getpid()}"
PASSWORDS = {"operator": "operator-pass", "supervisor": "supervisor-pass"}
GTIN13 = "0460123456789"

expect.set_options(timeout=5_000)


def _admin_connection() -> psycopg.Connection:
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql", database="postgres")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


def _drop_database() -> None:
    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app under test, on a database of its own (never the savepoint fixtures' app)."""
    _drop_database()
    with _admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    try:
        url = make_url(TEST_DATABASE_URL).set(database=DATABASE_NAME).render_as_string(hide_password=False)
        app = make_app(url, tmp_path_factory.mktemp("browser-instance"))
        with app.app_context():
            upgrade()
        yield app
        with app.app_context():
            db.engine.dispose()
    finally:
        _drop_database()


class _RecordingHandler(WSGIRequestHandler):
    """Records each answer for the tests instead of printing an access log line (the board polls every 3 s)."""

    def log_request(self, code="-", size="-") -> None:
        self.server.answers.append((self.command, self.path, int(code)))


@dataclass
class LiveServer:
    url: str
    answers: list[tuple[str, str, int]]  # (method, path, status) as the server sent them


@pytest.fixture(scope="session")
def live_server(live_app) -> LiveServer:
    """The app served over real HTTP from a thread of this process."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True, request_handler=_RecordingHandler)
    server.answers = []
    thread = threading.Thread(target=server.serve_forever, name="mes_web-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", server.answers)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _empty_tables(live_app, live_server):
    """Every test starts from empty tables with ids from 1, and an empty record of answers."""
    live_server.answers.clear()
    with live_app.app_context():
        tables = ", ".join(table.name for table in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


_rng = random.Random(20240130)


def new_codes(count: int) -> list[str]:
    """Честный ЗНАК identification codes (01 + GTIN-14 + 21 + 13-character serial)."""
    return [marking_code(GTIN13, _rng) for _ in range(count)]


@dataclass(frozen=True)
class SeededBatch:
    id: int
    number: int
    day: date
    nomenclature: str
    codes: list[str] = field(default_factory=list)

    @property
    def day_shown(self) -> str:
        return self.day.strftime("%d.%m.%Y")


class Plant:
    """Seeds and reads the live app's database the way 1C, the CLI and the API would, committing for real."""

    def __init__(self, app):
        self.app = app

    @contextmanager
    def _context(self):
        with self.app.app_context():
            yield

    def batch(self, *, units: int = 0, aggregated: int = 0, codes: list[str] | None = None, **task) -> SeededBatch:
        """An open batch whose shift is running now, with `units` codes of which the first `aggregated` are scanned."""
        codes = list(codes) if codes is not None else new_codes(units)
        with self._context():
            now = utcnow().astimezone(plant_tz()).replace(microsecond=0)
            defaults = {
                "ДатаПартии": now.date().isoformat(),
                "ДатаВремяНачалаСмены": (now - timedelta(hours=2)).isoformat(),
                "ДатаВремяОкончанияСмены": (now + timedelta(hours=10)).isoformat(),
            }
            [(batch, _)] = batches_upsert(payload=[shift_task(**(defaults | task))], actor=SYSTEM)
            if codes:
                rows = [
                    {"УникальныйКодПродукта": c, "НомерПартии": batch.batch_number, "ДатаПартии": str(batch.batch_date)}
                    for c in codes
                ]
                added = products_add_from_1c(payload=rows, actor=SYSTEM)
                assert added.created == len(codes), added.skipped
            if aggregated:
                products_aggregate(batch_id=batch.id, unique_codes=codes[:aggregated], actor=SYSTEM)
            return SeededBatch(batch.id, batch.batch_number, batch.batch_date, batch.nomenclature, codes)

    def close(self, batch_id: int) -> None:
        with self._context():
            batch_close(batch_id=batch_id, actor=SYSTEM)

    def user(self, username: str, password: str, role: str) -> None:
        with self._context():
            user_create(username=username, password=password, role=role)

    def token(self, role: str) -> str:
        with self._context():
            return token_create(name=f"browser-tests-{role}", role=role)

    def is_closed(self, batch_id: int) -> bool:
        with self._context():
            return db.session.scalar(select(Batch.is_closed).where(Batch.id == batch_id))

    def product(self, code: str):
        with self._context():
            return db.session.execute(
                select(Product.unique_code, Product.batch_id, Product.is_aggregated, Product.aggregated_at).where(
                    Product.unique_code == code
                )
            ).one()

    def events(self, event_type: str) -> list[dict]:
        with self._context():
            rows = db.session.execute(
                select(Event.payload, Event.actor).where(Event.event_type == event_type).order_by(Event.id)
            ).all()
            return [{**row.payload, "actor": row.actor} for row in rows]

    @contextmanager
    def products_locked(self):
        """Hold a lock that makes every scan wait in the database, as a slow server would."""
        with self._context(), db.engine.connect() as connection, connection.begin():
            connection.execute(text("LOCK TABLE products IN SHARE MODE"))
            yield


@pytest.fixture
def plant(live_app) -> Plant:
    return Plant(live_app)


@pytest.fixture
def users(plant) -> dict[str, str]:
    """An operator and a supervisor who sign in with these passwords."""
    for role, password in PASSWORDS.items():
        plant.user(role, password, role)
    return PASSWORDS


@pytest.fixture(scope="session")
def browser(live_server):
    # Depends on the server so that the browser closes its connections before the server stops.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, live_server) -> Page:
    """A fresh browser profile and tab per test; a JavaScript error on any page fails the test."""
    context = browser.new_context(base_url=live_server.url, viewport=TABLET, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def sign_in(page, users):
    """Sign in through the login form; returns the page, on the board."""

    def signed_in(role: str) -> Page:
        page.goto("/login")
        page.locator("#username").fill(role)
        page.locator("#password").fill(users[role])
        page.get_by_role("button", name="Войти").click()
        expect(page).to_have_url(re.compile(r"/$"))
        expect(page.locator("#board")).to_be_visible()
        return page

    return signed_in
