"""Items a request or an operation holds carry their own markings: a partner's response marked
above the viewer's clearance stays off the request page and the disclosure schedule, and the
decision log leaves off decisions about requests, interventions and matches the viewer may
not see (their rationales quote what was decided)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import (
    Classification, Clearance, InformationRequest, Intervention, MatchCandidate, Operation, PartnerResponse, Role, User,
)
from gainportal.services.operations import log_decision
from tests.conftest import sign_in
from tests.cycle_factories import Cycle
from tests.products_factories import seed

RAISED = "RAISED-BY-PARTNER-ANSWER"


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


@pytest.fixture
def clients(app):
    return {}


def _get(app, user, url, clients) -> str:
    # One signed-in client per person: a second sign-in in the same TOTP window is refused.
    if user.id not in clients:
        clients[user.id] = app.test_client()
        sign_in(clients[user.id], user)
    response = clients[user.id].get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _raise_one_response(app, request_id: int) -> None:
    """The partner marks its answer TOP SECRET on a request the LRO may see."""
    with app.app_context():
        s = db_session()
        response = s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == request_id)).first()
        response.classification = Classification.TOP_SECRET
        for answer in response.answers:
            answer.text = RAISED
        s.commit()


@pytest.mark.parametrize("page", ["", "/disclosure"])
def test_a_response_marked_above_clearance_stays_off_the_request_pages(app, cycle, make, page, clients):
    made = seed(app, cycle)
    rid = made["requests"][0]
    _raise_one_response(app, rid)
    text = _get(app, cycle.lro, f"/requests/{rid}{page}", clients)
    assert RAISED not in text
    assert "TOP SECRET" not in text.upper().replace("_", " ")
    dv = make.user(agency=cycle.force, role=Role.LRO, clearance=Clearance.DV)
    cycle.indoctrinate(dv)
    assert RAISED in _get(app, dv, f"/requests/{rid}{page}", clients)


def test_the_disclosure_schedule_says_when_it_is_incomplete(app, cycle, make, clients):
    """A disclosure officer who cannot see a response must not take the schedule for complete."""
    made = seed(app, cycle)
    rid = made["requests"][0]
    assert "disclosure-withheld" not in _get(app, cycle.lro, f"/requests/{rid}/disclosure", clients)
    _raise_one_response(app, rid)
    text = _get(app, cycle.lro, f"/requests/{rid}/disclosure", clients)
    assert "This schedule is not complete: 1 response is marked above your clearance and not listed." in text
    assert RAISED not in text
    dv = make.user(agency=cycle.force, role=Role.LRO, clearance=Clearance.DV)
    cycle.indoctrinate(dv)
    assert "disclosure-withheld" not in _get(app, dv, f"/requests/{rid}/disclosure", clients)


def _hidden_decisions(app, cycle, made) -> None:
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        lro = s.get(User, cycle.lro.id)
        log_decision(s, op, subject_type="information_request", subject_id=made["hidden_request"],
                     decision="assessed", rationale="TS-ASSESSMENT-RATIONALE", by=lro)
        item = Intervention(operation_id=op.id, request_id=made["hidden_request"], pillar="pursue",
                            owner_id=lro.id, recorded_by_id=lro.id)
        s.add(item)
        s.flush()
        log_decision(s, op, subject_type="intervention", subject_id=item.id, decision="intervention_recorded",
                     rationale="TS-INTERVENTION-RATIONALE", by=lro)
        hidden_match = next(m for m in s.scalars(select(MatchCandidate).where(MatchCandidate.operation_id == op.id))
                            if m.answer.response.request_id == made["hidden_request"])
        log_decision(s, op, subject_type="match_candidate", subject_id=hidden_match.id, decision="match_confirmed",
                     rationale="TS-MATCH-RATIONALE", by=lro)
        shown = s.get(InformationRequest, made["requests"][0])
        log_decision(s, op, subject_type="information_request", subject_id=shown.id, decision="assessed",
                     rationale="VISIBLE-ASSESSMENT", by=lro)
        s.commit()


def test_the_decision_log_leaves_off_decisions_about_hidden_items(app, cycle, make, clients):
    made = seed(app, cycle)
    _hidden_decisions(app, cycle, made)
    text = _get(app, cycle.lro, f"/operations/{cycle.operation_id}/decisions", clients)
    assert "VISIBLE-ASSESSMENT" in text
    for hidden in ("TS-ASSESSMENT-RATIONALE", "TS-INTERVENTION-RATIONALE", "TS-MATCH-RATIONALE"):
        assert hidden not in text
    dv = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.DV)
    cycle.indoctrinate(dv)
    text = _get(app, dv, f"/operations/{cycle.operation_id}/decisions", clients)
    for hidden in ("TS-ASSESSMENT-RATIONALE", "TS-INTERVENTION-RATIONALE", "TS-MATCH-RATIONALE"):
        assert hidden in text


def test_the_decision_count_caption_counts_only_what_is_shown(app, cycle, clients):
    made = seed(app, cycle)
    before = int(re.search(r"(\d+) decisions", _get(app, cycle.lro, f"/operations/{cycle.operation_id}/decisions", clients))
                 .group(1))
    _hidden_decisions(app, cycle, made)
    after = int(re.search(r"(\d+) decisions", _get(app, cycle.lro, f"/operations/{cycle.operation_id}/decisions", clients))
                .group(1))
    assert after == before + 1  # only VISIBLE-ASSESSMENT is added for this viewer


def test_the_decision_log_leaves_off_a_link_to_an_ocg_the_viewer_may_not_see(app, cycle, clients):
    from tests.products_factories import seed_links

    seed_links(app, cycle, seed(app, cycle))
    text = _get(app, cycle.lro, f"/operations/{cycle.operation_id}/decisions", clients)
    assert "Feud over the Heron Walk market" in text  # the rival OCG the LRO has signed for
    assert "BITTERN-NOTE" not in text  # an operation the LRO has not signed for


def test_a_decision_of_a_kind_the_log_did_not_hold_when_read_is_left_off(app, cycle):
    """The log is filtered only for the kinds of subject it held a moment earlier; a
    decision of another checkable kind logged in between is left off, not shown unchecked."""
    from flask_login import login_user

    from gainportal.models import DecisionLogEntry
    from gainportal.views.operations import _decision_visible

    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        lro = s.get(User, cycle.lro.id)
        entry = log_decision(s, op, subject_type="circulation", subject_id=None, decision="circulated",
                             rationale="LOGGED-IN-BETWEEN", by=lro)
        s.commit()
        entry_id = entry.id
    with app.test_request_context():
        s = db_session()
        login_user(s.get(User, cycle.lro.id))
        op = s.get(Operation, cycle.operation_id)

        def shown(kinds):
            return entry_id in s.scalars(select(DecisionLogEntry.id).where(
                DecisionLogEntry.operation_id == op.id, _decision_visible(op, s.get(User, cycle.lro.id), kinds))).all()

        assert not shown(set())
        assert not shown({"information_request"})
        assert shown({"circulation"})  # checked: no circulation it could be hiding


def test_a_tampered_rationale_fails_closed_on_the_decision_log(app, cycle, clients):
    """The log opens rationales from their stored parts: a ciphertext that does not open
    stops the page (409) and shows none of it, as reading the entry's attribute would."""
    from sqlalchemy import update

    from gainportal.models import DecisionLogEntry

    with app.app_context():
        s = db_session()
        entry = log_decision(s, s.get(Operation, cycle.operation_id), subject_type="operation",
                             subject_id=cycle.operation_id, decision="reviewed", rationale="TAMPERED-RATIONALE",
                             by=s.get(User, cycle.lro.id))
        s.commit()
        blob = bytearray(entry.rationale_sealed)
        blob[-1] ^= 1
        s.execute(update(DecisionLogEntry).where(DecisionLogEntry.id == entry.id).values(rationale_sealed=bytes(blob)))
        s.commit()
    client = app.test_client()
    sign_in(client, cycle.lro)
    response = client.get(f"/operations/{cycle.operation_id}/decisions")
    assert response.status_code == 409
    assert "could not be opened safely" in response.get_data(as_text=True)


def test_a_partners_unsent_draft_is_not_on_the_disclosure_schedule(app, cycle, clients):
    """The draft is the partner's alone until they send it (its files are refused for download
    too); the disclosure schedule lists what the force holds."""
    from gainportal.models import AnswerOutcome
    from gainportal.services import responses
    from gainportal.services.responses import AnswerInput

    rid = cycle.draft(issue=True)
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, rid)
        responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.ANSWERED, "UNSENT-DRAFT-WORDING")
                                      for q in req.questions], s.get(User, cycle.spoc.id))
        s.commit()
    text = _get(app, cycle.lro, f"/requests/{rid}/disclosure", clients)
    assert "UNSENT-DRAFT-WORDING" not in text


def test_who_has_seen_leaves_off_views_of_a_response_above_clearance(app, cycle, make, clients):
    from gainportal.services import audit

    made = seed(app, cycle)
    rid = made["requests"][0]
    _raise_one_response(app, rid)
    dv = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.DV)
    with app.app_context():
        s = db_session()
        s.get(User, dv.id).full_name = "Dora Vetted"
        raised = s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == rid,
                                                         PartnerResponse.classification == Classification.TOP_SECRET)).one()
        audit.record(s, "response_graded", object_type="partner_response", object_id=raised.id,
                     actor=s.get(User, dv.id))
        s.commit()
    text = _get(app, cycle.lro, f"/requests/{rid}/seen-by", clients)
    assert "Dora Vetted" not in text


def test_a_removed_links_decisions_stay_as_restricted_as_the_link(app, cycle, make, clients):
    """Decisions about a TOP SECRET link between two visible nominals: hidden from the SC
    officer while the link exists, and still hidden once it has been removed (the entries
    keep the link's marking); a DV analyst sees them throughout."""
    from gainportal.models import NominalAssociation
    from gainportal.services import associations
    from tests.products_factories import seed_links

    seed_links(app, cycle, seed(app, cycle))
    dv = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.DV)
    cycle.indoctrinate(dv)
    with app.app_context():
        s = db_session()
        link = s.scalar(select(NominalAssociation).where(NominalAssociation.classification == Classification.TOP_SECRET,
                                                         NominalAssociation.nominal_id.in_(
                                                             select(NominalAssociation.nominal_id))).limit(1))
        assert link is not None
        associations.remove_link(s, link, by=s.get(User, dv.id), reason="TS-LINK-REMOVAL-REASON",
                                 operation=s.get(Operation, cycle.operation_id))
        s.commit()
    decisions = f"/operations/{cycle.operation_id}/decisions"
    assert "TS-LINK-REMOVAL-REASON" not in _get(app, cycle.lro, decisions, clients)
    assert "TS-LINK-REMOVAL-REASON" in _get(app, dv, decisions, clients)
