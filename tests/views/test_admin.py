"""Administration: invitations (one use, expiry, password policy), deactivate / reactivate /
reset authenticator, agencies, and that admin pages exist for admins only."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import select, update

from tests.conftest import TEST_PASSWORD, app_db, csrf_from, post_form, sign_in
from gainportal.db import utcnow
from gainportal.models import Agency, AgencyKind, Clearance, Invitation, Operation, Role, User
from gainportal.security import access
from gainportal.security.permissions import visible

GOOD_PASSWORD = "lantern-thistle-harbour"


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", text(response), re.S).group(1).strip()


def invite(admin, agency_id: int, email="new.person@leeds.gov.example", role=Role.PARTNER_SPOC):
    response = post_form(admin, "/admin/users/invite", {
        "full_name": "New Person", "email": email, "agency_id": agency_id,
        "role": role.value, "clearance": Clearance.BPSS.value})
    assert response.status_code == 200, text(response)[:3000]
    link = re.search(r'data-testid="invitation-link">([^<]+)<', text(response)).group(1)
    return urlsplit(link).path


@pytest.fixture
def council(make):
    return make.agency(AgencyKind.COUNCIL, name="Leeds City Council")


def test_invitation_link_works_once(app, admin_client, council):
    admin, _ = admin_client
    path = invite(admin, council.id)
    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "Create your account" in text(page) and "Leeds City Council" in text(page)
    response = post_form(visitor, path, {"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    with app_db(app) as s:
        user = s.scalar(select(User).where(User.email == "new.person@leeds.gov.example"))
        assert user.role is Role.PARTNER_SPOC and user.agency_id == council.id and not user.mfa_enrolled
    again = app.test_client().get(path)
    assert again.status_code == 404 and "This invitation link has expired or been used" in text(again)
    # The new account's first sign-in goes to authenticator set-up.
    response = post_form(visitor, "/sign-in", {"email": "new.person@leeds.gov.example", "password": GOOD_PASSWORD})
    assert response.headers["Location"].endswith("/sign-in/set-up-authenticator")


def test_expired_invitation_is_refused(app, admin_client, council):
    admin, _ = admin_client
    path = invite(admin, council.id)
    with app_db(app) as s:
        s.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    response = app.test_client().get(path)
    assert response.status_code == 404 and "expired or been used" in text(response)


def test_a_new_invitation_replaces_the_old_link(app, admin_client, council):
    admin, _ = admin_client
    first = invite(admin, council.id)
    second = invite(admin, council.id)
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200


@pytest.mark.parametrize("password,confirm,message", [
    ("short", "short", "Password must be 12 characters or more"),
    ("password12345678", "password12345678", "Password is too common"),
    (GOOD_PASSWORD, GOOD_PASSWORD + "x", "Passwords must match"),
    ("", "", "Enter a password"),
])
def test_invitation_enforces_password_policy(app, admin_client, council, password, confirm, message):
    admin, _ = admin_client
    path = invite(admin, council.id)
    visitor = app.test_client()
    response = post_form(visitor, path, {"password": password, "confirm": confirm})
    assert response.status_code == 200
    page = text(response)
    assert message in page and "govuk-error-summary" in page
    assert title(response).startswith("Error: ")
    assert 'name="password"' in page and 'name="confirm"' in page  # the form is still there
    if password:
        assert f'value="{password}"' not in page  # passwords are never echoed back
    # Nothing was created and the link still works.
    with app_db(app) as s:
        assert s.scalar(select(User).where(User.email == "new.person@leeds.gov.example")) is None
    assert visitor.get(path).status_code == 200


def test_invite_refuses_role_that_does_not_fit_the_agency(app, admin_client, council):
    admin, _ = admin_client
    response = post_form(admin, "/admin/users/invite", {
        "full_name": "Wrong Place", "email": "wrong@leeds.gov.example", "agency_id": council.id,
        "role": Role.LRO.value, "clearance": Clearance.SC.value})
    assert response.status_code == 200
    assert "Police roles belong to police agencies" in text(response)
    assert 'value="Wrong Place"' in text(response)


def test_deactivate_reactivate_and_reset_authenticator(app, admin_client, make):
    admin, _ = admin_client
    user = make.user(role=Role.ANALYST)
    page = f"/admin/users/{user.id}"
    assert "Deactivate account" in text(admin.get(page))

    response = post_form(admin, f"{page}/deactivate", {}, form_page=page)
    assert response.status_code == 302
    assert "Account deactivated" in text(admin.get(page))
    with app_db(app) as s:
        assert s.get(User, user.id).active is False
    refused = post_form(app.test_client(), "/sign-in", {"email": user.email, "password": TEST_PASSWORD})
    assert "Enter a correct email address and password" in text(refused)

    post_form(admin, f"{page}/reactivate", {}, form_page=page)
    with app_db(app) as s:
        assert s.get(User, user.id).active is True
    sign_in(app.test_client(), user)

    post_form(admin, f"{page}/reset-mfa", {}, form_page=page)
    with app_db(app) as s:
        assert not s.get(User, user.id).mfa_enrolled
    response = post_form(app.test_client(), "/sign-in", {"email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"].endswith("/sign-in/set-up-authenticator")


def test_admin_cannot_deactivate_themselves(app, admin_client):
    admin, me = admin_client
    page = f"/admin/users/{me.id}"
    post_form(admin, f"{page}/deactivate", {}, form_page=page)
    assert "You cannot deactivate your own account" in text(admin.get(page))
    with app_db(app) as s:
        assert s.get(User, me.id).active is True


def test_agencies_create_edit_and_duplicates(app, admin_client, make):
    admin, _ = admin_client
    response = post_form(admin, "/admin/agencies/new", {"name": "North Yorkshire Fire", "code": "nyfrs",
                                                        "kind": AgencyKind.FIRE.value})
    assert response.status_code == 302
    with app_db(app) as s:
        agency = s.scalar(select(Agency).where(Agency.code == "NYFRS"))
        assert agency.kind is AgencyKind.FIRE
    assert "North Yorkshire Fire" in text(admin.get("/admin/agencies"))

    for name, code in (("north yorkshire fire", "OTHER1"), ("Another Name", "NYFRS")):
        response = post_form(admin, "/admin/agencies/new", {"name": name, "code": code,
                                                            "kind": AgencyKind.FIRE.value})
        assert response.status_code == 200
        assert "An agency with this name or short code already exists" in text(response)
        assert title(response).startswith("Error: ")
        assert f'value="{name}"' in text(response)

    other = make.agency(AgencyKind.HOUSING, name="Leeds Housing")
    response = post_form(admin, f"/admin/agencies/{other.id}", {"name": "North Yorkshire Fire", "code": "LH1",
                                                                "kind": AgencyKind.HOUSING.value})
    assert "already exists" in text(response)
    response = post_form(admin, f"/admin/agencies/{other.id}", {"name": "Leeds Homes", "code": "LH1",
                                                                "kind": AgencyKind.HOUSING.value})
    assert response.status_code == 302
    with app_db(app) as s:
        assert s.get(Agency, other.id).name == "Leeds Homes"
    # Saving an agency under its own name and code is not a clash.
    response = post_form(admin, f"/admin/agencies/{other.id}", {"name": "Leeds Homes", "code": "LH1",
                                                                "kind": AgencyKind.HOUSING.value})
    assert response.status_code == 302


ADMIN_ARGS = {"user_id": 1, "agency_id": 1, "invitation_id": 1, "operation": "deactivate"}


def admin_urls(app):
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            r = access.rule_for_endpoint(app, rule.endpoint)
            if rule.endpoint.startswith("admin."):
                assert r.roles == {Role.ADMIN}, rule.endpoint
                for method in {"GET", "POST"} & rule.methods:
                    urls.append((method, url_for(rule.endpoint, **{a: ADMIN_ARGS[a] for a in rule.arguments})))
    return urls


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN], ids=lambda r: r.value)
def test_admin_pages_are_404_for_every_other_role(app, signed_in_client, make, role):
    make.agency()  # so that id 1 things exist
    client, user = signed_in_client(role)
    urls = admin_urls(app)
    assert len(urls) >= 8
    token = csrf_from(text(client.get("/account")))
    for method, url in urls:
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        assert response.status_code == 404, (role, method, url)
        assert "Page not found" in text(response)
    with app_db(app) as s:
        assert s.get(User, user.id).active  # the POSTs did nothing


def test_admin_sees_no_operations(app, admin_client):
    admin, me = admin_client
    with app_db(app) as s:
        s.add(Operation(reference="OP-ADMIN-HIDDEN", name="Operation Nightjar", owning_agency_id=me.agency_id))
    response = admin.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")
    for url in ("/admin/users", "/admin/agencies", f"/admin/users/{me.id}", "/account"):
        page = text(admin.get(url))
        assert "Nightjar" not in page and "OP-ADMIN-HIDDEN" not in page
    with app_db(app) as s:
        admin_user = s.get(User, me.id)
        assert s.scalars(visible(Operation, admin_user)).all() == []


def test_users_list_searches_filters_and_shows_pending_invitations(app, admin_client, make, council):
    admin, me = admin_client
    fire = make.agency(AgencyKind.FIRE, name="West Yorkshire Fire")
    spoc = make.user(agency=council, role=Role.PARTNER_SPOC, clearance=Clearance.BPSS)
    firefighter = make.user(agency=fire, role=Role.PARTNER_USER, clearance=Clearance.BPSS)
    with app_db(app) as s:
        s.execute(update(User).where(User.id == firefighter.id).values(full_name="Zoe <Quinn>", active=False))
        s.commit()
    invite(admin, council.id, email="waiting.person@leeds.gov.example")

    def rows(page):
        body = text(page).split("<tbody", 1)[1].split("</tbody>")[0]
        return re.findall(r'href="/admin/users/(\d+)"', body)

    everyone = admin.get("/admin/users")
    assert sorted(int(i) for i in rows(everyone)) == sorted([me.id, spoc.id, firefighter.id])
    assert "3 users" in text(everyone)
    assert "Zoe &lt;Quinn&gt;" in everyone.get_data(as_text=True)  # escaped, as every name shown
    row = text(everyone).split(f'href="/admin/users/{firefighter.id}"')[1].split("</tr>")[0]
    assert all(part in row for part in ("West Yorkshire Fire", Role.PARTNER_USER.label, "BPSS", "Deactivated"))
    pending = text(everyone).split("Invitations waiting to be accepted")[1]
    assert "waiting.person@leeds.gov.example" in pending and "Leeds City Council" in pending
    assert rows(admin.get("/admin/users?q=zoe")) == [str(firefighter.id)]
    assert rows(admin.get(f"/admin/users?q={spoc.email}")) == [str(spoc.id)]
    assert rows(admin.get(f"/admin/users?agency={council.id}")) == [str(spoc.id)]
    assert rows(admin.get(f"/admin/users?agency={council.id}&q=zoe")) == []


def test_agencies_list_counts_each_agencys_users(app, admin_client, make, council):
    admin, me = admin_client
    for _ in range(2):
        make.user(agency=council, role=Role.PARTNER_SPOC, clearance=Clearance.BPSS)
    empty = make.agency(AgencyKind.FIRE, name="West Yorkshire Fire")
    page = text(admin.get("/admin/agencies"))

    def users_of(agency):
        return page.split(f'href="/admin/agencies/{agency.id}"')[1].split("</tr>")[0].rsplit(">", 2)[-2].split("<")[0]

    assert users_of(council) == "2" and users_of(empty) == "0"
    with app_db(app) as s:
        assert users_of(s.get(Agency, me.agency_id)) == "1"
        assert f"{s.query(Agency).count()} agencies" in page
