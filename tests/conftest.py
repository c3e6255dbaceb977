"""Apps on the real PostgreSQL (a savepoint per test) and on the embedded SQLite file."""

import os
import shutil
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from mes_web import create_app
from mes_web.extensions import cache, db
from mes_web.models import Role
from mes_web.services.access import token_create
from tests.s3_server import s3_server_fixture  # noqa: F401
from tests.webhook_receiver import webhook_receiver_fixture  # noqa: F401

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
# Our own Redis database number: the tests flush only this one.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BACKENDS = ["postgresql", "sqlite"]


def make_app(database_url: str, instance_path, **config) -> object:
    os.environ["MES_INSTANCE_PATH"] = str(instance_path)
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "PLANT_TIMEZONE": "Europe/Moscow"}
    return create_app(settings | config)


def _migrate_fresh(app) -> None:
    """Drop whatever the last run left and build the schema from the migrations."""
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        db.engine.dispose()  # SQLite folds its write-ahead log into the file here


@pytest.fixture(scope="session")
def pg_app(tmp_path_factory, s3_server):
    # The production shape: PostgreSQL with the cache in Redis, so a stale cache fails the API tests.
    app = make_app(
        TEST_DATABASE_URL,
        tmp_path_factory.mktemp("pg-instance"),
        CACHE_TYPE="RedisCache",
        CACHE_REDIS_URL=TEST_REDIS_URL,
        REDIS_URL=TEST_REDIS_URL,  # jobs go to RQ; the tests work the queue with a burst worker
        MINIO_ENDPOINT=s3_server.endpoint,
        MINIO_ACCESS_KEY=s3_server.access_key,
        MINIO_SECRET_KEY=s3_server.secret_key,
    )
    try:
        _migrate_fresh(app)
    except OperationalError as exc:
        pytest.exit(
            f"PostgreSQL at {TEST_DATABASE_URL} does not answer ({exc.orig}); start it or set TEST_DATABASE_URL", 2
        )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file that each test copies, so every test starts empty."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    _migrate_fresh(make_app(f"sqlite:///{folder / 'template.db'}", folder))
    return folder / "template.db"


class _SavepointSession(Session):
    """Inside the test's outer transaction there is no autocommit: such statements join it too."""

    def connection(self, bind_arguments=None, execution_options=None):
        return super().connection(bind_arguments)


@contextmanager
def _inside_savepoint(app):
    """Run a test in a transaction that is rolled back; services' commits become savepoints."""
    with app.app_context():
        cache.clear()  # the database rolls back after each test; the cache must forget with it
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(
                class_=_SavepointSession,
                bind=connection,
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
            )
        )
        try:
            yield app
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def pg(pg_app):
    """The PostgreSQL app, isolated in a savepoint."""
    with _inside_savepoint(pg_app) as app:
        yield app


@pytest.fixture
def sqlite(sqlite_template, tmp_path):
    path = tmp_path / "mes_web.db"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=BACKENDS)
def app(request):
    """The app on each backend: API behaviour must not depend on the database."""
    return request.getfixturevalue("pg" if request.param == "postgresql" else "sqlite")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(app) -> dict[Role, dict]:
    """Authorization headers for one token of each role."""
    return {
        role: {"Authorization": f"Bearer {token_create(name=f'test-{role.value}', role=role.value)}"} for role in Role
    }


@pytest.fixture
def supervisor(tokens):
    return tokens[Role.SUPERVISOR]


@pytest.fixture
def operator(tokens):
    return tokens[Role.OPERATOR]


@pytest.fixture
def pg_committed(pg_app):
    """The PostgreSQL app with real commits, for tests where several connections must see the data."""
    with pg_app.app_context():
        cache.clear()
        yield pg_app
        db.session.remove()
        tables = ", ".join(table.name for table in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
