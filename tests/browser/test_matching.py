"""Cross-matching in a real browser: a partner answer naming a nominal by nickname with a
misspelt surname reaches the analyst's queue as a strong candidate; confirming it shows the
link on the operation."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from gainportal.db import db_session
from gainportal.models import AnswerOutcome, InformationRequest, Nominal, NominalRole, Operation, Role
from gainportal.services import answer_matching, nominal_register, operations, responses
from gainportal.services.responses import AnswerInput
from tests.browser.conftest import screenshot
from tests.browser.test_onboarding import _sign_in
from tests.conftest import TEST_PASSWORD
from tests.cycle_factories import Cycle

pytestmark = pytest.mark.browser


def test_nickname_and_misspelt_surname_confirmed_by_the_analyst(page_factory, make, axe, app):
    answer_matching.forget()
    cycle = Cycle(app, make)
    analyst = make.user(agency=cycle.force, role=Role.ANALYST)
    cycle.indoctrinate(analyst)
    request_id = cycle.draft(issue=True)
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        nominal = nominal_register.save(s, Nominal(reference="NOM-7001"), {
            "forenames": "Darren", "surname": "O'Neill", "aliases": [], "dob": "1990-11-21",
            "address": "3 Kirkstall Lane, Leeds", "postcode": "LS5 3BT", "vrms": ["FD67ZPA"], "phones": [],
            "businesses": []}, cycle.lro)
        operations.link_nominal(s, op, nominal, NominalRole.SIGNIFICANT, cycle.lro)
        req = s.get(InformationRequest, request_id)
        responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.ANSWERED,
                                                  "Neighbours complain about Daz O'Neil, who drives FD67 ZPA.")
                                      for q in req.questions], cycle.spoc)
        responses.submit(s, req, cycle.spoc, "browser-match")
        s.commit()

    page = page_factory()
    _sign_in(page, axe, analyst.email, TEST_PASSWORD, analyst.totp_secret)
    page.wait_for_url(re.compile(r".*/$"))
    page.get_by_role("link", name="Cross-matching").click()
    axe.check(page)
    card = page.get_by_test_id("candidate").first
    expect(card).to_contain_text("O'NEILL, Darren")
    expect(card.get_by_test_id("tier")).to_have_text("Strong")
    assert card.locator("mark").count() == 1
    screenshot(page, "matching-queue")
    card.get_by_label("Reason for your decision").fill("Nickname, surname and the vehicle match")
    card.get_by_role("button", name=re.compile("Confirm match")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Match confirmed")
    axe.check(page)
    page.goto(f"/operations/{cycle.operation_id}")
    expect(page.get_by_test_id("confirmed-matches")).to_contain_text("O'NEILL, Darren")
    axe.check(page)
