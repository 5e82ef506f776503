"""planned_as_written(): the written join order for the statements inside, and only those."""
from __future__ import annotations

from sqlalchemy import text

from gainportal.db import db_session, planned_as_written


def _limit(s) -> str | None:
    if s.get_bind().dialect.name != "postgresql":
        return None
    return s.execute(text("SHOW join_collapse_limit")).scalar()


def test_written_order_inside_and_the_server_setting_after(app, backend):
    with app.app_context():
        s = db_session()
        before = _limit(s)
        with planned_as_written(s):
            inside = _limit(s)
            assert s.execute(text("SELECT 1")).scalar() == 1
        after = _limit(s)
        s.commit()
        later = _limit(s)  # the next transaction starts with the server's own setting
    if backend == "postgresql":
        assert (before, inside, after, later) == ("8", "1", "8", "8")
    else:
        assert (before, inside, after, later) == (None, None, None, None)


def test_an_error_inside_rolls_the_setting_back_with_the_transaction(app, backend):
    with app.app_context():
        s = db_session()
        try:
            with planned_as_written(s):
                raise ValueError("a failing query")
        except ValueError:
            s.rollback()
        assert _limit(s) in (None, "8")
