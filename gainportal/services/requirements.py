"""Requirements (need to know, tied to a 4P intervention) and their collection plans."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gainportal.models import (
    Agency, CollectionMethod, CollectionPlanItem, InternalSource, LawfulBasis, Operation, Pillar, Priority,
    Requirement, RequirementState, User,
)
from gainportal.services import audit
from gainportal.services.errors import WorkflowError
from gainportal.services.operations import handling_of, log_decision

TRANSITIONS = {
    RequirementState.DRAFT: {RequirementState.OPEN, RequirementState.CLOSED},
    RequirementState.OPEN: {RequirementState.SATISFIED, RequirementState.CLOSED},
    RequirementState.SATISFIED: {RequirementState.OPEN},
    RequirementState.CLOSED: {RequirementState.OPEN},
}
# Words that show the intent names an intervention, not curiosity.
_NICE_TO_KNOW = ("nice to know", "for background", "for information only", "just in case", "general picture")


def check_need_to_know(gap: str, intent: str) -> list[str]:
    problems = []
    if not (gap or "").strip():
        problems.append("Enter what you need to know")
    if not (intent or "").strip():
        problems.append("Enter the intervention or disruption this will drive")
    elif len(intent.split()) < 5:
        problems.append("Describe the intervention or disruption this will drive in a sentence, "
                        "for example \"a licence review of the car wash at Kirkstall Road\"")
    elif any(phrase in intent.lower() for phrase in _NICE_TO_KNOW):
        problems.append("This reads as nice to know. Say which intervention or disruption the answer will drive")
    return problems


def create_requirement(s: Session, op: Operation, *, gap: str, intent: str, pillar: Pillar, priority: Priority,
                       review_date: date, by: User) -> Requirement:
    problems = check_need_to_know(gap, intent)
    if problems:
        raise WorkflowError(problems[0])
    number = (s.scalar(select(func.max(Requirement.number)).where(Requirement.operation_id == op.id)) or 0) + 1
    req = Requirement(operation_id=op.id, number=number, pillar=pillar, priority=priority, review_date=review_date,
                      created_by_id=by.id, state=RequirementState.DRAFT)
    s.add(req)
    s.flush()
    req.gap, req.intent = gap.strip(), intent.strip()
    audit.record(s, "requirement_created", object_type="requirement", object_id=req.id, handling=handling_of(op),
                 detail={"pillar": pillar.value, "priority": priority.value}, actor=by)
    return req


def change_state(s: Session, req: Requirement, to: RequirementState, rationale: str, by: User) -> None:
    if to not in TRANSITIONS[req.state]:
        raise WorkflowError(f"A {req.state.value} requirement cannot be marked {to.value}")
    entry = log_decision(s, req.operation, subject_type="requirement", subject_id=req.id,
                         decision=f"requirement_{to.value}", rationale=rationale, by=by)
    previous, req.state = req.state, to
    audit.record(s, "requirement_state_changed", object_type="requirement", object_id=req.id,
                 handling=handling_of(req.operation),
                 detail={"from": previous.value, "to": to.value, "decision_id": entry.id}, actor=by)


def add_plan_item(s: Session, req: Requirement, *, source_agency: Agency | None, internal_source: InternalSource | None,
                  method: CollectionMethod, lawful_basis: LawfulBasis, isa_reference: str | None, due_date: date,
                  owner: User, notes: str | None, by: User) -> CollectionPlanItem:
    if (source_agency is None) == (internal_source is None):
        raise WorkflowError("Select either a partner agency or an internal source")
    if lawful_basis is LawfulBasis.ISA and not (isa_reference or "").strip():
        raise WorkflowError("Enter the information sharing agreement reference")
    if source_agency is not None and method is not CollectionMethod.OVERT:
        raise WorkflowError("Requests to partner agencies are overt. Choose an internal source for covert or penetrative collection")
    item = CollectionPlanItem(requirement_id=req.id, source_agency_id=getattr(source_agency, "id", None),
                              internal_source=internal_source, method=method, lawful_basis=lawful_basis,
                              isa_reference=(isa_reference or "").strip() or None, due_date=due_date,
                              owner_id=owner.id)
    s.add(item)
    s.flush()
    if notes:
        item.notes = notes.strip()
    audit.record(s, "plan_item_created", object_type="collection_plan_item", object_id=item.id,
                 handling=handling_of(req.operation),
                 detail={"requirement_id": req.id, "method": method.value, "lawful_basis": lawful_basis.value,
                         "source_agency_id": getattr(source_agency, "id", None)}, actor=by)
    return item
