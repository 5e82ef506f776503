"""Family links, associations and OCG links: recording, removing and listing what a viewer
may see. Services flush; the request commits. Every change is audited and, when made from an
operation, written to its decision log with the reason (CPIA: removals too)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gainportal.models import Classification, Nominal, NominalLink, NominalRole, Operation, User
from gainportal.models.association import (
    LinkKind, LinkSource, NominalAssociation, OperationAssociation, OperationLinkKind,
)
from gainportal.security import association_rules  # noqa: F401  registers the rules
from gainportal.security.permissions import visible_to
from gainportal.services import audit, nominal_register
from gainportal.services.errors import WorkflowError
from gainportal.services.operations import log_decision

# What the person at the screen picks, read as "<first> is the ... of <second>". "Child of" is
# stored as the parent link the other way round, so a family tree has one direction.
RELATIONSHIP_CHOICES = [
    ("parent", "Parent of"), ("child", "Child of"), ("sibling", "Sibling of"),
    ("partner", "Partner or spouse of"), ("cousin", "Cousin of"), ("other_relative", "Other relative of"),
    ("associate", "Associate of"), ("business_partner", "Business partner of"), ("rival", "Rival of"),
]
MAX_TEXT = 2000


def _ordered(a_id: int, b_id: int, relationship: str) -> tuple[int, int, LinkKind]:
    if relationship == "child":
        return b_id, a_id, LinkKind.PARENT
    kind = LinkKind(relationship)
    if kind.directed:
        return a_id, b_id, kind
    return min(a_id, b_id), max(a_id, b_id), kind


def _handling(item) -> dict:
    return {"classification": item.classification.value}


def record_link(s: Session, first: Nominal, second: Nominal, relationship: str, *, by: User, rationale: str,
                source: LinkSource = LinkSource.POLICE_RECORD,
                classification: Classification = Classification.OFFICIAL_SENSITIVE,
                operation: Operation | None = None, candidate_id: int | None = None) -> NominalAssociation:
    if relationship not in dict(RELATIONSHIP_CHOICES):
        raise WorkflowError("Select how they are linked")
    if first.id == second.id:
        raise WorkflowError("Select two different nominals")
    rationale = (rationale or "").strip()[:MAX_TEXT]
    if not rationale:
        raise WorkflowError("Enter why you are recording this link")
    a_id, b_id, kind = _ordered(first.id, second.id, relationship)
    pair = [(a_id, b_id), (b_id, a_id)]  # a parent link either way round is still one family tie
    exists = s.scalar(select(NominalAssociation.id).where(
        NominalAssociation.kind == kind,
        or_(*[(NominalAssociation.nominal_id == x) & (NominalAssociation.other_id == y) for x, y in pair])))
    if exists:
        raise WorkflowError("This link is already recorded")
    link = NominalAssociation(nominal_id=a_id, other_id=b_id, kind=kind, source=source,
                              classification=classification, recorded_by_id=by.id, match_candidate_id=candidate_id)
    s.add(link)
    s.flush()
    link.rationale = rationale
    s.flush()
    audit.record(s, "nominal_link_recorded", object_type="nominal_association", object_id=link.id,
                 handling=_handling(link) | ({"operation_id": operation.id} if operation else {}),
                 detail={"kind": kind.value, "nominal_id": a_id, "other_id": b_id, "source": source.value,
                         "match_candidate_id": candidate_id}, actor=by)
    if operation is not None:
        log_decision(s, operation, subject_type="nominal_association", subject_id=link.id,
                     decision="nominal_link_recorded", rationale=rationale, by=by, marking=link.classification)
    return link


def remove_link(s: Session, link: NominalAssociation, *, by: User, reason: str,
                operation: Operation | None = None) -> None:
    reason = (reason or "").strip()[:MAX_TEXT]
    if not reason:
        raise WorkflowError("Enter why you are removing this link")
    audit.record(s, "nominal_link_removed", object_type="nominal_association", object_id=link.id,
                 handling=_handling(link), detail={"kind": link.kind.value, "nominal_id": link.nominal_id,
                                                   "other_id": link.other_id}, actor=by)
    if operation is not None:
        log_decision(s, operation, subject_type="nominal_association", subject_id=link.id,
                     decision="nominal_link_removed", rationale=reason, by=by, marking=link.classification)
    s.delete(link)
    s.flush()


def record_ocg_link(s: Session, op: Operation, other: Operation, kind: OperationLinkKind, *, by: User, note: str,
                    classification: Classification = Classification.OFFICIAL_SENSITIVE) -> OperationAssociation:
    if op.id == other.id:
        raise WorkflowError("Select another operation")
    note = (note or "").strip()[:MAX_TEXT]
    if not note:
        raise WorkflowError("Enter a note on how the groups are linked")
    a_id, b_id = min(op.id, other.id), max(op.id, other.id)
    if s.scalar(select(OperationAssociation.id).where(OperationAssociation.operation_id == a_id,
                                                      OperationAssociation.other_id == b_id,
                                                      OperationAssociation.kind == kind)):
        raise WorkflowError("This link is already recorded")
    link = OperationAssociation(operation_id=a_id, other_id=b_id, kind=kind, classification=classification,
                                recorded_by_id=by.id)
    s.add(link)
    s.flush()
    link.note = note
    s.flush()
    audit.record(s, "ocg_link_recorded", object_type="operation_association", object_id=link.id,
                 handling=_handling(link) | {"operation_id": op.id},
                 detail={"kind": kind.value, "operation_id": a_id, "other_id": b_id}, actor=by)
    log_decision(s, op, subject_type="operation_association", subject_id=link.id, decision="ocg_link_recorded",
                 rationale=note, by=by, marking=link.classification)
    return link


def remove_ocg_link(s: Session, link: OperationAssociation, op: Operation, *, by: User, reason: str) -> None:
    reason = (reason or "").strip()[:MAX_TEXT]
    if not reason:
        raise WorkflowError("Enter why you are removing this link")
    audit.record(s, "ocg_link_removed", object_type="operation_association", object_id=link.id,
                 handling=_handling(link) | {"operation_id": op.id},
                 detail={"kind": link.kind.value, "operation_id": link.operation_id, "other_id": link.other_id},
                 actor=by)
    log_decision(s, op, subject_type="operation_association", subject_id=link.id, decision="ocg_link_removed",
                 rationale=reason, by=by, marking=link.classification)
    s.delete(link)
    s.flush()


# --- what a viewer may see -----------------------------------------------------------------
def links_touching(s: Session, user: User, nominal_ids) -> list[NominalAssociation]:
    """Visible links with at least one end among ``nominal_ids`` (both ends visible)."""
    ids = list(nominal_ids)
    if not ids:
        return []
    return list(s.scalars(select(NominalAssociation).where(
        visible_to(user, NominalAssociation),
        or_(NominalAssociation.nominal_id.in_(ids), NominalAssociation.other_id.in_(ids)))
        .order_by(NominalAssociation.id)).unique())


def ocg_links_of(s: Session, user: User, op: Operation) -> list[OperationAssociation]:
    return list(s.scalars(select(OperationAssociation).where(
        visible_to(user, OperationAssociation),
        or_(OperationAssociation.operation_id == op.id, OperationAssociation.other_id == op.id))
        .order_by(OperationAssociation.kind.desc(), OperationAssociation.id)).unique())


def describe(link: NominalAssociation, from_id: int) -> str:
    """"Parent of SMITH, Kayleigh" read from ``from_id``'s side."""
    other = link.other_end(from_id)
    return f"{relation_label(link, from_id)} {other.display_name or other.reference}"


def relation_label(link: NominalAssociation, from_id: int) -> str:
    if link.kind is LinkKind.PARENT and link.other_id == from_id:
        return "Child of"
    return dict(RELATIONSHIP_CHOICES)[link.kind.value]


# --- recording a "possible relative" from the cross-match queue ----------------------------
@dataclass
class NewRelative:
    forenames: str
    surname: str


def relative_from_candidate(s: Session, candidate, op: Operation, *, relationship: str, by: User, rationale: str,
                            existing: Nominal | None = None, new: NewRelative | None = None) -> NominalAssociation:
    """A partner mentioned someone with the nominal's surname at the nominal's address: record
    them as a relative, either an existing nominal or a new associate nominal on the operation
    (at the nominal's address, which is why the matcher proposed them)."""
    nominal = candidate.nominal
    if existing is None:
        if new is None or not new.surname.strip():
            raise WorkflowError("Enter the relative's surname, or choose a nominal already on the register")
        d = nominal.details or {}
        existing = Nominal(reference=_next_reference(s, op), classification=nominal.classification)
        nominal_register.save(s, existing, {
            "forenames": new.forenames.strip()[:80], "surname": new.surname.strip()[:80], "aliases": [], "dob": None,
            "address": d.get("address") or "", "postcode": d.get("postcode") or "", "vrms": [], "phones": [],
            "businesses": []}, by)
        s.add(NominalLink(operation_id=op.id, nominal_id=existing.id, role=NominalRole.ASSOCIATE))
        s.flush()
    return record_link(s, existing, nominal, relationship, by=by, rationale=rationale,
                       source=LinkSource.PARTNER_ANSWER, classification=nominal.classification, operation=op,
                       candidate_id=candidate.id)


def _next_reference(s: Session, op: Operation) -> str:
    count = len(s.scalars(select(NominalLink.id).where(NominalLink.operation_id == op.id)).all())
    while True:
        count += 1
        reference = f"{op.reference}-R{count}"
        if not s.scalar(select(Nominal.id).where(Nominal.reference == reference)):
            return reference
