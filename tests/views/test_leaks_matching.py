"""The cross-match queue follows the markings of both sides of a candidate: an answer in a
response the partner marked above the analyst's clearance is not listed (its text is the
evidence shown), and a TOP SECRET nominal is only ever "restricted" to an SC analyst."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import Classification, Clearance, MatchCandidate, PartnerResponse, Role
from tests.conftest import post_form, sign_in
from tests.cycle_factories import Cycle
from tests.products_factories import HIDDEN_NAME, seed

RAISED = "RAISED-MARKING-EVIDENCE"


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _pending(app, cycle, made) -> None:
    """Two pending candidates: a visible answer against the TOP SECRET nominal, and a visible
    nominal against an answer whose response the partner marked TOP SECRET."""
    with app.app_context():
        s = db_session()
        visible = s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == made["requests"][0])).first()
        raised = s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == made["requests"][1])).first()
        raised.classification = Classification.TOP_SECRET
        raised.answers[0].text = RAISED
        s.add(MatchCandidate(answer_id=visible.answers[0].id, nominal_id=made["hidden_nominal"],
                             operation_id=cycle.operation_id, score=0.95, tier="strong"))
        s.add(MatchCandidate(answer_id=raised.answers[0].id, nominal_id=made["nominals"][0],
                             operation_id=cycle.operation_id, score=0.95, tier="strong"))
        s.commit()


def _queue(app, user) -> str:
    client = app.test_client()
    sign_in(client, user)
    response = client.get("/matches")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_queue_hides_what_is_above_the_analysts_clearance(app, cycle, make):
    made = seed(app, cycle)
    _pending(app, cycle, made)
    sc = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.SC)
    cycle.indoctrinate(sc)
    page = _queue(app, sc)
    assert HIDDEN_NAME not in page.upper()
    assert RAISED not in page
    assert "Restricted: refer to originator" in page  # the candidate on the TS nominal, without its name


def test_a_cleared_analyst_sees_both(app, cycle, make):
    made = seed(app, cycle)
    _pending(app, cycle, made)
    dv = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.DV)
    cycle.indoctrinate(dv)
    page = _queue(app, dv)
    assert HIDDEN_NAME in page.upper()
    assert RAISED in page


def test_an_sc_analyst_cannot_decide_a_candidate_on_a_raised_answer(app, cycle, make):
    made = seed(app, cycle)
    _pending(app, cycle, made)
    sc = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.SC)
    cycle.indoctrinate(sc)
    with app.app_context():
        cid = db_session().scalar(select(MatchCandidate.id).where(MatchCandidate.status == "pending",
                                                                  MatchCandidate.nominal_id == made["nominals"][0]))
    client = app.test_client()
    sign_in(client, sc)
    response = post_form(client, f"/matches/{cid}/confirm", {"rationale": "Same man"}, form_page="/matches")
    assert response.status_code == 404


def test_a_candidate_carries_its_answers_own_request_whatever_its_maker_says(app, cycle, make):
    """The queue's rule reaches candidates through the request copied onto them: a maker
    that names another (visible) request must not make a hidden answer's candidate visible."""
    made = seed(app, cycle)
    _pending(app, cycle, made)
    with app.app_context():
        s = db_session()
        visible = s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == made["requests"][0])).first()
        raised = s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == made["requests"][1])).first()
        wrong = MatchCandidate(answer_id=raised.answers[0].id, nominal_id=made["nominals"][1],
                               operation_id=cycle.operation_id, score=0.9, tier="strong",
                               response_id=visible.id, request_id=visible.request_id,
                               request_operation_id=cycle.operation_id + 1000)
        s.add(wrong)
        s.commit()
        assert (wrong.response_id, wrong.request_id, wrong.request_operation_id) == (
            raised.id, raised.request_id, raised.request.operation_id)
        for candidate in s.scalars(select(MatchCandidate)):
            assert (candidate.response_id, candidate.request_id, candidate.request_operation_id) == (
                candidate.answer.response_id, candidate.answer.response.request_id,
                candidate.answer.response.request.operation_id)
    sc = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.SC)
    cycle.indoctrinate(sc)
    assert RAISED not in _queue(app, sc)
