"""The schema is made by Alembic alone: head must equal the models, and every migration
must go down and up again cleanly, on SQLite and on PostgreSQL."""
from __future__ import annotations

import uuid

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from gainportal.db import Base
from gainportal.migrate import alembic_config, downgrade, upgrade
from tests.conftest import PG_ADMIN_DSN, _sqlalchemy_pg_url


def _diff(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


@pytest.fixture
def empty_url(backend, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'roundtrip.db'}"
        return
    name = f"gainportal_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _sqlalchemy_pg_url(name)
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_single_head():
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"


def test_upgrade_head_equals_models(schema_url):
    assert _diff(schema_url) == []


def test_every_step_downgrades_and_upgrades(empty_url):
    script = ScriptDirectory.from_config(alembic_config(empty_url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    upgrade(empty_url)
    # Down one step at a time to base, then back up to head.
    for revision in reversed(revisions):
        downgrade(empty_url, "-1")
    engine = create_engine(empty_url)
    remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert remaining == set(), f"downgrade to base left tables: {remaining}"
    upgrade(empty_url)
    assert _diff(empty_url) == []


def _included_columns(url: str) -> dict[str, set[str]]:
    """Each PostgreSQL index's INCLUDE columns as the database has them."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'").all()
    finally:
        engine.dispose()
    out = {}
    for name, definition in rows:
        _, _, tail = definition.partition(" INCLUDE (")
        out[name] = {c.strip().strip('"') for c in tail.split(")")[0].split(",")} if tail else set()
    return out


def test_covering_indexes_carry_their_included_columns(schema_url, backend):
    # Alembic's comparison does not look at INCLUDE, so a migration that left a covering
    # index plain (the planner then reads a heap page per row) would pass the test above.
    if backend != "postgresql":
        pytest.skip("INCLUDE is PostgreSQL's")
    expected = {index.name: set(index.dialect_options["postgresql"]["include"] or ())
                for table in Base.metadata.tables.values() for index in table.indexes}
    actual = _included_columns(schema_url)
    assert {n: actual.get(n) for n in expected if expected[n]} == {n: c for n, c in expected.items() if c}
    assert "classification" in expected["ix_information_request_operation_id"]
