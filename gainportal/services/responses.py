"""Partner responses: a draft the partner can leave and resume (sealed from the first
save), answers per question or "no trace", and one idempotent submission."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm import Session

from gainportal.models import (
    Answer, AnswerOutcome, InformationRequest, PartnerResponse, RequestState, ResponseState, User,
)
from gainportal import faults
from gainportal.db import after_commit, utcnow
from gainportal.services import audit, request_reading, requests
from gainportal.services.errors import WorkflowError

MAX_ANSWER_LENGTH = 20_000
log = logging.getLogger("gainportal.responses")


@dataclass
class AnswerInput:
    question_id: int
    outcome: AnswerOutcome | None
    text: str


def current_draft(s: Session, req: InformationRequest) -> PartnerResponse | None:
    # The caller holds ``req``: the draft's request comes from the session, not joined again
    # with its operation and agencies (a response has no sealed columns, so no data key).
    return s.scalar(select(PartnerResponse).where(PartnerResponse.request_id == req.id,
                                                  PartnerResponse.state == ResponseState.DRAFT)
                    .options(*request_reading.RESPONSE_ONLY))


def submitted_responses(s: Session, req: InformationRequest) -> list[PartnerResponse]:
    return list(s.scalars(select(PartnerResponse).where(
        PartnerResponse.request_id == req.id, PartnerResponse.state != ResponseState.DRAFT
    ).order_by(PartnerResponse.version)))


_LOOK_IT_UP = object()


def _draft_for(s: Session, req: InformationRequest, by: User, draft=_LOOK_IT_UP) -> PartnerResponse:
    if draft is _LOOK_IT_UP:
        draft = current_draft(s, req)
    if draft is None:
        version = (s.scalar(select(func.max(PartnerResponse.version))
                            .where(PartnerResponse.request_id == req.id)) or 0) + 1
        # answers=[]: a new draft has none, known without asking the database after the insert
        draft = PartnerResponse(request_id=req.id, agency_id=req.agency_id, version=version,
                                state=ResponseState.DRAFT, answers=[])
        try:
            with s.begin_nested():  # two colleagues saving the first draft at once: one row wins
                s.add(draft)
        except IntegrityError:
            draft = current_draft(s, req)
            if draft is None:
                raise WorkflowError("Your answers could not be saved just now. Try again") from None
    return draft


def save_draft(s: Session, req: InformationRequest, answers: list[AnswerInput], by: User,
               draft=_LOOK_IT_UP) -> PartnerResponse:
    """Keeps whatever was typed, complete or not; nothing is validated away. ``draft``: the
    caller's current_draft(s, req), when it has just looked it up (None: there is none)."""
    if req.state not in requests.OPEN_FOR_PARTNER:
        raise WorkflowError(f"This request is {req.state.label.lower()}, so answers can no longer be saved")
    draft = _draft_for(s, req, by, draft)
    by_question = {a.question_id: a for a in draft.answers}
    valid_ids = {q.id for q in req.questions}
    for item in answers:
        if item.question_id not in valid_ids:
            continue
        if len(item.text or "") > MAX_ANSWER_LENGTH:
            raise WorkflowError(f"Answer must be {MAX_ANSWER_LENGTH} characters or fewer")
        answer = by_question.get(item.question_id)
        if answer is None:
            answer = Answer(question_id=item.question_id)
            draft.answers.append(answer)
            by_question[item.question_id] = answer
        answer.outcome = item.outcome
        answer.answered_by_id = by.id
        answer.text = (item.text or "").strip() or None
    s.flush()
    audit.record(s, "response_draft_saved", object_type="partner_response", object_id=draft.id,
                 handling=requests.handling_of(req), detail={"answers": len(draft.answers)}, actor=by)
    return draft


def completeness_errors(req: InformationRequest, draft: PartnerResponse | None) -> dict[int, str]:
    """Question id → GOV.UK message for every question not yet answered."""
    answers = {a.question_id: a for a in (draft.answers if draft else [])}
    errors = {}
    for q in req.questions:
        answer = answers.get(q.id)
        if answer is None or answer.outcome is None:
            errors[q.id] = f"Answer question {q.position}, or select \u201cNo trace\u201d"
        elif answer.outcome is AnswerOutcome.ANSWERED and not answer.text:
            errors[q.id] = f"Enter your answer to question {q.position}"
    return errors


def submit(s: Session, req: InformationRequest, by: User, idempotency_key: str) -> PartnerResponse:
    """Submit the agency's draft. The same idempotency key twice returns the first result;
    a second submitter with another key is told the request is already answered."""
    if not idempotency_key or len(idempotency_key) > 64:
        raise WorkflowError("The form has expired. Refresh the page and submit again")
    done, draft = _sent_with_key_or_draft(s, req, idempotency_key)
    if done is not None:
        return done
    if draft is None and req.state in requests.OPEN_FOR_PARTNER:
        # No draft left may mean a colleague's submission of it committed since ``req`` was
        # read: then the request is answered, which the person must be told, not that a
        # question lacks an answer.
        s.refresh(req)
    if req.state not in requests.OPEN_FOR_PARTNER:
        outcome = "Your draft has been kept" if draft is not None else "Your agency\u2019s response has been sent"
        raise WorkflowError(f"This request is already {req.state.label.lower()}. {outcome}")
    errors = completeness_errors(req, draft)
    if errors:
        raise WorkflowError(next(iter(errors.values())))
    try:
        # A savepoint: if someone else changed the request at the same moment (a colleague
        # submitting, the officer withdrawing), only the submission is undone, not the draft.
        with s.begin_nested():
            draft.state, draft.submitted_by_id, draft.submitted_at = ResponseState.SUBMITTED, by.id, utcnow()
            draft.idempotency_key = idempotency_key
            s.flush()
            requests.mark_answered(s, req, by)
    except (IntegrityError, StaleDataError, WorkflowError):
        # WorkflowError: the request's own version check (in the state change) lost the race.
        s.refresh(req)
        # The winner may be this same form sent twice (a double click, a resend while the
        # first was still running): then it is this partner's submission, already done.
        done = s.scalar(select(PartnerResponse).where(PartnerResponse.idempotency_key == idempotency_key))
        if done is not None:
            return done
        raise WorkflowError(f"Someone else changed this request at the same time: it is now "
                            f"{req.state.label.lower()}. Your draft has been kept") from None
    _match_after_commit(s, draft.id)
    no_trace = sum(1 for a in draft.answers if a.outcome is AnswerOutcome.NO_TRACE)
    audit.record(s, "response_submitted", object_type="partner_response", object_id=draft.id,
                 handling=requests.handling_of(req),
                 detail={"answers": len(draft.answers), "no_trace": no_trace, "version": draft.version}, actor=by)
    faults.pause("submit")
    return draft


def _sent_with_key_or_draft(s: Session, req: InformationRequest, idempotency_key: str):
    """(the response already submitted with this key, the request's current draft), from one
    select: which of the two each row is comes from the database, not from the session's copy
    of the row, which may predate a colleague's change."""
    by_key = PartnerResponse.idempotency_key == idempotency_key
    rows = s.execute(select(PartnerResponse, by_key).where(
        or_(by_key, and_(PartnerResponse.request_id == req.id, PartnerResponse.state == ResponseState.DRAFT))
    ).options(*request_reading.RESPONSE_ONLY)).all()
    done = next((row for row, sent in rows if sent), None)
    draft = next((row for row, sent in rows if not sent), None)
    return done, draft


def _match_after_commit(s: Session, response_id: int) -> None:
    """Cross-match on arrival, in the job worker once the submission has committed (a job
    must never see a submission that may yet roll back). If the queue cannot be reached the
    submission still stands: the worker's sweep finds responses never matched."""
    from flask import current_app, has_app_context

    from gainportal import jobs

    if not has_app_context():
        log.warning("response %s submitted outside the app: left to the matching sweep", response_id)
        return
    settings = current_app.config["SETTINGS"]
    after_commit(s, lambda: jobs.enqueue_match(settings, response_id))


def grade(s: Session, response: PartnerResponse, grading: str, by: User) -> None:
    """3x5x2: source evaluation 1-3 and intelligence assessment A-E (handling code is the request's)."""
    if len(grading) != 2 or grading[0] not in "123" or grading[1] not in "ABCDE":
        raise WorkflowError("Select a source evaluation (1 to 3) and an intelligence assessment (A to E)")
    if response.state is ResponseState.DRAFT:
        raise WorkflowError("Only a submitted response can be graded")
    response.grading, response.graded_by_id, response.state = grading, by.id, ResponseState.GRADED
    s.flush()
    audit.record(s, "response_graded", object_type="partner_response", object_id=response.id,
                 handling=requests.handling_of(response.request), detail={"grading": grading}, actor=by)


PARTNER_CONDITIONS = ("originator_consent_required", "no_onward_dissemination", "not_for_evidential_use")


def set_handling(s: Session, draft: PartnerResponse, code: str, conditions: list[str], by: User) -> None:
    """The originating agency decides how its answers may be shared: P, or C with at least
    one condition."""
    from gainportal.models import HandlingCode

    if draft.state is not ResponseState.DRAFT:
        raise WorkflowError("A sent response cannot change its handling")
    try:
        handling = HandlingCode(code)
    except ValueError:
        raise WorkflowError("Select how the police may share your answers") from None
    chosen = {c: True for c in conditions if c in PARTNER_CONDITIONS}
    if handling is HandlingCode.C and not chosen:
        raise WorkflowError("Select at least one condition, or choose \u201cshare as needed\u201d")
    if (draft.handling_code, draft.handling_conditions or {}) == (handling, chosen if handling is HandlingCode.C else {}):
        return
    draft.handling_code = handling
    draft.handling_conditions = chosen if handling is HandlingCode.C else {}
    s.flush()
    audit.record(s, "response_handling_set", object_type="partner_response", object_id=draft.id,
                 detail={"handling_code": handling.value, "conditions": sorted(draft.handling_conditions)}, actor=by)
