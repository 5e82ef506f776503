"""The audit trail: hash chain, append-only triggers, tamper detection naming the row, the
CLI, and which events are recorded (with an actor, never a secret)."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy.exc
from click.testing import CliRunner
from sqlalchemy import select, text

from tests.conftest import TEST_PASSWORD, TEST_SECRET_KEY, app_db, csrf_from, post_form, sign_in, totp_code
from gainportal.cli import main as cli
from gainportal.models import AuditEvent, Role
from gainportal.services import audit

TRIGGERS = {
    "sqlite": (
        ["DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete"],
        ["CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
         "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
         "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
         "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"],
    ),
    "postgresql": (
        ["DROP TRIGGER audit_event_no_change ON audit_event"],
        ["CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
         "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"],
    ),
}


def record_events(app, n: int) -> None:
    with app_db(app) as s:
        for i in range(n):
            audit.record(s, "test_event", object_type="thing", object_id=i, detail={"i": i})


def chain(app):
    with app_db(app) as s:
        return audit.verify_chain(s, batch=3)  # small batches: the walk crosses batch edges


def run_cli(settings, *args):
    env = {"GAINPORTAL_ENV": "test", "GAINPORTAL_DATABASE_URL": settings.database_url,
           "GAINPORTAL_SECRET_KEY": TEST_SECRET_KEY, "GAINPORTAL_INSTANCE_PATH": str(settings.instance_path)}
    return CliRunner().invoke(cli, list(args), env=env)


def test_chain_verifies_after_events(app, settings):
    record_events(app, 8)
    count, problems = chain(app)
    assert (count, problems) == (8, [])
    with app_db(app) as s:
        rows = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [r.seq for r in rows] == list(range(1, 9))
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
    result = run_cli(settings, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "Audit chain verified: 8 rows intact" in result.output


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET action = 'nothing_happened' WHERE seq = 2",
    "DELETE FROM audit_event WHERE seq = 2",
])
def test_database_refuses_update_and_delete(app, statement):
    record_events(app, 3)
    with app.app_context():
        engine = app.extensions["gainportal_db"].engine
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement))
    assert chain(app) == (3, [])


@pytest.fixture
def triggers_dropped(app, backend):
    """Simulate a DBA working behind the application's back; put the triggers back after
    (the PostgreSQL database is shared by the whole run)."""
    drop, create = TRIGGERS[backend]
    engine = app.extensions["gainportal_db"].engine
    with engine.begin() as conn:
        for statement in drop:
            conn.execute(text(statement))
    yield engine
    with engine.begin() as conn:
        for statement in create:
            conn.execute(text(statement))


def test_edited_and_deleted_rows_are_detected_and_named(app, settings, triggers_dropped):
    record_events(app, 8)
    with triggers_dropped.begin() as conn:
        conn.execute(text("UPDATE audit_event SET detail = '{\"i\": 999}' WHERE seq = 3"))
        conn.execute(text("DELETE FROM audit_event WHERE seq = 6"))
    count, problems = chain(app)
    assert count == 7
    found = {(p.seq, p.problem) for p in problems}
    assert (3, "content does not match its hash (edited)") in found
    assert (6, "rows 6 to 6 are missing (deleted)") in found
    assert (7, "does not link to the row before it") in found
    assert {p.seq for p in problems} == {3, 6, 7}

    result = run_cli(settings, "audit", "verify")
    assert result.exit_code == 1
    assert "audit row 3: content does not match its hash (edited)" in result.output
    assert "audit row 6: rows 6 to 6 are missing (deleted)" in result.output
    assert "Audit chain BROKEN" in result.output


def test_edit_with_recomputed_hash_is_caught_by_the_next_link(app, triggers_dropped):
    """Recomputing one row's hash after editing it breaks the link from the next row."""
    record_events(app, 4)
    with app_db(app) as s:
        row = s.scalar(select(AuditEvent).where(AuditEvent.seq == 2))
        row.detail = json.dumps({"i": 42})
        new_hash = audit.compute_hash(row)
        s.rollback()
    with triggers_dropped.begin() as conn:
        conn.execute(text("UPDATE audit_event SET detail = :d, hash = :h WHERE seq = 2"),
                     {"d": json.dumps({"i": 42}), "h": new_hash})
    _, problems = chain(app)
    assert [(p.seq, p.problem) for p in problems] == [(3, "does not link to the row before it")]


# --- what is recorded ---------------------------------------------------------------------
def all_events(app) -> list[AuditEvent]:
    with app_db(app) as s:
        return s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()


def test_events_are_recorded_with_actor_and_without_secrets(app, make):
    admin = make.user(role=Role.ADMIN)
    user = make.user(mfa=False)
    secrets_seen = [TEST_PASSWORD, "wrong-password-typed", admin.totp_secret]

    # Failed login (known account) and failed login (unknown account).
    client = app.test_client()
    post_form(client, "/sign-in", {"email": user.email, "password": "wrong-password-typed"})
    post_form(client, "/sign-in", {"email": "stranger@example.test", "password": "wrong-password-typed"})
    # First sign in with MFA enrolment, a failed code, then the right one.
    post_form(client, "/sign-in", {"email": user.email, "password": TEST_PASSWORD})
    page = client.get("/sign-in/set-up-authenticator").get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([^<]+)<', page).group(1).replace(" ", "").strip()
    secrets_seen.append(secret)
    client.post("/sign-in/set-up-authenticator", data={"code": "000000", "csrf_token": csrf_from(page)})
    import pyotp
    code = pyotp.TOTP(secret).now()
    secrets_seen.append(code)
    client.post("/sign-in/set-up-authenticator", data={"code": code, "csrf_token": csrf_from(page)})
    codes_page = client.get("/sign-in/recovery-codes").get_data(as_text=True)
    secrets_seen += re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", codes_page)
    # A page view.
    assert client.get("/account").status_code == 200
    # An admin change.
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    secrets_seen.append(totp_code(admin))
    post_form(admin_client, f"/admin/users/{user.id}/deactivate", {}, form_page=f"/admin/users/{user.id}")

    events = all_events(app)
    by_action: dict[str, list[AuditEvent]] = {}
    for e in events:
        by_action.setdefault(e.action, []).append(e)
    for action in ("sign_in_failed", "password_accepted", "mfa_enrolment_failed", "mfa_enrolled", "sign_in",
                   "page_view", "user_deactivated"):
        assert action in by_action, (action, sorted(by_action))
    failed_known = [e for e in by_action["sign_in_failed"] if e.object_id == str(user.id)]
    assert failed_known and failed_known[0].actor_user_id == user.id and failed_known[0].outcome == "failure"
    unknown = [e for e in by_action["sign_in_failed"] if e.object_id is None]
    assert unknown and unknown[0].actor_user_id is None and "stranger" not in unknown[0].detail
    assert by_action["mfa_enrolled"][0].actor_user_id == user.id
    views = [e for e in by_action["page_view"] if e.object_id == "auth.account"]
    assert views and views[0].actor_user_id == user.id and views[0].actor_agency_id is not None
    deactivation = by_action["user_deactivated"][0]
    assert deactivation.actor_user_id == admin.id and deactivation.object_id == str(user.id)
    assert all(e.ip == "127.0.0.1" for e in events if e.action != "user_created")

    dump = "\n".join(f"{e.action}|{e.object_id}|{e.detail}|{e.handling}" for e in events)
    for secret in secrets_seen:
        assert secret and secret not in dump, secret
    assert chain(app)[1] == []
