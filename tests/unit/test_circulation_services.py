"""GAIN circulation services: every state change is audited (with no content in the trail),
hit outcomes are sealed, CSV parsing reports each bad row, and the trail runs from
circulation to hit to request to outcome."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, text

from gainportal.db import db_session
from gainportal.models import AuditEvent, InformationRequest, RequestState, User
from gainportal.models.circulation import (
    CirculationTarget, DisruptionAction, DisruptionStatus, HitOutcome, PowerKind,
)
from gainportal.services import audit
from gainportal.services import circulation as service
from gainportal.services import requests
from gainportal.services.dates import today
from gainportal.services.errors import WorkflowError
from tests.circulation_factories import Gain


def _actions_since(s, seq: int) -> list[str]:
    """Committed events after ``seq``, then those recorded in the open transaction (they join
    the chain when it commits)."""
    committed = s.scalars(select(AuditEvent.action).where(AuditEvent.seq > seq).order_by(AuditEvent.seq))
    return list(committed) + [event.action for event in audit.pending_events(s)]


def test_every_state_change_is_audited_without_content(app, make):
    gain = Gain(app, make)
    gain.circulate()
    with app.app_context():
        s = db_session()
        circ = gain.circulation(s)
        hmrc = s.get(User, gain.spocs[1].id)
        fire = s.get(User, gain.spocs[2].id)
        coordinator = s.get(User, gain.coordinator.id)
        lro = s.get(User, gain.lro.id)
        start = s.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
        t_hmrc = s.get(CirculationTarget, gain.target_id(hmrc))
        t_fire = s.get(CirculationTarget, gain.target_id(fire))
        service.record_results(s, t_hmrc, {gain.subject_ids[0]: (HitOutcome.HIT, "Tax record since 2019")}, hmrc)
        assert _actions_since(s, start)[:1] == ["circulation_answered"]
        assert "circulation_follow_up_drafted" in _actions_since(s, start)
        service.upload_csv(s, t_fire, b"subject,result\nS1,no hit\nS2,nonsense\n", fire)
        service.chase(s, circ, coordinator)
        action = service.record_disruption(s, t_hmrc, power=PowerKind.CIVIL, action="Minimum wage investigation",
                                           owner="HMRC NMW team lead", action_date=today() + timedelta(days=10),
                                           by=hmrc)
        service.record_outcome(s, action, status=DisruptionStatus.DONE, outcome="Arrears of 12,000 repaid", by=hmrc)
        req = s.scalar(select(InformationRequest))
        requests.issue(s, req, lro)
        service.close(s, circ, "Enough to plan the joint visit", coordinator)
        s.commit()
        actions = _actions_since(s, start)
        for expected in ("circulation_answered", "plan_item_created", "request_created", "circulation_follow_up_drafted",
                         "circulation_csv_uploaded", "circulation_chased", "disruption_recorded",
                         "disruption_outcome_recorded", "request_issued", "circulation_closed"):
            assert expected in actions, expected
        # The trail says who did what to which item, never what was found.
        rows = s.scalars(select(AuditEvent).where(AuditEvent.seq > start)).all()
        trail = " ".join(r.detail + r.handling for r in rows)
        for content in ("Wei Chen", "Tax record", "hit\"", "Minimum wage", "Arrears", "LB70"):
            assert content not in trail
        answered = next(r for r in rows if r.action == "circulation_answered")
        assert json.loads(answered.detail) == {"circulation_id": circ.id, "answers": 1, "complete": False}
        # The trail from circulation to hit to request to outcome, by ids.
        result = t_hmrc.results[0]
        assert result.followup_request.state is RequestState.ISSUED
        assert result.followup_request.plan_item_id == t_hmrc.plan_item_id
        assert s.scalar(select(DisruptionAction.status)) is DisruptionStatus.DONE
        # Referral, circulation and groups are audited where they happen too.
        earlier = s.scalars(select(AuditEvent.action).where(AuditEvent.seq <= start)).all()
        assert {"gain_referral_submitted", "gain_referral_accepted", "circulation_sent"} <= set(earlier)


def test_hit_outcomes_and_subjects_are_sealed_at_rest(app, make):
    gain = Gain(app, make)
    gain.circulate()
    with app.app_context():
        s = db_session()
        hmrc = s.get(User, gain.spocs[1].id)
        service.record_results(s, s.get(CirculationTarget, gain.target_id(hmrc)),
                               {gain.subject_ids[0]: (HitOutcome.HIT, "")}, hmrc)
        s.commit()
        raw = s.execute(text("SELECT outcome_sealed FROM circulation_result")).scalar()
        assert b"hit" not in raw
        details = s.execute(text("SELECT details_sealed FROM circulation_subject")).scalars().all()
        assert all(b"Wei Chen" not in d and b"LB70" not in d for d in details)


def test_answers_are_recorded_once_and_only_by_the_agencys_spoc(app, make):
    gain = Gain(app, make)
    gain.circulate()
    with app.app_context():
        s = db_session()
        hmrc, fire = s.get(User, gain.spocs[1].id), s.get(User, gain.spocs[2].id)
        target = s.get(CirculationTarget, gain.target_id(hmrc))
        first = gain.subject_ids[0]
        try:
            service.record_results(s, target, {first: (HitOutcome.HIT, "")}, fire)
        except WorkflowError as exc:
            assert "single point of contact" in str(exc)
        else:
            raise AssertionError("another agency's SPOC answered")
        service.record_results(s, target, {first: (HitOutcome.NO_HIT, "")}, hmrc)
        saved, errors = service.record_results(s, target, {first: (HitOutcome.HIT, "")}, hmrc)
        assert saved == [] and "already answered" in errors[0].message
        assert target.results[0].outcome is HitOutcome.NO_HIT
        assert s.scalar(select(InformationRequest.id)) is None  # a no hit drafts nothing


def test_csv_parsing_row_by_row(app, make):
    gain = Gain(app, make)
    gain.circulate()
    with app.app_context():
        circ = gain.circulation(db_session())
        answers, lines, errors = service.parse_csv(
            "\ufeffSubject,Note,Result\ns1,x,HIT\nS2,,No  Hit\nS3,,unsure\nS2,,hit\n".encode(), circ)
        assert {lines[k]: v[0] for k, v in answers.items()} == {2: HitOutcome.HIT, 3: HitOutcome.NO_HIT}
        assert [(e.line, e.message.split(" ")[0]) for e in errors] == [(4, "Enter"), (5, "S2")]
        assert service.parse_csv(b"", circ)[2][0].message == "The file is empty"
        assert "up to 2" in service.parse_csv(b"subject,result\nS1,hit\nS2,hit\nS3,hit\n", circ, max_rows=2)[2][0].message


def test_partner_referrals_circulate_without_drafting_requests(app, make):
    gain = Gain(app, make)
    with app.app_context():
        s = db_session()
        spoc = s.get(User, gain.spocs[2].id)
        coordinator = s.get(User, gain.coordinator.id)
        referral = service.refer(s, gain_agency=gain.rocu, concern="Workers sleeping above the takeaway", by=spoc)
        assert referral.operation_id is None
        from gainportal.models.circulation import ReferralState
        service.decide_referral(s, referral, ReferralState.ACCEPTED, "A tasked check for the fire service", coordinator)
        circ = service.circulate(s, referral, service.CirculationDraft(
            purpose="Checking a takeaway", deadline=today() + timedelta(days=5),
            subjects=[service.SubjectInput(service.SubjectKind.BUSINESS, business="Golden Dragon Ltd")],
            agencies=[gain.agencies[1]]), coordinator)
        hmrc = s.get(User, gain.spocs[1].id)
        service.record_results(s, circ.targets[0], {circ.subjects[0].id: (HitOutcome.HIT, "")}, hmrc)
        assert s.scalar(select(InformationRequest.id)) is None


def test_demo_data_includes_a_live_circulation(app):
    from gainportal import demo
    from gainportal.models.circulation import Circulation, CirculationState, GainReferral, ReferralState

    with app.app_context():
        assert demo.seed(echo=lambda *_: None)
        s = db_session()
        circ = s.scalar(select(Circulation))
        assert circ.state is CirculationState.SENT and circ.deadline > today()
        m = service.matrix(circ, today())
        assert 0 < m.answered < m.total  # part answered: some agencies still to reply
        assert any(r.followup_request_id for t in circ.targets for r in t.results)
        assert s.scalar(select(GainReferral).where(GainReferral.state == ReferralState.SUBMITTED)) is not None
        assert s.scalar(select(DisruptionAction).where(DisruptionAction.status == DisruptionStatus.DONE)) is not None
