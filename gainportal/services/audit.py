"""Audit trail: append-only, hash-chained, written in the caller's transaction."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sa_event, insert, select, text
from sqlalchemy.orm import Session

from gainportal.db import savepoint_within, utcnow
from gainportal.models import AuditEvent

GENESIS = "0" * 64
# Any fixed 64-bit number: the advisory lock that serialises chain appends on PostgreSQL.
_CHAIN_LOCK_ID = 0x6A1A_0AD1


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_user_id": event.actor_user_id,
        "actor_agency_id": event.actor_agency_id,
        "action": event.action,
        "outcome": event.outcome,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip": event.ip,
        "detail": event.detail,
        "handling": event.handling,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def record(
    session: Session,
    action: str,
    *,
    outcome: str = "success",
    object_type: str | None = None,
    object_id=None,
    detail: dict | None = None,
    handling: dict | None = None,
    actor=None,
) -> AuditEvent:
    """Record one event in the caller's transaction. ``detail`` must hold facts about the
    event, never content.

    The event joins the hash chain when the transaction commits (``_append_pending``), not
    here: linking it needs the chain's lock, and a view that audits first and then spends
    time building its page would otherwise hold that lock, and so stop every other request
    from auditing, until it finished. The row is written in the same commit as the change
    it records, so the two still land together or not at all."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_user_id=getattr(actor, "id", None),
        actor_agency_id=getattr(actor, "agency_id", None),
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        ip=request.remote_addr if has_request_context() else None,
        detail=json.dumps(detail or {}, sort_keys=True, default=str),
        handling=json.dumps(handling or {}, sort_keys=True, default=str),
    )
    # Begin the transaction now if nothing has yet, so that a rollback before the commit
    # (which ends it) drops the event too. The innermost savepoint is noted so that rolling
    # it back drops the events recorded inside it, as it drops the changes they record.
    session.connection()
    session.info.setdefault(_PENDING, []).append((event, session.get_nested_transaction()))
    return event


_PENDING = "gainportal_audit_pending"


def _link(session: Session, events: list[AuditEvent]) -> None:
    """Give events their place in the chain, under the chain's lock (held to commit)."""
    if session.get_bind().dialect.name == "postgresql":
        last = _lock_and_read_tail(session)
    else:  # SQLite: the transaction's BEGIN IMMEDIATE already holds the database's write lock
        last = session.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    for event in events:
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = compute_hash(event)
    # A plain INSERT, not the ORM's unit of work (about 1.4 ms of CPU on every page for one
    # row): nothing reads these objects back, and the rows are written exactly as hashed.
    # A page records one event: a single execute, not the executemany path.
    rows = [{column: getattr(event, column) for column in _COLUMNS} for event in events]
    session.execute(_insert_events(), rows[0] if len(rows) == 1 else rows)


@lru_cache(maxsize=1)
def _insert_events():
    return insert(AuditEvent.__table__)


_COLUMNS = ("seq", "occurred_at", "actor_user_id", "actor_agency_id", "action", "outcome", "object_type",
            "object_id", "ip", "detail", "handling", "prev_hash", "hash")


def _lock_and_read_tail(session: Session):
    """Take the chain's lock and read its last row in one round trip: the lock is held from
    here to the commit, so every round trip saved shortens the queue of requests behind it.
    Both statements go in one simple-protocol query; PostgreSQL runs them in order and, at
    READ COMMITTED, takes the second one's snapshot after the lock is granted, so the row
    read is the latest committed one."""
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        cursor.execute(f"SELECT pg_advisory_xact_lock({int(_CHAIN_LOCK_ID)}); "
                       "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
        if not cursor.nextset():
            raise RuntimeError("the audit chain's tail was not returned")
        return cursor.fetchone()
    finally:
        cursor.close()


@sa_event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint being released: its events wait for the real commit
    pending = session.info.pop(_PENDING, None)
    if pending:
        _link(session, [event for event, _savepoint in pending])


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
    else:
        pending[:] = [(e, sp) for e, sp in pending if not savepoint_within(sp, previous_transaction)]


@sa_event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction) -> None:
    # A closed transaction's events go with it (a commit has taken them already).
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def pending_events(session: Session) -> list[AuditEvent]:
    """Events recorded in this transaction and not yet committed (for tests and checks)."""
    return [event for event, _savepoint in session.info.get(_PENDING, ())]


@dataclass
class ChainProblem:
    seq: int
    problem: str


def verify_chain(session: Session, batch: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain. Returns (rows checked, problems): an edited row fails its own
    hash; a deleted row shows as a gap in ``seq`` and a broken link in the next row."""
    problems: list[ChainProblem] = []
    expected_prev, expected_seq, count, after = GENESIS, 1, 0, 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            count += 1
            if event.seq != expected_seq:
                problems.append(ChainProblem(
                    expected_seq, f"rows {expected_seq} to {event.seq - 1} are missing (deleted)"))
            if event.prev_hash != expected_prev:
                problems.append(ChainProblem(event.seq, "does not link to the row before it"))
            if compute_hash(event) != event.hash:
                problems.append(ChainProblem(event.seq, "content does not match its hash (edited)"))
            expected_prev, expected_seq = event.hash, event.seq + 1
        after = rows[-1].seq
        session.expunge_all()
    return count, problems
