"""Information requests: drafting, the plain-language check, the state machine, partner
acknowledgement, assignment, clarification messages, decline, withdraw, assess, close."""
from __future__ import annotations

import secrets
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from gainportal.models import (
    Agency, Classification, CollectionPlanItem, HandlingCode, Heading, InformationRequest, Intervention,
    Pillar, RequestMessage, RequestQuestion, RequestState, RequestSubject, Role, User,
)
from gainportal.security.crypto import normalise_name, normalise_phone, normalise_postcode, normalise_vrm
from gainportal.security.sealing import blind
from gainportal.db import utcnow
from gainportal.services import audit, indoctrination, jargon, notifications
from gainportal.services.dates import default_retention_date, today
from gainportal.services.errors import WorkflowError
from gainportal.services.operations import log_decision

S = RequestState
TRANSITIONS: dict[RequestState, set[RequestState]] = {
    S.DRAFT: {S.ISSUED, S.WITHDRAWN},
    S.ISSUED: {S.ACKNOWLEDGED, S.ANSWERED, S.DECLINED, S.WITHDRAWN},
    S.ACKNOWLEDGED: {S.ANSWERED, S.DECLINED, S.WITHDRAWN},
    S.ANSWERED: {S.ASSESSED, S.CLOSED},
    S.ASSESSED: {S.CLOSED},
    S.CLOSED: set(),
    S.DECLINED: set(),
    S.WITHDRAWN: set(),
}
OPEN_FOR_PARTNER = (S.ISSUED, S.ACKNOWLEDGED)
MAX_QUESTIONS = 20
MAX_QUESTION_LENGTH = 1000


@dataclass
class QuestionInput:
    heading: Heading
    text: str


@dataclass
class SubjectInput:
    name: str = ""
    dob: str = ""
    address: str = ""
    postcode: str = ""
    vrm: str = ""
    phone: str = ""

    def is_empty(self) -> bool:
        return not any(v.strip() for v in vars(self).values())


@dataclass
class RequestDraft:
    agency: Agency
    deadline: date
    purpose: str
    questions: list[QuestionInput]
    subjects: list[SubjectInput] = field(default_factory=list)
    classification: Classification = Classification.OFFICIAL_SENSITIVE
    handling_code: HandlingCode = HandlingCode.P
    handling_conditions: dict = field(default_factory=dict)


def handling_of(req: InformationRequest) -> dict:
    return {"classification": req.classification.value, "handling_code": req.handling_code.value,
            "operation_id": req.operation_id, "agency_id": req.agency_id}


def validate_draft(draft: RequestDraft) -> dict[str, str]:
    """Field errors keyed by form field name; empty when the draft is acceptable."""
    errors: dict[str, str] = {}
    if not draft.purpose.strip():
        errors["purpose"] = "Enter why you are asking, in words the partner will understand"
    questions = [q for q in draft.questions if q.text.strip()]
    if not questions:
        errors["questions-0-text"] = "Enter at least one question"
    if len(questions) > MAX_QUESTIONS:
        errors["questions-0-text"] = f"A request can have up to {MAX_QUESTIONS} questions. Split it into more requests"
    for i, q in enumerate(draft.questions):
        if q.text.strip() and len(q.text) > MAX_QUESTION_LENGTH:
            errors[f"questions-{i}-text"] = f"Question must be {MAX_QUESTION_LENGTH} characters or fewer"
    if draft.deadline <= today():
        errors["deadline"] = "The deadline must be in the future"
    if draft.handling_code is HandlingCode.C and not draft.handling_conditions:
        errors["handling_code"] = "Select at least one condition for handling code C"
    return errors


def plain_language_findings(draft_or_request) -> dict[str, list[jargon.JargonFinding]]:
    """Findings per partner-visible field: the purpose and every question."""
    if isinstance(draft_or_request, InformationRequest):
        texts = {"purpose": draft_or_request.purpose or ""}
        texts.update({f"question {q.position}": q.text or "" for q in draft_or_request.questions})
    else:
        texts = {"purpose": draft_or_request.purpose}
        texts.update({f"question {i + 1}": q.text for i, q in enumerate(draft_or_request.questions) if q.text.strip()})
    return {name: found for name, text in texts.items() if (found := jargon.check(text))}


CONDITION_LABELS = {
    "originator_consent_required": "Ask the originator before sharing further",
    "no_onward_dissemination": "Do not share further",
    "not_for_evidential_use": "Not for use as evidence",
    "agency_allowlist": "Only the listed agencies",
    "review_by": "Review by the date given",
}


def _next_reference(s: Session, op) -> str:
    """Partners see this reference, so it says nothing about the operation it serves."""
    while True:
        reference = f"REQ-{today().year}-{secrets.token_hex(3).upper()}"
        if not s.scalar(select(InformationRequest.id).where(InformationRequest.reference == reference)):
            return reference


def _apply(s: Session, req: InformationRequest, draft: RequestDraft) -> None:
    req.agency_id, req.deadline = draft.agency.id, draft.deadline
    req.classification, req.handling_code = draft.classification, draft.handling_code
    req.handling_conditions = draft.handling_conditions if draft.handling_code is HandlingCode.C else {}
    req.purpose = draft.purpose.strip()
    for old in list(req.questions):
        req.questions.remove(old)
    for old in list(req.subjects):
        req.subjects.remove(old)
    s.flush()
    position = 0
    for q in draft.questions:
        if q.text.strip():
            position += 1
            question = RequestQuestion(position=position, heading=q.heading)
            req.questions.append(question)
            question.text = q.text.strip()
    for subject in draft.subjects:
        if subject.is_empty():
            continue
        row = RequestSubject()
        req.subjects.append(row)
        row.details = {k: v.strip() for k, v in vars(subject).items() if v.strip()}
        row.vrm_index = blind("vrm", normalise_vrm(subject.vrm)) if normalise_vrm(subject.vrm) else None
        row.postcode_index = blind("postcode", normalise_postcode(subject.postcode)) if normalise_postcode(subject.postcode) else None
        row.phone_index = blind("phone", normalise_phone(subject.phone)) if normalise_phone(subject.phone) else None
        row.name_index = blind("name", normalise_name(subject.name)) if normalise_name(subject.name) else None
    s.flush()


def create_draft(s: Session, plan_item: CollectionPlanItem, draft: RequestDraft, by: User) -> InformationRequest:
    errors = validate_draft(draft)
    if errors:
        raise WorkflowError(next(iter(errors.values())))
    op = plan_item.requirement.operation
    req = InformationRequest(reference=_next_reference(s, op), operation_id=op.id, plan_item_id=plan_item.id,
                             agency_id=draft.agency.id, deadline=draft.deadline, created_by_id=by.id,
                             state=S.DRAFT, retention_until=default_retention_date())
    s.add(req)
    s.flush()
    _apply(s, req, draft)
    audit.record(s, "request_created", object_type="information_request", object_id=req.id,
                 handling=handling_of(req), detail={"questions": len(req.questions), "subjects": len(req.subjects)},
                 actor=by)
    return req


def update_draft(s: Session, req: InformationRequest, draft: RequestDraft, by: User) -> None:
    if req.state is not S.DRAFT:
        raise WorkflowError("Only a draft request can be changed")
    errors = validate_draft(draft)
    if errors:
        raise WorkflowError(next(iter(errors.values())))
    _apply(s, req, draft)
    audit.record(s, "request_updated", object_type="information_request", object_id=req.id,
                 handling=handling_of(req), detail={"questions": len(req.questions)}, actor=by)


def _transition(s: Session, req: InformationRequest, to: RequestState, by: User, *, reason: str | None = None,
                event: str | None = None, own_savepoint: bool = True, **detail) -> None:
    if to not in TRANSITIONS[req.state]:
        raise WorkflowError(
            f"This request is {req.state.label.lower()}, so it cannot be {to.label.lower()}. Refresh the page to see its current state")
    previous, now = req.state, today()
    try:
        # A savepoint around the change: when the version counter shows someone else changed
        # the request first, only this change is undone and the caller's other work stands.
        # own_savepoint=False: the caller holds one already and undoes it whole on a lost race.
        with s.begin_nested() if own_savepoint else nullcontext():
            req.state = to
            if to is S.ISSUED:
                req.issued_at = utcnow()
            elif to is S.ACKNOWLEDGED:
                req.acknowledged_at = utcnow()
            elif to is S.ANSWERED:
                req.answered_at = utcnow()
            elif to in (S.CLOSED, S.DECLINED, S.WITHDRAWN):
                req.closed_at = utcnow()
            if reason is not None:
                req.state_reason = reason
            s.flush()
    except StaleDataError:
        raise WorkflowError("Someone else changed this request at the same time. "
                            "Refresh the page to see its current state") from None
    audit.record(s, event or f"request_{to.value}", object_type="information_request", object_id=req.id,
                 handling=handling_of(req), detail={"from": previous.value, "to": to.value,
                                                    "on": now.isoformat(), **detail}, actor=by)


def issue(s: Session, req: InformationRequest, by: User, override_reason: str | None = None) -> None:
    if not req.questions:
        raise WorkflowError("Add at least one question before issuing the request")
    if req.deadline <= today():
        raise WorkflowError("The deadline must be in the future. Change the deadline before issuing")
    findings = plain_language_findings(req)
    if findings and not (override_reason or "").strip():
        raise WorkflowError("The plain-language check found words a partner may not understand. "
                            "Rewrite them, or give a reason to send the request as it is")
    if findings:
        req.jargon_override = override_reason.strip()
        log_decision(s, req.operation, subject_type="information_request", subject_id=req.id,
                     decision="plain_language_override", rationale=override_reason, by=by)
    _transition(s, req, S.ISSUED, by, jargon_overridden=bool(findings))
    for spoc in _agency_users(s, req.agency_id, Role.PARTNER_SPOC):
        indoctrination.invite(s, req.operation, spoc, by)
        notifications.queue(s, spoc, "request_issued", dedupe_key=f"issued:{req.id}:{spoc.id}")


def _agency_users(s: Session, agency_id: int, role: Role) -> list[User]:
    return list(s.scalars(select(User).where(User.agency_id == agency_id, User.role == role, User.active.is_(True))))


def acknowledge(s: Session, req: InformationRequest, by: User) -> None:
    _transition(s, req, S.ACKNOWLEDGED, by)


def decline(s: Session, req: InformationRequest, reason: str, by: User) -> None:
    if not (reason or "").strip():
        raise WorkflowError("Enter why your agency cannot answer this request")
    _transition(s, req, S.DECLINED, by, reason=reason.strip())
    notifications.queue(s, req.created_by_id, "request_declined", dedupe_key=f"declined:{req.id}")


def withdraw(s: Session, req: InformationRequest, reason: str, by: User) -> None:
    if not (reason or "").strip():
        raise WorkflowError("Enter why you are withdrawing this request")
    was_issued = req.state is not S.DRAFT
    _transition(s, req, S.WITHDRAWN, by, reason=reason.strip())
    log_decision(s, req.operation, subject_type="information_request", subject_id=req.id,
                 decision="request_withdrawn", rationale=reason, by=by)
    if was_issued:
        for spoc in _agency_users(s, req.agency_id, Role.PARTNER_SPOC):
            notifications.queue(s, spoc, "request_withdrawn", dedupe_key=f"withdrawn:{req.id}:{spoc.id}")


def mark_answered(s: Session, req: InformationRequest, by: User) -> None:
    """Part of a submission (responses.submit), inside its savepoint, which undoes the
    submission whole when the request's version check loses a race."""
    _transition(s, req, S.ANSWERED, by, own_savepoint=False)
    notifications.queue(s, req.created_by_id, "answer_received", dedupe_key=f"answered:{req.id}:{req.lock_version}")


def assess(s: Session, req: InformationRequest, rationale: str, by: User) -> None:
    log_decision(s, req.operation, subject_type="information_request", subject_id=req.id,
                 decision="answers_assessed", rationale=rationale, by=by)
    _transition(s, req, S.ASSESSED, by)


def close(s: Session, req: InformationRequest, rationale: str, by: User) -> None:
    log_decision(s, req.operation, subject_type="information_request", subject_id=req.id,
                 decision="request_closed", rationale=rationale, by=by)
    _transition(s, req, S.CLOSED, by)


def assign_question(s: Session, question: RequestQuestion, assignee: User | None, by: User) -> None:
    req = question.request
    if req.state not in OPEN_FOR_PARTNER:
        raise WorkflowError("Questions can only be assigned while the request is open")
    if assignee is not None and (assignee.agency_id != req.agency_id or not assignee.role.is_partner):
        raise WorkflowError("Select a colleague from your agency")
    question.assigned_to_id = getattr(assignee, "id", None)
    if assignee is not None:
        indoctrination.invite(s, req.operation, assignee, by)
    s.flush()
    audit.record(s, "question_assigned", object_type="request_question", object_id=question.id,
                 handling=handling_of(req), detail={"assignee_id": getattr(assignee, "id", None)}, actor=by)
    if assignee is not None and assignee.id != by.id:
        notifications.queue(s, assignee, "question_assigned", dedupe_key=f"assigned:{question.id}:{assignee.id}")


def add_message(s: Session, req: InformationRequest, body: str, by: User) -> RequestMessage:
    if not (body or "").strip():
        raise WorkflowError("Enter your message")
    if len(body) > 5000:
        raise WorkflowError("Message must be 5000 characters or fewer")
    if req.state not in (S.ISSUED, S.ACKNOWLEDGED, S.ANSWERED):
        raise WorkflowError("Messages can only be sent while the request is open")
    message = RequestMessage(request_id=req.id, author_id=by.id, from_partner=by.role.is_partner)
    s.add(message)
    s.flush()
    message.body = body.strip()
    s.flush()
    audit.record(s, "clarification_sent", object_type="information_request", object_id=req.id,
                 handling=handling_of(req), detail={"message_id": message.id, "from_partner": by.role.is_partner},
                 actor=by)
    recipients = [req.created_by] if by.role.is_partner else _agency_users(s, req.agency_id, Role.PARTNER_SPOC)
    for user in recipients:
        notifications.queue(s, user, "clarification", dedupe_key=f"message:{message.id}:{user.id}")
    return message


def record_intervention(s: Session, req: InformationRequest, *, pillar: Pillar, action: str, owner: User,
                        due_date: date | None, by: User) -> Intervention:
    if not (action or "").strip():
        raise WorkflowError("Enter the action or intervention the answers will drive")
    item = Intervention(operation_id=req.operation_id, request_id=req.id,
                        requirement_id=req.plan_item.requirement_id if req.plan_item else None,
                        pillar=pillar.value, owner_id=owner.id, due_date=due_date, recorded_by_id=by.id)
    s.add(item)
    s.flush()
    item.action = action.strip()
    log_decision(s, req.operation, subject_type="intervention", subject_id=item.id,
                 decision=f"intervention_{pillar.value}", rationale=action, by=by)
    audit.record(s, "intervention_recorded", object_type="intervention", object_id=item.id,
                 handling=handling_of(req), detail={"pillar": pillar.value, "request_id": req.id}, actor=by)
    return item
