"""The operations list, the operation page and its decision log run a fixed budget of SQL
statements, whatever the operation holds (tests/views/test_query_counts.py checks that no
page grows with its items; this checks these pages stay as lean as they were made). The
budget counts every statement of the request: the sign-in session, the permission cache
(the operations the person holds a current signature for, read once and given to every
list filter as values) and the audit row included. SQLite runs two more per page than PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.conftest import sign_in
from tests.cycle_factories import Cycle
from tests.products_factories import seed, seed_links

# The operation page's 11 include two SETs around its confirmed-links select
# (db.planned_as_written: two round trips of ~0.1 ms instead of ~2.5 ms more planning).
POSTGRESQL_BUDGET = {"operations": 4, "operation": 11, "decisions": 6}
SQLITE_EXTRA = 2


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _statements(app, client, url: str) -> int:
    engine = app.extensions["gainportal_db"].engine
    client.get(url)  # first visit: one-off lookups
    counted = [0]

    def count(*_args, **_kwargs):
        counted[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, url
    return counted[0]


def test_the_operation_pages_keep_to_their_statement_budget(app, cycle):
    # Nominals (one withheld), interventions, confirmed matches, requests and decisions of
    # several kinds: every list on the pages has rows.
    seed_links(app, cycle, seed(app, cycle))
    client = app.test_client()
    sign_in(client, cycle.lro)
    extra = SQLITE_EXTRA if app.extensions["gainportal_db"].engine.dialect.name == "sqlite" else 0
    pages = {"operations": "/operations", "operation": f"/operations/{cycle.operation_id}",
             "decisions": f"/operations/{cycle.operation_id}/decisions"}
    counts = {label: _statements(app, client, url) for label, url in pages.items()}
    over = {label: n for label, n in counts.items() if n > POSTGRESQL_BUDGET[label] + extra}
    assert not over, f"statements per page {counts}, budget {POSTGRESQL_BUDGET} (+{extra} on this database)"
