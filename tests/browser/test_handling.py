"""Handling in a real browser: an LRO's export that includes a C-coded answer is blocked
until the originating agency consents in the portal; the released printout, printed to
PDF by chromium, carries the protective marking on every page."""
from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from gainportal.db import db_session
from gainportal.models import AnswerOutcome, InformationRequest
from gainportal.services import responses
from gainportal.services.responses import AnswerInput
from tests.browser.conftest import ARTIFACTS, screenshot
from tests.browser.test_onboarding import _sign_in
from tests.conftest import TEST_PASSWORD
from tests.cycle_factories import Cycle

pytestmark = pytest.mark.browser
LONG_ANSWER = ("Residents have reported visitors arriving at night, staying a short time and leaving by the "
               "rear stairwell. Caretakers found the communal door wedged open on several occasions. ") * 6


def test_export_blocked_until_consent_and_printout_marked_on_every_page(page_factory, make, axe, app):
    cycle = Cycle(app, make)
    request_ids = [cycle.draft(issue=True) for _ in range(6)]  # enough answers to print over several pages
    with app.app_context():
        s = db_session()
        for n, request_id in enumerate(request_ids):
            req = s.get(InformationRequest, request_id)
            draft = responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.ANSWERED, f"{n}: {LONG_ANSWER}")
                                                  for q in req.questions], cycle.spoc)
            if n == 0:
                responses.set_handling(s, draft, "C", ["originator_consent_required"], cycle.spoc)
            responses.submit(s, req, cycle.spoc, f"browser-{n}")
        s.commit()

    police = page_factory()
    _sign_in(police, axe, cycle.lro.email, TEST_PASSWORD, cycle.lro.totp_secret)
    police.wait_for_url(re.compile(r".*/$"))
    police.goto(f"/operations/{cycle.operation_id}/disseminations")
    axe.check(police)
    police.get_by_role("button", name="Prepare an export").click()
    axe.check(police)
    police.get_by_role("radio", name="Crime and Disorder Act 1998 section 115").check()
    police.get_by_label("What is it for?").fill("Multi-agency tasking meeting")
    police.get_by_label("Why is sharing necessary and proportionate?").fill("To agree closure orders with the council")
    police.get_by_label("Who will receive it?").fill("Members of the tasking panel")
    police.get_by_role("button", name="Prepare export").click()
    expect(police.get_by_test_id("export-status")).to_have_text("Awaiting consent")
    expect(police.locator("main")).to_contain_text("Blocked: waiting for consent")
    assert police.get_by_role("button", name="Release export").count() == 0
    axe.check(police)
    export_url = police.url

    partner = page_factory()
    _sign_in(partner, axe, cycle.spoc.email, TEST_PASSWORD, cycle.spoc.totp_secret)
    partner.wait_for_url(re.compile(r".*/$"))
    partner.get_by_role("link", name="Sharing requests").click()
    axe.check(partner)
    partner.locator("main").get_by_role("link", name=re.compile(r"Request \d+")).first.click()
    axe.check(partner)
    partner.get_by_role("radio", name="Yes, it can be shared").check()
    partner.get_by_role("button", name="Send decision").click()
    expect(partner.locator(".govuk-notification-banner")).to_contain_text("Decision sent")
    police.goto(export_url)
    expect(police.get_by_test_id("export-status")).to_have_text("Ready")
    police.get_by_role("button", name="Release export").click()
    police.get_by_role("link", name="Open the marked printout").click()
    axe.check(police)
    screenshot(police, "export-printout")
    police.emulate_media(media="print")
    pdf = police.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "export-printout.pdf").write_bytes(pdf)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 2, "the printout should run over several pages for this check to mean anything"
    for number, pdf_page in enumerate(pages, start=1):
        text = pdf_page.extract_text()
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {number} lacks its top and bottom marking"
