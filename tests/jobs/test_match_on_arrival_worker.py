"""Matching on arrival in the job worker: a partner's submission through the app queues its
cross-match once it has committed, and nothing is matched until a real `gainportal worker`
process runs the job; a job that was lost is picked up by the worker's sweep."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from gainportal import jobs
from gainportal.db import db_session
from gainportal.models import (
    AnswerOutcome, AuditEvent, InformationRequest, MatchCandidate, PartnerResponse,
)
from gainportal.services import responses
from gainportal.services.responses import AnswerInput
from tests.conftest import csrf_from, sign_in
from tests.jobs.arrival_world import NAMING_GARY, register_gary
from tests.processes import start_worker, wait_for

pytestmark = pytest.mark.processes

@pytest.fixture
def world(app, make):
    """A register holding Gary Smith, an analyst who may see the operation, and requests to
    the council."""
    return register_gary(app, make)


def _submit_through_the_app(app, cycle, request_id: int, texts: list[str]):
    client = app.test_client()
    sign_in(client, cycle.spoc)
    html = client.get(f"/partner/requests/{request_id}").get_data(as_text=True)
    with app.app_context():
        question_ids = [q.id for q in db_session().get(InformationRequest, request_id).questions]
    form = {"csrf_token": csrf_from(html), "action": "submit",
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)}
    for qid, text in zip(question_ids, texts):
        form |= {f"outcome-{qid}": "answered", f"answer-{qid}": text}
    return client.post(f"/partner/requests/{request_id}/answers", data=form)


def _response(app, request_id: int) -> tuple[int, object]:
    with app.app_context():
        row = db_session().scalar(select(PartnerResponse).where(PartnerResponse.request_id == request_id,
                                                                 PartnerResponse.submitted_at.is_not(None)))
        return row.id, row.matched_at


def _candidates(app) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count(MatchCandidate.id)))


def _queue_page(client) -> str:
    return re.sub(r"\s+", " ", client.get("/matches").get_data(as_text=True))


def test_a_submission_is_matched_by_the_worker_after_it_commits(app, world, tmp_path, settings):
    request_id = world.draft(issue=True)
    sent = _submit_through_the_app(app, world, request_id, [NAMING_GARY, "Nothing else known."])
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/partner/requests/{request_id}/sent")
    response_id, matched_at = _response(app, request_id)
    # Submitted and committed, but no worker is running: nothing is matched yet, and the
    # analyst is told the answers are waiting.
    assert matched_at is None and _candidates(app) == 0
    analyst = app.test_client()
    sign_in(analyst, world.analyst)
    page = _queue_page(analyst)
    assert "2 answers are waiting to be checked against the register" in page
    assert "SMITH, Gary" not in page

    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        wait_for(lambda: _response(app, request_id)[1] is not None, timeout=90, interval=0.3,
                 what="the worker to match the submission")
        assert worker.proc.poll() is None, worker.output()
    finally:
        worker.stop()
    # The worker built the index as it started, before taking the job.
    assert "Cross-matching index of 1 nominals built" in worker.log_path.read_text()
    assert _candidates(app) == 1
    page = _queue_page(analyst)
    assert "SMITH, Gary" in page and "Strong" in page and "waiting to be checked" not in page
    with app.app_context():
        s = db_session()
        matched = s.scalars(select(AuditEvent).where(AuditEvent.action == "answers_matched")).all()
        assert [(e.object_id, json.loads(e.detail), e.actor_user_id) for e in matched] == [
            (str(response_id), {"candidates": 1}, None)]

    # The same job delivered twice (or the sweep after it) does nothing; matched again from
    # scratch, the response gains no duplicate candidates and no second audit event.
    assert jobs._match_one(settings, response_id) == 0
    with app.app_context():
        s = db_session()
        s.execute(update(PartnerResponse).where(PartnerResponse.id == response_id).values(matched_at=None))
        s.commit()
    assert jobs._match_one(settings, response_id) == 0
    assert _candidates(app) == 1 and _response(app, request_id)[1] is not None
    with app.app_context():
        assert db_session().scalar(select(func.count(AuditEvent.seq))
                                   .where(AuditEvent.action == "answers_matched")) == 1


def test_the_sweep_matches_a_response_whose_job_was_lost(app, world, tmp_path, settings):
    lost, fresh = world.draft(issue=True), world.draft(issue=True)
    with app.app_context():
        s = db_session()
        for request_id in (lost, fresh):
            req = s.get(InformationRequest, request_id)
            responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.ANSWERED, NAMING_GARY)
                                          for q in req.questions], world.spoc)
            responses.submit(s, req, world.spoc, f"sweep-{request_id}")
        s.commit()
    huey = jobs.huey_for(settings)
    assert huey.pending_count() == 2
    huey.flush()  # the queue is lost (a Redis restart, a worker killed holding the jobs)
    # One was submitted a while ago; the other only just: its own job may still be coming,
    # so the sweep leaves it alone.
    with app.app_context():
        s = db_session()
        row = s.scalar(select(PartnerResponse).where(PartnerResponse.request_id == lost))
        row.submitted_at -= jobs.SWEEP_GRACE + timedelta(seconds=30)
        s.commit()

    huey.gainportal_tasks["match_sweep"]()  # what the worker's schedule does every 5 minutes
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        wait_for(lambda: _response(app, lost)[1] is not None, timeout=90, interval=0.3, what="the sweep")
        wait_for(lambda: huey.pending_count() == 0, timeout=30, interval=0.3, what="the queue to drain")
    finally:
        worker.stop()
    log = worker.log_path.read_text()
    assert "matching sweep: 1 of 1 unmatched responses matched" in log, log
    fresh_id, fresh_matched_at = _response(app, fresh)
    assert fresh_matched_at is None
    with app.app_context():
        s = db_session()
        answered = {c.answer.response.request_id for c in s.scalars(select(MatchCandidate))}
        assert answered == {lost}
        assert jobs.unmatched_responses(s) == [fresh_id]
