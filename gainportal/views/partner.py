"""The partner side of a request: inbox, request page, acknowledge, decline, assign,
clarification messages and the agency's answers.

A partner sees only what the request puts in front of them: its reference, the
plain-language purpose, the questions under their headings, the subjects to check, the
deadline, the marking and the requesting force. Never the operation, its name, its
requirements or the roles of the people in it.
"""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased

from gainportal.db import db_session
from gainportal.forms.partner import ActionForm, AnswerForm, DeclineForm, MessageForm
from gainportal.models import (
    Agency, AnswerOutcome, Attachment, Heading, InformationRequest, Operation, PartnerResponse, RequestState,
    ResponseState, Role, User,
)
from gainportal.security.access import PARTNER_ROLES, signed_in
from gainportal.security.permissions import Action, classifications_within, load_or_404, visible
from gainportal.services import audit, files, request_reading, requests as request_service, responses
from gainportal.services.dates import today
from gainportal.services.errors import WorkflowError
from gainportal.views.paging import page_total, requested_page

bp = Blueprint("partner", __name__, url_prefix="/partner")
PAGE_SIZE = 25
UPLOAD_TOKEN_RE = re.compile(r"[0-9a-f]{32}")
DUE_SOON_DAYS = 7
S = RequestState
OPEN = request_service.OPEN_FOR_PARTNER

# What a partner calls each state, and the filters of the inbox.
STATUS_LABELS = {
    S.ISSUED: ("New", "govuk-tag--blue"),
    S.ACKNOWLEDGED: ("Acknowledged", "govuk-tag--light-blue"),
    S.ANSWERED: ("Answered", "govuk-tag--green"),
    S.ASSESSED: ("Answered", "govuk-tag--green"),
    S.CLOSED: ("Closed", "govuk-tag--grey"),
    S.DECLINED: ("Declined", "govuk-tag--grey"),
    S.WITHDRAWN: ("Withdrawn", "govuk-tag--grey"),
}
STATUS_FILTERS = {
    "new": ("New", (S.ISSUED,)),
    "acknowledged": ("Acknowledged", (S.ACKNOWLEDGED,)),
    "answered": ("Answered", (S.ANSWERED, S.ASSESSED)),
    "closed": ("Closed, declined or withdrawn", (S.CLOSED, S.DECLINED, S.WITHDRAWN)),
}
DUE_FILTERS = {"soon": f"Due in the next {DUE_SOON_DAYS} days", "overdue": "Overdue"}
SUBJECT_FIELDS = (("name", "Name"), ("dob", "Date of birth"), ("address", "Address"),
                  ("postcode", "Postcode"), ("vrm", "Vehicle registration"), ("phone", "Phone number"))


# --- helpers shared with the dashboards -----------------------------------------------------
def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def deadline_tag(req: InformationRequest, on: date) -> tuple[str, str] | None:
    """("Overdue", classes) and the like, for a request still waiting for an answer."""
    if req.state not in OPEN:
        return None
    days = (req.deadline - on).days
    if days < 0:
        return "Overdue", "govuk-tag--red"
    if days == 0:
        return "Due today", "govuk-tag--orange"
    return (f"Due in {days} day{'s' if days != 1 else ''}",
            "govuk-tag--yellow" if days <= DUE_SOON_DAYS else "govuk-tag--grey")


def status_tag(req: InformationRequest) -> tuple[str, str]:
    return STATUS_LABELS[req.state]


@bp.context_processor
def _helpers():
    return {"long_date": long_date, "deadline_tag": deadline_tag, "status_tag": status_tag,
            "today": today(), "Heading": Heading, "AnswerOutcome": AnswerOutcome}


def _is_spoc() -> bool:
    return current_user.role is Role.PARTNER_SPOC


def _settings():
    from flask import current_app
    return current_app.config["SETTINGS"]


# --- inbox ------------------------------------------------------------------------------------
@bp.get("/requests")
@signed_in(*PARTNER_ROLES)
def inbox():
    s = db_session()
    on = today()
    status = request.args.get("status", "")
    due = request.args.get("due", "")
    status = status if status in STATUS_FILTERS else ""
    due = due if due in DUE_FILTERS else ""
    query = visible(InformationRequest, current_user)
    if status:
        query = query.where(InformationRequest.state.in_(STATUS_FILTERS[status][1]))
    if due:
        query = query.where(InformationRequest.state.in_(OPEN))
        if due == "overdue":
            query = query.where(InformationRequest.deadline < on)
        else:
            query = query.where(InformationRequest.deadline >= on,
                                InformationRequest.deadline <= on + timedelta(days=DUE_SOON_DAYS))
    page = requested_page()
    rows, total = _inbox_page(s, query, page)
    return render_template("views/partner/inbox.html", title="Requests for your agency", requests=rows,
                           total=total, page=page, page_size=PAGE_SIZE, status=status, due=due,
                           status_filters=STATUS_FILTERS, due_filters=DUE_FILTERS)


def _inbox_page(s, query, page: int) -> tuple[list, int]:
    """One page of the inbox and the number of requests in it, from one scan of the agency's
    requests: the total rides along as a window count (taken before the LIMIT, over rows
    ``visible_to`` has already filtered), and only the page's rows are joined to the force's
    name. Rows carry just what the table shows (id, reference, state, dates, force)."""
    # Requests still waiting for an answer first, soonest deadline first.
    def order(model):
        return case((model.state.in_(OPEN), 0), else_=1), model.deadline, model.id

    listed = (query.with_only_columns(InformationRequest.id, func.count().over().label("total"))
              .order_by(*order(InformationRequest)).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
              .subquery("listed"))
    shown = aliased(InformationRequest, name="shown")
    rows = s.execute(
        select(shown.id, shown.reference, shown.state, shown.deadline, shown.issued_at,
               Agency.name.label("force"), listed.c.total)
        .join(listed, listed.c.id == shown.id)
        .join(Operation, Operation.id == shown.operation_id).join(Agency, Agency.id == Operation.owning_agency_id)
        .order_by(*order(shown))).all()
    return rows, page_total(s, rows, page, query, InformationRequest.id)


# --- the request page -------------------------------------------------------------------------
def _load(request_id: int, action: Action = Action.VIEW) -> InformationRequest:
    return load_or_404(InformationRequest, request_id, action)


def _my_questions(req: InformationRequest):
    questions = request_reading.questions_of(db_session(), req)
    if _is_spoc():
        return questions
    return [q for q in questions if q.assigned_to_id == current_user.id]


def _values_from_draft(draft: PartnerResponse | None) -> dict[int, dict]:
    values = {}
    for a in (draft.answers if draft else []):
        values[a.question_id] = {"outcome": a.outcome.value if a.outcome else "", "text": a.text or ""}
    return values


def _draft_version(draft: PartnerResponse | None) -> int:
    """A number that grows whenever the saved draft changes; the browser copy of unsaved
    typing is restored only over the version it was typed on (see partner-draft.js)."""
    if draft is None:
        return 0
    stamps = [draft.updated_at] + [a.updated_at for a in draft.answers if a.updated_at]
    return int(max(stamps).timestamp() * 1000)


def _subject_row(details: dict) -> dict:
    row = {key: str(details.get(key) or "") for key, _ in SUBJECT_FIELDS}
    try:
        row["dob"] = long_date(date.fromisoformat(row["dob"])) if row["dob"] else ""
    except ValueError:
        pass  # shown as the officer typed it
    return row


def _colleagues(req: InformationRequest) -> list:
    """Who the SPOC may assign a question to: (id, full_name) rows."""
    return db_session().execute(
        select(User.id, User.full_name).where(User.agency_id == req.agency_id, User.active.is_(True),
                                              User.role.in_(PARTNER_ROLES)).order_by(User.full_name)).all()


def _names(user_ids, known) -> dict[int, str]:
    """Full names of these accounts: from rows already loaded, the rest in one statement."""
    names = {row.id: row.full_name for row in known}
    missing = set(user_ids) - set(names) - {None}
    if missing:
        names.update(db_session().execute(select(User.id, User.full_name).where(User.id.in_(missing))).all())
    return names


def _draft_and_latest(s, req: InformationRequest) -> tuple[PartnerResponse | None, PartnerResponse | None]:
    """The agency's draft, and the latest sent version the viewer's clearance covers (the SPOC
    may mark a response above a colleague's clearance): one statement for both."""
    draft = latest = None
    for response in s.scalars(select(PartnerResponse).where(
            PartnerResponse.request_id == req.id,
            or_(PartnerResponse.state == ResponseState.DRAFT,
                PartnerResponse.classification.in_(classifications_within(current_user))))
            .order_by(PartnerResponse.version.desc()).options(*request_reading.RESPONSE_ONLY)):
        if response.state is ResponseState.DRAFT:
            draft = draft or response
        else:
            latest = latest or response
    return draft, latest


def _render(req: InformationRequest, *, values: dict[int, dict] | None = None,
            question_errors: dict[int, dict[str, str]] | None = None, error_list: list[dict] | None = None,
            message_form: MessageForm | None = None, idempotency_key: str | None = None, unsent: bool = False):
    s = db_session()
    questions = _my_questions(req)
    draft, latest = _draft_and_latest(s, req)
    request_reading.with_answers(s, (draft, latest))
    if values is None:
        values = _values_from_draft(draft)
    message_form = message_form or MessageForm(formdata=None)
    error_list = list(error_list or [])
    if message_form.errors:
        error_list += [{"text": e, "href": "#body"} for e in message_form.body.errors]
    mine = {q.id for q in questions}
    grouped: list[tuple[Heading, list]] = []
    for heading in Heading:
        in_heading = [q for q in questions if q.heading is heading]
        if in_heading:
            grouped.append((heading, in_heading))
    submitted_answers = {}
    if latest is not None:
        submitted_answers = {a.question_id: a for a in latest.answers if a.question_id in mine}
    shown = draft if req.state in OPEN and draft is not None else latest
    attachments: dict[int, list[Attachment]] = {}
    if shown is not None:
        for att in s.scalars(select(Attachment).where(Attachment.response_id == shown.id)
                             .order_by(Attachment.id)):
            if att.question_id in mine:
                attachments.setdefault(att.question_id, []).append(att)
    is_open = req.state in OPEN
    unsent = unsent and not is_open
    spoc_assigns = _is_spoc() and is_open  # the SPOC's assign form and "Assigned to" lines
    colleagues = _colleagues(req) if spoc_assigns else []
    assignees = _names((q.assigned_to_id for q in questions), colleagues) if spoc_assigns else {}
    # Who sent the latest version: shown with it once the request is no longer open.
    sent_by = latest.submitted_by_id if latest is not None and not is_open and not unsent else None
    return render_template(
        "views/partner/request.html", title=f"Request {req.reference}", req=req, questions=questions,
        grouped=grouped, subjects=[_subject_row(sub.details or {}) for sub in req.subjects], subject_fields=SUBJECT_FIELDS,
        force=req.operation.owning_agency.name, is_spoc=_is_spoc(), is_open=is_open,
        draft=draft, draft_version=_draft_version(draft), latest=latest, submitted_answers=submitted_answers,
        values=values, unsent=unsent, question_errors=question_errors or {},
        error_list=error_list, has_errors=bool(error_list), message_form=message_form,
        idempotency_key=idempotency_key or uuid.uuid4().hex, attachments=attachments,
        # New on every rendering, even of a form sent back with errors: the partner may then
        # choose another file for a question whose first file was stored.
        upload_token=uuid.uuid4().hex,
        upload_limits=files.UploadLimits.from_settings(_settings()),
        colleagues=colleagues, assignees=assignees, messages=request_reading.messages_of(s, req),
        submitted_by=_names([sent_by], []).get(sent_by) if sent_by else None,
        marking=req.classification.value,
    )


@bp.get("/requests/<int:request_id>")
@signed_in(*PARTNER_ROLES)
def detail(request_id: int):
    req = _load(request_id)
    audit.record(db_session(), "information_request_viewed", object_type="information_request",
                 object_id=req.id, handling=request_service.handling_of(req))
    g.audited = True
    return _render(req)


@bp.post("/requests/<int:request_id>/acknowledge")
@signed_in(Role.PARTNER_SPOC)
def acknowledge(request_id: int):
    req = _load(request_id, Action.RESPOND)
    if ActionForm().validate_on_submit():
        try:
            request_service.acknowledge(db_session(), req, current_user)
        except WorkflowError as exc:
            flash(str(exc), "error")
        else:
            flash("Request acknowledged. The officer who sent it has been told you are working on it.",
                  "success")
    return redirect(url_for(".detail", request_id=req.id))


@bp.route("/requests/<int:request_id>/decline", methods=["GET", "POST"])
@signed_in(Role.PARTNER_SPOC)
def decline(request_id: int):
    req = _load(request_id, Action.RESPOND)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            request_service.decline(db_session(), req, form.reason.data, current_user)
        except WorkflowError as exc:
            form.reason.errors = list(form.reason.errors) + [str(exc)]
        else:
            flash("Request declined. The officer who sent it has been told why.", "success")
            return redirect(url_for(".detail", request_id=req.id))
    return render_template("views/partner/decline.html", title="Decline this request", req=req, form=form,
                           is_open=req.state in OPEN)


@bp.post("/requests/<int:request_id>/assign")
@signed_in(Role.PARTNER_SPOC)
def assign(request_id: int):
    req = _load(request_id, Action.RESPOND)
    s = db_session()
    if not ActionForm().validate_on_submit():
        abort(400)
    changed = 0
    try:
        for q in req.questions:
            raw = request.form.get(f"assignee-{q.id}")
            if raw is None:
                continue
            try:
                assignee_id = int(raw) if raw else None
            except ValueError:
                raise WorkflowError("Select a colleague from your agency") from None
            if assignee_id == q.assigned_to_id:
                continue
            assignee = s.get(User, assignee_id) if assignee_id else None
            if assignee_id and (assignee is None or not assignee.active):
                raise WorkflowError("Select a colleague from your agency")
            request_service.assign_question(s, q, assignee, current_user)
            changed += 1
    except WorkflowError as exc:
        s.rollback()
        flash(str(exc), "error")
    else:
        flash("Questions assigned. Each colleague has been told they have a question to answer."
              if changed else "No changes made to who answers each question.", "success")
    return redirect(url_for(".detail", request_id=req.id) + "#assign")


@bp.post("/requests/<int:request_id>/messages")
@signed_in(*PARTNER_ROLES)
def message(request_id: int):
    req = _load(request_id, Action.RESPOND)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            request_service.add_message(db_session(), req, form.body.data, current_user)
        except WorkflowError as exc:
            form.body.errors = list(form.body.errors) + [str(exc)]
        else:
            flash("Message sent", "success")
            return redirect(url_for(".detail", request_id=req.id) + "#messages")
    return _render(req, message_form=form)


# --- answers ----------------------------------------------------------------------------------
def _read_answers(questions) -> tuple[dict[int, dict], dict[int, dict[str, str]]]:
    """What was typed, per question, and length errors (nothing is trimmed away)."""
    values, errors = {}, {}
    for q in questions:
        outcome = request.form.get(f"outcome-{q.id}", "")
        if outcome not in {o.value for o in AnswerOutcome}:
            outcome = ""
        text = (request.form.get(f"answer-{q.id}") or "").replace("\r\n", "\n")
        values[q.id] = {"outcome": outcome, "text": text}
        if len(text.strip()) > responses.MAX_ANSWER_LENGTH:
            errors[q.id] = {"text": f"Answer to question {q.position} must be "
                                    f"{responses.MAX_ANSWER_LENGTH:,} characters or fewer"}
    return values, errors


def _error_list(questions, question_errors: dict[int, dict[str, str]]) -> list[dict]:
    items = []
    for q in questions:  # in question order, so the summary reads top to bottom
        for field, message in question_errors.get(q.id, {}).items():
            anchor = {"outcome": f"outcome-{q.id}", "file": f"file-{q.id}"}.get(field, f"answer-{q.id}")
            items.append({"text": message, "href": f"#{anchor}"})
    return items


def _completeness(req: InformationRequest, draft) -> dict[int, dict[str, str]]:
    """The service's messages, each put by the field that needs fixing: the radios when no
    outcome was chosen, the text box when "Answer" was chosen with nothing written."""
    chosen = {a.question_id for a in (draft.answers if draft else []) if a.outcome is not None}
    return {qid: {"text" if qid in chosen else "outcome": message}
            for qid, message in responses.completeness_errors(req, draft).items()}


@bp.post("/requests/<int:request_id>/answers")
@signed_in(*PARTNER_ROLES)
def answers(request_id: int):
    req = _load(request_id, Action.RESPOND)
    s = db_session()
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    key = (form.idempotency_key.data or "").strip()[:64] or uuid.uuid4().hex
    submitting = request.form.get("action") == "submit" and _is_spoc()
    questions = _my_questions(req)
    values, question_errors = _read_answers(questions)

    def again(message: str | None = None, errors: dict | None = None):
        items = ([{"text": message, "href": "#answers"}] if message else []) + _error_list(questions, errors or {})
        return _render(req, values=values, question_errors=errors, error_list=items, idempotency_key=key,
                       unsent=True)

    # Save first, whatever else happens, so nothing typed is lost.
    if req.state in OPEN:
        # Held here, not looked up again: the session keeps loaded rows only while something
        # refers to them, and the save below would otherwise load the draft's answers again.
        draft = responses.current_draft(s, req)
        request_reading.with_answers(s, (draft,))
        saved = _values_from_draft(draft)
        changed = [
            responses.AnswerInput(q.id, AnswerOutcome(v["outcome"]) if v["outcome"] else None, v["text"])
            for q in questions
            if q.id not in question_errors
            and (v := values[q.id]) != saved.get(q.id, {"outcome": "", "text": ""})
            and (v["outcome"] or v["text"].strip() or q.id in saved)
        ]
        if changed:
            try:
                draft = responses.save_draft(s, req, changed, current_user, draft=draft)
            except WorkflowError as exc:
                return again(str(exc))
        if _is_spoc() and request.form.get("handling_code"):
            draft = draft or responses.save_draft(s, req, [], current_user, draft=None)
            try:
                responses.set_handling(s, draft, request.form["handling_code"],
                                       request.form.getlist("handling_conditions"), current_user)
            except WorkflowError as exc:
                return again(str(exc))
        action = request.form.get("action", "")
        file_errors = _store_uploads(req, questions)
        for qid, message in file_errors.items():
            question_errors.setdefault(qid, {})["file"] = message
        if action.startswith("remove:"):
            _remove_attachment(req, questions, action.removeprefix("remove:"))
            if not question_errors:
                flash("File removed. Your answers have been saved.", "success")
                return redirect(url_for(".detail", request_id=req.id) + "#answers")
    elif not submitting:
        return again(f"This request is {STATUS_LABELS[req.state][0].lower()}, so your answers cannot be "
                     "saved. What you typed is shown below so you can copy it.")
    if question_errors:
        return again(errors=question_errors)

    if not submitting:
        if request.form.get("action") == "submit":
            flash("Your answers have been saved. Your agency\u2019s single point of contact will send the "
                  "response.", "success")
        else:
            flash("Your answers have been saved. You can come back and finish them at any time.", "success")
        return redirect(url_for(".detail", request_id=req.id) + "#answers")

    if req.state in OPEN:
        # A file chosen with nothing typed may have started the draft since (_store_uploads).
        errors = _completeness(req, draft if draft is not None else responses.current_draft(s, req))
        if errors:
            return again(errors=errors)
    # What was typed is committed before the submission starts: if the submission fails in
    # any way, a killed worker or a lost database included, the partner's draft still holds
    # it, and resending the form (same idempotency key) submits it exactly once.
    s.commit()
    try:
        responses.submit(s, req, current_user, key)
    except WorkflowError as exc:
        return again(str(exc))
    return redirect(url_for(".sent", request_id=req.id))


def _upload_token() -> str:
    """The form's one-time upload token; a form without a usable one (an old page, a
    script) gets a fresh token, so its files are stored as before, just not deduplicated."""
    sent = (request.form.get("upload_token") or "").strip()
    return sent if UPLOAD_TOKEN_RE.fullmatch(sent) else uuid.uuid4().hex


def _store_uploads(req: InformationRequest, questions) -> dict[int, str]:
    """Seal any file chosen for a question into the agency's draft; an error per question.
    The same form sent twice (a double click, a browser resend) attaches each file once."""
    s = db_session()
    chosen = [(q, f) for q in questions if (f := request.files.get(f"file-{q.id}")) and f.filename]
    if not chosen:
        return {}
    draft = responses.current_draft(s, req) or responses.save_draft(s, req, [], current_user)
    limits = files.UploadLimits.from_settings(_settings())
    token = _upload_token()
    errors = {}
    for q, upload in chosen:
        attachment = Attachment(response_id=draft.id, question_id=q.id, uploaded_by_id=current_user.id,
                                upload_token=token)
        try:
            stored = files.store_upload_once(s, attachment, upload, limits)
        except files.UploadRejected as exc:
            errors[q.id] = exc.message + ". Select the file again"
            continue
        if stored.repeated:
            audit.record(s, "attachment_upload_repeated", object_type="attachment", object_id=stored.attachment.id,
                         handling=request_service.handling_of(req),
                         detail={"response_id": draft.id, "question_id": q.id})
            continue
        audit.record(s, "attachment_uploaded", object_type="attachment", object_id=attachment.id,
                     handling=request_service.handling_of(req),
                     detail={"response_id": draft.id, "question_id": q.id, "size": attachment.size,
                             "content_type": attachment.content_type})
    return errors


def _remove_attachment(req: InformationRequest, questions, raw_id: str) -> None:
    s = db_session()
    draft = responses.current_draft(s, req)
    try:
        attachment = s.get(Attachment, int(raw_id))
    except ValueError:
        attachment = None
    if (draft is None or attachment is None or attachment.response_id != draft.id
            or attachment.question_id not in {q.id for q in questions}):
        abort(404)
    files.delete_upload(attachment)
    audit.record(s, "attachment_removed", object_type="attachment", object_id=attachment.id,
                 handling=request_service.handling_of(req), detail={"response_id": draft.id})
    s.delete(attachment)
    s.flush()


@bp.get("/attachments/<int:attachment_id>")
@signed_in(*PARTNER_ROLES)
def download(attachment_id: int):
    s = db_session()
    attachment = s.get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    response = load_or_404(PartnerResponse, attachment.response_id, Action.DOWNLOAD)
    req = response.request
    if attachment.question_id not in {q.id for q in _my_questions(req)}:
        abort(404)
    chunks, headers = files.open_download(attachment)
    audit.record(s, "attachment_downloaded", object_type="attachment", object_id=attachment.id,
                 handling=request_service.handling_of(req), detail={"size": attachment.size})
    g.audited = True
    return Response(chunks, headers=headers)


@bp.get("/requests/<int:request_id>/sent")
@signed_in(*PARTNER_ROLES)
def sent(request_id: int):
    req = _load(request_id)
    if not responses.submitted_responses(db_session(), req):
        return redirect(url_for(".detail", request_id=req.id))
    return render_template("views/partner/sent.html", title="Response sent", req=req,
                           force=req.operation.owning_agency.name)


@bp.get("/requests/<int:request_id>/seen-by")
@signed_in(Role.PARTNER_SPOC)
def seen_by(request_id: int):
    """The originator of the answers sees who has viewed or downloaded them."""
    from gainportal.services import access_log

    req = _load(request_id)
    return render_template("views/requests/seen_by.html", title=f"Who has seen {req.reference}", req=req,
                           op=req.operation, back_url=url_for(".detail", request_id=req.id),
                           viewings=access_log.viewings_of_request(
                               db_session(), req, classifications=classifications_within(current_user)))
