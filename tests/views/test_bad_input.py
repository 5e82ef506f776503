"""Bad input on every form: empty, oversized, wrong types and unicode oddities get a clear
GOV.UK error (summary, "Error: " title, message), never a 500, and typed values are kept
(passwords excepted)."""
from __future__ import annotations

import itertools
import re
from html import unescape
from urllib.parse import quote

import pytest

from tests.conftest import TEST_PASSWORD, csrf_from, post_form
from gainportal.forms.common import clean_text
from gainportal.models import AgencyKind, Clearance, Role

LONG = "x" * 10_000
ODDITIES = {
    "zero_width": "Jane\u200b\u200dDoe\ufeff",
    "rtl_override": "\u202eevil\u202c name",
    "emoji": "Sam 🙂🏴\U000e0067\U000e0062",
    "nul": "nul\x00byte",
    "combining": "Zoe\u0308 Cafe\u0301",
    "control": "bell\x07\x1b[31m",
}
_ips = itertools.count(1)


def fresh_ip() -> dict:
    """A different client address per post, so the sign-in rate limits stay out of the way."""
    n = next(_ips)
    return {"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}


def text(response) -> str:
    return response.get_data(as_text=True)


def input_value(page: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    if not tag:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""


def assert_clear_error(response, *messages: str):
    assert response.status_code == 200, (response.status_code, text(response)[:500])
    page = unescape(text(response))
    summary = re.search(r'class="govuk-error-summary".*?</ul>', page, re.S)
    assert summary and "There is a problem" in summary.group(0)
    assert re.search(r"<title>\s*Error: ", page), re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    listed = re.findall(r"<a [^>]*>(.*?)</a>", summary.group(0), re.S)
    assert listed, "the summary lists the problems"
    for message in messages:
        assert any(message in item for item in listed), (message, listed)
    assert not any("Not a valid choice" in item or "coerce" in item for item in listed), listed
    assert "Traceback" not in page
    return page


def post(client, url, data, form_page=None):
    page = client.get(form_page or url, environ_base=fresh_ip())
    return client.post(url, data={**data, "csrf_token": csrf_from(text(page))}, environ_base=fresh_ip())


def post_raw(client, url, raw_fields: str):
    """Post a hand-encoded body (for bytes that are not valid UTF-8)."""
    page = client.get(url, environ_base=fresh_ip())
    body = raw_fields + "&csrf_token=" + quote(csrf_from(text(page)))
    return client.post(url, data=body.encode(), content_type="application/x-www-form-urlencoded",
                       environ_base=fresh_ip())


# --- sign in ------------------------------------------------------------------------------
def test_sign_in_empty(app):
    response = post(app.test_client(), "/sign-in", {"email": "", "password": ""})
    assert_clear_error(response, "Enter your email address", "Enter your password")


def test_sign_in_oversized(app):
    response = post(app.test_client(), "/sign-in", {"email": LONG, "password": LONG})
    page = assert_clear_error(response, "Email address must be 254 characters or fewer",
                              "Password must be 256 characters or fewer")
    assert input_value(page, "email") == LONG
    assert input_value(page, "password") in (None, "")


def test_sign_in_unicode_oddities(app, make):
    make.user()
    client = app.test_client()
    for kind, value in ODDITIES.items():
        response = post(client, "/sign-in", {"email": value + "@example.test", "password": value})
        page = assert_clear_error(response, "Enter a correct email address and password")
        assert input_value(page, "email") == clean_text(value + "@example.test"), kind
        assert input_value(page, "password") in (None, ""), kind


def test_sign_in_lone_surrogates_and_invalid_utf8(app):
    response = post_raw(app.test_client(), "/sign-in", "email=%ED%A0%80x%40example.test&password=%ED%B0%80%FF%FE")
    assert_clear_error(response, "Enter a correct email address and password")


def test_sign_in_repeated_and_array_fields(app):
    client = app.test_client()
    token = csrf_from(text(client.get("/sign-in")))
    response = client.post("/sign-in", data={"email": ["a@example.test", "b@example.test"],
                                             "password[]": "x", "csrf_token": token}, environ_base=fresh_ip())
    assert_clear_error(response, "Enter your password")


# --- security code and authenticator set-up -------------------------------------------------
@pytest.fixture
def pending_client(app, make):
    def _make(mfa=True):
        user = make.user(mfa=mfa)
        client = app.test_client()
        response = client.post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD,
                                                 "csrf_token": csrf_from(text(client.get("/sign-in")))},
                               environ_base=fresh_ip())
        assert response.status_code == 302
        return client
    return _make


CODE_CASES = [
    ("", "Enter the 6-digit code from your authenticator app"),
    (LONG, "Security code must be 20 characters or fewer"),
    ("abcdef", "The code is not correct"),
    ("12345", "The code is not correct"),
    ("١٢٣٤٥٦", "The code is not correct"),  # Arabic-Indic digits
    ("12\x0034\u200b56", "The code is not correct"),
    ("🙂🙂🙂🙂🙂🙂", "The code is not correct"),
    ("1\u0301 2 3 4 5 6", "The code is not correct"),
]


def test_security_code_bad_input(app, pending_client):
    for value, message in CODE_CASES:
        client = pending_client()  # a fresh account each time: failures count towards lockout
        response = post(client, "/sign-in/security-code", {"code": value})
        page = assert_clear_error(response, message)
        if value and len(value) <= 20:
            assert input_value(page, "code") == clean_text(value), value
        assert client.get("/account").status_code == 302


def test_security_code_invalid_utf8(app, pending_client):
    response = post_raw(pending_client(), "/sign-in/security-code", "code=%ED%A0%80%FF")
    assert_clear_error(response, "The code is not correct")


@pytest.mark.parametrize("value,message", [
    ("", "Enter the 6-digit code shown in your authenticator app"),
    (LONG, "Code must be 20 characters or fewer"),
    (ODDITIES["rtl_override"], "Enter the 6-digit code shown in your authenticator app"),
    (ODDITIES["nul"], "Enter the 6-digit code shown in your authenticator app"),
])
def test_set_up_code_bad_input(app, pending_client, value, message):
    client = pending_client(mfa=False)
    response = post(client, "/sign-in/set-up-authenticator", {"code": value})
    assert_clear_error(response, message)


# --- invitation (set a password) ------------------------------------------------------------
@pytest.fixture
def invitation_path(app, admin_client, make):
    admin, _ = admin_client
    council = make.agency(AgencyKind.COUNCIL)
    response = post_form(admin, "/admin/users/invite", {
        "full_name": "Ann Other", "email": "ann.other@council.example", "agency_id": council.id,
        "role": Role.PARTNER_USER.value, "clearance": Clearance.BPSS.value})
    link = re.search(r'data-testid="invitation-link">([^<]+)<', text(response)).group(1)
    return "/" + link.split("/", 3)[3]


@pytest.mark.parametrize("password,confirm,message", [
    ("", "", "Enter a password"),
    (LONG, LONG, "Password must be 256 characters or fewer"),
    (ODDITIES["nul"], ODDITIES["nul"], "Password must be 12 characters or more"),
    (ODDITIES["zero_width"] + "aaaa", ODDITIES["zero_width"], "Passwords must match"),
    ("\u200b" * 20, "\u200b" * 20, "Password must not repeat the same few characters"),
])
def test_invitation_bad_input(app, invitation_path, password, confirm, message):
    client = app.test_client()
    response = post(client, invitation_path, {"password": password, "confirm": confirm})
    page = assert_clear_error(response, message)
    assert input_value(page, "password") in (None, "") and input_value(page, "confirm") in (None, "")
    assert client.get(invitation_path).status_code == 200  # still usable


def test_invitation_invalid_utf8(app, invitation_path):
    response = post_raw(app.test_client(), invitation_path, "password=%ED%A0%80%FF&confirm=%ED%A0%80")
    assert_clear_error(response)


@pytest.mark.parametrize("token", ["", "x" * 10_000, "%00", "..%2F..%2Fetc", "🙂", "%ED%A0%80"])
def test_invitation_odd_tokens_are_404(app, token):
    response = app.test_client().get("/invitations/" + token)
    assert response.status_code in (404, 308)
    assert response.status_code != 500


# --- admin: invite a user ------------------------------------------------------------------
INVITE_GOOD = {"full_name": "Bob Example", "email": "bob@council.example", "role": Role.PARTNER_USER.value,
               "clearance": Clearance.BPSS.value}


@pytest.fixture
def invite_form(app, admin_client, make):
    admin, _ = admin_client
    council = make.agency(AgencyKind.COUNCIL)
    return admin, {**INVITE_GOOD, "agency_id": str(council.id)}


def test_invite_empty(invite_form):
    admin, _ = invite_form
    response = post(admin, "/admin/users/invite", {"full_name": "", "email": "", "agency_id": "", "role": "",
                                                   "clearance": ""})
    assert_clear_error(response, "Enter the person's full name", "Enter an email address", "Select an agency",
                       "Select a role", "Select a security clearance")


def test_invite_missing_fields_entirely(invite_form):
    admin, _ = invite_form
    response = post(admin, "/admin/users/invite", {})
    assert_clear_error(response, "Enter the person's full name", "Select a role")


def test_invite_oversized(invite_form):
    admin, good = invite_form
    response = post(admin, "/admin/users/invite", {**good, "full_name": LONG, "email": LONG + "@example.test"})
    page = assert_clear_error(response, "Full name must be 200 characters or fewer",
                              "Email address must be 254 characters or fewer")
    assert input_value(page, "full_name") == LONG


@pytest.mark.parametrize("field,value,message", [
    ("agency_id", "abc", "Select an agency"),
    ("agency_id", "999999", "Select an agency"),
    ("agency_id", "-1", "Select an agency"),
    ("agency_id", "1e9999", "Select an agency"),
    ("role", "superuser", "Select a role"),
    ("role", "ADMIN", "Select a role"),
    ("clearance", "TOP", "Select a security clearance"),
    ("email", "not-an-email", "Enter an email address in the correct format"),
])
def test_invite_wrong_types(invite_form, field, value, message):
    admin, good = invite_form
    response = post(admin, "/admin/users/invite", {**good, field: value})
    page = assert_clear_error(response, message)
    assert input_value(page, "full_name") == good["full_name"]
    if field != "email":
        assert input_value(page, "email") == good["email"]


def test_invite_unicode_oddities(invite_form):
    admin, good = invite_form
    for kind, value in ODDITIES.items():
        response = post(admin, "/admin/users/invite", {**good, "full_name": value, "email": value})
        page = assert_clear_error(response, "Enter an email address in the correct format")
        assert input_value(page, "full_name") == clean_text(value), kind


def test_invite_invalid_utf8(invite_form):
    admin, good = invite_form
    response = post_raw(admin, "/admin/users/invite",
                        f"full_name=%ED%A0%80Bob&email=%FF%FE%40x&agency_id={good['agency_id']}"
                        "&role=partner_user&clearance=BPSS")
    assert_clear_error(response, "Enter an email address in the correct format")


# --- admin: agency --------------------------------------------------------------------------
def test_agency_empty(admin_client):
    admin, _ = admin_client
    response = post(admin, "/admin/agencies/new", {"name": "", "code": "", "kind": ""})
    assert_clear_error(response, "Enter the agency name", "Enter a short code", "Select the type of agency")


@pytest.mark.parametrize("data,message", [
    ({"name": LONG, "code": "OK1", "kind": "council"}, "Agency name must be 200 characters or fewer"),
    ({"name": "Fine", "code": LONG, "kind": "council"}, "Short code must be 20 characters or fewer"),
    ({"name": "Fine", "code": "OK1", "kind": "superuser"}, "Select the type of agency"),
    ({"name": "Fine", "code": "no spaces!", "kind": "council"}, "Short code must only include letters"),
    ({"name": "Fine", "code": "CAFE\u0301", "kind": "council"}, "Short code must only include letters"),
    ({"name": "Fine", "code": "🙂", "kind": "council"}, "Short code must only include letters"),
    ({"name": "Fine", "code": "\u200b", "kind": "council"}, "Enter a short code"),
    ({"name": "\u202e\u200b", "code": "OK1", "kind": "council"}, "Enter the agency name"),
    ({"name": "Nul\x00Agency", "code": "A\x00B", "kind": "council"}, None),
])
def test_agency_bad_input(app, admin_client, data, message):
    admin, _ = admin_client
    response = post(admin, "/admin/agencies/new", data)
    if message is None:  # cleaned to something valid: saved without the control characters
        assert response.status_code == 302
        assert "NulAgency" in text(admin.get("/admin/agencies"))
        return
    page = assert_clear_error(response, message)
    if data["name"] and len(data["name"]) <= 10_000:
        assert input_value(page, "name") == clean_text(data["name"])


def test_agency_edit_with_odd_id(admin_client):
    admin, _ = admin_client
    for path in ("/admin/agencies/abc", "/admin/agencies/99999999999999999999", "/admin/users/-1"):
        response = admin.get(path)
        assert response.status_code == 404

