"""Police side of information requests: build, plain-language check, issue, follow up,
read answers, record the response to them."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from gainportal.db import db_session
from gainportal.forms.cycle import DecisionForm, InterventionForm, MessageForm
from gainportal.forms.common import clean_text
from gainportal.models import (
    Attachment, AuditEvent, Classification, CollectionPlanItem, DecisionLogEntry, HandlingCode, Heading,
    InformationRequest, PartnerResponse, Pillar, RequestState, ResponseState, Role, User,
)
from gainportal.security.access import POLICE_ROLES, signed_in
from gainportal.security.permissions import Action, classifications_within, load_or_404
from gainportal.services import access_log, audit, files, question_bank, request_reading
from gainportal.services import requests as request_service
from gainportal.services import responses as response_service
from gainportal.services.dates import today
from gainportal.services.errors import WorkflowError
from gainportal.services.requests import QuestionInput, RequestDraft, SubjectInput

bp = Blueprint("requests", __name__)
EDITORS = (Role.LRO, Role.SUPERVISOR)
QUESTION_SLOTS = 6
SUBJECT_SLOTS = 3
SUBJECT_FIELDS = ("name", "dob", "address", "postcode", "vrm", "phone")
# Conditions an LRO can set on a request (labels shared with every page that shows them).
CONDITIONS = {key: request_service.CONDITION_LABELS[key]
              for key in ("originator_consent_required", "no_onward_dissemination", "not_for_evidential_use")}


def _text(name: str, limit: int = 5000) -> str:
    return (clean_text(request.form.get(name, "")) or "")[:limit * 2]


def _date_from(prefix: str) -> date | None:
    try:
        return date(int(request.form.get(f"{prefix}-year", "")), int(request.form.get(f"{prefix}-month", "")),
                    int(request.form.get(f"{prefix}-day", "")))
    except (TypeError, ValueError):
        return None


def _values_from_request(req: InformationRequest | None) -> dict:
    """What the form shows: from the stored draft, or empty slots."""
    values = {"purpose": "", "deadline": {}, "classification": Classification.OFFICIAL_SENSITIVE.value,
              "handling_code": "P", "conditions": [], "questions": [], "subjects": []}
    if req is not None:
        values.update(purpose=req.purpose or "", classification=req.classification.value,
                      handling_code=req.handling_code.value, conditions=list(req.handling_conditions or {}),
                      deadline={"day": req.deadline.day, "month": req.deadline.month, "year": req.deadline.year},
                      questions=[{"heading": q.heading.value, "text": q.text} for q in req.questions],
                      subjects=[dict(s.details or {}) for s in req.subjects])
    values["questions"] += [{"heading": "", "text": ""}] * (QUESTION_SLOTS - len(values["questions"]))
    values["subjects"] += [{}] * (SUBJECT_SLOTS - len(values["subjects"]))
    return values


def _parse_form(plan_item: CollectionPlanItem) -> tuple[RequestDraft | None, dict, dict[str, str]]:
    """Everything typed comes back in ``values`` whatever the errors, so nothing is lost."""
    errors: dict[str, str] = {}
    values = {
        "purpose": _text("purpose"),
        "deadline": {k: request.form.get(f"deadline-{k}", "")[:4] for k in ("day", "month", "year")},
        "classification": request.form.get("classification", ""),
        "handling_code": request.form.get("handling_code", ""),
        "conditions": [c for c in request.form.getlist("conditions") if c in CONDITIONS],
        "questions": [{"heading": request.form.get(f"questions-{i}-heading", ""),
                       "text": _text(f"questions-{i}-text", 1000)} for i in range(QUESTION_SLOTS)],
        "subjects": [{f: _text(f"subjects-{i}-{f}", 200) for f in SUBJECT_FIELDS} for i in range(SUBJECT_SLOTS)],
    }
    deadline = _date_from("deadline")
    if deadline is None:
        errors["deadline"] = "Enter a real deadline, for example 27 3 2027"
    try:
        classification = Classification(values["classification"])
    except ValueError:
        errors["classification"] = "Select the classification"
        classification = Classification.OFFICIAL_SENSITIVE
    try:
        handling = HandlingCode(values["handling_code"])
    except ValueError:
        errors["handling_code"] = "Select a handling code"
        handling = HandlingCode.P
    questions = []
    for i, q in enumerate(values["questions"]):
        if not q["text"]:
            continue
        try:
            questions.append(QuestionInput(Heading(q["heading"]), q["text"]))
        except ValueError:
            errors[f"questions-{i}-heading"] = f"Select a heading for question {i + 1}"
    if plan_item.source_agency is None:
        errors["purpose"] = "This collection plan item is an internal source; requests go to partner agencies only"
    if errors:
        return None, values, errors
    draft = RequestDraft(
        agency=plan_item.source_agency, deadline=deadline, purpose=values["purpose"], questions=questions,
        subjects=[SubjectInput(**s) for s in values["subjects"]], classification=classification,
        handling_code=handling, handling_conditions={c: True for c in values["conditions"]})
    errors.update(request_service.validate_draft(draft))
    return (None if errors else draft), values, errors


def _render_builder(plan_item, req, values, errors, findings=None):
    return render_template(
        "views/requests/builder.html", plan_item=plan_item, op=plan_item.requirement.operation, req=req,
        values=values, errors=errors, has_errors=bool(errors), findings=findings or {}, headings=list(Heading),
        classifications=list(Classification), conditions=CONDITIONS, subject_fields=SUBJECT_FIELDS,
        bank=question_bank.questions_for(plan_item.source_agency.kind if plan_item.source_agency else None),
        form=FlaskForm(), title_text="Change draft request" if req else "New request to " + (
            plan_item.source_agency.name if plan_item.source_agency else "a partner"))


@bp.route("/plan-items/<int:item_id>/requests/new", methods=["GET", "POST"])
@signed_in(*EDITORS)
def new(item_id: int):
    plan_item = load_or_404(CollectionPlanItem, item_id, Action.EDIT)
    if request.method == "GET":
        return _render_builder(plan_item, None, _values_from_request(None), {})
    FlaskForm().validate_on_submit()  # CSRF is checked globally; this keeps the token fresh
    draft, values, errors = _parse_form(plan_item)
    if errors:
        return _render_builder(plan_item, None, values, errors), 400
    req = request_service.create_draft(db_session(), plan_item, draft, current_user)
    findings = request_service.plain_language_findings(req)
    flash("Draft saved. " + ("The plain-language check found words to look at before you issue it."
                             if findings else "It passed the plain-language check."), "success")
    return redirect(url_for("requests.show", request_id=req.id))


@bp.route("/requests/<int:request_id>/edit", methods=["GET", "POST"])
@signed_in(*EDITORS)
def edit(request_id: int):
    req = load_or_404(InformationRequest, request_id, Action.EDIT)
    plan_item = req.plan_item
    if req.state is not RequestState.DRAFT:
        flash("Only a draft request can be changed", "error")
        return redirect(url_for("requests.show", request_id=req.id))
    if request.method == "GET":
        return _render_builder(plan_item, req, _values_from_request(req), {},
                               request_service.plain_language_findings(req))
    draft, values, errors = _parse_form(plan_item)
    if errors:
        return _render_builder(plan_item, req, values, errors), 400
    request_service.update_draft(db_session(), req, draft, current_user)
    flash("Draft saved", "success")
    return redirect(url_for("requests.show", request_id=req.id))


@bp.get("/requests/<int:request_id>")
@signed_in(*POLICE_ROLES)
def show(request_id: int):
    req = load_or_404(InformationRequest, request_id)
    s = db_session()
    audit.record(s, "information_request_viewed", object_type="information_request", object_id=req.id,
                 handling=request_service.handling_of(req))
    g.audited = True
    questions = request_reading.questions_of(s, req)
    # A partner may mark its answer above the request: responses beyond the viewer's clearance
    # stay off the page (filtered in SQL, as the attachments that hang off them).
    responses = s.scalars(select(PartnerResponse).where(
        PartnerResponse.request_id == req.id, PartnerResponse.state != ResponseState.DRAFT,
        PartnerResponse.classification.in_(classifications_within(current_user)))
        .order_by(PartnerResponse.version).options(*request_reading.RESPONSE_ONLY)).all()
    request_reading.with_answers(s, responses)
    by_id = {q.id: q for q in questions}
    answered = {r.id: sorted(((by_id.get(a.question_id) or a.question, a) for a in r.answers),
                             key=lambda qa: qa[0].position)
                for r in responses}
    can_edit = current_user.role in EDITORS
    intervention_form = InterventionForm()
    intervention_form.owner_id.choices = []
    if can_edit and req.state in (RequestState.ANSWERED, RequestState.ASSESSED):  # the form is on the page
        intervention_form.owner_id.choices = [tuple(row) for row in s.execute(
            select(User.id, User.full_name).where(User.agency_id == current_user.agency_id, User.active.is_(True),
                                                  User.role.in_(POLICE_ROLES)).order_by(User.full_name))]
    intervention_form.owner_id.data = current_user.id
    plan_requirement_id = s.scalar(select(CollectionPlanItem.requirement_id).where(
        CollectionPlanItem.id == req.plan_item_id)) if req.plan_item_id else None
    back_url = (url_for("operations.requirement", requirement_id=plan_requirement_id) if plan_requirement_id
                else url_for("operations.show", operation_id=req.operation_id))
    return render_template(
        "views/requests/show.html", req=req, op=req.operation, questions=questions, responses=responses,
        answered=answered, today=today(), back_url=back_url, messages=request_reading.messages_of(s, req),
        attachments=_attachments_by_response(s, responses),
        findings=request_service.plain_language_findings(req) if req.state is RequestState.DRAFT else {},
        transitions=request_service.TRANSITIONS[req.state], message_form=MessageForm(),
        intervention_form=intervention_form, can_edit=can_edit,
        can_grade=current_user.role in (Role.ANALYST, Role.SUPERVISOR))


@bp.post("/requests/<int:request_id>/issue")
@signed_in(*EDITORS)
def issue(request_id: int):
    req = load_or_404(InformationRequest, request_id, Action.EDIT)
    override = (clean_text(request.form.get("override_reason", "")) or "")[:2000]
    try:
        request_service.issue(db_session(), req, current_user, override_reason=override or None)
    except WorkflowError as exc:
        flash(str(exc), "error")
        return redirect(url_for("requests.show", request_id=req.id, _anchor="issue"))
    flash(f"Request {req.reference} issued to {req.agency.name}", "success")
    return redirect(url_for("requests.show", request_id=req.id))


DECISIONS = {
    "withdraw": ("Withdraw this request", "Why are you withdrawing it? The partner is told it was withdrawn, not why.",
                 request_service.withdraw, "withdrawn"),
    "assess": ("Record your assessment of the answers", "What do the answers tell you, and how reliable are they?",
               request_service.assess, "assessed"),
    "close": ("Close this request", "Why can it be closed? Include anything you decided not to do.",
              request_service.close, "closed"),
}


@bp.route("/requests/<int:request_id>/<any(withdraw, assess, close):decision>", methods=["GET", "POST"])
@signed_in(*EDITORS, Role.ANALYST)
def decide(request_id: int, decision: str):
    analyst_assessing = decision == "assess" and current_user.role is Role.ANALYST
    req = load_or_404(InformationRequest, request_id, Action.GRADE if analyst_assessing else Action.EDIT)
    heading, hint, action, done = DECISIONS[decision]
    form = DecisionForm()
    form.rationale.description = hint
    if form.validate_on_submit():
        try:
            action(db_session(), req, form.rationale.data, current_user)
        except WorkflowError as exc:
            form.rationale.errors = list(form.rationale.errors) + [str(exc)]
        else:
            flash(f"Request {req.reference} {done}", "success")
            return redirect(url_for("requests.show", request_id=req.id))
    return render_template("views/operations/decision.html", form=form, heading=heading, op=req.operation,
                           back=url_for("requests.show", request_id=req.id))


@bp.post("/requests/<int:request_id>/messages")
@signed_in(*EDITORS, Role.ANALYST)
def message(request_id: int):
    req = load_or_404(InformationRequest, request_id, Action.EDIT)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            request_service.add_message(db_session(), req, form.body.data, current_user)
            flash("Message sent", "success")
        except WorkflowError as exc:
            flash(str(exc), "error")
    else:
        flash(next(iter(form.errors.values()))[0], "error")
    return redirect(url_for("requests.show", request_id=req.id, _anchor="messages"))


@bp.post("/requests/<int:request_id>/intervention")
@signed_in(*EDITORS)
def intervention(request_id: int):
    req = load_or_404(InformationRequest, request_id, Action.EDIT)
    s = db_session()
    form = InterventionForm()
    owners = s.scalars(select(User).where(User.agency_id == current_user.agency_id, User.active.is_(True))).all()
    form.owner_id.choices = [(u.id, u.full_name) for u in owners]
    if form.validate_on_submit():
        try:
            request_service.record_intervention(s, req, pillar=Pillar(form.pillar.data), action=form.action.data,
                                                owner=s.get(User, form.owner_id.data), due_date=form.due_date.data,
                                                by=current_user)
            flash("Intervention recorded", "success")
            return redirect(url_for("requests.show", request_id=req.id, _anchor="interventions"))
        except WorkflowError as exc:
            form.action.errors = list(form.action.errors) + [str(exc)]
    return render_template("views/requests/intervention.html", form=form, req=req, op=req.operation)


@bp.post("/responses/<int:response_id>/grade")
@signed_in(Role.ANALYST, Role.SUPERVISOR)
def grade(response_id: int):
    response = load_or_404(PartnerResponse, response_id, Action.GRADE)
    grading = (request.form.get("source", "") + request.form.get("assessment", ""))[:2]
    try:
        response_service.grade(db_session(), response, grading, current_user)
        flash(f"Response graded {grading}", "success")
    except WorkflowError as exc:
        flash(str(exc), "error")
    return redirect(url_for("requests.show", request_id=response.request_id, _anchor="answers"))


def _attachments_by_response(s, responses) -> dict[int, list[Attachment]]:
    if not responses:
        return {}
    rows = s.scalars(select(Attachment).where(Attachment.response_id.in_([r.id for r in responses]))
                     .order_by(Attachment.id)).all()
    grouped: dict[int, list[Attachment]] = {}
    for row in rows:
        grouped.setdefault(row.response_id, []).append(row)
    return grouped


@bp.get("/requests/attachments/<int:attachment_id>")
@signed_in(*POLICE_ROLES)
def download(attachment_id: int):
    attachment = db_session().get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    response = load_or_404(PartnerResponse, attachment.response_id, Action.DOWNLOAD)
    if response.state is ResponseState.DRAFT:
        abort(404)  # a partner's unsent draft is theirs alone
    chunks, headers = files.open_download(attachment)
    audit.record(db_session(), "attachment_downloaded", object_type="attachment", object_id=attachment.id,
                 handling=request_service.handling_of(response.request), detail={"size": attachment.size})
    g.audited = True
    return Response(chunks, headers=headers)


@bp.get("/requests/<int:request_id>/seen-by")
@signed_in(*EDITORS)
def seen_by(request_id: int):
    req = load_or_404(InformationRequest, request_id, Action.EDIT)
    return render_template("views/requests/seen_by.html", req=req, op=req.operation,
                           back_url=url_for("requests.show", request_id=req.id),
                           viewings=access_log.viewings_of_request(
                               db_session(), req, classifications=classifications_within(current_user)))


DISCLOSURE_KINDS = {"foi": "Freedom of Information request", "sar": "Subject access request (Data Protection Act)"}


@bp.route("/requests/<int:request_id>/disclosure", methods=["GET", "POST"])
@signed_in(*EDITORS)
def disclosure(request_id: int):
    """Everything the portal holds on a request, with its handling, for a disclosure officer."""
    req = load_or_404(InformationRequest, request_id, Action.EDIT)
    s = db_session()
    if request.method == "POST":
        FlaskForm().validate_on_submit()
        kind = request.form.get("kind", "")
        if kind in DISCLOSURE_KINDS or kind == "none":
            req.disclosure_flag = None if kind == "none" else kind
            audit.record(s, "disclosure_flag_set", object_type="information_request", object_id=req.id,
                         handling=request_service.handling_of(req), detail={"kind": kind})
            flash("Disclosure flag updated", "success")
            return redirect(url_for("requests.disclosure", request_id=req.id))
        flash("Select the kind of disclosure request", "error")
    responses = s.scalars(select(PartnerResponse).where(
        PartnerResponse.request_id == req.id, PartnerResponse.state != ResponseState.DRAFT,
        PartnerResponse.classification.in_(classifications_within(current_user)))
        .order_by(PartnerResponse.version)).all()
    # Responses marked above the viewer's clearance stay off the schedule; the schedule says
    # so, so that it is never taken for complete by a disclosure officer who cannot see them.
    withheld = s.scalar(select(func.count()).select_from(PartnerResponse).where(
        PartnerResponse.request_id == req.id, PartnerResponse.state != ResponseState.DRAFT,
        PartnerResponse.classification.not_in(classifications_within(current_user)))) or 0
    decisions = s.scalars(select(DecisionLogEntry).where(
        DecisionLogEntry.subject_type == "information_request", DecisionLogEntry.subject_id == req.id)).all()
    events = s.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "information_request", AuditEvent.object_id == str(req.id))) or 0
    audit.record(s, "disclosure_schedule_viewed", object_type="information_request", object_id=req.id,
                 handling=request_service.handling_of(req))
    g.audited = True
    return render_template("views/requests/disclosure.html", req=req, op=req.operation, responses=responses,
                           attachments=_attachments_by_response(s, responses), decisions=decisions,
                           audit_events=events, kinds=DISCLOSURE_KINDS, form=FlaskForm(), withheld=withheld)
