"""A gunicorn worker killed (SIGKILL) in the middle of a partner's submission: nothing
half-submitted, nothing duplicated on retry, the partner's typing kept, the portal still
serving, and the audit chain intact."""
from __future__ import annotations

import os
import re
import signal
import threading

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import InformationRequest, PartnerResponse, RequestState, ResponseState, Role
from gainportal.services import indoctrination
from tests.cycle_factories import Cycle
from tests.processes import Browser, assert_audit_chain_intact, gunicorn_children, wait_for

pytestmark = pytest.mark.processes


def _answer_fields(app, request_id: int, texts: list[str], action: str, key: str) -> list[tuple[str, str]]:
    with app.app_context():
        questions = [q.id for q in db_session().get(InformationRequest, request_id).questions]
    fields = [("idempotency_key", key), ("action", action)]
    for qid, text in zip(questions, texts):
        fields += [(f"outcome-{qid}", "answered"), (f"answer-{qid}", text)]
    return fields


def _responses(app, request_id: int) -> list[tuple]:
    """(state, idempotency key, sorted answer texts) of each of the request's responses."""
    with app.app_context():
        s = db_session()
        rows = s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == request_id)
                         .order_by(PartnerResponse.id)).all()
        return [(r.state, r.idempotency_key, sorted(a.text or "" for a in r.answers)) for r in rows]


def _in_background(fn):
    outcome: dict = {}

    def run():
        try:
            outcome["page"] = fn()
        except Exception as exc:  # noqa: BLE001 - the killed request is expected to fail
            outcome["error"] = exc
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_worker_killed_mid_submission_loses_nothing_and_retry_submits_once(app, make, portal):
    cycle = Cycle(app, make)
    request_id = cycle.draft(issue=True)
    path = f"/partner/requests/{request_id}"
    partner = Browser(portal.port)
    partner.sign_in(cycle.spoc)

    saved = partner.post(f"{path}/answers", [("csrf_token", partner.csrf(path)),
                                             *_answer_fields(app, request_id, ["First thoughts", "Later"], "save",
                                                             "k-save")])
    assert saved.status == 302, saved.text[:500]

    # The partner changes an answer and presses submit; the worker dies inside the
    # submission's transaction.
    token = partner.csrf(path)
    final = ["Yes: 14 complaints since June about the flats at Heron Walk", "A grey van, seen most nights"]
    submission = [("csrf_token", token), *_answer_fields(app, request_id, final, "submit", "k-submit-1")]
    portal.hold("submit")
    thread, outcome = _in_background(lambda: partner.post(f"{path}/answers", submission))
    held = wait_for(lambda: portal.held("submit"), timeout=60, what="the submission to reach the pause")
    victim = int(held[0].name.rsplit("-", 1)[1])
    assert victim in gunicorn_children(portal.master_pid)
    os.kill(victim, signal.SIGKILL)
    thread.join(60)
    assert "error" in outcome or outcome["page"].status >= 500, outcome
    portal.release("submit")

    # Nothing was submitted, and what the partner typed before pressing submit is kept.
    assert _responses(app, request_id) == [(ResponseState.DRAFT, None, sorted(final))]
    with app.app_context():
        assert db_session().get(InformationRequest, request_id).state is RequestState.ISSUED

    # The master replaced the worker; the portal answers without a restart.
    wait_for(lambda: len(gunicorn_children(portal.master_pid)) == 2 and victim not in gunicorn_children(
        portal.master_pid), timeout=60, what="gunicorn to replace the killed worker")
    page = partner.get(path)
    assert page.status == 200 and final[0] in page.text

    # The browser resends the same form: exactly one submission, however often it is sent.
    first = partner.post(f"{path}/answers", submission)
    again = partner.post(f"{path}/answers", submission)
    assert first.status == 302 and first.location.endswith(f"{path}/sent"), first.text[:800]
    assert again.status == 302 and again.location.endswith(f"{path}/sent"), again.text[:800]
    assert _responses(app, request_id) == [(ResponseState.SUBMITTED, "k-submit-1", sorted(final))]
    with app.app_context():
        assert db_session().get(InformationRequest, request_id).state is RequestState.ANSWERED
    assert portal.server.proc.poll() is None
    assert_audit_chain_intact(app)


def test_two_spocs_submit_at_once_through_two_workers(app, make, portal):
    cycle = Cycle(app, make)
    second = make.user(agency=cycle.council, role=Role.PARTNER_SPOC)
    request_id = cycle.draft(issue=True)
    with app.app_context():
        s = db_session()
        indoctrination.sign(s, s.get(InformationRequest, request_id).operation, second,
                            typed_name=second.full_name, confirmed=True)
        s.commit()
    path = f"/partner/requests/{request_id}"
    first_spoc, second_spoc = Browser(portal.port), Browser(portal.port)
    first_spoc.sign_in(cycle.spoc)
    second_spoc.sign_in(second)
    texts = ["Two complaints", "No vehicle mentioned"]
    saved = first_spoc.post(f"{path}/answers", [("csrf_token", first_spoc.csrf(path)),
                                                *_answer_fields(app, request_id, texts, "save", "k0")])
    assert saved.status == 302
    forms = [[("csrf_token", browser.csrf(path)), *_answer_fields(app, request_id, texts, "submit", key)]
             for browser, key in ((first_spoc, "k-first"), (second_spoc, "k-second"))]

    # The first submission waits inside its transaction in one worker while the second
    # arrives at the other worker.
    portal.hold("submit")
    first_thread, first = _in_background(lambda: first_spoc.post(f"{path}/answers", forms[0]))
    wait_for(lambda: portal.held("submit"), timeout=60, what="the first submission to reach the pause")
    second_thread, second_outcome = _in_background(lambda: second_spoc.post(f"{path}/answers", forms[1]))
    second_thread.join(1.0)  # give it time to reach the database; it must wait, not finish
    portal.release("submit")
    first_thread.join(60)
    second_thread.join(60)

    assert first["page"].status == 302 and first["page"].location.endswith(f"{path}/sent")
    loser = second_outcome["page"]
    assert loser.status == 200, loser.text[:800]
    assert "Traceback" not in loser.text
    assert ("same time" in loser.text or "already answered" in loser.text), loser.text[:3000]
    assert _responses(app, request_id) == [(ResponseState.SUBMITTED, "k-first", sorted(texts))]
    assert_audit_chain_intact(app)


def test_officer_withdraws_while_the_partner_submits(app, make, portal):
    cycle = Cycle(app, make)
    request_id = cycle.draft(issue=True)
    path = f"/partner/requests/{request_id}"
    partner, officer = Browser(portal.port), Browser(portal.port)
    partner.sign_in(cycle.spoc)
    officer.sign_in(cycle.lro)
    texts = ["Noise complaints on 3 June", "A red hatchback"]
    saved = partner.post(f"{path}/answers", [("csrf_token", partner.csrf(path)),
                                             *_answer_fields(app, request_id, texts, "save", "k0")])
    assert saved.status == 302
    submission = [("csrf_token", partner.csrf(path)), *_answer_fields(app, request_id, texts, "submit", "k-1")]
    withdraw_path = f"/requests/{request_id}/withdraw"
    withdrawal = [("csrf_token", officer.csrf(withdraw_path)), ("rationale", "The suspect has been charged")]

    portal.hold("submit")
    submit_thread, submitted = _in_background(lambda: partner.post(f"{path}/answers", submission))
    wait_for(lambda: portal.held("submit"), timeout=60, what="the submission to reach the pause")
    withdraw_thread, withdrawn = _in_background(lambda: officer.post(withdraw_path, withdrawal))
    withdraw_thread.join(1.0)
    portal.release("submit")
    submit_thread.join(60)
    withdraw_thread.join(60)

    assert submitted["page"].status == 302 and submitted["page"].location.endswith(f"{path}/sent")
    loser = withdrawn["page"]
    assert loser.status == 200 and "Traceback" not in loser.text, loser.text[:800]
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', loser.text, re.S)
    assert summary, loser.text[-6000:]
    message = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", summary.group(1))).strip()
    assert "changed this request at the same time" in message and "Refresh the page" in message, message
    assert "Answered" in officer.get(f"/requests/{request_id}").text
    with app.app_context():
        assert db_session().get(InformationRequest, request_id).state is RequestState.ANSWERED
    assert _responses(app, request_id) == [(ResponseState.SUBMITTED, "k-1", sorted(texts))]
    assert_audit_chain_intact(app)


def test_officer_withdraws_first_and_the_partner_submitting_at_that_moment_keeps_the_draft(app, make, settings,
                                                                                           portal):
    """The other order, made certain without a hook: the test holds the request's row lock,
    the withdrawal queues for it first, then the submission; PostgreSQL grants them in turn."""
    import psycopg

    cycle = Cycle(app, make)
    request_id = cycle.draft(issue=True)
    path = f"/partner/requests/{request_id}"
    partner, officer = Browser(portal.port), Browser(portal.port)
    partner.sign_in(cycle.spoc)
    officer.sign_in(cycle.lro)
    texts = ["Seen on 3 June", "A blue van"]
    saved = partner.post(f"{path}/answers", [("csrf_token", partner.csrf(path)),
                                             *_answer_fields(app, request_id, texts, "save", "k0")])
    assert saved.status == 302
    submission = [("csrf_token", partner.csrf(path)), *_answer_fields(app, request_id, texts, "submit", "k-2")]
    withdraw_path = f"/requests/{request_id}/withdraw"
    withdrawal = [("csrf_token", officer.csrf(withdraw_path)), ("rationale", "No longer needed")]

    dsn = settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as holder, psycopg.connect(dsn, autocommit=True) as watcher:
        holder.execute("SELECT id FROM information_request WHERE id = %s FOR UPDATE", (request_id,))

        def waiting() -> int:
            return watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE information_request%%'").fetchone()[0]

        withdraw_thread, withdrawn = _in_background(lambda: officer.post(withdraw_path, withdrawal))
        wait_for(lambda: waiting() == 1, timeout=60, what="the withdrawal to queue for the request")
        submit_thread, submitted = _in_background(lambda: partner.post(f"{path}/answers", submission))
        wait_for(lambda: waiting() == 2, timeout=60, what="the submission to queue behind it")
        holder.rollback()
    withdraw_thread.join(60)
    submit_thread.join(60)

    assert withdrawn["page"].status == 302, withdrawn["page"].text[:800]
    loser = submitted["page"]
    assert loser.status == 200 and "Traceback" not in loser.text, loser.text[:800]
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', loser.text, re.S)
    assert summary, loser.text[-6000:]
    message = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", summary.group(1))).strip()
    assert "withdrawn" in message and "draft has been kept" in message, message
    with app.app_context():
        assert db_session().get(InformationRequest, request_id).state is RequestState.WITHDRAWN
    assert _responses(app, request_id) == [(ResponseState.DRAFT, None, sorted(texts))]
    assert_audit_chain_intact(app)


def test_the_same_form_sent_twice_at_once_submits_once_and_both_are_told_it_is_sent(app, make, portal):
    """A double click, or a browser resending while the first is still being handled: both
    copies carry the same idempotency token, so both end on "Response sent"."""
    cycle = Cycle(app, make)
    request_id = cycle.draft(issue=True)
    path = f"/partner/requests/{request_id}"
    partner = Browser(portal.port)
    partner.sign_in(cycle.spoc)
    texts = ["Complaints on 3 and 9 June", "None"]
    submission = [("csrf_token", partner.csrf(path)), *_answer_fields(app, request_id, texts, "submit", "k-twice")]

    portal.hold("submit")
    first_thread, first = _in_background(lambda: partner.post(f"{path}/answers", submission))
    wait_for(lambda: portal.held("submit"), timeout=60, what="the first copy to reach the pause")
    second_thread, second = _in_background(lambda: partner.post(f"{path}/answers", submission))
    second_thread.join(1.0)  # time to reach the database and wait there
    portal.release("submit")
    first_thread.join(60)
    second_thread.join(60)

    for outcome in (first, second):
        page = outcome["page"]
        assert page.status == 302 and page.location.endswith(f"{path}/sent"), page.text[-4000:]
    assert _responses(app, request_id) == [(ResponseState.SUBMITTED, "k-twice", sorted(texts))]
    assert_audit_chain_intact(app)
