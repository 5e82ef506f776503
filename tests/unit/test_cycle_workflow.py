"""The GAIN cycle's rules: every request and requirement transition, refusals with clear
messages, derived dates, and an audit row for every state change."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import (
    AnswerOutcome, AuditEvent, DecisionLogEntry, InformationRequest, Operation, RequestState, Requirement,
    RequirementState, Role,
)
from gainportal.services import operations, requests, requirements, responses
from gainportal.services.dates import add_months, today
from gainportal.services.errors import WorkflowError
from gainportal.services.responses import AnswerInput
from tests.cycle_factories import Cycle

S = RequestState


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _state_audits(request_id: int) -> list[str]:
    rows = db_session().scalars(select(AuditEvent).where(
        AuditEvent.object_type == "information_request", AuditEvent.object_id == str(request_id)
    ).order_by(AuditEvent.seq)).all()
    return [r.action for r in rows]


def _drive(s, req, cycle, path):
    """Walk a request along ``path`` using the service a real user would call."""
    for target in path:
        if target is S.ISSUED:
            requests.issue(s, req, cycle.lro)
        elif target is S.ACKNOWLEDGED:
            requests.acknowledge(s, req, cycle.spoc)
        elif target is S.ANSWERED:
            responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.NO_TRACE, "") for q in req.questions],
                                 cycle.spoc)
            responses.submit(s, req, cycle.spoc, f"key-{req.id}-{target.value}")
        elif target is S.ASSESSED:
            requests.assess(s, req, "Corroborated by the neighbourhood team", cycle.lro)
        elif target is S.CLOSED:
            requests.close(s, req, "Nothing more needed", cycle.lro)
        elif target is S.DECLINED:
            requests.decline(s, req, "Needs a data protection impact assessment first", cycle.spoc)
        elif target is S.WITHDRAWN:
            requests.withdraw(s, req, "Answered elsewhere", cycle.lro)


PATHS = [
    [S.ISSUED, S.ACKNOWLEDGED, S.ANSWERED, S.ASSESSED, S.CLOSED],
    [S.ISSUED, S.ANSWERED, S.CLOSED],
    [S.ISSUED, S.DECLINED],
    [S.ISSUED, S.ACKNOWLEDGED, S.DECLINED],
    [S.WITHDRAWN],
    [S.ISSUED, S.WITHDRAWN],
    [S.ISSUED, S.ACKNOWLEDGED, S.WITHDRAWN],
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: "-".join(s.value for s in p))
def test_every_legal_path_is_audited_at_each_step(app, cycle, path):
    request_id = cycle.draft()
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        _drive(s, req, cycle, path)
        s.commit()
        assert req.state is path[-1]
        actions = _state_audits(request_id)
        for target in path:
            assert f"request_{target.value}" in actions, f"no audit row for {target.value}: {actions}"


def test_every_transition_in_the_table_is_reachable_and_nothing_else():
    reachable = {(a, b) for p in PATHS for a, b in zip([S.DRAFT] + p, p)}
    declared = {(a, b) for a, targets in requests.TRANSITIONS.items() for b in targets}
    assert reachable == declared


@pytest.mark.parametrize("start_path,illegal", [
    ([], S.ACKNOWLEDGED),
    ([], S.ANSWERED),
    ([S.ISSUED], S.ASSESSED),
    ([S.ISSUED, S.DECLINED], S.WITHDRAWN),
    ([S.WITHDRAWN], S.ISSUED),
    ([S.ISSUED, S.ANSWERED, S.CLOSED], S.ACKNOWLEDGED),
])
def test_illegal_transitions_are_refused_with_a_clear_message(app, cycle, start_path, illegal):
    request_id = cycle.draft()
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        _drive(s, req, cycle, start_path)
        before = req.state
        with pytest.raises(WorkflowError, match=r"^This request is (already )?\w+[,.]"):
            _drive(s, req, cycle, [illegal])
        assert req.state is before


def test_decline_and_withdraw_need_reasons(app, cycle):
    request_id = cycle.draft(issue=True)
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        with pytest.raises(WorkflowError, match="Enter why your agency cannot answer"):
            requests.decline(s, req, "  ", cycle.spoc)
        with pytest.raises(WorkflowError, match="Enter why you are withdrawing"):
            requests.withdraw(s, req, "", cycle.lro)
        assert req.state is S.ISSUED


def test_jargon_blocks_issue_until_fixed_or_overridden_with_a_recorded_reason(app, cycle):
    request_id = cycle.draft(questions=[(requests.Heading.CRIME, "Is the OCG nominal known to you? Send everything you have.")])
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        findings = requests.plain_language_findings(req)
        terms = {f.term.lower() for found in findings.values() for f in found}
        assert {"ocg", "nominal", "everything you have"} <= terms
        with pytest.raises(WorkflowError, match="plain-language check"):
            requests.issue(s, req, cycle.lro)
        assert req.state is S.DRAFT
        requests.issue(s, req, cycle.lro, override_reason="The partner is a police liaison officer")
        assert req.state is S.ISSUED
        decision = s.scalar(select(DecisionLogEntry).where(DecisionLogEntry.decision == "plain_language_override"))
        assert decision.rationale == "The partner is a police liaison officer"


def test_overdue_is_derived_from_the_deadline(app, cycle):
    request_id = cycle.draft(issue=True, days=5)
    with app.app_context():
        req = db_session().get(InformationRequest, request_id)
        assert not req.is_overdue(today())
        assert not req.is_overdue(req.deadline)
        assert req.is_overdue(req.deadline + timedelta(days=1))
        req.state = S.ANSWERED  # answered requests are never overdue
        assert not req.is_overdue(req.deadline + timedelta(days=30))


@pytest.mark.parametrize("tier,months", [(1, 1), (2, 3), (3, 3), (4, 6)])
def test_review_date_follows_tier(app, make, tier, months):
    cycle = Cycle(app, make, tier=tier)
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        assert op.next_review_due == add_months(today(), months)
        operations.record_review(s, op, kind="trigger", notes="New intelligence on the supply line", by=cycle.lro,
                                 new_tier=1)
        assert op.tier == 1 and op.next_review_due == add_months(today(), 1)


def test_add_months_clamps_to_month_end():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2027, 11, 30), 6) == date(2028, 5, 30)


def test_requirement_must_be_need_to_know(app, cycle):
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        with pytest.raises(WorkflowError, match="intervention or disruption"):
            requirements.create_requirement(s, op, gap="Who are his friends?", intent="", pillar=requirements.Pillar.PURSUE,
                                            priority=requirements.Priority.LOW, review_date=today(), by=cycle.lro)
        with pytest.raises(WorkflowError, match="nice to know"):
            requirements.create_requirement(s, op, gap="Who are his friends?", intent="It would be nice to know for background",
                                            pillar=requirements.Pillar.PURSUE, priority=requirements.Priority.LOW,
                                            review_date=today(), by=cycle.lro)


def test_requirement_transitions_record_rationale_and_refuse_illegal_moves(app, cycle):
    with app.app_context():
        s = db_session()
        req = s.get(Requirement, cycle.requirement_id)
        assert req.state is RequirementState.OPEN
        with pytest.raises(WorkflowError, match="Enter the reason"):
            requirements.change_state(s, req, RequirementState.SATISFIED, "", cycle.lro)
        requirements.change_state(s, req, RequirementState.SATISFIED, "Housing answered it", cycle.lro)
        with pytest.raises(WorkflowError, match="cannot be marked closed"):
            requirements.change_state(s, req, RequirementState.CLOSED, "x", cycle.lro)
        requirements.change_state(s, req, RequirementState.OPEN, "Renewed: new addresses reported", cycle.lro)
        s.commit()
        decisions = s.scalars(select(DecisionLogEntry.decision).where(
            DecisionLogEntry.subject_type == "requirement", DecisionLogEntry.subject_id == req.id)).all()
        assert decisions == ["requirement_open", "requirement_satisfied", "requirement_open"]
        audits = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "requirement_state_changed")).all()
        assert len(audits) == 3


def test_submission_is_idempotent_and_a_second_submitter_is_told(app, cycle, make):
    request_id = cycle.draft(issue=True)
    other_spoc = make.user(agency=cycle.council, role=Role.PARTNER_SPOC)
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.NO_TRACE, "") for q in req.questions], cycle.spoc)
        first = responses.submit(s, req, cycle.spoc, "token-1")
        again = responses.submit(s, req, cycle.spoc, "token-1")
        assert again.id == first.id and req.state is S.ANSWERED
        with pytest.raises(WorkflowError, match="already answered"):
            responses.submit(s, req, other_spoc, "token-2")


def test_incomplete_submission_names_the_question_and_keeps_the_draft(app, cycle):
    request_id = cycle.draft(issue=True)
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        q1, q2 = req.questions
        responses.save_draft(s, req, [AnswerInput(q1.id, AnswerOutcome.ANSWERED, "Three complaints in July")], cycle.spoc)
        with pytest.raises(WorkflowError, match="question 2"):
            responses.submit(s, req, cycle.spoc, "token-x")
        s.commit()
        draft = responses.current_draft(s, req)
        assert [a.text for a in draft.answers] == ["Three complaints in July"]
        assert req.state is S.ISSUED


def test_withdrawn_while_partner_drafting_refuses_submit_and_keeps_draft(app, cycle):
    request_id = cycle.draft(issue=True)
    with app.app_context():
        s = db_session()
        req = s.get(InformationRequest, request_id)
        responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.NO_TRACE, "") for q in req.questions], cycle.spoc)
        requests.withdraw(s, req, "No longer needed", cycle.lro)
        with pytest.raises(WorkflowError, match="already withdrawn. Your draft has been kept"):
            responses.submit(s, req, cycle.spoc, "token-w")
        assert responses.current_draft(s, req) is not None


def test_notifications_are_content_free(app, cycle):
    request_id = cycle.draft(issue=True)
    with app.app_context():
        from gainportal.models import Notification

        notes = db_session().scalars(select(Notification)).all()
        assert notes and {n.kind for n in notes} == {"request_issued"}
        for n in notes:
            text = (n.subject + " " + n.body).lower()
            assert "heron" not in text and "noise" not in text and str(request_id) not in text


def test_deadline_reminders_and_overdue_notices_are_queued_once(app, cycle):
    from gainportal.models import Notification
    from gainportal.services import notifications

    soon = cycle.draft(issue=True, days=1)
    later = cycle.draft(issue=True, days=20)
    with app.app_context():
        s = db_session()
        assert notifications.queue_deadline_reminders(s) == 1
        assert notifications.queue_deadline_reminders(s) == 0  # once only
        s.get(InformationRequest, later).deadline = today() - timedelta(days=1)
        assert notifications.queue_deadline_reminders(s) == 2  # SPOC and the LRO who issued it
        kinds = sorted(n.kind for n in s.scalars(select(Notification).where(Notification.kind != "request_issued")))
        assert kinds == ["deadline_reminder", "request_overdue", "request_overdue"]
        assert notifications.send_outbox(s) == len(s.scalars(select(Notification)).all())
        assert soon


def test_a_notice_is_queued_once_per_key_to_an_active_person_given_as_object_or_id(app, cycle):
    from gainportal.models import Notification, User
    from gainportal.services import notifications

    with app.app_context():
        s = db_session()
        lro = s.get(User, cycle.lro.id)
        before = set(s.scalars(select(Notification.id)))
        first = notifications.queue(s, lro, "answer_received", dedupe_key="answered:test:1")
        assert first is not None
        assert notifications.queue(s, lro.id, "answer_received", dedupe_key="answered:test:1") is None
        second = notifications.queue(s, lro.id, "request_declined", dedupe_key="declined:test:1")
        assert second not in (None, first)
        unkeyed = [notifications.queue(s, lro.id, "clarification") for _ in range(2)]  # no key: each time
        assert None not in unkeyed and len(set(unkeyed)) == 2
        lro.active = False  # unflushed: the queue sees it all the same
        assert notifications.queue(s, lro, "clarification", dedupe_key="message:test:1") is None
        assert notifications.queue(s, lro.id, "clarification") is None
        rows = s.scalars(select(Notification).where(Notification.id.not_in(before))).all()
        assert sorted((n.id, n.kind, n.dedupe_key) for n in rows) == sorted([
            (first, "answer_received", "answered:test:1"), (second, "request_declined", "declined:test:1"),
            (unkeyed[0], "clarification", None), (unkeyed[1], "clarification", None)])
        for n in rows:
            assert n.user_id == lro.id and n.attempts == 0 and n.sent_at is None and n.created_at is not None
            assert (n.subject, n.body) == notifications.MESSAGES[n.kind]
