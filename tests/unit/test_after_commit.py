"""gainportal.db.after_commit: work registered in a transaction runs only once it has
committed, after its connection is released, and never for what was rolled back."""
from __future__ import annotations

import logging

from sqlalchemy import select

from gainportal.db import after_commit, db_session, get_db
from gainportal.models import Agency, AgencyKind


def _agency(s, code: str) -> Agency:
    agency = Agency(name=f"Agency {code}", code=code, kind=AgencyKind.COUNCIL)
    s.add(agency)
    s.flush()
    return agency


def _codes_seen_by_another_session(app) -> set[str]:
    other = get_db().sessionmaker()
    try:
        return set(other.scalars(select(Agency.code)))
    finally:
        other.close()


def test_runs_after_the_commit_and_sees_the_committed_row(app):
    seen = []
    with app.app_context():
        s = db_session()
        _agency(s, "HOOK1")
        # Another session reads here: on SQLite this would wait for the write lock, so it
        # also shows the transaction is over and its connection released.
        after_commit(s, lambda: seen.append(_codes_seen_by_another_session(app)))
        s.flush()
        assert seen == []
        s.commit()
        assert len(seen) == 1 and "HOOK1" in seen[0]
        s.commit()  # the next transaction does not run it again
        assert len(seen) == 1


def test_a_rollback_drops_it(app):
    ran = []
    with app.app_context():
        s = db_session()
        _agency(s, "HOOK2")
        after_commit(s, lambda: ran.append("rolled back"))
        s.rollback()
        _agency(s, "HOOK3")
        s.commit()
    assert ran == []


def test_a_savepoint_rolled_back_drops_only_what_was_registered_inside_it(app):
    ran = []
    with app.app_context():
        s = db_session()
        after_commit(s, lambda: ran.append("outer"))
        try:
            with s.begin_nested():
                _agency(s, "HOOK4")
                after_commit(s, lambda: ran.append("inside the failed savepoint"))
                raise RuntimeError("undo the savepoint")
        except RuntimeError:
            pass
        with s.begin_nested():
            after_commit(s, lambda: ran.append("inside a released savepoint"))
        assert ran == []  # releasing a savepoint is not the commit
        s.commit()
    assert ran == ["outer", "inside a released savepoint"]


def test_a_failing_action_neither_undoes_the_commit_nor_stops_the_others(app, caplog):
    ran = []

    def broken():
        raise ConnectionError("queue down")

    with app.app_context():
        s = db_session()
        _agency(s, "HOOK5")
        after_commit(s, broken)
        after_commit(s, lambda: ran.append("second"))
        with caplog.at_level(logging.ERROR, logger="gainportal.db"):
            s.commit()
    assert ran == ["second"] and "an after-commit action failed" in caplog.text
    with app.app_context():
        assert "HOOK5" in _codes_seen_by_another_session(app)
