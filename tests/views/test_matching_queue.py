"""Cross-matching in the portal: the register imports from CSV with row errors, answers
are matched on arrival, analysts confirm or reject with a rationale, a nominal the analyst
may not see is only ever "restricted: refer to originator", and nothing is stored in clear."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import (
    AnswerOutcome, AuditEvent, InformationRequest, MatchCandidate, NominalKey, Operation, Role,
)
from gainportal.services import answer_matching, nominal_register, responses
from gainportal.services.responses import AnswerInput
from tests.conftest import post_form, sign_in
from tests.cycle_factories import Cycle

CSV = """nominal_id,forenames,surname,aliases,dob,address,postcode,vrms,phones,ocg_ref,role
N-1,Gary,Smith,Gaz,1985-04-03,14 Acacia Road,LS6 2AB,YX19KLM,07700900123,{ref},principal
N-2,Darren,O'Neill,Daz,1990-11-21,3 Kirkstall Lane,LS5 3BT,,,{ref},significant
N-3,Bad,,,,,,,,{ref},principal
N-4,Wrong,Date,,03/04/1985,,,,,{ref},principal
N-5,No,Operation,,,,,,,OP-NOT-MINE,principal
"""


@pytest.fixture
def cycle(app, make):
    answer_matching.forget()
    return Cycle(app, make)


def _import(app, cycle, analyst, commit=True):
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        result = nominal_register.import_csv(s, CSV.format(ref=op.reference), {op.reference: op},
                                             s.merge(analyst), commit=commit)
        s.commit()
        return result


def _answer(app, cycle, request_id, text):
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.ANSWERED, text) for q in req.questions],
                             cycle.spoc)
        responses.submit(s, req, cycle.spoc, f"m-{request_id}")
        s.commit()


def test_import_reports_each_bad_row_and_keeps_the_good_ones(app, cycle, make):
    analyst = make.user(agency=cycle.force, role=Role.ANALYST)
    preview = _import(app, cycle, analyst, commit=False)
    assert len(preview.ready) == 2 and preview.imported == 0
    assert [line for line, _ in preview.errors] == [4, 5, 6]
    messages = " ".join(m for _, m in preview.errors)
    assert "surname is empty" in messages and "dob must be a date" in messages and "not an operation" in messages
    result = _import(app, cycle, analyst)
    assert result.imported == 2
    with app.app_context():
        assert db_session().scalar(select(NominalKey.id).limit(1)) is not None


def test_answer_naming_a_nominal_by_nickname_and_misspelt_surname_is_a_strong_candidate(app, cycle, make):
    analyst = make.user(agency=cycle.force, role=Role.ANALYST)
    cycle.indoctrinate(analyst)
    _import(app, cycle, analyst)
    request_id = cycle.draft(issue=True)
    _answer(app, cycle, request_id, "Complaints about a man called Gaz Smyth (dob 3/4/85) selling puppies at 14 Acacia Rd.")
    client = app.test_client()
    sign_in(client, analyst)
    page = client.get("/matches").get_data(as_text=True)
    assert "SMITH, Gary" in page and "Strong" in page and "<mark>" in page
    with app.app_context():
        candidate = db_session().scalar(select(MatchCandidate).where(MatchCandidate.tier == "strong"))
        candidate_id = candidate.id
    refused = post_form(client, f"/matches/{candidate_id}/confirm", {"rationale": ""}, form_page="/matches")
    assert refused.status_code == 302
    post_form(client, f"/matches/{candidate_id}/confirm", {"rationale": "Same DOB and address"}, form_page="/matches")
    with app.app_context():
        s = db_session()
        assert s.get(MatchCandidate, candidate_id).status == "confirmed"
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "match_confirmed"))
    lro = app.test_client()
    sign_in(lro, cycle.lro)
    assert "SMITH, Gary" in lro.get(f"/operations/{cycle.operation_id}").get_data(as_text=True)


def test_a_nominal_the_analyst_may_not_see_is_only_restricted(app, cycle, make):
    owner_analyst = make.user(agency=cycle.force, role=Role.ANALYST)
    cycle.indoctrinate(owner_analyst)
    _import(app, cycle, owner_analyst)
    # A second operation of the same force, whose agreement this analyst has not signed,
    # asks the same partner; its answer names the first operation's nominal.
    other = Cycle(app, make)
    outsider = make.user(agency=other.force, role=Role.ANALYST)
    other.indoctrinate(outsider)
    request_id = other.draft(issue=True)
    _answer(app, other, request_id, "A man called Gaz Smith, born 03/04/1985, lives at 14 Acacia Road LS6 2AB.")
    client = app.test_client()
    sign_in(client, outsider)
    page = client.get("/matches").get_data(as_text=True)
    assert "Restricted: refer to originator" in page
    assert "SMITH, Gary" not in page and "N-1" not in page and "Same DOB" not in page
    with app.app_context():
        candidate_id = db_session().scalar(select(MatchCandidate.id))
    post_form(client, f"/matches/{candidate_id}/confirm", {"rationale": "trying"}, form_page="/matches")
    with app.app_context():
        assert db_session().get(MatchCandidate, candidate_id).status == "pending"
