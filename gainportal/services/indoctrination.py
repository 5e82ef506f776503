"""Indoctrination agreements: versioned per operation and audience, signed by each person
before they see anything of the operation, expiring, revocable, with a register."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import has_request_context, request
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from gainportal.db import utcnow
from gainportal.models import Operation, Role, User
from gainportal.models.indoctrination import Indoctrination, IndoctrinationAgreement
from gainportal.services import audit
from gainportal.services.errors import WorkflowError

DEFAULT_MONTHS = 12

POLICE_TEMPLATE = """Indoctrination agreement: {reference} {name}

By signing you confirm that:
1. You have a need to know about this operation for your role in it, and you will only access what you need.
2. You will not disclose anything about the operation, its subjects or its sources to anyone who is not indoctrinated, inside or outside your organisation, without the Lead Responsible Officer's agreement.
3. You will handle every item according to its Government Security Classification and handling code, and respect any conditions (for example originator consent before onward sharing).
4. You will record decisions and their rationale in the portal, in line with the Criminal Procedure and Investigations Act 1996.
5. You will tell the Lead Responsible Officer straight away of any conflict of interest, or any compromise or suspected compromise.
6. You understand that access is recorded and audited, and that this agreement expires after {months} months unless you sign again.
"""

PARTNER_TEMPLATE = """Information handling agreement

Your agency has been asked questions by {force} to help keep people safe. By signing you confirm that:
1. You will only look at these questions because your job requires it, and you will not tell anyone outside the people in your agency who need to know that these questions were asked.
2. You will not tell the people named in any question that they have been asked about.
3. You will answer from your agency's records, and say where you are unsure.
4. You will keep anything you download secure and delete it when you no longer need it.
5. You understand that access is recorded, and that this agreement expires after {months} months unless you sign again.
"""


def audience_for(user: User) -> str:
    return "partner" if user.role.is_partner else "police"


def current_agreement(s: Session, operation_id: int, audience: str) -> IndoctrinationAgreement | None:
    return s.scalar(select(IndoctrinationAgreement).where(
        IndoctrinationAgreement.operation_id == operation_id, IndoctrinationAgreement.audience == audience,
        IndoctrinationAgreement.superseded_at.is_(None)))


def publish(s: Session, op: Operation, audience: str, text: str, by: User, valid_months: int = DEFAULT_MONTHS
            ) -> IndoctrinationAgreement:
    """A new version; everyone signed to the old one must sign again before further access."""
    if audience not in ("police", "partner"):
        raise WorkflowError("Select who the agreement is for")
    if not (text or "").strip():
        raise WorkflowError("Enter the text of the agreement")
    if not 1 <= valid_months <= 24:
        raise WorkflowError("An agreement must expire within 1 to 24 months")
    previous = current_agreement(s, op.id, audience)
    if previous is not None:
        previous.superseded_at = utcnow()
    version = (s.scalar(select(func.max(IndoctrinationAgreement.version)).where(
        IndoctrinationAgreement.operation_id == op.id, IndoctrinationAgreement.audience == audience)) or 0) + 1
    agreement = IndoctrinationAgreement(operation_id=op.id, audience=audience, version=version,
                                        valid_months=valid_months, published_by_id=by.id)
    s.add(agreement)
    s.flush()
    agreement.text = text.strip()
    s.flush()
    audit.record(s, "indoctrination_agreement_published", object_type="operation", object_id=op.id,
                 detail={"audience": audience, "version": version, "agreement_id": agreement.id}, actor=by)
    return agreement


def publish_defaults(s: Session, op: Operation, by: User) -> None:
    context = {"reference": op.reference, "name": op.name, "force": op.owning_agency.name, "months": DEFAULT_MONTHS}
    publish(s, op, "police", POLICE_TEMPLATE.format(**context), by)
    publish(s, op, "partner", PARTNER_TEMPLATE.format(**context), by)


def record_for(s: Session, operation_id: int, user: User) -> Indoctrination | None:
    return s.scalar(select(Indoctrination).where(Indoctrination.operation_id == operation_id,
                                                 Indoctrination.user_id == user.id))


def eligible(op: Operation, user: User) -> bool:
    """Who may be put on the register at all: police of the owning force, or partners of
    an agency the operation has asked (checked by the caller for partners)."""
    if user.role is Role.ADMIN or not user.active:
        return False
    return user.role.is_partner or user.agency_id == op.owning_agency_id


def invite(s: Session, op: Operation, user: User, by: User | None, notify: bool = True) -> Indoctrination:
    if not eligible(op, user):
        raise WorkflowError("Only people from the owning force or an agency asked by this operation can be added")
    # The register page offers only people cleared for the operation; this refuses the rest
    # whatever the caller. (Someone whose clearance is lowered after signing is still kept
    # out by the visibility rules, which check clearance on every read.)
    from gainportal.security.permissions import clearance_covers  # permissions imports this module

    if not clearance_covers(user, op.classification):
        raise WorkflowError(f"{user.full_name} is not cleared for {op.classification.value} work and cannot be added")
    record = record_for(s, op.id, user)
    if record is not None and record.revoked_at is None:
        return record
    if record is None:
        record = Indoctrination(operation_id=op.id, user_id=user.id, invited_by_id=getattr(by, "id", None))
        s.add(record)
    else:  # re-admitted after a revocation: signs afresh
        record.revoked_at = record.revoked_by_id = record.revocation_reason = None
        record.agreement_id = record.signed_at = record.expires_at = None
        record.invited_by_id, record.invited_at = getattr(by, "id", None), utcnow()
    s.flush()
    audit.record(s, "indoctrination_invited", object_type="operation", object_id=op.id,
                 detail={"user_id": user.id, "record_id": record.id}, actor=by)
    return record


def _normalise_name(name: str) -> str:
    return re.sub(r"\s+", " ", (name or "").strip()).casefold()


def sign(s: Session, op: Operation, user: User, *, typed_name: str, confirmed: bool) -> Indoctrination:
    record = record_for(s, op.id, user)
    if record is None or record.revoked_at is not None:
        raise WorkflowError("You have not been asked to sign this agreement. Contact the officer leading the work")
    agreement = current_agreement(s, op.id, audience_for(user))
    if agreement is None:
        raise WorkflowError("There is no agreement to sign yet. Contact the officer leading the work")
    if not confirmed:
        raise WorkflowError("Confirm that you have read and agree to the agreement")
    if _normalise_name(typed_name) != _normalise_name(user.full_name):
        raise WorkflowError("Enter your full name exactly as it appears on your account: " + user.full_name)
    now = utcnow()
    record.agreement_id, record.signed_at, record.signed_name = agreement.id, now, typed_name.strip()
    record.expires_at = now + timedelta(days=30 * agreement.valid_months + agreement.valid_months // 2)
    if has_request_context():
        record.signed_ip = request.remote_addr
        record.signed_user_agent = (request.user_agent.string or "")[:300]
    s.flush()
    audit.record(s, "indoctrination_signed", object_type="operation", object_id=op.id,
                 detail={"agreement_id": agreement.id, "version": agreement.version, "audience": agreement.audience},
                 actor=user)
    return record


def revoke(s: Session, record: Indoctrination, reason: str, by: User) -> None:
    if not (reason or "").strip():
        raise WorkflowError("Enter why you are revoking this person's access")
    if record.revoked_at is not None:
        raise WorkflowError("This person's access has already been revoked")
    record.revoked_at, record.revoked_by_id, record.revocation_reason = utcnow(), by.id, reason.strip()[:500]
    s.flush()
    audit.record(s, "indoctrination_revoked", object_type="operation", object_id=record.operation_id,
                 detail={"user_id": record.user_id, "record_id": record.id}, actor=by)


def current_operation_ids(user: User):
    """SQL: ids of operations the user holds a current signature for (latest version of
    their audience's agreement, not expired, not revoked)."""
    return (select(Indoctrination.operation_id)
            .join(IndoctrinationAgreement, IndoctrinationAgreement.id == Indoctrination.agreement_id)
            .where(Indoctrination.user_id == user.id, Indoctrination.revoked_at.is_(None),
                   Indoctrination.expires_at > utcnow(), IndoctrinationAgreement.superseded_at.is_(None),
                   IndoctrinationAgreement.audience == audience_for(user)))


def on_register(s: Session, user: User, operation_id: int) -> bool:
    record = record_for(s, operation_id, user)
    return record is not None and record.revoked_at is None


def is_current(s: Session, user: User, operation_id: int) -> bool:
    return s.scalar(select(func.count()).select_from(
        current_operation_ids(user).where(Indoctrination.operation_id == operation_id).subquery())) > 0


def status(record: Indoctrination | None, agreement: IndoctrinationAgreement | None) -> str:
    if record is None:
        return "not invited"
    if record.revoked_at is not None:
        return "revoked"
    if record.agreement_id is None:
        return "awaiting signature"
    if agreement is None or record.agreement_id != agreement.id:
        return "new version to sign"
    if record.expires_at <= utcnow():
        return "expired"
    return "current"


def pending_for(s: Session, user: User, signed: frozenset[int] | None = None) -> list[int]:
    """Operations on whose register the user is and must sign (first time, new version, or
    expired), oldest operation first: the banner only links to each operation's signing
    page. ``signed``: the operations the user holds a current signature for, where the
    caller already has them (the request's set, permissions.signed_operation_ids); without
    it the statement works them out."""
    # Operation ids only: this runs on every dashboard, and a partner user at national size
    # is on the register of hundreds of operations still to sign for. The user's register is
    # read from their partial index without touching the table (0.5 ms; with the row ids as
    # well, ~600 scattered rows took 3.6 ms), and given the request's set the rest is a set
    # difference here: as a NOT IN subquery PostgreSQL joined every current agreement of the
    # audience again (5 ms), and as an array of ~300 values it spent 1.6 ms planning.
    on_register = select(Indoctrination.operation_id).where(
        Indoctrination.user_id == user.id, Indoctrination.revoked_at.is_(None))
    if signed is None:
        return list(s.scalars(on_register.where(Indoctrination.operation_id.not_in(current_operation_ids(user)))
                              .order_by(Indoctrination.operation_id)))
    return sorted(set(s.scalars(on_register)) - signed)
