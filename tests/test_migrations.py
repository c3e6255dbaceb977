"""The migrations build exactly the schema the models describe, on PostgreSQL and on SQLite."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from mes_web.extensions import db


@pytest.fixture(params=["postgresql", "sqlite"])
def migrated_engine(request, pg_app, sqlite_template):
    if request.param == "postgresql":
        with pg_app.app_context():
            yield db.engine
    else:
        engine = create_engine(f"sqlite:///{sqlite_template}")
        yield engine
        engine.dispose()


def test_models_and_migrations_agree(migrated_engine):
    with migrated_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_the_named_indexes_and_constraint_exist_in_the_database(migrated_engine):
    schema = inspect(migrated_engine)
    names = {i["name"] for table in ("batches", "products") for i in schema.get_indexes(table)}
    assert {"idx_batch_closed", "idx_batch_shift_times", "idx_product_batch_aggregated"} <= names
    assert "uq_batch_number_date" in {c["name"] for c in schema.get_unique_constraints("batches")}
