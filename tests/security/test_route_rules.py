"""Deny by default: every endpoint declares an access rule, the public allow-list is exactly
what we expect, and nothing else is reachable without a password AND a second factor."""
from __future__ import annotations

import pytest
from flask import url_for

from tests.conftest import csrf_from, post_form, sign_in
from gainportal.models import Role
from gainportal.security import access

EXPECTED_PUBLIC = {
    "auth.sign_in", "auth.sign_out", "auth.accept_invitation", "health.healthz", "health.livez", "health.readyz",
    "static", "govuk_assets",
}
EXPECTED_PENDING_MFA = {"auth.mfa_set_up", "auth.mfa_verify"}

# Plausible values for URL arguments, by argument name.
ARG_VALUES = {
    "token": "x" * 43,
    "user_id": 1,
    "agency_id": 1,
    "invitation_id": 1,
    "operation": "deactivate",
    "filename": "images/favicon.ico",
    "state": "open",
    "decision": "withdraw",
    "audience": "police",
}


def _arg_value(name: str, rule=None):
    # Any id will do: the gate answers before the item is ever loaded. For a constrained
    # argument (any(a, b)) the first allowed value is used.
    if name.endswith("_id"):
        return 1
    converter = rule._converters.get(name) if rule is not None else None
    items = getattr(converter, "items", None)
    return sorted(items)[0] if items else ARG_VALUES[name]


def endpoints_without_rule(app) -> list[str]:
    return sorted(
        rule.endpoint for rule in app.url_map.iter_rules()
        if access.rule_for_endpoint(app, rule.endpoint) is None
    )


def endpoints_by_kind(app, kind: str) -> set[str]:
    return {
        rule.endpoint for rule in app.url_map.iter_rules()
        if (r := access.rule_for_endpoint(app, rule.endpoint)) is not None and r.kind == kind
    }


def concrete_urls(app, kinds: set[str], method: str) -> list[tuple[str, str]]:
    """(endpoint, url) for every rule of the given access kinds accepting ``method``."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            r = access.rule_for_endpoint(app, rule.endpoint)
            if r is None or r.kind not in kinds or method not in rule.methods:
                continue
            missing = {a for a in rule.arguments if not a.endswith("_id")} - set(ARG_VALUES)
            assert not missing, f"add a plausible value for {missing} ({rule.endpoint}) to ARG_VALUES"
            urls.append((rule.endpoint, url_for(rule.endpoint, **{a: _arg_value(a, rule) for a in rule.arguments})))
    return urls


def test_every_endpoint_has_an_access_rule(app):
    assert endpoints_without_rule(app) == []


def test_walk_notices_an_endpoint_without_a_rule(app):
    app.add_url_rule("/forgotten", "forgotten", lambda: "oops")
    assert endpoints_without_rule(app) == ["forgotten"]


def test_public_allow_list_is_exactly_the_expected_set(app):
    assert endpoints_by_kind(app, "public") == EXPECTED_PUBLIC
    assert endpoints_by_kind(app, "pending_mfa") == EXPECTED_PENDING_MFA
    every = {rule.endpoint for rule in app.url_map.iter_rules()}
    signed_in = endpoints_by_kind(app, "signed_in")
    assert signed_in == every - EXPECTED_PUBLIC - EXPECTED_PENDING_MFA
    assert {"dashboard.index", "auth.account", "admin.users"} <= signed_in


def test_anonymous_get_of_every_protected_page_redirects_to_sign_in(app):
    client = app.test_client()
    urls = concrete_urls(app, {"signed_in", "pending_mfa"}, "GET")
    assert len(urls) >= 8
    for endpoint, url in urls:
        response = client.get(url)
        assert response.status_code == 302, (endpoint, url, response.status_code)
        assert response.headers["Location"].endswith("/sign-in"), (endpoint, response.headers["Location"])


def test_anonymous_post_with_valid_csrf_to_every_protected_endpoint_redirects(app):
    client = app.test_client()
    token = csrf_from(client.get("/sign-in").get_data(as_text=True))
    urls = concrete_urls(app, {"signed_in", "pending_mfa"}, "POST")
    assert any(e == "auth.sign_out_everywhere" for e, _ in urls)
    for endpoint, url in urls:
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302, (endpoint, response.status_code)
        assert response.headers["Location"].endswith("/sign-in"), endpoint


def test_public_pages_need_no_sign_in(app):
    client = app.test_client()
    assert client.get("/sign-in").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/gainportal.css").status_code == 200
    assert client.get("/assets/images/favicon.ico").status_code == 200
    # An invitation link that does not exist is a public page saying so (and a 404).
    assert client.get("/invitations/" + "x" * 43).status_code == 404


def test_password_without_second_factor_reaches_no_signed_in_page(app, make):
    user = make.user(role=Role.ADMIN)  # the role that can reach the most pages
    client = app.test_client()
    response = post_form(client, "/sign-in", {"email": user.email, "password": "orchard-compass-meadow"})
    assert response.headers["Location"].endswith("/sign-in/security-code")
    # The pending-MFA page is reachable ...
    assert client.get("/sign-in/security-code").status_code == 200
    # ... but no signed-in page, by GET or by POST.
    for endpoint, url in concrete_urls(app, {"signed_in"}, "GET"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in"), endpoint
    token = csrf_from(client.get("/sign-in/security-code").get_data(as_text=True))
    for endpoint, url in concrete_urls(app, {"signed_in"}, "POST"):
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in"), endpoint
    # Still not signed in afterwards: the second factor was never given.
    with client.session_transaction() as sess:
        assert "sid" not in sess and "_user_id" not in sess


def test_signed_in_user_reaches_pages(app, signed_in_client):
    client, _ = signed_in_client(Role.LRO)
    assert client.get("/").status_code == 200
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize("signed_in_as", [None, Role.ADMIN])
def test_endpoint_without_rule_is_refused(app, make, signed_in_as):
    app.add_url_rule("/no-rule-here", "no_rule_here", lambda: "the hidden content",
                     methods=["GET", "POST"])
    client = app.test_client()
    if signed_in_as is not None:
        sign_in(client, make.user(role=signed_in_as))
    response = client.get("/no-rule-here")
    assert response.status_code == 404
    assert "the hidden content" not in response.get_data(as_text=True)
    assert "Page not found" in response.get_data(as_text=True)
