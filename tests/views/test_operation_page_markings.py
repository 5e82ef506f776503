"""The operation page lists what the viewer may see of the operation: a nominal, an
intervention or a confirmed match above the viewer's clearance is left off (and counted
for nominals), as in the products."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import Clearance, Intervention, MatchCandidate, Role
from tests.conftest import sign_in
from tests.cycle_factories import Cycle
from tests.products_factories import HIDDEN_NAME, seed


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _page(app, user, op_id) -> str:
    client = app.test_client()
    sign_in(client, user)
    response = client.get(f"/operations/{op_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _hide_more(app, cycle, made):
    """An intervention and a confirmed match that come from the TOP SECRET request."""
    with app.app_context():
        s = db_session()
        item = Intervention(operation_id=cycle.operation_id, request_id=made["hidden_request"], pillar="pursue",
                            owner_id=cycle.lro.id, recorded_by_id=cycle.lro.id)
        s.add(item)
        s.flush()
        item.action = "ARREST-FROM-TOPSECRET"
        s.commit()


def test_items_above_clearance_stay_off_the_operation_page(app, cycle):
    made = seed(app, cycle)
    _hide_more(app, cycle, made)
    page = _page(app, cycle.lro, cycle.operation_id)
    assert "SMITH, Gary" in page
    assert HIDDEN_NAME not in page.upper()
    assert "1 nominal(s) on this operation are above your clearance" in page
    assert "ARREST-FROM-TOPSECRET" not in page
    assert "Pursue action on Heron Walk" in page


def test_a_cleared_analyst_sees_them(app, cycle, make):
    made = seed(app, cycle)
    _hide_more(app, cycle, made)
    dv = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.DV)
    cycle.indoctrinate(dv)
    page = _page(app, dv, cycle.operation_id)
    assert HIDDEN_NAME in page.upper()
    assert "above your clearance" not in page
    assert "ARREST-FROM-TOPSECRET" in page


def test_confirmed_matches_follow_the_answer_marking(app, cycle):
    made = seed(app, cycle)
    with app.app_context():
        confirmed = db_session().scalars(select(MatchCandidate).where(
            MatchCandidate.operation_id == cycle.operation_id, MatchCandidate.status == "confirmed")).all()
        hidden_answers = {m.id for m in confirmed if m.answer.response.request_id == made["hidden_request"]}
        shown = {m.id for m in confirmed} - hidden_answers
        assert hidden_answers and shown  # the seed confirms matches on both sides
        visible_refs = {m.answer.response.request.reference for m in confirmed if m.id in shown}
        hidden_refs = {m.answer.response.request.reference for m in confirmed if m.id in hidden_answers}
    page = _page(app, cycle.lro, cycle.operation_id)
    assert all(f"request {ref}" in page for ref in visible_refs)
    assert not any(f"request {ref}" in page for ref in hidden_refs)
