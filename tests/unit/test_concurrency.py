"""Two people at once: one clear winner, a clear message for the other, nothing lost."""
from __future__ import annotations

import threading

import pytest

from gainportal.db import db_session
from gainportal.models import AnswerOutcome, InformationRequest, PartnerResponse, RequestState, ResponseState, Role
from gainportal.services import requests, responses
from gainportal.services.errors import WorkflowError
from gainportal.services.responses import AnswerInput
from tests.cycle_factories import Cycle


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _race(app, *actions):
    """Run each action in its own thread and app context, released together."""
    barrier = threading.Barrier(len(actions))
    outcomes: list = [None] * len(actions)

    def run(index, action):
        with app.app_context():
            s = db_session()
            try:
                barrier.wait(timeout=10)
                action(s)
                s.commit()
                outcomes[index] = "ok"
            except WorkflowError as exc:
                s.commit()  # the loser's own earlier work (its draft) still lands
                outcomes[index] = str(exc)
            except Exception as exc:  # noqa: BLE001 - any other error is a failure of the test
                s.rollback()
                outcomes[index] = f"ERROR {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def _issued_with_draft(app, cycle, outcome=AnswerOutcome.NO_TRACE, text: str = "") -> int:
    """An issued request whose agency's draft answers every question (committed): its id."""
    request_id = cycle.draft(issue=True)
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        responses.save_draft(s, req, [AnswerInput(q.id, outcome, text) for q in req.questions], cycle.spoc)
        s.commit()
    return request_id


def test_a_colleague_who_submitted_first_is_reported_as_already_answered(app, cycle, make):
    """The race above, in a fixed order: the loser read the request (still open) before the
    winner's submission committed, and finds no draft left when it submits."""
    second = make.user(agency=cycle.council, role=Role.PARTNER_SPOC)
    request_id = _issued_with_draft(app, cycle)
    with app.app_context():
        loser = db_session()
        stale = loser.get(InformationRequest, request_id)
        assert stale.state is RequestState.ISSUED
        loser.commit()  # a new transaction will see the winner's commit (READ COMMITTED and SQLite alike)
        with app.app_context():
            winner = db_session()
            responses.submit(winner, winner.get(InformationRequest, request_id), winner.merge(cycle.spoc), "first")
            winner.commit()
        with pytest.raises(WorkflowError, match="already answered. Your agency\u2019s response has been sent"):
            responses.submit(loser, stale, loser.merge(second), "second")


def test_two_spocs_submit_at_once(app, cycle, make):
    second = make.user(agency=cycle.council, role=Role.PARTNER_SPOC)
    request_id = _issued_with_draft(app, cycle)

    def submitter(user, key):
        def act(s):
            responses.submit(s, s.get(InformationRequest, request_id), s.merge(user), key)
        return act

    outcomes = _race(app, submitter(cycle.spoc, "race-a"), submitter(second, "race-b"))
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert not loser.startswith("ERROR") and ("already" in loser or "same time" in loser)
    with app.app_context():
        s = db_session()
        sent = [r for r in s.query(PartnerResponse).filter_by(request_id=request_id)
                if r.state is ResponseState.SUBMITTED]
        assert len(sent) == 1
        assert s.get(InformationRequest, request_id).state is RequestState.ANSWERED


def test_withdraw_while_the_partner_submits(app, cycle):
    request_id = _issued_with_draft(app, cycle, AnswerOutcome.ANSWERED, "Typed before the race")

    def submit(s):
        responses.submit(s, s.get(InformationRequest, request_id), s.merge(cycle.spoc), "race-w")

    def withdraw(s):
        requests.withdraw(s, s.get(InformationRequest, request_id), "Not needed", s.merge(cycle.lro))

    outcomes = _race(app, submit, withdraw)
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    assert not any(o.startswith("ERROR") for o in outcomes), outcomes
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        assert req.state in (RequestState.ANSWERED, RequestState.WITHDRAWN)
        kept = s.query(PartnerResponse).filter_by(request_id=request_id).one()
        assert [a.text for a in kept.answers] == ["Typed before the race"] * len(kept.answers)
        expected = ResponseState.SUBMITTED if req.state is RequestState.ANSWERED else ResponseState.DRAFT
        assert kept.state is expected
