"""mes_web: shop-floor execution for plants that plan production in 1C."""

import os

from flask import Flask
from sqlalchemy import event
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from mes_web.config import load_config, with_driver
from mes_web.extensions import babel, cache, csrf, db, htmx, migrate

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class RowIdConverter(IntegerConverter):
    """A row id in a URL; one beyond the database's integer range names no row, so it is a 404."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > 2**31 - 1:
            raise NotFound(f"Записи с номером {number} нет.")
        return number


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides what the environment says (tests use it)."""
    app = Flask(
        __name__,
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
        instance_path=os.environ.get("MES_INSTANCE_PATH") or os.path.join(PROJECT_ROOT, "instance"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    app.config.update(config or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = with_driver(app.config["SQLALCHEMY_DATABASE_URI"])
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.url_map.converters["id"] = RowIdConverter

    from mes_web.web.presentation import interface_locale, register_presentation

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"))
    babel.init_app(app, locale_selector=interface_locale)
    csrf.init_app(app)
    cache.init_app(app)
    htmx.init_app(app)
    register_presentation(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)

    from mes_web.api import api
    from mes_web.cli import register_commands
    from mes_web.jobs import queues
    from mes_web.web import web

    csrf.exempt(api)  # the API authenticates with bearer tokens, never cookies
    app.register_blueprint(api)
    app.register_blueprint(web)
    register_commands(app)
    queues.init_app(app)
    return app
