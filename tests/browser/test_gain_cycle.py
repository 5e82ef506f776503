"""One whole GAIN cycle in Debian's chromium, three people, axe-core on every page:
the LRO writes a requirement, plans collection and issues a request (the plain-language
check fires and is fixed); the council SPOC signs the agreement, acknowledges, answers one
question, saves a draft, comes back, answers "no trace" to the other and submits; the LRO
reads the answers and records the intervention they drive."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from gainportal.db import db_session
from gainportal.models import AgencyKind, Classification, Operation, Role
from gainportal.services import operations
from tests.browser.conftest import screenshot
from tests.browser.test_onboarding import _sign_in
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _fill_date(page, field: str, day: str, month: str, year: str):
    for part, value in (("day", day), ("month", month), ("year", year)):
        page.locator(f"#{field}-{part}").fill(value)


def test_whole_cycle_with_three_people(page_factory, make, axe, app):
    force = make.agency(AgencyKind.POLICE_FORCE, name="Test Constabulary")
    council = make.agency(AgencyKind.COUNCIL, name="Riverside Borough Council")
    lro = make.user(agency=force, role=Role.LRO)
    spoc = make.user(agency=council, role=Role.PARTNER_SPOC)
    analyst = make.user(agency=force, role=Role.ANALYST)
    with app.app_context():
        s = db_session()
        op = operations.create_operation(s, name="Operation Heron", agency=force, lro=lro, tier=2, ocgm_band="2B",
                                         p_band=None, classification=Classification.OFFICIAL_SENSITIVE,
                                         summary="Drug supply from the Heron Walk flats", by=lro)
        s.commit()
        op_id, op_ref = op.id, op.reference

    # --- the LRO signs the agreement, then builds the requirement and plan ---------------
    police = page_factory()
    _sign_in(police, axe, lro.email, TEST_PASSWORD, lro.totp_secret)
    police.wait_for_url(re.compile(r".*/$"))
    banner = police.get_by_test_id("pending-signatures")
    banner.get_by_role("link").first.click()
    police.wait_for_url(f"**/agreements/{op_id}/sign")
    axe.check(police)
    police.get_by_label("I have read this agreement and I agree to it").check()
    police.get_by_label("Type your full name to sign").fill("Someone Else")
    police.get_by_role("button", name="Sign agreement").click()
    expect(police).to_have_title(re.compile(r"^Error: "))
    police.get_by_label("Type your full name to sign").fill(lro.full_name)
    police.get_by_role("button", name="Sign agreement").click()
    police.wait_for_url(f"**/operations/{op_id}")
    axe.check(police)
    police.get_by_role("button", name="Add a requirement").click()
    axe.check(police)
    police.get_by_label("What do you need to know?").fill("Which flats on Heron Walk are used by people who do not live there?")
    police.get_by_label("What intervention or disruption will the answer drive?").fill(
        "Partial closure orders on the flats with the council (Protect)")
    police.get_by_role("radio", name="Protect").check()
    _fill_date(police, "review_date", "1", "6", "2031")
    police.get_by_role("button", name="Save as draft").click()
    police.get_by_role("button", name="Open requirement").click()
    axe.check(police)
    police.get_by_label("Rationale").fill("Cuckooing reports have doubled; closure powers are the quickest disruption.")
    police.get_by_role("button", name="Record decision").click()
    police.get_by_role("button", name="Add to the collection plan").click()
    axe.check(police)
    police.get_by_label("Source").select_option(label="Riverside Borough Council")
    police.get_by_role("radio", name="Overt", exact=True).check()
    police.get_by_label("Crime and Disorder Act 1998 section 115").check()
    _fill_date(police, "due_date", "1", "5", "2031")
    police.get_by_role("button", name="Add to collection plan").click()
    police.get_by_role("link", name="Write a request").click()
    axe.check(police)

    # The first draft uses police jargon: the check fires.
    police.get_by_label("Why are you asking?").fill("We are working with residents to make Heron Walk safer.")
    police.locator("#questions-0-heading").select_option("behaviour")
    police.locator("#questions-0-text").fill("Are the OCG nominals known to you? Send everything you have.")
    police.locator("#questions-1-heading").select_option("vehicles")
    police.locator("#questions-1-text").fill("Have residents complained about mopeds left in the stairwells since June?")
    police.locator("#subjects-0-address").fill("Flat 4, Heron Walk")
    police.locator("#subjects-0-postcode").fill("LS6 9ZZ")
    police.locator("#deadline-day").fill("1")
    police.locator("#deadline-month").fill("4")
    police.locator("#deadline-year").fill("2031")
    police.get_by_role("radio", name="OFFICIAL-SENSITIVE").check()
    police.get_by_label("P: lawful sharing permitted").check()
    police.get_by_role("button", name="Save draft").click()
    findings = police.get_by_test_id("jargon-findings")
    expect(findings).to_be_visible()
    text = findings.inner_text()
    assert "OCG" in text and "nominal" in text and "everything you have" in text
    axe.check(police)
    police.get_by_role("button", name=re.compile("Issue request")).click()
    expect(police.locator(".govuk-notification-banner")).to_contain_text("plain-language check found")
    police.get_by_role("button", name="Change the draft").click()
    police.locator("#questions-0-text").fill(
        "Who are the people your staff are called to deal with most at Heron Walk since June?")
    police.get_by_role("button", name="Save draft").click()
    expect(police.get_by_test_id("jargon-clear")).to_be_visible()
    police.get_by_role("button", name=re.compile("Issue request")).click()
    expect(police.get_by_test_id("request-state")).to_have_text("Issued")
    request_url = police.url
    reference = police.locator("h1").inner_text().split()[1]
    assert op_ref not in reference
    screenshot(police, "cycle-lro-issued")

    # --- the council SPOC signs, acknowledges, drafts, returns and submits --------------
    partner = page_factory()
    _sign_in(partner, axe, spoc.email, TEST_PASSWORD, spoc.totp_secret)
    partner.wait_for_url(re.compile(r".*/$"))
    axe.check(partner)
    partner.get_by_role("link", name="Requests", exact=True).click()
    axe.check(partner)
    partner.get_by_role("link", name=reference).click()
    # Before signing the partner sees the agreement, not the questions.
    partner.wait_for_url(re.compile(r".*/agreements/\d+/sign.*"))
    body = partner.locator("main").inner_text()
    assert "Operation Heron" not in body and "Heron Walk safer" not in body and "OCG" not in body
    axe.check(partner)
    partner.get_by_label("I have read this agreement and I agree to it").check()
    partner.get_by_label("Type your full name to sign").fill(spoc.full_name)
    partner.get_by_role("button", name="Sign agreement").click()
    partner.wait_for_url(re.compile(r".*/partner/requests/\d+$"))
    main = partner.locator("main").inner_text()
    assert "Operation Heron" not in main and op_ref not in main and "Which flats" not in main
    axe.check(partner)
    partner.get_by_test_id("acknowledge").click()
    partner.get_by_label("Your answer to question 1").wait_for()
    q1 = partner.get_by_test_id("question-1")
    q1.get_by_label("Answer", exact=True).check()
    q1.get_by_label("Your answer to question 1").fill("Flat 4 and Flat 9: repeated calls about visitors at night since July.")
    partner.get_by_role("button", name="Save as draft").click()
    axe.check(partner)
    partner.goto("/")
    partner.get_by_role("link", name="Requests", exact=True).click()
    partner.get_by_role("link", name=reference).click()
    q1 = partner.get_by_test_id("question-1")
    assert "Flat 4 and Flat 9" in q1.get_by_label("Your answer to question 1").input_value()
    partner.get_by_test_id("question-2").get_by_label("No trace").check()
    partner.get_by_test_id("submit-response").click()
    partner.get_by_role("heading", name=re.compile("sent|Response sent|submitted", re.I)).first.wait_for()
    axe.check(partner)
    screenshot(partner, "cycle-partner-sent")

    # --- the LRO reads the answers and records what they drive ---------------------------
    police.goto(request_url)
    expect(police.get_by_test_id("request-state")).to_have_text("Answered")
    answers = police.get_by_test_id("answers").inner_text()
    assert "Flat 4 and Flat 9" in answers and "No trace" in answers
    axe.check(police)
    police.get_by_role("radio", name="Protect").check()
    police.get_by_label("What action or intervention will the answers drive?").fill(
        "Apply for partial closure orders on Flats 4 and 9 with the council's ASB team")
    police.get_by_role("button", name="Record intervention").click()
    police.goto(f"/operations/{op_id}")
    expect(police.locator("main")).to_contain_text("partial closure orders on Flats 4 and 9")
    axe.check(police)
    screenshot(police, "cycle-operation-intervention")
    assert analyst  # a third police user exists but is not indoctrinated: checked below
    other = page_factory()
    _sign_in(other, axe, analyst.email, TEST_PASSWORD, analyst.totp_secret)
    response = other.goto(request_url)
    assert response.status == 404
