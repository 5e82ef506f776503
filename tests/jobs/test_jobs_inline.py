"""Jobs without a worker: immediate mode (a job runs inside the request that starts it,
which on SQLite must not deadlock on the request's own write lock), a run left for dead by
a killed worker, and the schedules."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from gainportal import jobs
from gainportal.db import db_session
from gainportal.models import AnswerOutcome, AuditEvent, InformationRequest, MatchCandidate, Operation, Role
from gainportal.services import answer_matching, nominal_register, responses
from gainportal.services.responses import AnswerInput
from gainportal.settings import load_settings
from tests.conftest import TEST_SECRET_KEY, post_form, sign_in
from tests.cycle_factories import Cycle

REGISTER = """nominal_id,forenames,surname,aliases,dob,address,postcode,vrms,phones,ocg_ref,role
N-1,Gary,Smith,Gaz,1985-04-03,14 Acacia Road,LS6 2AB,YX19KLM,07700900123,{ref},principal
"""


@pytest.fixture
def settings(database_url, tmp_path):
    return load_settings("test", database_url=database_url, instance_path=tmp_path / "instance",
                         secret_key=TEST_SECRET_KEY, jobs_immediate=True, jobs_name=f"inline-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def world(app, make):
    """An analyst, one submitted answer naming a man, and a register imported after it."""
    answer_matching.forget()
    cycle = Cycle(app, make)
    analyst = make.user(agency=cycle.force, role=Role.ANALYST)
    cycle.indoctrinate(analyst)
    request_id = cycle.draft(issue=True)
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        texts = ["Gaz Smyth (dob 3/4/85) lives at 14 Acacia Rd."] + ["Nothing known."] * (len(req.questions) - 1)
        responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.ANSWERED, t)
                                      for q, t in zip(req.questions, texts)], cycle.spoc)
        responses.submit(s, req, cycle.spoc, "inline-1")
        s.commit()  # matched on arrival (inline, after this commit) against an empty register
        op = s.get(Operation, cycle.operation_id)
        nominal_register.import_csv(s, REGISTER.format(ref=op.reference), {op.reference: op}, s.merge(analyst),
                                    commit=True)
        s.commit()
    return analyst


def _candidates(app) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count(MatchCandidate.id)))


def test_immediate_mode_runs_the_rematch_inside_the_request(app, world, settings):
    client = app.test_client()
    sign_in(client, world)
    page = post_form(client, "/matches/rematch", {}, form_page="/matches", follow_redirects=True)
    html = page.get_data(as_text=True)
    panel = re.search(r'data-testid="rematch-progress" data-state="(\w+)"', html)
    assert panel and panel.group(1) == "done", html[:3000]
    assert "1 responses checked, 1 new candidates to review" in re.sub(r"\s+", " ", html)
    assert _candidates(app) == 1
    with app.app_context():
        actions = db_session().scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions.count("rematch_run") == 1 and actions.count("rematch_requested") == 1


def test_a_run_whose_worker_died_can_be_started_again(app, world, settings):
    huey = jobs.huey_for(settings)
    ten_minutes_ago = (datetime.now(timezone.utc) - jobs.STALE_AFTER - timedelta(seconds=5)).isoformat()
    huey.put(jobs.REMATCH_STATUS, {"state": "running", "done": 3, "total": 9, "updated_at": ten_minutes_ago})
    huey.lock_task(jobs.REMATCH_LOCK).acquire()  # held by the worker that died
    status = jobs.rematch_status(huey)
    assert status["state"] == "failed" and status["stale"]
    client = app.test_client()
    sign_in(client, world)
    html = client.get("/matches").get_data(as_text=True)
    assert 'data-state="failed"' in html and "Start it again" in html
    started, status = jobs.start_rematch(settings, world.id)
    assert started and status["state"] == "done" and status["created"] == 1
    assert _candidates(app) == 1


def test_a_rematch_no_worker_picked_up_says_so(app, world, settings):
    huey = jobs.huey_for(settings)
    long_ago = (datetime.now(timezone.utc) - jobs.STALE_AFTER - timedelta(seconds=5)).isoformat()
    huey.put(jobs.REMATCH_STATUS, {"state": "queued", "done": 0, "total": None, "updated_at": long_ago})
    client = app.test_client()
    sign_in(client, world)
    html = client.get("/matches").get_data(as_text=True)
    assert 'data-state="failed"' in html and "the worker may not be running" in html


def test_a_recent_run_is_not_started_twice(app, world, settings):
    huey = jobs.huey_for(settings)
    now = datetime.now(timezone.utc).isoformat()
    huey.put(jobs.REMATCH_STATUS, {"state": "running", "done": 3, "total": 9, "updated_at": now})
    started, status = jobs.start_rematch(settings, world.id)
    assert not started and status["state"] == "running"
    assert _candidates(app) == 0


def test_schedules(settings):
    huey = jobs.huey_for(settings)

    def due(hour, minute):
        return sorted(task.name for task in huey.read_periodic(datetime(2026, 3, 4, hour, minute)))

    assert due(2, 30) == ["match_sweep", "notify_periodic", "retention_periodic"]
    assert due(10, 45) == ["match_sweep", "notify_periodic"]
    assert due(10, 50) == ["match_sweep"]
    assert due(10, 46) == []
