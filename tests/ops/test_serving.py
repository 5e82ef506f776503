"""Health endpoints and structured logs, in process: /livez needs nothing, /readyz names the
failing check without leaking anything, and a value typed into a form (a partner's answer, a
password) never reaches the log lines, not even through an exception's message."""
from __future__ import annotations

import io
import json
import logging
import re
import time
import uuid

import pytest
from sqlalchemy import text

from gainportal import create_app
from gainportal.db import db_session
from gainportal.logging_setup import JsonFormatter, configure_logging
from gainportal.security.access import public
from gainportal.settings import load_settings
from tests.conftest import TEST_SECRET_KEY, csrf_from, sign_in
from tests.cycle_factories import Cycle
from tests.security.test_canaries import assert_absent

UNREACHABLE_PG = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def _app_with(tmp_path, **overrides):
    settings = load_settings("test", instance_path=tmp_path / "instance", secret_key=TEST_SECRET_KEY, **overrides)
    return create_app(settings)


def test_livez_answers_without_a_database_and_readyz_says_why_not(tmp_path):
    app = _app_with(tmp_path, database_url=UNREACHABLE_PG)
    client = app.test_client()
    live = client.get("/livez")
    assert live.status_code == 200 and live.get_data(as_text=True) == "ok\n"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json() == {"status": "unavailable", "reasons": ["database unreachable"]}
    # Nothing of the driver's error (host, port, database name) is in the answer.
    assert "nowhere" not in ready.get_data(as_text=True) and "5432" not in ready.get_data(as_text=True)


def test_readyz_ok_when_database_at_head_and_keyring_loaded(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "keyring": "ok",
                                                              "redis": "not configured"}}


def test_readyz_refuses_a_database_behind_the_migrations(app):
    with app.app_context():
        s = db_session()
        head = s.scalar(text("SELECT version_num FROM alembic_version"))
        s.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        s.commit()
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["reasons"] == ["database schema is not at the latest migration"]
    finally:
        # The PostgreSQL test database is shared by the run (emptied, not re-made, per test).
        with app.app_context():
            s = db_session()
            s.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
            s.commit()


def test_readyz_without_a_keyring(app):
    app.extensions["gainportal_keyring"] = None
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["reasons"] == ["keyring not loaded"]


def test_readyz_names_an_unreachable_redis(database_url, tmp_path):
    app = _app_with(tmp_path, database_url=database_url, redis_url="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["reasons"] == ["redis unreachable"]
    app.extensions["gainportal_db"].engine.dispose()


def test_readyz_with_a_reachable_redis(database_url, tmp_path):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    app = _app_with(tmp_path, database_url=database_url, redis_url="redis://127.0.0.1:6379/15")
    response = app.test_client().get("/readyz")
    assert response.status_code == 200 and response.get_json()["checks"]["redis"] == "ok"
    app.extensions["gainportal_db"].engine.dispose()


@pytest.fixture
def json_log(app):
    """The app's real log handler, writing JSON lines into a buffer."""
    buffer = io.StringIO()
    handler = configure_logging(app.config["SETTINGS"], stream=buffer)
    yield buffer
    logging.getLogger().removeHandler(handler)


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_request_lines_carry_route_rule_status_user_id_and_no_content(app, make, json_log):
    canary = f"CANARY-{uuid.uuid4().hex}"
    cycle = Cycle(app, make)
    request_id = cycle.draft(issue=True)
    spoc = cycle.spoc
    client = app.test_client()
    # Typed at sign-in (as email and password) and as a query string.
    page = client.get("/sign-in")
    client.post("/sign-in", data={"email": f"{canary.lower()}@example.test", "password": canary,
                                  "csrf_token": csrf_from(page.get_data(as_text=True))})
    sign_in(client, spoc)
    html = client.get(f"/partner/requests/{request_id}?ref={canary}").get_data(as_text=True)
    question_ids = sorted(set(re.findall(r'name="outcome-(\d+)"', html)))
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    form = {"csrf_token": csrf_from(html), "idempotency_key": key, "action": "save"}
    for qid in question_ids:
        form |= {f"outcome-{qid}": "answered", f"answer-{qid}": f"Seen at the flats {canary}"}
    saved = client.post(f"/partner/requests/{request_id}/answers", data=form)
    assert saved.status_code == 302
    # The draft really holds the canary, so its absence from the logs means something.
    assert canary in client.get(f"/partner/requests/{request_id}").get_data(as_text=True)

    raw = json_log.getvalue()
    assert_absent(canary, "JSON logs", raw.encode())
    assert spoc.email not in raw
    lines = [line for line in _lines(json_log) if line["logger"] == "gainportal.request"]
    post = [line for line in lines if line["method"] == "POST" and line["endpoint"] == "partner.answers"]
    assert len(post) == 1
    assert post[0]["route"] == "/partner/requests/<int:request_id>/answers"
    assert post[0]["status"] == 302 and post[0]["user_id"] == spoc.id
    assert post[0]["duration_ms"] >= 0 and re.fullmatch(r"[0-9a-f]{32}", post[0]["request_id"])
    # The signed-out sign-in attempt names no user; no line anywhere holds a URL with ids.
    assert all("user_id" not in line for line in lines if line["endpoint"] == "auth.sign_in")
    assert not any(f"/partner/requests/{request_id}" in json.dumps(line) for line in lines)


def test_an_exception_is_logged_by_type_and_frames_not_by_its_message(app, json_log):
    canary = f"CANARY-{uuid.uuid4().hex}"

    @app.get("/boom-for-test")
    def boom():
        raise ValueError(f"duplicate key value (answer)=({canary})")

    public(boom)
    response = app.test_client().get("/boom-for-test", headers={"X-Request-ID": "proxy-id-12345678"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "proxy-id-12345678"
    assert_absent(canary, "JSON logs", json_log.getvalue().encode())
    errors = [line for line in _lines(json_log) if line.get("error")]
    assert errors and errors[0]["error"] == "ValueError" and errors[0]["request_id"] == "proxy-id-12345678"
    assert any("boom" in frame for frame in errors[0]["stack"])
    request_line = [line for line in _lines(json_log) if line["logger"] == "gainportal.request"][-1]
    assert request_line["status"] == 500 and request_line["level"] == "ERROR"


def test_an_odd_request_id_from_outside_is_replaced(app):
    response = app.test_client().get("/livez", headers={"X-Request-ID": "not a good id\u00e9"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_formatter_keeps_only_the_allowed_fields():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    record.request_id = "abc"
    record.answer = "never printed"  # not an allowed field: dropped
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello there" and line["request_id"] == "abc" and "answer" not in line


def test_proxy_fix_trusts_only_the_configured_hops(database_url, tmp_path):
    seen = {}
    for hops in (0, 1):
        app = _app_with(tmp_path / str(hops), database_url=database_url, proxy_fix_hops=hops)

        @app.get("/whoami-for-test")
        def whoami():
            from flask import request
            seen[hops] = request.remote_addr
            return "ok"

        public(whoami)
        app.test_client().get("/whoami-for-test", headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"},
                              environ_base={"REMOTE_ADDR": "10.0.0.2"})
        app.extensions["gainportal_db"].engine.dispose()
    # No proxy trusted: the socket's address. One proxy: the address that proxy saw.
    assert seen == {0: "10.0.0.2", 1: "198.51.100.7"}


def test_pooled_connections_killed_by_a_database_restart_are_replaced(app, backend):
    """What a PostgreSQL restart does to a running app's pool: every pooled connection is
    closed under it. The pool notices on checkout (the socket has the server's goodbye to
    read, or is gone), so the next request is served without restarting the app."""
    if backend != "postgresql":
        pytest.skip("SQLite has no server to restart")
    import psycopg

    from tests.conftest import PG_ADMIN_DSN

    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    engine = app.extensions["gainportal_db"].engine
    assert engine.pool.checkedin() >= 1  # a connection is waiting in the pool
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        pids = [pid for (pid,) in admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (engine.url.database,))]
        killed = sum(admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0] for pid in pids)
        # pg_terminate_backend only signals: the restart is over once the backends have gone.
        deadline = time.monotonic() + 10
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the terminated backends did not exit"
            time.sleep(0.01)
    assert killed >= 1
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
