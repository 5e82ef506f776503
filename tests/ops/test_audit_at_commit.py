"""Audit events join the hash chain when their transaction commits: a request that audits
early and then spends time on its page no longer holds the chain's lock (which serialised
every other request behind it under load), yet an event still lands with its change or not
at all, and the chain verifies."""
from __future__ import annotations

from sqlalchemy import func, select, text

from gainportal.db import db_session
from gainportal.models import AuditEvent
from gainportal.services import audit


def _actions(s) -> list[str]:
    return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_events_are_linked_at_commit_and_dropped_on_rollback(app):
    with app.app_context():
        s = db_session()
        audit.record(s, "kept_first", object_type="thing", object_id=1)
        audit.record(s, "kept_second", object_type="thing", object_id=2)
        assert [e.action for e in audit.pending_events(s)] == ["kept_first", "kept_second"]
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0
        s.commit()
        assert audit.pending_events(s) == []
        audit.record(s, "rolled_back", object_type="thing", object_id=3)
        s.rollback()
        assert audit.pending_events(s) == []
        s.commit()
        assert _actions(s) == ["kept_first", "kept_second"]
        count, problems = audit.verify_chain(s)
        assert (count, problems) == (2, [])


def test_an_event_inside_a_savepoint_goes_with_the_savepoint(app):
    """Savepoint events wait for the commit too; rolling a savepoint back (or an enclosing
    one) drops exactly the events recorded inside it."""
    with app.app_context():
        s = db_session()
        audit.record(s, "before", object_type="thing")
        try:
            with s.begin_nested():
                audit.record(s, "inside_undone", object_type="thing")
                raise RuntimeError("undo the savepoint")
        except RuntimeError:
            pass
        with s.begin_nested():
            audit.record(s, "inside_kept", object_type="thing")
        try:
            with s.begin_nested():
                with s.begin_nested():
                    audit.record(s, "released_then_undone", object_type="thing")
                raise RuntimeError("undo the enclosing savepoint")
        except RuntimeError:
            pass
        audit.record(s, "after", object_type="thing")
        s.commit()
        assert _actions(s) == ["before", "inside_kept", "after"]
        assert audit.verify_chain(s) == (3, [])


def test_an_uncommitted_audited_request_does_not_block_another(app, backend):
    """Two transactions as two app processes would run them. Before events were linked at
    commit, the first one's early record() took the chain lock until it committed, and the
    second waited (here: failed at once on lock_timeout)."""
    if backend != "postgresql":
        import pytest
        pytest.skip("SQLite serialises writing transactions as a whole (BEGIN IMMEDIATE)")
    engine = app.extensions["gainportal_db"].engine
    from sqlalchemy.orm import Session

    with Session(engine) as slow, Session(engine) as fast:
        slow.execute(text("SELECT 1"))
        audit.record(slow, "slow_page_viewed", object_type="page")
        with slow.begin_nested():  # a state change in a savepoint, as a submission makes
            audit.record(slow, "slow_state_changed", object_type="request")
        slow.execute(text("SELECT count(*) FROM audit_event"))  # the rest of its work
        fast.execute(text("SET lock_timeout = '2s'"))
        audit.record(fast, "fast_page_viewed", object_type="page")
        fast.commit()  # would raise "canceling statement due to lock timeout" if blocked
        slow.commit()
        assert _actions(fast) == ["fast_page_viewed", "slow_page_viewed", "slow_state_changed"]
        assert audit.verify_chain(fast) == (3, [])


def test_concurrent_commits_keep_one_unbroken_chain(app, backend):
    """Eight threads, each its own connection (as app processes are), committing audited
    transactions at once: every event is in the chain exactly once and the chain verifies."""
    import threading

    from sqlalchemy.orm import Session

    engine = app.extensions["gainportal_db"].engine
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                with Session(engine) as s:
                    s.execute(text("SELECT 1"))
                    audit.record(s, "concurrent", object_type="thing", object_id=f"{n}-{i}")
                    if i % 3 == 0:
                        with s.begin_nested():
                            audit.record(s, "concurrent_nested", object_type="thing", object_id=f"{n}-{i}")
                    s.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with app.app_context():
        s = db_session()
        ids = list(s.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "concurrent")))
        assert sorted(ids) == sorted(f"{n}-{i}" for n in range(8) for i in range(10))
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "concurrent_nested")) == 8 * 4
        assert audit.verify_chain(s) == (80 + 32, [])
