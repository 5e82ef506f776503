"""GAIN circulation in Debian's chromium, axe-core on every page: a co-ordinator circulates
three subjects to four agencies; one SPOC signs and answers on one screen, another by CSV
upload; the hit drafts a follow-up request for the LRO; the matrix shows every cell; after
the deadline the agencies that did not answer are shown overdue."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from gainportal.db import db_session
from gainportal.models.circulation import Circulation
from gainportal.services.dates import today
from tests.browser.conftest import screenshot
from tests.browser.test_onboarding import _sign_in
from tests.circulation_factories import Gain
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _sign_agreement(page, axe, user):
    page.wait_for_url(re.compile(r".*/agreements/\d+/sign.*"))
    axe.check(page)
    page.get_by_label("I have read this agreement and I agree to it").check()
    page.get_by_label("Type your full name to sign").fill(user.full_name)
    page.get_by_role("button", name="Sign agreement").click()


def test_circulate_answer_matrix_and_overdue(page_factory, make, axe, app, tmp_path):
    gain = Gain(app, make)
    referral_id = gain.referral()
    council, hmrc, fire, immigration = gain.agencies
    next_year = str(today().year + 1)

    # --- the co-ordinator circulates three subjects to four agencies -------------------------
    coord = page_factory()
    _sign_in(coord, axe, gain.coordinator.email, TEST_PASSWORD, gain.coordinator.totp_secret)
    coord.wait_for_url(re.compile(r".*/$"))
    coord.get_by_role("link", name="GAIN", exact=True).click()
    axe.check(coord)
    coord.get_by_test_id("referrals").get_by_role("link").first.click()
    expect(coord.get_by_test_id("concern")).to_be_visible()
    axe.check(coord)
    coord.get_by_role("button", name="Circulate subjects").click()
    coord.wait_for_url(re.compile(rf".*/gain/referrals/{referral_id}/circulate.*"))
    axe.check(coord)
    coord.get_by_label("Why are you asking? (partners read this)").fill(
        "We are checking whether a takeaway and the people running it are known to your agency.")
    coord.get_by_label("Name, subject 1", exact=True).fill("Wei Chen")
    coord.get_by_label("Date of birth, subject 1", exact=True).fill("1979-07-30")
    coord.get_by_label("Address, subject 1", exact=True).fill("4 Canal Wharf, Leeds")
    coord.get_by_label("Kind of subject 2").select_option("vehicle")
    coord.get_by_label("Vehicle registration, subject 2", exact=True).fill("LB70 VWX")
    coord.get_by_label("Kind of subject 3").select_option("premises")
    coord.get_by_label("Address, subject 3", exact=True).fill("Golden Dragon, 12 Kirkstall Road, Leeds")
    coord.get_by_label("A selection").check()
    for agency in gain.agencies:
        coord.get_by_label(agency.name, exact=True).check()
    for part, value in (("day", "1"), ("month", "6"), ("year", next_year)):
        coord.locator(f"#deadline-{part}").fill(value)
    coord.get_by_role("radio", name="OFFICIAL-SENSITIVE").check()
    coord.get_by_role("button", name="Send circulation").click()
    coord.wait_for_url(re.compile(r".*/gain/circulations/\d+$"))
    matrix_url = coord.url
    assert coord.locator("[data-state=awaiting]").count() == 12
    axe.check(coord)

    # --- HMRC's SPOC signs, then answers the whole check on one screen -----------------------
    spoc = page_factory()
    _sign_in(spoc, axe, gain.spocs[1].email, TEST_PASSWORD, gain.spocs[1].totp_secret)
    spoc.wait_for_url(re.compile(r".*/$"))
    spoc.get_by_role("link", name="Checks", exact=True).click()
    axe.check(spoc)
    spoc.get_by_test_id("checks").get_by_role("link").first.click()
    _sign_agreement(spoc, axe, gain.spocs[1])
    spoc.wait_for_url(re.compile(r".*/partner/checks/\d+$"))
    main = spoc.locator("main").inner_text()
    assert "Wei Chen" in main and gain.operation_name not in main and gain.operation_reference not in main
    assert "OCG" not in main
    axe.check(spoc)
    spoc.get_by_test_id("subject-1").get_by_label("Hit", exact=True).check()
    spoc.get_by_label("Note for S1 (optional)").fill("PAYE records since 2019")
    spoc.get_by_test_id("subject-2").get_by_label("No hit").check()
    spoc.get_by_test_id("subject-3").get_by_label("Not a record type we hold").check()
    spoc.get_by_test_id("send-answers").click()
    expect(spoc.get_by_test_id("answer-1")).to_have_text("Hit")
    axe.check(spoc)
    screenshot(spoc, "circulation-partner-answered")

    # --- the fire service's SPOC uploads a CSV with one bad row, then the fix ----------------
    fire_page = page_factory()
    _sign_in(fire_page, axe, gain.spocs[2].email, TEST_PASSWORD, gain.spocs[2].totp_secret)
    fire_page.wait_for_url(re.compile(r".*/$"))
    fire_page.get_by_role("link", name="Checks", exact=True).click()
    fire_page.get_by_test_id("checks").get_by_role("link").first.click()
    _sign_agreement(fire_page, axe, gain.spocs[2])
    fire_page.wait_for_url(re.compile(r".*/partner/checks/\d+$"))
    csv_file = tmp_path / "results.csv"
    csv_file.write_text("subject,result,note\nS1,no hit,\nS2,perhaps,\nS3,no hit,\n")
    fire_page.get_by_label("Upload a CSV of results").set_input_files(str(csv_file))
    fire_page.get_by_role("button", name="Upload results").click()
    errors = fire_page.get_by_test_id("upload-errors").inner_text()
    assert "Row 3:" in errors and "Row 2" not in errors and "Row 4" not in errors
    axe.check(fire_page)
    csv_file.write_text("subject,result\nS1,no hit\nS2,no hit\nS3,no hit\n")
    fire_page.get_by_label("Upload a CSV of results").set_input_files(str(csv_file))
    fire_page.get_by_role("button", name="Upload results").click()
    expect(fire_page.get_by_test_id("answer-2")).to_have_text("No hit")
    axe.check(fire_page)

    # --- the matrix shows every cell; the hit drafted a follow-up request ---------------------
    coord.goto(matrix_url)
    expected = {hmrc.id: ["hit", "no_hit", "not_held"], fire.id: ["no_hit"] * 3,
                council.id: ["awaiting"] * 3, immigration.id: ["awaiting"] * 3}
    for agency_id, states in expected.items():
        for position, state in enumerate(states, start=1):
            assert coord.get_by_test_id(f"cell-{position}-{agency_id}").get_attribute("data-state") == state
    hits = coord.get_by_test_id("hits").inner_text()
    assert "REQ-" in hits and "Draft" in hits
    axe.check(coord)
    screenshot(coord, "circulation-matrix")
    lro = page_factory()
    _sign_in(lro, axe, gain.lro.email, TEST_PASSWORD, gain.lro.totp_secret)
    lro.wait_for_url(re.compile(r".*/$"))
    lro.goto(f"/operations/{gain.cycle.operation_id}")
    lro.get_by_role("link", name="GAIN checks and combined disruption plan").click()
    axe.check(lro)
    lro.get_by_role("link", name=re.compile(r"^CHK-")).click()
    lro.get_by_test_id("hits").get_by_role("link").click()
    expect(lro.get_by_test_id("request-state")).to_have_text("Draft")
    expect(lro.locator("main")).to_contain_text("Wei Chen")
    axe.check(lro)

    # --- after the deadline, the two agencies that did not answer are overdue ----------------
    with app.app_context():
        s = db_session()
        s.execute(update(Circulation).values(deadline=today() - timedelta(days=1)))
        s.commit()
    coord.reload()
    for agency_id in (council.id, immigration.id):
        assert coord.get_by_test_id(f"cell-1-{agency_id}").get_attribute("data-state") == "overdue"
        expect(coord.get_by_test_id(f"agency-summary-{agency_id}")).to_contain_text("Overdue")
    for agency_id in (hmrc.id, fire.id):
        assert "Overdue" not in coord.get_by_test_id(f"agency-summary-{agency_id}").inner_text()
    expect(coord.get_by_test_id("circulation-overdue")).to_be_visible()
    coord.get_by_test_id("chase").click()
    expect(coord.locator(".govuk-notification-banner")).to_contain_text("Reminders sent: 2")
    axe.check(coord)
    screenshot(coord, "circulation-overdue")
