"""Builds operation → requirement → plan item → information request chains through the
services, for the partner and dashboard view tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update

from gainportal.db import db_session, utcnow
from gainportal.models import (
    Agency, Classification, CollectionMethod, Heading, InformationRequest, LawfulBasis, Pillar, Priority,
    RequestQuestion, RequirementState, User,
)
from gainportal.services import operations, requests, requirements, responses
from gainportal.services.dates import today

OP_NAME = "Operation Kingfisher"
GAP = "Which premises does the Kirkstall car wash network use to store cash"
INTENT = "A licence review of the car wash at Kirkstall Road with the council licensing team"
PURPOSE = "We are looking into unlicensed businesses near Kirkstall Road and would value your help."
QUESTIONS = [
    (Heading.BUSINESS, "Has the car wash at 12 Kirkstall Road applied for a trade waste licence since January?"),
    (Heading.TRAVEL, "Have you had complaints about vans parking overnight near 12 Kirkstall Road?"),
]
SUBJECT = requests.SubjectInput(name="Alan Example", dob="1984-02-03", address="12 Kirkstall Road, Leeds",
                                postcode="LS4 2AA", vrm="AB12 CDE", phone="07700 900123")


@dataclass
class Made:
    id: int
    reference: str
    question_ids: list[int]
    operation_id: int
    operation_reference: str


class Cycle:
    def __init__(self, app):
        self.app = app
        self._ops = 0
        # People who sign the operation's agreement on every request made here, where they
        # may (police of the owning force, partners of the agency asked); the LRO always does.
        self.signers: list[User] = []

    def request(self, lro: User, agency: Agency, *, issue: bool = True, op_name: str = OP_NAME,
                questions=None, deadline_days: int = 14, subjects=None, operation_id: int | None = None) -> Made:
        """One request from ``lro``'s force to ``agency``; issued unless ``issue`` is False."""
        with self.app.app_context():
            s = db_session()
            by = s.get(User, lro.id)
            target = s.get(Agency, agency.id)
            if operation_id is None:
                self._ops += 1
                op = operations.create_operation(
                    s, name=op_name, agency=by.agency, lro=by, tier=3, ocgm_band="2B", p_band=None,
                    classification=Classification.OFFICIAL_SENSITIVE, summary="Summary", by=by)
            else:
                from gainportal.models import Operation
                op = s.get(Operation, operation_id)
            req = requirements.create_requirement(s, op, gap=GAP, intent=INTENT, pillar=Pillar.PREVENT,
                                                  priority=Priority.HIGH, review_date=today() + timedelta(days=30),
                                                  by=by)
            requirements.change_state(s, req, RequirementState.OPEN, "Agreed at tasking", by)
            item = requirements.add_plan_item(s, req, source_agency=target, internal_source=None,
                                              method=CollectionMethod.OVERT, lawful_basis=LawfulBasis.CDA_1998_S115,
                                              isa_reference=None, due_date=today() + timedelta(days=20), owner=by,
                                              notes=None, by=by)
            draft = requests.RequestDraft(
                agency=target, deadline=today() + timedelta(days=max(deadline_days, 1)), purpose=PURPOSE,
                questions=[requests.QuestionInput(h, t) for h, t in (questions or QUESTIONS)],
                subjects=[SUBJECT] if subjects is None else subjects)
            ir = requests.create_draft(s, item, draft, by)
            if issue:
                requests.issue(s, ir, by)
            self._sign_all(s, op, target, [by] + self.signers)
            s.commit()
            if deadline_days < 1:
                s.execute(update(InformationRequest).where(InformationRequest.id == ir.id)
                          .values(deadline=today() + timedelta(days=deadline_days)))
                s.commit()
            return Made(ir.id, ir.reference, [q.id for q in ir.questions], op.id, op.reference)

    def _sign_all(self, s, op, target: Agency, users) -> None:
        from gainportal.services import indoctrination
        for user in users:
            user = s.get(User, user.id)
            asked = user.role.is_partner and user.agency_id == target.id
            if (asked or user.agency_id == op.owning_agency_id) and not indoctrination.is_current(s, user, op.id):
                indoctrination.invite(s, op, user, None, notify=False)
                indoctrination.sign(s, op, user, typed_name=user.full_name, confirmed=True)

    def act(self, fn, request_id: int, user: User, *args):
        """Run a request service (withdraw, acknowledge...) as ``user`` outside a web request."""
        with self.app.app_context():
            s = db_session()
            ir = s.get(InformationRequest, request_id)
            fn(s, ir, *args, s.get(User, user.id)) if args else fn(s, ir, s.get(User, user.id))
            s.commit()

    def assign(self, question_id: int, assignee: User, by: User):
        with self.app.app_context():
            s = db_session()
            requests.assign_question(s, s.get(RequestQuestion, question_id), s.get(User, assignee.id),
                                     s.get(User, by.id))
            s.commit()

    def answer_all(self, request_id: int, spoc: User, key: str = "k-answer-all"):
        """The partner answers every question and submits (state becomes answered)."""
        with self.app.app_context():
            s = db_session()
            ir = s.get(InformationRequest, request_id)
            by = s.get(User, spoc.id)
            responses.save_draft(s, ir, [responses.AnswerInput(q.id, responses.AnswerOutcome.NO_TRACE, "")
                                         for q in ir.questions], by)
            responses.submit(s, ir, by, key)
            s.commit()

    def set_times(self, request_id: int, *, issued_days_ago: float, answered_days_ago: float | None = None):
        with self.app.app_context():
            s = db_session()
            now = utcnow()
            values = {"issued_at": now - timedelta(days=issued_days_ago)}
            if answered_days_ago is not None:
                values["answered_at"] = now - timedelta(days=answered_days_ago)
            s.execute(update(InformationRequest).where(InformationRequest.id == request_id).values(**values))
            s.commit()
