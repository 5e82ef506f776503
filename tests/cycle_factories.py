"""Builds an operation → requirement → plan item → request chain through the services."""
from __future__ import annotations

from datetime import timedelta

from gainportal.db import db_session
from gainportal.models import (
    AgencyKind, Classification, CollectionMethod, Heading, LawfulBasis, Pillar, Priority, RequirementState, Role,
)
from gainportal.services import indoctrination, operations, requests, requirements
from gainportal.services.dates import add_months, today
from gainportal.services.requests import QuestionInput, RequestDraft, SubjectInput


class Cycle:
    """A force with an LRO, a council with a SPOC, and an operation ready for requests."""

    def __init__(self, app, make, classification=Classification.OFFICIAL_SENSITIVE, tier=3, sign_partners=True):
        self.app = app
        self.sign_partners = sign_partners
        self.force = make.agency(AgencyKind.POLICE_FORCE)
        self.council = make.agency(AgencyKind.COUNCIL)
        self.lro = make.user(agency=self.force, role=Role.LRO)
        self.spoc = make.user(agency=self.council, role=Role.PARTNER_SPOC)
        with app.app_context():
            s = db_session()
            op = operations.create_operation(
                s, name="Operation Heron", agency=self.force, lro=self.lro, tier=tier, ocgm_band="2B", p_band=None,
                classification=classification, summary="Drug supply", by=self.lro)
            req = requirements.create_requirement(
                s, op, gap="Who is using the flats on Heron Walk?",
                intent="Closure orders on the flats with the council (Protect)", pillar=Pillar.PROTECT,
                priority=Priority.HIGH, review_date=add_months(today(), 1), by=self.lro)
            requirements.change_state(s, req, RequirementState.OPEN, "Rising reports", self.lro)
            item = requirements.add_plan_item(
                s, req, source_agency=self.council, internal_source=None, method=CollectionMethod.OVERT,
                lawful_basis=LawfulBasis.CDA_1998_S115, isa_reference=None,
                due_date=today() + timedelta(days=20), owner=self.lro, notes=None, by=self.lro)
            indoctrination.sign(s, op, self.lro, typed_name=self.lro.full_name, confirmed=True)
            s.commit()
            self.operation_id, self.requirement_id, self.plan_item_id = op.id, req.id, item.id

    def indoctrinate(self, user, sign: bool = True) -> None:
        """Put ``user`` on the register and (by default) sign the current agreement."""
        from gainportal.models import Operation

        with self.app.app_context():
            s = db_session()
            op = s.get(Operation, self.operation_id)
            indoctrination.invite(s, op, user, self.lro)
            if sign:
                indoctrination.sign(s, op, user, typed_name=user.full_name, confirmed=True)
            s.commit()

    def draft(self, questions=None, subjects=(), issue=False, days=14, agency=None):
        from gainportal.models import CollectionPlanItem

        questions = questions or [(Heading.BEHAVIOUR, "Have you had complaints about noise at Heron Walk since June?"),
                                  (Heading.VEHICLES, "Have complainants mentioned a vehicle?")]
        with self.app.app_context():
            s = db_session()
            item = s.get(CollectionPlanItem, self.plan_item_id)
            req = requests.create_draft(s, item, RequestDraft(
                agency=agency or self.council, deadline=today() + timedelta(days=days),
                purpose="We are working to make Heron Walk safer.",
                questions=[QuestionInput(h, t) for h, t in questions],
                subjects=[SubjectInput(**x) for x in subjects]), self.lro)
            if issue:
                requests.issue(s, req, self.lro)
                if self.sign_partners:
                    indoctrination.sign(s, req.operation, self.spoc, typed_name=self.spoc.full_name, confirmed=True)
            s.commit()
            return req.id
