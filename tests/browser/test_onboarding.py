"""Invitation → password → TOTP enrolment → sign in → sign out, in Debian's chromium, with
axe-core on every page visited; wrong codes and locked accounts show GOV.UK errors."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from gainportal.models import AgencyKind, Clearance, Role
from tests.browser.conftest import screenshot
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "kettle-bramble-lighthouse"


def _fresh_code(secret: str, not_equal: str | None = None) -> str:
    totp = pyotp.TOTP(secret)
    code = totp.now()
    if code == not_equal:
        # A code is good once; the portal allows one step of clock drift, so the next
        # step's code (what a phone a few seconds fast would show) is accepted.
        code = totp.at(time.time() + 30)
    return code


def _sign_in(page, axe, email, password, secret, last_code=None) -> str:
    page.goto("/sign-in")
    axe.check(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sign-in/security-code")
    axe.check(page)
    code = _fresh_code(secret, last_code)
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Continue").click()
    return code


def test_invitation_to_sign_out(page_factory, make, axe):
    force = make.agency(AgencyKind.POLICE_FORCE, name="Test Constabulary")
    council = make.agency(AgencyKind.COUNCIL, name="Test Borough Council")
    admin = make.user(agency=force, role=Role.ADMIN)

    # The administrator invites a council officer.
    admin_page = page_factory()
    _sign_in(admin_page, axe, admin.email, TEST_PASSWORD, admin.totp_secret)
    admin_page.wait_for_url("**/admin/users")
    axe.check(admin_page)
    admin_page.get_by_role("button", name="Invite a user").click()
    axe.check(admin_page)
    admin_page.get_by_role("button", name="Send invitation").click()  # empty form first
    expect(admin_page).to_have_title(re.compile(r"^Error: "))
    expect(admin_page.locator(".govuk-error-summary").get_by_text("Enter the person's full name")).to_be_visible()
    axe.check(admin_page)
    admin_page.get_by_label("Full name").fill("Riley Council-Officer")
    admin_page.get_by_label("Email address").fill("riley@council.example.gov.uk")
    admin_page.get_by_label("Agency").select_option(label="Test Borough Council")
    admin_page.get_by_label("Partner single point of contact").check()
    admin_page.get_by_label("BPSS").check()
    admin_page.get_by_role("button", name="Send invitation").click()
    link = admin_page.get_by_test_id("invitation-link").inner_text().strip()
    axe.check(admin_page)
    path = re.sub(r"^https?://[^/]+", "", link)

    # The invited officer sets a password, enrols an authenticator and signs in.
    page = page_factory()
    page.goto(path)
    axe.check(page)
    page.get_by_label("Create a password").fill("password")
    page.get_by_label("Confirm your password").fill("password")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary").get_by_text("Password must be 12 characters or more")).to_be_visible()
    axe.check(page)
    page.get_by_label("Create a password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm your password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/sign-in")
    axe.check(page)
    page.get_by_label("Email address").fill("riley@council.example.gov.uk")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sign-in/set-up-authenticator")
    axe.check(page)
    expect(page.locator(".app-qr svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    screenshot(page, "onboarding-enrol-totp")
    page.get_by_label("Enter the 6-digit code from your app").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary").get_by_text("Enter the 6-digit code shown in your authenticator app")).to_be_visible()
    axe.check(page)
    enrol_code = pyotp.TOTP(secret).now()
    page.get_by_label("Enter the 6-digit code from your app").fill(enrol_code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/sign-in/recovery-codes")
    axe.check(page)
    assert page.get_by_test_id("recovery-codes").locator("li").count() == 10
    page.get_by_role("button", name="I have saved my recovery codes").click()
    page.wait_for_url(re.compile(r".*/$"))
    axe.check(page)
    bar = page.get_by_test_id("user-bar").inner_text()
    assert "Riley Council-Officer" in bar and "Test Borough Council" in bar
    expect(page.locator(".app-marking--top")).to_have_text("OFFICIAL-SENSITIVE")
    screenshot(page, "onboarding-dashboard")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="You have signed out").wait_for()
    axe.check(page)

    # Signing in again: a wrong code is refused with a clear message, the right one works.
    page.goto("/sign-in")
    page.get_by_label("Email address").fill("riley@council.example.gov.uk")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sign-in/security-code")
    page.get_by_label("Security code").fill("12345x")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".govuk-error-summary").get_by_text("The code is not correct", exact=False)).to_be_visible()
    axe.check(page)
    page.get_by_label("Security code").fill(_fresh_code(secret, enrol_code))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/$"))
    expect(page.get_by_test_id("user-bar")).to_contain_text("Riley Council-Officer")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="You have signed out").wait_for()
    assert len(axe.checked) >= 12


def test_locked_account_shows_clear_error(page_factory, make, axe, settings):
    user = make.user(role=Role.LRO, clearance=Clearance.SC)
    page = page_factory()
    page.goto("/sign-in")
    for _ in range(settings.lockout_threshold):
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password", exact=True).fill("not-the-password-at-all")
        # Each attempt must finish before the next is typed, or a fast loop types into the
        # page that is being replaced.
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_text("Your account is locked", exact=False)).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    axe.check(page)
    # The right password does not open a locked account.
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary").get_by_text("Your account is locked", exact=False)).to_be_visible()
    screenshot(page, "locked-account")
