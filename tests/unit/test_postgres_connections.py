"""The app's PostgreSQL connections carry their server settings from the connection string."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from gainportal.db import make_engine
from gainportal.settings import load_settings
from tests.conftest import TEST_SECRET_KEY


def test_connections_run_without_jit_and_with_the_statement_timeout(backend, database_url, tmp_path):
    if backend != "postgresql":
        pytest.skip("PostgreSQL server settings")
    settings = load_settings("test", database_url=database_url, instance_path=tmp_path, secret_key=TEST_SECRET_KEY,
                             db_statement_timeout_ms=4321)
    engine = make_engine(database_url, settings)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SHOW jit")) == "off"
            assert conn.scalar(text("SHOW statement_timeout")) == "4321ms"
            assert conn.scalar(text("SELECT current_setting('application_name')")) == "gainportal"
    finally:
        engine.dispose()
