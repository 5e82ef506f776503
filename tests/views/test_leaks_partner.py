"""A partner's response carries the marking the SPOC gave it: a partner user whose clearance
does not cover it sees the request (their question is assigned to them) but not the answers
or files their agency sent under that marking."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import (
    AnswerOutcome, Classification, Clearance, InformationRequest, Operation, PartnerResponse, Role, User,
)
from gainportal.services import indoctrination, responses
from gainportal.services.responses import AnswerInput
from tests.conftest import sign_in
from tests.cycle_factories import Cycle

RAISED = "RAISED-BY-THE-SPOC"


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _answered(app, cycle, partner_user, classification) -> int:
    rid = cycle.draft(issue=True)
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, rid)
        for q in req.questions:
            q.assigned_to_id = partner_user.id
        op, pu = s.get(Operation, cycle.operation_id), s.get(User, partner_user.id)
        indoctrination.invite(s, op, pu, s.get(User, cycle.spoc.id))
        indoctrination.sign(s, op, pu, typed_name=pu.full_name, confirmed=True)
        spoc = s.get(User, cycle.spoc.id)
        responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.ANSWERED, RAISED) for q in req.questions], spoc)
        responses.submit(s, req, spoc, f"k-{rid}")
        for resp in s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == rid)):
            resp.classification = classification
        s.commit()
    return rid


def _page(app, user, rid) -> str:
    client = app.test_client()
    sign_in(client, user)
    response = client.get(f"/partner/requests/{rid}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_partner_user_does_not_see_answers_marked_above_their_clearance(app, cycle, make):
    pu = make.user(agency=cycle.council, role=Role.PARTNER_USER, clearance=Clearance.SC)
    rid = _answered(app, cycle, pu, Classification.TOP_SECRET)
    assert RAISED not in _page(app, pu, rid)


def test_within_clearance_they_do(app, cycle, make):
    pu = make.user(agency=cycle.council, role=Role.PARTNER_USER, clearance=Clearance.SC)
    rid = _answered(app, cycle, pu, Classification.OFFICIAL_SENSITIVE)
    assert RAISED in _page(app, pu, rid)
