"""Dissemination: sharing beyond the operation. Each export records its lawful basis,
purpose, necessity and proportionality and recipients; C-coded answers that need the
originator's consent hold the release until the originating agency decides; answers marked
"no onward sharing" never leave. Sanitised briefings need a second person's approval."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gainportal.db import utcnow
from gainportal.models import (
    Classification, ConsentRequest, Dissemination, HandlingCode, InformationRequest, LawfulBasis, Operation,
    PartnerResponse, ResponseState, Role, SanitisedBriefing, User,
)
from gainportal.services import audit, notifications
from gainportal.services.errors import WorkflowError


def _needs_consent(response: PartnerResponse) -> bool:
    return response.handling_code is HandlingCode.C and bool(
        (response.handling_conditions or {}).get("originator_consent_required"))


def _never_onward(response: PartnerResponse) -> bool:
    return response.handling_code is HandlingCode.C and bool(
        (response.handling_conditions or {}).get("no_onward_dissemination"))


def operation_responses(s: Session, op: Operation) -> list[PartnerResponse]:
    return list(s.scalars(select(PartnerResponse).join(InformationRequest).where(
        InformationRequest.operation_id == op.id, PartnerResponse.state != ResponseState.DRAFT
    ).order_by(PartnerResponse.id)))


def start_export(s: Session, op: Operation, *, lawful_basis: LawfulBasis, purpose: str, necessity: str,
                 recipients: str, by: User) -> Dissemination:
    for value, message in ((purpose, "Enter the purpose of sharing"),
                           (necessity, "Explain why sharing is necessary and proportionate"),
                           (recipients, "Enter who will receive it")):
        if not (value or "").strip():
            raise WorkflowError(message)
    from gainportal.security.permissions import Action, can

    # Only what the maker may see: a response above their clearance (or to a request they may
    # not see) would raise the export's marking beyond them and go out unread.
    responses = [r for r in operation_responses(s, op) if not _never_onward(r) and can(by, Action.VIEW, r)]
    marking = max([op.classification] + [r.classification for r in responses], key=lambda c: c.rank)
    item = Dissemination(operation_id=op.id, kind="export", status="ready", lawful_basis=lawful_basis,
                         marking=marking, response_ids=[r.id for r in responses], created_by_id=by.id)
    s.add(item)
    s.flush()
    item.purpose, item.necessity, item.recipients = purpose.strip(), necessity.strip(), recipients.strip()
    needing = [r for r in responses if _needs_consent(r)]
    for response in needing:
        item.consents.append(ConsentRequest(agency_id=response.agency_id, response_id=response.id))
    if needing:
        item.status = "awaiting_consent"
        spocs = s.scalars(select(User).where(User.agency_id.in_({r.agency_id for r in needing}),
                                             User.role == Role.PARTNER_SPOC, User.active.is_(True))).all()
        for spoc in spocs:
            notifications.queue(s, spoc, "consent_requested", dedupe_key=f"consent:{item.id}:{spoc.id}")
    s.flush()
    audit.record(s, "dissemination_requested", object_type="dissemination", object_id=item.id,
                 handling={"classification": marking.value, "operation_id": op.id},
                 detail={"responses": len(responses), "consents_needed": len(needing),
                         "lawful_basis": lawful_basis.value}, actor=by)
    return item


def decide_consent(s: Session, consent: ConsentRequest, *, grant: bool, reason: str, by: User) -> None:
    if by.role is not Role.PARTNER_SPOC or by.agency_id != consent.agency_id:
        raise WorkflowError("Only your agency's single point of contact can decide this")
    if consent.status != "pending":
        raise WorkflowError("This request for consent has already been decided")
    if not grant and not (reason or "").strip():
        raise WorkflowError("Enter why your agency does not consent")
    consent.status, consent.decided_by_id, consent.decided_at = ("granted" if grant else "refused"), by.id, utcnow()
    if reason and reason.strip():
        consent.reason = reason.strip()
    item = consent.dissemination
    if all(c.status != "pending" for c in item.consents):
        item.status = "ready"
    s.flush()
    audit.record(s, "consent_granted" if grant else "consent_refused", object_type="dissemination",
                 object_id=item.id, detail={"consent_id": consent.id, "response_id": consent.response_id},
                 actor=by)


def release(s: Session, item: Dissemination, by: User) -> None:
    if item.status == "awaiting_consent":
        pending = sum(1 for c in item.consents if c.status == "pending")
        raise WorkflowError(f"Waiting for consent from {pending} originating "
                            f"{'agency' if pending == 1 else 'agencies'}. You cannot release this export yet")
    if item.status == "released":
        return
    item.status, item.released_at, item.released_by_id = "released", utcnow(), by.id
    s.flush()
    audit.record(s, "dissemination_released", object_type="dissemination", object_id=item.id,
                 handling={"classification": item.marking.value, "operation_id": item.operation_id},
                 detail={"responses": len(included_response_ids(item))}, actor=by)


def included_response_ids(item: Dissemination) -> list[int]:
    refused = {c.response_id for c in item.consents if c.status == "refused"}
    return [rid for rid in item.response_ids if rid not in refused]


@dataclass
class ExportContent:
    responses: list[PartnerResponse]
    withheld: int


def content(s: Session, item: Dissemination) -> ExportContent:
    if item.status != "released":
        raise WorkflowError("This export has not been released")
    ids = included_response_ids(item)
    rows = list(s.scalars(select(PartnerResponse).where(PartnerResponse.id.in_(ids)).order_by(PartnerResponse.id)))
    return ExportContent(rows, withheld=len(item.response_ids) - len(ids))


# --- sanitised briefings -------------------------------------------------------------------
APPROVERS = (Role.LRO, Role.SUPERVISOR)


def identifying_detail(text: str) -> list[str]:
    """What in a would-be sanitised text still identifies someone (the matching extractor
    finds names, addresses, postcodes, vehicles, phones and dates of birth)."""
    from gainportal.matching.extract import extract_entities
    from gainportal.services.dates import today

    labels = {"name": "a name", "address": "an address", "postcode": "a postcode", "vrm": "a vehicle registration",
              "phone": "a phone number", "dob": "a date of birth"}
    return [f"{labels[e.kind]} (\u201c{e.text}\u201d)" for e in extract_entities(text, today()) if e.kind in labels]


def create_briefing(s: Session, op: Operation, *, text: str, marking: Classification, by: User) -> SanitisedBriefing:
    if not (text or "").strip():
        raise WorkflowError("Enter the sanitised briefing")
    found = identifying_detail(text)
    if found:
        raise WorkflowError("Remove identifying detail before sending for approval: " + "; ".join(found[:5]))
    if marking.rank > op.classification.rank:
        raise WorkflowError("A sanitised briefing cannot carry a higher marking than the operation")
    briefing = SanitisedBriefing(operation_id=op.id, marking=marking, created_by_id=by.id)
    s.add(briefing)
    s.flush()
    briefing.text = text.strip()
    audit.record(s, "sanitised_briefing_created", object_type="sanitised_briefing", object_id=briefing.id,
                 handling={"classification": marking.value, "operation_id": op.id}, actor=by)
    return briefing


def approve_briefing(s: Session, briefing: SanitisedBriefing, by: User, approve: bool = True) -> None:
    if by.id == briefing.created_by_id:
        raise WorkflowError("A second person must approve a sanitised briefing: you wrote this one")
    if by.role not in APPROVERS:
        raise WorkflowError("Only a Lead Responsible Officer or supervisor can approve a sanitised briefing")
    if briefing.status != "awaiting_approval":
        raise WorkflowError("This briefing has already been decided")
    briefing.status = "approved" if approve else "rejected"
    briefing.approved_by_id, briefing.approved_at = by.id, utcnow()
    s.flush()
    audit.record(s, "sanitised_briefing_approved" if approve else "sanitised_briefing_rejected",
                 object_type="sanitised_briefing", object_id=briefing.id,
                 handling={"classification": briefing.marking.value, "operation_id": briefing.operation_id}, actor=by)
