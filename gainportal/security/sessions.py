"""Server-side sign-in sessions behind Flask-Login.

The signed cookie holds only a random session id. The ``user_session`` row decides whether
it is still good (idle and absolute timeouts, revocation), so the rules hold across every
app process and "sign out everywhere" takes effect on the very next request.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

from flask import current_app, g, request, session
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy import bindparam, select, update

from gainportal.db import db_session, utcnow
from gainportal.models import User, UserSession
from gainportal.services import audit

# Touching last_seen on every request would make every page a write; a minute is well
# inside any idle timeout.
_TOUCH_INTERVAL = timedelta(seconds=60)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start_session(user: User) -> UserSession:
    """Rotate: whatever the browser held before (including pre-MFA state) is discarded,
    except where the person was going when they were asked to sign in."""
    next_url = session.get("next_url")
    session.clear()
    if next_url:
        session["next_url"] = next_url
    sid = secrets.token_urlsafe(32)
    record = UserSession(
        sid_hash=_hash(sid),
        user_id=user.id,
        ip=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:300],
    )
    db_session().add(record)
    db_session().flush()
    session["sid"] = sid
    session.permanent = True
    login_user(user)
    return record


@lru_cache(maxsize=1)
def _session_by_hash():
    # Built once: every signed-in request runs it, and building the select (with its
    # eager-loaded user and agency) and its cache key each time cost ~0.2 ms.
    return select(UserSession).where(UserSession.sid_hash == bindparam("sid_hash"))


def current_session_record() -> UserSession | None:
    sid = session.get("sid")
    if not sid:
        return None
    return db_session().scalar(_session_by_hash(), {"sid_hash": _hash(sid)})


def end_session(reason: str = "signed_out") -> None:
    record = current_session_record()
    if record is not None and record.revoked_at is None:
        record.revoked_at, record.revoked_reason = utcnow(), reason
    logout_user()
    session.clear()


def end_all_sessions(user_id: int, reason: str = "signed_out_everywhere") -> int:
    result = db_session().execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return result.rowcount


def _load_user(user_id: str) -> User | None:
    record = current_session_record()
    if record is None or str(record.user_id) != user_id or record.revoked_at is not None:
        return None
    settings = current_app.config["SETTINGS"]
    now = utcnow()
    ended = None
    if now - record.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        ended = "idle_timeout"
    elif now - record.created_at > timedelta(hours=settings.session_absolute_hours):
        ended = "absolute_timeout"
    elif not record.user.active:
        ended = "deactivated"
    if ended:
        record.revoked_at, record.revoked_reason = now, ended
        # actor is given: asking current_user here would re-enter this loader.
        audit.record(db_session(), "session_ended", outcome="denied", object_type="user",
                     object_id=record.user_id, actor=record.user, detail={"reason": ended})
        g.session_ended_reason = ended
        session.pop("sid", None)
        return None
    if now - record.last_seen_at > _TOUCH_INTERVAL:
        record.last_seen_at = now
    g.user_session = record
    return record.user


def init_login(app) -> None:
    manager = LoginManager()
    manager.session_protection = None  # our session table does this job, across processes
    manager.user_loader(_load_user)
    manager.init_app(app)
