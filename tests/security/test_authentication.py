"""Sign-in with password and TOTP, lockout, replay, recovery codes, enrolment, session
rotation, idle and absolute timeouts, sign out (here and everywhere), deactivation."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape

import pyotp
from sqlalchemy import select, update

from tests.conftest import TEST_PASSWORD, app_db, csrf_from, full_sign_in, post_form, sign_in, totp_code
from gainportal.db import utcnow
from gainportal.models import AuditEvent, Role, User, UserSession

BAD = "Enter a correct email address and password"
LOCKED = "Your account is locked because of too many failed attempts"
COOKIE = "gainportal"


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def session_of(client) -> dict:
    with client.session_transaction() as sess:
        return dict(sess)


def is_signed_in(client) -> bool:
    response = client.get("/account")
    return response.status_code == 200


def audit_actions(app, user_id=None) -> list[tuple[str, str, dict]]:
    with app_db(app) as s:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if user_id is not None:
            query = query.where(AuditEvent.object_id == str(user_id))
        return [(e.action, e.outcome, json.loads(e.detail)) for e in s.scalars(query)]


def get_user(app, user_id) -> User:
    with app_db(app) as s:
        return s.get(User, user_id)


def password_step(client, user, password=TEST_PASSWORD):
    return post_form(client, "/sign-in", {"email": user.email, "password": password})


def code_step(client, code):
    return post_form(client, "/sign-in/security-code", {"code": code})


# --- sign in ------------------------------------------------------------------------------
def test_full_sign_in_reaches_dashboard_with_agency_and_role(app, make):
    agency = make.agency()
    user = make.user(role=Role.ANALYST, agency=agency)
    client = app.test_client()
    response = password_step(client, user)
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in/security-code")
    response = code_step(client, totp_code(user))
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    page = text(client.get("/"))
    assert "Intelligence analyst" in page and agency.name in page and "OFFICIAL-SENSITIVE" in page
    actions = [a for a, _, _ in audit_actions(app, user.id)]
    assert actions.index("password_accepted") < actions.index("sign_in")


def test_wrong_password_gives_generic_message_and_no_session(app, make):
    user = make.user()
    client = app.test_client()
    response = password_step(client, user, "not-the-password-at-all")
    assert response.status_code == 200
    assert BAD in text(response)
    assert "mfa_user_id" not in session_of(client)
    assert client.get("/sign-in/security-code").headers["Location"].endswith("/sign-in")
    assert not is_signed_in(client)


def test_unknown_email_gets_the_same_message(app, make):
    make.user()
    client = app.test_client()
    response = post_form(client, "/sign-in", {"email": "nobody@example.test", "password": TEST_PASSWORD})
    assert response.status_code == 200 and BAD in text(response)
    assert "mfa_user_id" not in session_of(client)
    assert ("sign_in_failed", "failure", {"reason": "unknown_account"}) in audit_actions(app)


def test_lockout_after_password_failures_then_admin_unlock(app, make, admin_client):
    threshold = app.config["SETTINGS"].lockout_threshold
    user = make.user()
    client = app.test_client()
    for attempt in range(1, threshold + 1):
        response = password_step(client, user, "wrong-password-guess")
        expected = LOCKED if attempt == threshold else BAD
        assert expected in text(response), attempt
    # The right password is refused while locked, with a clear message.
    response = password_step(client, user)
    assert response.status_code == 200
    page = text(response)
    assert LOCKED in page and "contact your administrator" in page
    assert "Error: " in page.split("</title>")[0]
    assert "mfa_user_id" not in session_of(client)
    actions = audit_actions(app, user.id)
    assert ("account_locked", "failure", {"minutes": app.config["SETTINGS"].lockout_minutes}) in actions
    assert ("sign_in_refused", "denied", {"reason": "locked"}) in actions

    admin, _ = admin_client
    detail = text(admin.get(f"/admin/users/{user.id}"))
    assert "(locked)" in detail
    response = post_form(admin, f"/admin/users/{user.id}/unlock", {}, form_page=f"/admin/users/{user.id}")
    assert response.status_code == 302
    assert get_user(app, user.id).locked_until is None
    full_sign_in(client, user)
    assert is_signed_in(client)


def test_lockout_after_security_code_failures(app, make):
    threshold = app.config["SETTINGS"].lockout_threshold
    user = make.user()
    client = app.test_client()
    password_step(client, user)
    for attempt in range(1, threshold + 1):
        response = code_step(client, "000000" if totp_code(user) != "000000" else "111111")
        assert response.status_code == 200
        expected = LOCKED if attempt == threshold else "The code is not correct"
        assert expected in text(response), attempt
    # Even the right code is now refused.
    response = code_step(client, totp_code(user))
    assert response.status_code == 200 and LOCKED in text(response)
    assert not is_signed_in(client)
    # And so is the right password.
    other = app.test_client()
    assert LOCKED in text(password_step(other, user))
    assert sum(1 for a, _, _ in audit_actions(app, user.id) if a == "mfa_failed") == threshold


def test_totp_code_cannot_be_replayed(app, make):
    user = make.user()
    code = totp_code(user)
    first = app.test_client()
    password_step(first, user)
    assert code_step(first, code).status_code == 302
    second = app.test_client()
    password_step(second, user)
    response = code_step(second, code)
    assert response.status_code == 200 and "The code is not correct" in text(response)
    assert not is_signed_in(second)


def enrol(app, client, user) -> tuple[str, list[str]]:
    """Drive first sign-in for a user without an authenticator; return (secret, codes)."""
    response = password_step(client, user)
    assert response.headers["Location"].endswith("/sign-in/set-up-authenticator")
    page = text(client.get("/sign-in/set-up-authenticator"))
    assert "<svg" in page and "QR code" in page
    secret = re.search(r'data-testid="totp-secret">([^<]+)<', page).group(1).replace(" ", "").strip()
    response = client.post("/sign-in/set-up-authenticator",
                           data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in/recovery-codes")
    page = text(client.get("/sign-in/recovery-codes"))
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", page)
    assert len(codes) == app.config["SETTINGS"].recovery_code_count
    response = post_form(client, "/sign-in/recovery-codes", {})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    return secret, codes


def test_first_sign_in_enrols_authenticator_and_shows_recovery_codes(app, make):
    user = make.user(mfa=False)
    client = app.test_client()
    # Before enrolment the security-code page sends the user to set-up.
    password_step(client, user)
    assert client.get("/sign-in/security-code").headers["Location"].endswith("/sign-in/set-up-authenticator")
    client = app.test_client()
    secret, codes = enrol(app, client, user)
    assert is_signed_in(client)
    # Recovery codes are shown once only.
    assert client.get("/sign-in/recovery-codes").status_code == 302
    stored = get_user(app, user.id)
    assert stored.mfa_enrolled and secret.encode() not in (stored.totp_secret_sealed or b"")
    assert "mfa_enrolled" in [a for a, _, _ in audit_actions(app, user.id)]


def test_enrolment_with_wrong_code_is_refused(app, make):
    user = make.user(mfa=False)
    client = app.test_client()
    password_step(client, user)
    response = post_form(client, "/sign-in/set-up-authenticator", {"code": "12345"})
    assert response.status_code == 200
    assert "Enter the 6-digit code shown in your authenticator app" in text(response)
    assert not is_signed_in(client)
    assert not get_user(app, user.id).mfa_enrolled


def test_recovery_code_works_once_only(app, make):
    user = make.user(mfa=False)
    secret, codes = enrol(app, app.test_client(), user)
    client = app.test_client()
    password_step(client, user)
    response = code_step(client, codes[0].upper().replace("-", " "))  # typed loosely
    assert response.status_code == 302
    assert f"You have {len(codes) - 1} left" in text(client.get(response.headers["Location"]))
    assert is_signed_in(client)
    again = app.test_client()
    password_step(again, user)
    response = code_step(again, codes[0])
    assert response.status_code == 200 and "The code is not correct" in text(response)
    assert not is_signed_in(again)


# --- sessions -----------------------------------------------------------------------------
def test_session_is_rotated_on_sign_in_and_old_cookies_do_not_authenticate(app, make):
    user = make.user()
    client = app.test_client()
    client.get("/sign-in")
    before = client.get_cookie(COOKIE).value
    password_step(client, user)
    pre_mfa = client.get_cookie(COOKIE).value
    code_step(client, totp_code(user))
    first_cookie = client.get_cookie(COOKIE).value
    first_sid = session_of(client)["sid"]
    assert len({before, pre_mfa, first_cookie}) == 3
    assert "mfa_user_id" not in session_of(client)  # pre-MFA state discarded
    # A cookie from before the second factor does not authenticate.
    stale = app.test_client()
    stale.set_cookie(COOKIE, pre_mfa, domain="localhost")
    assert not is_signed_in(stale)

    post_form(client, "/sign-out", {}, form_page="/account")
    assert not is_signed_in(client)
    full_sign_in(client, user, step_offset=1)
    assert session_of(client)["sid"] != first_sid
    # The cookie of the signed-out session no longer works anywhere.
    replay = app.test_client()
    replay.set_cookie(COOKIE, first_cookie, domain="localhost")
    assert not is_signed_in(replay)
    assert is_signed_in(client)


def age_session(app, user_id, **deltas):
    with app_db(app) as s:
        values = {column: utcnow() - delta for column, delta in deltas.items()}
        s.execute(update(UserSession).where(UserSession.user_id == user_id,
                                            UserSession.revoked_at.is_(None)).values(**values))


def test_idle_timeout_signs_out_with_message_and_audit(app, signed_in_client):
    client, user = signed_in_client(Role.LRO)
    assert client.get("/").status_code == 200
    idle = app.config["SETTINGS"].session_idle_minutes
    age_session(app, user.id, last_seen_at=timedelta(minutes=idle + 1))
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    page = text(client.get("/sign-in"))
    assert f"You were signed out because you were inactive for {idle} minutes" in page
    assert not is_signed_in(client)
    with app_db(app) as s:
        record = s.scalar(select(UserSession).where(UserSession.user_id == user.id))
        assert record.revoked_reason == "idle_timeout"
    assert ("session_ended", "denied", {"reason": "idle_timeout"}) in audit_actions(app, user.id)


def test_activity_within_idle_limit_keeps_session(app, signed_in_client):
    client, user = signed_in_client(Role.LRO)
    idle = app.config["SETTINGS"].session_idle_minutes
    age_session(app, user.id, last_seen_at=timedelta(minutes=idle - 2))
    assert client.get("/").status_code == 200
    with app_db(app) as s:
        record = s.scalar(select(UserSession).where(UserSession.user_id == user.id))
        assert utcnow() - record.last_seen_at < timedelta(minutes=1)  # touched


def test_absolute_timeout(app, signed_in_client):
    client, user = signed_in_client(Role.LRO)
    hours = app.config["SETTINGS"].session_absolute_hours
    age_session(app, user.id, created_at=timedelta(hours=hours, minutes=1))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    assert "Your session has ended. Sign in again." in text(client.get("/sign-in"))
    assert not is_signed_in(client)
    assert ("session_ended", "denied", {"reason": "absolute_timeout"}) in audit_actions(app, user.id)


def test_sign_out(app, signed_in_client):
    client, user = signed_in_client(Role.SUPERVISOR)
    response = post_form(client, "/sign-out", {}, form_page="/account")
    assert response.status_code == 200 and "You have signed out" in text(response)
    assert not is_signed_in(client)
    with app_db(app) as s:
        record = s.scalar(select(UserSession).where(UserSession.user_id == user.id))
        assert record.revoked_reason == "signed_out"
    assert "sign_out" in [a for a, _, _ in audit_actions(app, user.id)]


def test_sign_out_everywhere_cuts_other_browsers(app, make):
    user = make.user()
    a, b = app.test_client(), app.test_client()
    full_sign_in(a, user)
    full_sign_in(b, user, step_offset=1)
    assert is_signed_in(a) and is_signed_in(b)
    response = post_form(a, "/account/sign-out-everywhere", {}, form_page="/account")
    assert response.status_code == 200 and "signed out on every device" in text(response)
    response = b.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    assert not is_signed_in(a)
    with app_db(app) as s:
        assert s.scalars(select(UserSession.revoked_at).where(UserSession.user_id == user.id)).all()
        assert all(r is not None for r in s.scalars(
            select(UserSession.revoked_at).where(UserSession.user_id == user.id)))


def test_deactivated_user_is_cut_on_next_request(app, make, admin_client):
    user = make.user(role=Role.PARTNER_USER)
    client = app.test_client()
    sign_in(client, user)
    assert is_signed_in(client)
    admin, _ = admin_client
    response = post_form(admin, f"/admin/users/{user.id}/deactivate", {}, form_page=f"/admin/users/{user.id}")
    assert response.status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    # And cannot sign in again.
    again = app.test_client()
    assert BAD in text(password_step(again, user))


def test_deactivation_behind_the_service_is_noticed_too(app, signed_in_client):
    """Even if only the user row changes (no session revoked), the next request is refused."""
    client, user = signed_in_client(Role.LRO)
    with app_db(app) as s:
        s.execute(update(User).where(User.id == user.id).values(active=False))
    assert client.get("/").status_code == 302
    assert ("session_ended", "denied", {"reason": "deactivated"}) in audit_actions(app, user.id)
