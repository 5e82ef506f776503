"""Engine, session and declarative base.

Services add and flush; the request commits once (in ``after_request``), so a change and
the audit row that records it land in the same transaction or not at all.
"""
from __future__ import annotations

import logging
import os
import select
import weakref
from datetime import datetime, timezone
from contextlib import contextmanager
from typing import Callable, Iterator

from flask import Flask, g, has_app_context, current_app
from sqlalchemy import MetaData, create_engine, event, DateTime, TypeDecorator, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(url: str, settings=None) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               hide_parameters=True)
        _configure_sqlite(engine)
        return _track(engine)
    options = {"pool_size": 10, "max_overflow": 10, "pool_timeout": 30, "pool_recycle": 1800}
    # No JIT: the portal's statements are short, and PostgreSQL compiles any whose estimated
    # cost passes jit_above_cost (a count over a national table can), spending tens of ms
    # compiling to save a few.
    server_options = ["-c jit=off"]
    if settings is not None:
        options = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow,
                   "pool_timeout": settings.db_pool_timeout_seconds,
                   "pool_recycle": settings.db_pool_recycle_seconds}
        if settings.db_statement_timeout_ms > 0:
            server_options.append(f"-c statement_timeout={int(settings.db_statement_timeout_ms)}")
    connect_args = {"connect_timeout": 5, "application_name": "gainportal", "options": " ".join(server_options)}
    # hide_parameters: bound values (answers, names typed at sign-in) never reach SQL logs.
    engine = create_engine(url, hide_parameters=True, connect_args=connect_args, **options)
    event.listen(engine, "checkout", _replace_if_hung_up)
    return _track(engine)


def _replace_if_hung_up(dbapi_connection, _record, _proxy) -> None:
    """A pooled connection that PostgreSQL has dropped (restart, failover, idle kill) is
    replaced as it is checked out, so the app recovers without being restarted.

    In place of SQLAlchemy's pool_pre_ping, whose SELECT 1 is a round trip on every checkout
    (about 5% of a page's time, py-spy): a server ending a connection sends its goodbye
    and closes the socket, and an idle connection is otherwise never sent anything (the
    portal uses no LISTEN), so a socket with something to read at checkout, or none at all,
    is one to discard. The pool then connects afresh (DisconnectionError)."""
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("connection closed")
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
        events = poller.poll(0)
    except (OSError, ValueError) as exc:  # no socket left
        raise DisconnectionError("connection has no socket") from exc
    if events:
        raise DisconnectionError("the server has closed the connection")


# Engines made before a fork (gunicorn --preload, multiprocessing) must not share pooled
# sockets with the parent: the child drops its inherited connections without closing them.
_engines: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def _track(engine: Engine) -> Engine:
    _engines.add(engine)
    return engine


def _dispose_after_fork() -> None:
    for engine in list(_engines):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_dispose_after_fork)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite's own transaction handling is switched off so that BEGIN IMMEDIATE below
        # takes the write lock up front: the audit hash chain must never fork.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    def __init__(self, url: str, settings=None):
        self.url = url
        self.engine = make_engine(url, settings)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    def init_app(self, app: Flask) -> None:
        app.extensions["gainportal_db"] = self

        @app.after_request
        def _commit(response):
            session = g.pop("db_session", None)
            if session is not None:
                try:
                    session.commit()
                finally:
                    session.close()
            return response

        @app.teardown_request
        def _rollback(_exc):
            session = g.pop("db_session", None)
            if session is not None:
                session.rollback()
                session.close()

        @app.teardown_appcontext
        def _close(_exc):
            session = g.pop("db_session", None)
            if session is not None:
                session.rollback()
                session.close()


def get_db() -> Database:
    return current_app.extensions["gainportal_db"]


def db_session() -> Session:
    """The session of the current request or app context, made on first use."""
    if not has_app_context():
        raise RuntimeError("db_session() needs an application context")
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session


@contextmanager
def planned_as_written(session: Session) -> Iterator[None]:
    """PostgreSQL plans the statements run inside in the join order they are written in.
    For a select of many tables whose order is plainly right (driven by an indexed filter on
    the first), the planner's search of every order costs more than the execution: the
    operation page's confirmed links took 3-4 ms to plan and 1 ms to run. Only for the
    statements inside: the setting goes back to the server's afterwards (an error rolls the
    transaction back, and the setting with it)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    session.execute(text("SET LOCAL join_collapse_limit = 1"))
    yield
    session.execute(text("SET LOCAL join_collapse_limit TO DEFAULT"))


# --- after-commit hooks -------------------------------------------------------------------------
# Work that must only ever see committed data (enqueuing a background job about a row this
# transaction wrote) is registered here and run once the transaction has committed and
# released its connection. A rollback drops it, as does rolling back the savepoint it was
# registered in, as it drops the rows the work was about.
_AFTER_COMMIT = "gainportal_after_commit"
_COMMITTED = "gainportal_after_commit_ready"
_hook_log = logging.getLogger("gainportal.db")


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` after the session's current transaction commits (never if it rolls
    back). An action that raises is logged and does not undo or fail the commit."""
    session.info.setdefault(_AFTER_COMMIT, []).append((action, session.get_nested_transaction()))


def savepoint_within(savepoint, transaction) -> bool:
    """Whether ``savepoint`` (a session's nested transaction, or None for the outer one) is
    ``transaction`` or inside it: what rolling ``transaction`` back takes with it."""
    while savepoint is not None:
        if savepoint is transaction:
            return True
        savepoint = savepoint.parent
    return False


@event.listens_for(Session, "after_commit")
def _commit_ready(session: Session) -> None:
    # Also fired when a savepoint is released: its actions wait for the real commit.
    if session.get_nested_transaction() is None and _AFTER_COMMIT in session.info:
        session.info.setdefault(_COMMITTED, []).extend(session.info.pop(_AFTER_COMMIT))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back_hooks(session: Session, previous_transaction) -> None:
    pending = session.info.get(_AFTER_COMMIT)
    if pending and previous_transaction.parent is not None:
        pending[:] = [(a, sp) for a, sp in pending if not savepoint_within(sp, previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _run_after_commit(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    # Here the transaction is over and its connection back in the pool, so an action may
    # open a session of its own (on SQLite it would otherwise wait for this one's lock).
    session.info.pop(_AFTER_COMMIT, None)  # never committed: rolled back or closed
    for action, _savepoint in session.info.pop(_COMMITTED, ()):
        try:
            action()
        except Exception:  # noqa: BLE001 - the commit stands; the action's owner has a fallback
            _hook_log.exception("an after-commit action failed")
