"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from server import MIGRATIONS_DIR, create_app, references
from server.extensions import db
from server.orm import Base

TEST_DATABASE_URL = os.environ.get("DATABASE_URL", "")
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database (a separate PostgreSQL database when running on PostgreSQL)."""
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    name = f"spotcheck_migr_{uuid.uuid4().hex[:10]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_create_the_models_schema_with_guard_and_codes(empty_database_url, tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "INSTANCE_PATH": str(tmp_path / "i")}
    )
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        db.engine.dispose()  # else its pooled connection outlives the dropped database
    engine = create_engine(empty_database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": references.include_object_for(conn.dialect.name)}
        )
        diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        assert conn.execute(text("SELECT count(*) FROM codes")).scalar() >= 20
        with pytest.raises(Exception, match="append-only"):
            conn.execute(
                text(
                    "INSERT INTO audit_events (seq, at, actor_label, action, object_type, "
                    "details, prev_hash, hash) VALUES (1, CURRENT_TIMESTAMP, 'x', 'x', 'x', "
                    "'{}', 'x', 'x')"
                )
            )
            conn.execute(text("DELETE FROM audit_events"))
    engine.dispose()
    with app.app_context():
        downgrade(directory=MIGRATIONS_DIR, revision="base")
        db.engine.dispose()
    engine = create_engine(empty_database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
