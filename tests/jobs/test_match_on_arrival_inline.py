"""Matching on arrival without a worker process: the job is queued only once the submission
has committed, a queue that is down costs the partner nothing (the sweep catches up), the
analyst's count of answers still waiting covers only what they may see, and immediate mode
(development, the demo, tests) matches right after the commit."""
from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gainportal import jobs
from gainportal.db import db_session
from gainportal.models import (
    AnswerOutcome, Classification, InformationRequest, MatchCandidate, PartnerResponse,
)
from gainportal.services import answer_matching, responses
from gainportal.services.responses import AnswerInput
from gainportal.settings import load_settings
from gainportal.views import matching as matching_views
from tests.conftest import TEST_SECRET_KEY, sign_in
from tests.cycle_factories import Cycle
from tests.jobs.arrival_world import NAMING_GARY, register_gary

@pytest.fixture
def settings(database_url, tmp_path):
    """Jobs queued in SQLite under the instance folder; no worker runs them here."""
    return load_settings("test", database_url=database_url, instance_path=tmp_path / "instance",
                         secret_key=TEST_SECRET_KEY, jobs_immediate=False, jobs_name=f"arrival-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def world(app, make):
    return register_gary(app, make)


def _save_and_submit(s, cycle, request_id: int, text: str = NAMING_GARY) -> PartnerResponse:
    req = s.get(InformationRequest, request_id)
    responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.ANSWERED, text) for q in req.questions],
                         cycle.spoc)
    return responses.submit(s, req, cycle.spoc, f"arrival-{request_id}")


def _waiting(client) -> str | None:
    html = re.sub(r"\s+", " ", client.get("/matches").get_data(as_text=True))
    found = re.search(r'data-testid="answers-waiting">([^<]*)<', html)
    return found.group(1).strip() if found else None


def test_the_job_is_queued_only_when_the_submission_commits(app, world, settings):
    huey = jobs.huey_for(settings)
    request_id = world.draft(issue=True)
    with app.app_context():
        s = db_session()
        _save_and_submit(s, world, request_id)
        s.flush()
        assert huey.pending_count() == 0  # submitted in this transaction, not yet committed
        s.rollback()
    assert huey.pending_count() == 0  # rolled back: no job about a submission that never was
    with app.app_context():
        s = db_session()
        response_id = _save_and_submit(s, world, request_id).id
        s.commit()
    assert huey.pending_count() == 1
    task = huey.dequeue()
    assert (task.name, task.args) == ("match_response", (response_id,))  # an id, never content


def test_a_queue_that_is_down_loses_nothing(app, world, settings, caplog):
    # The queue's SQLite file cannot be opened (a directory stands in its place).
    (settings.instance_path / "jobs.db").mkdir(parents=True)
    request_id = world.draft(issue=True)
    with caplog.at_level(logging.INFO):
        with app.app_context():
            s = db_session()
            response_id = _save_and_submit(s, world, request_id).id
            s.commit()  # the submission stands: the failed enqueue is logged, not raised
    assert f"could not queue the cross-match of response {response_id}" in caplog.text
    assert "Smyth" not in caplog.text and "Acacia" not in caplog.text
    with app.app_context():
        row = db_session().get(PartnerResponse, response_id)
        assert row.submitted_at is not None and row.matched_at is None

    (settings.instance_path / "jobs.db").rmdir()  # the queue is back; the job is still lost
    assert jobs._sweep(settings) == 0  # too recent: its own job may yet arrive
    with app.app_context():
        s = db_session()
        row = s.get(PartnerResponse, response_id)
        row.submitted_at -= jobs.SWEEP_GRACE + timedelta(seconds=1)
        s.commit()
    assert jobs._sweep(settings) == 1
    with app.app_context():
        s = db_session()
        assert s.get(PartnerResponse, response_id).matched_at is not None
        assert s.scalar(select(func.count(MatchCandidate.id))) == 2  # Gary, once per answer
    assert jobs._sweep(settings) == 0  # nothing left


@pytest.mark.parametrize("listed", [200, 1], ids=["waiting-listed", "backlog"])
def test_the_waiting_count_covers_only_answers_the_analyst_may_see(app, make, world, settings, monkeypatch, listed):
    # With a backlog (more waiting than the page names) the count takes the long way round.
    monkeypatch.setattr(matching_views, "WAITING_LISTED", listed)
    seen, marked_above, other_force = world.draft(issue=True), world.draft(issue=True), Cycle(app, make)
    elsewhere = other_force.draft(issue=True)
    with app.app_context():
        s = db_session()
        for cycle, request_id in ((world, seen), (world, marked_above), (other_force, elsewhere)):
            _save_and_submit(s, cycle, request_id)
        # The partner marked one response above the analyst's SC clearance.
        s.scalar(select(PartnerResponse).where(PartnerResponse.request_id == marked_above)).classification = \
            Classification.TOP_SECRET
        s.commit()
        assert len(jobs.unmatched_responses(s)) == 3
    client = app.test_client()
    sign_in(client, world.analyst)
    # Two questions each: only the two answers of the one response the analyst may see.
    assert _waiting(client) == "2 answers are waiting to be checked against the register. " \
                               "Their candidates will appear here when the check is done."
    with app.app_context():
        response_id = db_session().scalar(select(PartnerResponse.id).where(PartnerResponse.request_id == seen))
    jobs._match_one(settings, response_id)
    assert _waiting(client) is None  # the other two still wait, but are not the analyst's to know of


def test_immediate_mode_matches_right_after_the_commit(app, world, database_url, tmp_path):
    immediate = load_settings("test", database_url=database_url, instance_path=tmp_path / "instance",
                              secret_key=TEST_SECRET_KEY)
    assert immediate.jobs_immediate  # config/test.toml, as config/development.toml for the demo
    app.config["SETTINGS"] = immediate
    request_id = world.draft(issue=True)
    with app.app_context():
        s = db_session()
        response = _save_and_submit(s, world, request_id)
        s.flush()
        # Not inside the submitting transaction: the job runs in a session of its own once
        # that has committed (on SQLite it would otherwise wait on this one's write lock).
        assert s.scalar(select(func.count(MatchCandidate.id))) == 0
        s.commit()
        assert s.scalar(select(func.count(MatchCandidate.id))) == 2
        s.refresh(response)
        assert response.matched_at is not None


def test_a_full_rematch_also_marks_what_it_checked(app, world, settings):
    request_id = world.draft(issue=True)
    with app.app_context():
        s = db_session()
        response_id = _save_and_submit(s, world, request_id).id
        s.commit()  # queued; no worker runs it here
        assert answer_matching.rematch_all(s) == 2
        s.commit()
        assert s.get(PartnerResponse, response_id).matched_at is not None
        assert jobs.unmatched_responses(s) == []
