"""Dissemination: consent blocks release, refusal withholds, 'no onward sharing' never
leaves, two-person sanitised briefings, markings on exports; who has seen it; the
disclosure schedule; every grant, refusal, sanitisation, approval and release audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import (
    AnswerOutcome, AuditEvent, Classification, ConsentRequest, Dissemination, InformationRequest, LawfulBasis,
    Operation, PartnerResponse, Role,
)
from gainportal.services import audit, dissemination, responses
from gainportal.services.errors import WorkflowError
from gainportal.services.responses import AnswerInput
from tests.conftest import post_form, sign_in
from tests.cycle_factories import Cycle


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _answer(app, cycle, request_id, text, code="P", conditions=()):
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        draft = responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.ANSWERED, text) for q in req.questions],
                                     cycle.spoc)
        responses.set_handling(s, draft, code, list(conditions), cycle.spoc)
        responses.submit(s, req, cycle.spoc, f"k-{request_id}")
        s.commit()
        return draft.id


def _actions(s) -> list[str]:
    """The trail so far, with the events of the open transaction (they join it at commit)."""
    committed = s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))
    return list(committed) + [event.action for event in audit.pending_events(s)]


def test_consent_blocks_release_until_the_originator_decides(app, cycle):
    consent_id = None
    r1 = cycle.draft(issue=True)
    r2 = cycle.draft(issue=True)
    _answer(app, cycle, r1, "Seen at Flat 4 CONSENT-NEEDED", "C", ["originator_consent_required"])
    _answer(app, cycle, r2, "Open answer")
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        item = dissemination.start_export(s, op, lawful_basis=LawfulBasis.CDA_1998_S115, purpose="Tasking meeting",
                                          necessity="Needed to task the closure order", recipients="Tasking panel",
                                          by=cycle.lro)
        assert item.status == "awaiting_consent" and len(item.consents) == 1
        with pytest.raises(WorkflowError, match="Waiting for consent"):
            dissemination.release(s, item, cycle.lro)
        with pytest.raises(WorkflowError, match="not been released"):
            dissemination.content(s, item)
        consent_id, item_id = item.consents[0].id, item.id
        s.commit()
    # The originating SPOC decides in the portal.
    client = app.test_client()
    sign_in(client, cycle.spoc)
    page = client.get(f"/partner/consents/{consent_id}")
    assert page.status_code == 200 and "Tasking panel" in page.get_data(as_text=True)
    refused = post_form(client, f"/partner/consents/{consent_id}", {"decision": "refuse", "reason": ""})
    assert "Enter why your agency does not consent" in refused.get_data(as_text=True)
    response = post_form(client, f"/partner/consents/{consent_id}", {"decision": "refuse", "reason": "Live safeguarding case"})
    assert response.status_code == 302
    with app.app_context():
        s = db_session()
        item = s.get(Dissemination, item_id)
        assert item.status == "ready"
        dissemination.release(s, item, cycle.lro)
        released = dissemination.content(s, item)
        texts = [a.text for r in released.responses for a in r.answers]
        assert "Open answer" in texts[0] and not any("CONSENT-NEEDED" in t for t in texts)
        assert released.withheld == 1
        assert {"dissemination_requested", "consent_refused", "dissemination_released"} <= set(_actions(s))
        s.commit()
    # The released printout carries the marking at the top and the bottom of the page.
    police = app.test_client()
    sign_in(police, cycle.lro)
    html = police.get(f"/exports/{item_id}/print").get_data(as_text=True)
    assert html.count('app-marking') >= 2 and "OFFICIAL-SENSITIVE" in html and "Open answer" in html
    csv_text = police.get(f"/exports/{item_id}/export.csv").get_data(as_text=True).strip().splitlines()
    assert csv_text[0] == "OFFICIAL-SENSITIVE" and csv_text[-1] == "OFFICIAL-SENSITIVE"


def test_granted_consent_releases_and_no_onward_sharing_never_leaves(app, cycle):
    r1 = cycle.draft(issue=True)
    r2 = cycle.draft(issue=True)
    _answer(app, cycle, r1, "Consented answer", "C", ["originator_consent_required"])
    _answer(app, cycle, r2, "NEVER-SHARE answer", "C", ["no_onward_dissemination"])
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        item = dissemination.start_export(s, op, lawful_basis=LawfulBasis.ISA, purpose="p", necessity="n",
                                          recipients="r", by=cycle.lro)
        with pytest.raises(WorkflowError, match="single point of contact"):
            dissemination.decide_consent(s, item.consents[0], grant=True, reason="", by=cycle.lro)
        dissemination.decide_consent(s, item.consents[0], grant=True, reason="", by=cycle.spoc)
        dissemination.release(s, item, cycle.lro)
        texts = [a.text for r in dissemination.content(s, item).responses for a in r.answers]
        assert any("Consented answer" in t for t in texts) and not any("NEVER-SHARE" in t for t in texts)
        assert "consent_granted" in _actions(s)


def test_sanitised_briefing_needs_a_second_person_and_no_identifiers(app, cycle, make):
    supervisor = make.user(agency=cycle.force, role=Role.SUPERVISOR)
    cycle.indoctrinate(supervisor)
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        with pytest.raises(WorkflowError, match="identifying detail"):
            dissemination.create_briefing(s, op, text="Gary SMITH of LS6 2AB deals from YX19 KLM",
                                          marking=Classification.OFFICIAL, by=cycle.lro)
        with pytest.raises(WorkflowError, match="higher marking"):
            dissemination.create_briefing(s, op, text="A group sells drugs from flats in the area.",
                                          marking=Classification.SECRET, by=cycle.lro)
        briefing = dissemination.create_briefing(s, op, text="A group sells drugs from flats in the area.",
                                                 marking=Classification.OFFICIAL, by=cycle.lro)
        with pytest.raises(WorkflowError, match="second person"):
            dissemination.approve_briefing(s, briefing, cycle.lro)
        dissemination.approve_briefing(s, briefing, s.merge(supervisor))
        assert briefing.status == "approved"
        assert {"sanitised_briefing_created", "sanitised_briefing_approved"} <= set(_actions(s))


def test_originator_sees_who_viewed_and_downloaded(app, cycle):
    request_id = cycle.draft(issue=True)
    _answer(app, cycle, request_id, "Three complaints since July")
    police = app.test_client()
    sign_in(police, cycle.lro)
    assert police.get(f"/requests/{request_id}").status_code == 200
    partner = app.test_client()
    sign_in(partner, cycle.spoc)
    page = partner.get(f"/partner/requests/{request_id}/seen-by").get_data(as_text=True)
    assert cycle.lro.full_name in page and "Viewed the request" in page


def test_disclosure_schedule_lists_everything_with_handling_and_is_audited(app, cycle):
    request_id = cycle.draft(issue=True)
    _answer(app, cycle, request_id, "DISCLOSE-ME answer", "C", ["not_for_evidential_use"])
    police = app.test_client()
    sign_in(police, cycle.lro)
    html = police.get(f"/requests/{request_id}/disclosure").get_data(as_text=True)
    assert "DISCLOSE-ME answer" in html and "Not for use as evidence" in html and "Have you had complaints" in html
    post_form(police, f"/requests/{request_id}/disclosure", {"kind": "foi"})
    with app.app_context():
        s = db_session()
        assert s.get(InformationRequest, request_id).disclosure_flag == "foi"
        assert {"disclosure_schedule_viewed", "disclosure_flag_set"} <= set(_actions(s))
    partner = app.test_client()
    sign_in(partner, cycle.spoc)
    assert partner.get(f"/requests/{request_id}/disclosure").status_code == 404


def test_revocation_and_a_new_version_cut_a_signed_in_session_on_the_next_request(app, cycle, make):
    from gainportal.services import indoctrination

    analyst = make.user(agency=cycle.force, role=Role.ANALYST)
    cycle.indoctrinate(analyst)
    client = app.test_client()
    sign_in(client, analyst)
    url = f"/operations/{cycle.operation_id}"
    assert client.get(url).status_code == 200
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        indoctrination.publish(s, op, "police", "Version two of the agreement", cycle.lro)
        s.commit()
    refused = client.get(url)
    assert refused.status_code == 302 and "/agreements/" in refused.headers["Location"]
    cycle.indoctrinate(analyst)  # signs version two
    assert client.get(url).status_code == 200
    with app.app_context():
        s = db_session()
        record = indoctrination.record_for(s, cycle.operation_id, analyst)
        indoctrination.revoke(s, record, "Moved to another team", cycle.lro)
        s.commit()
    assert client.get(url).status_code == 404
    assert client.get("/operations").get_data(as_text=True).count("Operation Heron") == 0
