"""Operations (one per OCG), reviews by tier, P leads, nominal links and the decision log."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gainportal.models import (
    Agency, DecisionLogEntry, NominalLink, Operation, OperationPLead, OperationReview, Pillar, User,
)
from gainportal.models.enums import Classification, NominalRole
from gainportal.models.operation import OCGM_BANDS, P_BANDS
from gainportal.services import audit
from gainportal.services.dates import add_months, default_retention_date, today
from gainportal.services.errors import WorkflowError


def handling_of(op: Operation) -> dict:
    return {"classification": op.classification.value, "operation_id": op.id}


def log_decision(s: Session, op: Operation, *, subject_type: str, subject_id: int | None, decision: str,
                 rationale: str, by: User, marking: Classification | None = None) -> DecisionLogEntry:
    """``marking``: the subject's own marking, for subjects that carry one (kept on the entry,
    so the entry stays as restricted as its subject after the subject is removed)."""
    if not (rationale or "").strip():
        raise WorkflowError("Enter the reason for this decision")
    entry = DecisionLogEntry(operation_id=op.id, subject_type=subject_type, subject_id=subject_id,
                             decision=decision, decided_by_id=by.id, classification=marking)
    entry.rationale = rationale.strip()
    s.add(entry)
    s.flush()
    return entry


def next_reference(s: Session, agency: Agency) -> str:
    count = s.scalar(select(func.count()).select_from(Operation).where(Operation.owning_agency_id == agency.id)) or 0
    return f"OP-{agency.code}-{count + 1:04d}"


def create_operation(s: Session, *, name: str, agency: Agency, lro: User, tier: int, ocgm_band: str | None,
                     p_band: str | None, classification: Classification, summary: str | None,
                     by: User, reference: str | None = None) -> Operation:
    if tier not in (1, 2, 3, 4):
        raise WorkflowError("Select a tier from 1 to 4")
    if ocgm_band and ocgm_band not in OCGM_BANDS:
        raise WorkflowError("Select an OCGM band from 1A to 5C")
    if p_band and p_band not in P_BANDS:
        raise WorkflowError("Select a P band from P1 to P4, or none")
    reference = reference or next_reference(s, agency)
    if s.scalar(select(Operation.id).where(Operation.reference == reference)):
        raise WorkflowError("An operation with this reference already exists")
    op = Operation(reference=reference, name=name, owning_agency_id=agency.id, lro_id=lro.id, tier=tier,
                   ocgm_band=ocgm_band or None, p_band=p_band or None, classification=classification,
                   last_review_at=today(), next_review_due=add_months(today(), {1: 1, 2: 3, 3: 3, 4: 6}[tier]),
                   retention_until=default_retention_date())
    s.add(op)
    s.flush()
    if summary:
        op.summary = summary
    # Nobody, the LRO included, sees the operation before signing its agreement.
    from gainportal.services import indoctrination

    indoctrination.publish_defaults(s, op, by)
    indoctrination.invite(s, op, lro, by)
    audit.record(s, "operation_created", object_type="operation", object_id=op.id, handling=handling_of(op),
                 detail={"tier": tier, "ocgm_band": ocgm_band, "p_band": p_band}, actor=by)
    return op


def record_review(s: Session, op: Operation, *, kind: str, notes: str, by: User,
                  new_tier: int | None = None) -> OperationReview:
    """A scheduled review, or a trigger review at any time; sets the next date by tier."""
    if kind not in ("scheduled", "trigger"):
        raise WorkflowError("Select the type of review")
    if not (notes or "").strip():
        raise WorkflowError("Enter what the review found and decided")
    if new_tier is not None and new_tier != op.tier:
        if new_tier not in (1, 2, 3, 4):
            raise WorkflowError("Select a tier from 1 to 4")
        op.tier = new_tier
    reviewed = today()
    op.last_review_at = reviewed
    op.next_review_due = add_months(reviewed, op.review_months)
    review = OperationReview(operation_id=op.id, kind=kind, reviewed_by_id=by.id, next_review_due=op.next_review_due)
    review.notes = notes.strip()
    s.add(review)
    s.flush()
    log_decision(s, op, subject_type="operation", subject_id=op.id, decision=f"{kind}_review",
                 rationale=notes, by=by)
    audit.record(s, "operation_reviewed", object_type="operation", object_id=op.id, handling=handling_of(op),
                 detail={"kind": kind, "tier": op.tier, "next_review_due": op.next_review_due.isoformat()},
                 actor=by)
    return review


def set_p_lead(s: Session, op: Operation, pillar: Pillar, user: User, by: User) -> OperationPLead:
    lead = next((p for p in op.p_leads if p.pillar is pillar), None)
    if lead is None:
        lead = OperationPLead(operation_id=op.id, pillar=pillar, user_id=user.id)
        s.add(lead)
    else:
        lead.user_id = user.id
    s.flush()
    audit.record(s, "p_lead_set", object_type="operation", object_id=op.id, handling=handling_of(op),
                 detail={"pillar": pillar.value, "user_id": user.id}, actor=by)
    return lead


def link_nominal(s: Session, op: Operation, nominal, role: NominalRole, by: User) -> NominalLink:
    link = NominalLink(operation_id=op.id, nominal_id=nominal.id, role=role)
    s.add(link)
    s.flush()
    audit.record(s, "nominal_linked", object_type="operation", object_id=op.id, handling=handling_of(op),
                 detail={"nominal_id": nominal.id, "role": role.value}, actor=by)
    return link


def review_status(op: Operation, on: date) -> str:
    if op.next_review_due is None:
        return "not set"
    if op.next_review_due < on:
        return "overdue"
    if (op.next_review_due - on).days <= 14:
        return "due soon"
    return "on track"
