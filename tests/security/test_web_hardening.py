"""CSRF, CSP nonces, frame-deny, HSTS and cookie flags, no-store caching, 413, and error pages
that leak nothing."""
from __future__ import annotations

import re

import pytest
from flask import abort

from tests.conftest import TEST_SECRET_KEY, app_db, csrf_from, post_form
from gainportal import create_app
from gainportal.models import Role, User
from gainportal.security import access
from gainportal.settings import load_settings

SECRET_DETAIL = "db-password=hunter2-in-exception-text"


def body(response) -> str:
    return response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, make, admin_client):
    admin, _ = admin_client
    target = make.user(role=Role.LRO)
    response = admin.post(f"/admin/users/{target.id}/deactivate", data={})
    assert response.status_code == 400
    assert "Your form has expired" in body(response)
    response = admin.post(f"/admin/users/{target.id}/deactivate", data={"csrf_token": "forged"})
    assert response.status_code == 400
    with app_db(app) as s:
        assert s.get(User, target.id).active is True
    # The same request with the page's token works, so the token is what made the difference.
    response = post_form(admin, f"/admin/users/{target.id}/deactivate", {}, form_page=f"/admin/users/{target.id}")
    assert response.status_code == 302
    with app_db(app) as s:
        assert s.get(User, target.id).active is False


def test_sign_in_without_csrf_token_is_refused(app, make):
    user = make.user()
    client = app.test_client()
    client.get("/sign-in")
    response = client.post("/sign-in", data={"email": user.email, "password": "orchard-compass-meadow"})
    assert response.status_code == 400 and "Your form has expired" in body(response)
    with client.session_transaction() as sess:
        assert "mfa_user_id" not in sess


def test_token_from_another_session_is_refused(app, make):
    user = make.user()
    one, two = app.test_client(), app.test_client()
    token = csrf_from(body(one.get("/sign-in")))
    two.get("/sign-in")
    response = two.post("/sign-in", data={"email": user.email, "password": "x" * 12, "csrf_token": token})
    assert response.status_code == 400


def test_csp_nonce_matches_inline_script_and_changes_per_response(app, signed_in_client):
    client, _ = signed_in_client(Role.LRO)
    nonces = []
    for url in ("/sign-out", "/", "/account"):
        response = client.get(url) if url != "/sign-out" else app.test_client().get("/sign-in")
        csp = response.headers["Content-Security-Policy"]
        header_nonce = re.search(r"script-src 'self' 'nonce-([A-Za-z0-9_-]+)'", csp).group(1)
        inline = re.findall(r"<script([^>]*)>(?!</script>)", body(response))
        inline_nonces = [re.search(r'nonce="([^"]+)"', attrs) for attrs in inline if "src=" not in attrs]
        assert inline_nonces, "the page has an inline script"
        assert all(m and m.group(1) == header_nonce for m in inline_nonces)
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        nonces.append(header_nonce)
    assert len(set(nonces)) == len(nonces)


def test_frame_deny_and_other_headers(app):
    response = app.test_client().get("/sign-in")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_no_hsts_or_secure_cookie_on_plain_http_dev_settings(app):
    response = app.test_client().get("/sign-in")
    assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def secure_app(database_url, tmp_path):
    settings = load_settings("test", database_url=database_url, instance_path=tmp_path / "secure",
                             secret_key=TEST_SECRET_KEY, secure_cookies=True)
    app = create_app(settings)
    yield app
    app.extensions["gainportal_db"].engine.dispose()


def test_hsts_and_strict_secure_cookie_when_secure(secure_app):
    client = secure_app.test_client()
    response = client.get("/sign-in", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(re.search(r"max-age=(\d+)", response.headers["Strict-Transport-Security"]).group(1)) >= 31536000
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "the sign-in form puts a CSRF secret in the session cookie"
    cookie = cookies[0]
    assert cookie.startswith("__Host-")
    attrs = [a.strip().lower() for a in cookie.split(";")[1:]]
    assert "secure" in attrs and "httponly" in attrs and "samesite=strict" in attrs
    assert "path=/" in attrs and not any(a.startswith("domain=") for a in attrs)


def test_pages_are_not_cached(app, signed_in_client):
    client, _ = signed_in_client(Role.ANALYST)
    for url in ("/", "/account"):
        assert client.get(url).headers["Cache-Control"] == "no-store"
    assert app.test_client().get("/sign-in").headers["Cache-Control"] == "no-store"
    assert app.test_client().get("/no-such-page").headers["Cache-Control"] == "no-store"


@pytest.fixture
def small_app(database_url, tmp_path):
    settings = load_settings("test", database_url=database_url, instance_path=tmp_path / "small",
                             secret_key=TEST_SECRET_KEY, max_upload_mb=1)
    app = create_app(settings)
    yield app
    app.extensions["gainportal_db"].engine.dispose()


def assert_leaks_nothing(text: str):
    for marker in ("Traceback", "File \"", "Error:", "Exception", SECRET_DETAIL, "werkzeug", "sqlalchemy",
                   "gainportal/", ".py"):
        assert marker not in text.replace("govuk-frontend.min.js", "").replace("gainportal.js", ""), marker


def test_oversize_body_gets_friendly_413(small_app):
    client = small_app.test_client()
    token = csrf_from(body(client.get("/sign-in")))
    big = "a" * (small_app.config["MAX_CONTENT_LENGTH"] + 1024)
    response = client.post("/sign-in", data={"email": big, "password": "x", "csrf_token": token})
    assert response.status_code == 413
    page = body(response)
    assert "The file or form is too large" in page and "1MB or smaller" in page
    assert_leaks_nothing(page)


def test_default_limit_is_the_configured_upload_size(app):
    assert app.config["MAX_CONTENT_LENGTH"] == app.config["SETTINGS"].max_upload_mb * 1024 * 1024


@pytest.fixture
def error_app(app):
    """Test-only routes, each with an access rule, that end in each error."""
    def boom():
        raise RuntimeError(SECRET_DETAIL)

    def boom_signed_in():
        raise RuntimeError(SECRET_DETAIL)

    for code in (400, 403, 404, 429):
        app.add_url_rule(f"/test-error/{code}", f"test_error_{code}",
                         access.public(lambda code=code: abort(code)))
    app.add_url_rule("/test-error/500", "test_error_500", access.public(boom))
    app.add_url_rule("/test-error/500-signed-in", "test_error_500_signed_in", access.signed_in()(boom_signed_in))
    return app


@pytest.mark.parametrize("code,title", [
    (400, "There is a problem with your request"),
    (403, "You cannot do that"),
    (404, "Page not found"),
    (429, "Too many attempts"),
    (500, "Sorry, there is a problem with the service"),
])
def test_error_pages_are_friendly_and_leak_nothing(error_app, code, title):
    response = error_app.test_client().get(f"/test-error/{code}")
    assert response.status_code == code
    page = body(response)
    assert title in page and "govuk-heading-l" in page and "OFFICIAL-SENSITIVE" in page
    assert_leaks_nothing(page)
    assert response.headers["Content-Security-Policy"]


def test_500_when_signed_in_rolls_back_and_leaks_nothing(error_app, signed_in_client):
    client, _ = signed_in_client(Role.LRO)
    response = client.get("/test-error/500-signed-in")
    assert response.status_code == 500
    assert_leaks_nothing(body(response))
    # The service is still usable afterwards.
    assert client.get("/").status_code == 200


def test_unknown_page_is_a_friendly_404(app):
    response = app.test_client().get("/admin/../../etc/passwd")
    assert response.status_code in (302, 404)
    response = app.test_client().get("/definitely/not/here")
    assert response.status_code == 404 and "Page not found" in body(response)
