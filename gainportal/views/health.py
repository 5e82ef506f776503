"""Health endpoints for load balancers and orchestrators.

- ``/livez``: the process is up and serving. It touches nothing (no database, no session,
  no template), so a database outage does not make every app process look dead and get
  restarted in a loop. The load benchmark also uses it as its "hello" baseline.
- ``/readyz``: this process can serve real pages: the database answers and its schema is at
  the migrations' head, the keyring is loaded, and Redis answers when one is configured.
  A failure is a 503 naming the check in plain words, never an error message or a value.
- ``/healthz``: kept for existing monitors (liveness plus database).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from gainportal.db import db_session, get_db
from gainportal.security.access import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """Liveness and database reachability; says nothing about content."""
    try:
        db_session().execute(text("SELECT 1"))
    except Exception:
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/livez")
@public
def livez():
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


def _migration_heads() -> frozenset[str]:
    """Read once per process: the scripts on disk do not change while it runs."""
    heads = current_app.extensions.get("gainportal_migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        from gainportal.migrate import alembic_config

        heads = frozenset(ScriptDirectory.from_config(alembic_config(get_db().url)).get_heads())
        current_app.extensions["gainportal_migration_heads"] = heads
    return heads


def _redis_client(url: str):
    client = current_app.extensions.get("gainportal_readyz_redis")
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        current_app.extensions["gainportal_readyz_redis"] = client
    return client


def _check_database() -> str | None:
    try:
        with get_db().engine.connect() as conn:
            versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception:
        return "database unreachable"
    if versions != _migration_heads():
        return "database schema is not at the latest migration"
    return None


def _check_keyring() -> str | None:
    from gainportal.security.sealing import keyring

    try:
        keyring().primary
    except Exception:
        return "keyring not loaded"
    return None


def _check_redis() -> str | None:
    url = current_app.config["SETTINGS"].redis_url
    if not url:
        return None
    try:
        _redis_client(url).ping()
    except Exception:
        return "redis unreachable"
    return None


@bp.get("/readyz")
@public
def readyz():
    checks = {"database": _check_database(), "keyring": _check_keyring(), "redis": _check_redis()}
    failures = [reason for reason in checks.values() if reason]
    if failures:
        return jsonify(status="unavailable", reasons=failures), 503
    return jsonify(status="ok", checks={name: ("ok" if current_app.config["SETTINGS"].redis_url or name != "redis"
                                               else "not configured") for name in checks})
