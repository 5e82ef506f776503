"""Police side: operations, reviews, requirements, collection plans and the decision log."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import and_, func, or_, select

from gainportal.db import db_session
from gainportal.forms.cycle import DecisionForm, OperationForm, PlanItemForm, RequirementForm, ReviewForm
from gainportal.models import (
    Agency, Answer, Classification, CollectionMethod, CollectionPlanItem, DecisionLogEntry, InformationRequest,
    InternalSource, Intervention, LawfulBasis, MatchCandidate, Nominal, NominalLink, Operation, OperationStatus, Pillar, Priority, Requirement,
    RequirementState, Role, PartnerResponse,
)
from gainportal.models.association import NominalAssociation, OperationAssociation
from gainportal.models.circulation import Circulation
from gainportal.security.access import POLICE_ROLES, signed_in
from gainportal.security.permissions import Action, classifications_within, load_or_404, visible, visible_to
from gainportal.services.listing import page_rows
from gainportal.services import operations as operation_service
from gainportal.services import requirements as requirement_service
from gainportal.services.dates import today
from gainportal.services.errors import WorkflowError

bp = Blueprint("operations", __name__)
PAGE_SIZE = 25
EDITORS = (Role.LRO, Role.SUPERVISOR)


def _page() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 100_000))
    except ValueError:
        return 1


def _form_error(form, field: str, message: str) -> None:
    getattr(form, field).errors = list(getattr(form, field).errors) + [message]


@bp.get("/operations")
@signed_in(*POLICE_ROLES)
def index():
    s = db_session()
    query = visible(Operation, current_user)
    q = (request.args.get("q") or "").strip()[:60]
    if q:
        query = query.where(or_(Operation.reference.ilike(f"%{q}%"), Operation.name.ilike(f"%{q}%")))
    tier = request.args.get("tier", type=int)
    if tier in (1, 2, 3, 4):
        query = query.where(Operation.tier == tier)
    if request.args.get("mine") == "1":
        query = query.where(Operation.lro_id == current_user.id)
    if request.args.get("review") == "overdue":
        query = query.where(Operation.next_review_due < today())
    total = s.scalar(select(func.count()).select_from(query.subquery()))
    page = _page()
    rows = page_rows(s, query.order_by(Operation.next_review_due.asc().nulls_last(), Operation.reference),
                     Operation, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("views/operations/index.html", operations=rows, total=total, page=page,
                           page_size=PAGE_SIZE, q=q, tier=tier, today=today(),
                           review_status=operation_service.review_status)


@bp.route("/operations/new", methods=["GET", "POST"])
@signed_in(*EDITORS)
def new():
    form = OperationForm()
    if form.validate_on_submit():
        try:
            op = operation_service.create_operation(
                db_session(), name=form.name.data, agency=current_user.agency, lro=current_user, tier=form.tier.data,
                ocgm_band=form.ocgm_band.data, p_band=form.p_band.data,
                classification=Classification(form.classification.data), summary=form.summary.data,
                by=current_user)
        except WorkflowError as exc:
            _form_error(form, "name", str(exc))
        else:
            flash(f"{op.reference} {op.name} created", "success")
            return redirect(url_for("operations.show", operation_id=op.id))
    return render_template("views/operations/new.html", form=form)


@bp.get("/operations/<int:operation_id>")
@signed_in(*POLICE_ROLES)
def show(operation_id: int):
    op = load_or_404(Operation, operation_id)
    s = db_session()
    requirements = s.scalars(select(Requirement).where(Requirement.operation_id == op.id, visible_to(current_user, Requirement))
                             .order_by(Requirement.number)).all()
    requests = page_rows(s, select(InformationRequest).where(InformationRequest.operation_id == op.id,
                                                             visible_to(current_user, InformationRequest))
                         .order_by(InformationRequest.id.desc()), InformationRequest, limit=50)
    # Items of the operation carry their own markings: nominals, interventions driven by a
    # request the viewer may not see, and confirmed matches to such answers stay off the page,
    # filtered in SQL before the LIMIT like every other list.
    within = classifications_within(current_user)
    visible_requests = select(InformationRequest.id).where(visible_to(current_user, InformationRequest))
    nominal_links = s.scalars(select(NominalLink).join(Nominal, Nominal.id == NominalLink.nominal_id)
                              .where(NominalLink.operation_id == op.id, Nominal.classification.in_(within))
                              .order_by(NominalLink.id)).unique().all()
    withheld_nominals = s.scalar(select(func.count()).select_from(NominalLink)
                                 .join(Nominal, Nominal.id == NominalLink.nominal_id)
                                 .where(NominalLink.operation_id == op.id, Nominal.classification.not_in(within)))
    interventions = s.scalars(select(Intervention).where(
        Intervention.operation_id == op.id,
        or_(Intervention.request_id.is_(None), Intervention.request_id.in_(visible_requests)))
        .order_by(Intervention.recorded_at.desc()).limit(20)).all()
    # Ids first: with the candidate's joined loads on top of these joins the query has some
    # twenty tables, and PostgreSQL spent ~25 ms planning it for a 0.3 ms execution.
    confirmed = page_rows(s, select(MatchCandidate)
                          .join(Nominal, Nominal.id == MatchCandidate.nominal_id)
                          .join(Answer, Answer.id == MatchCandidate.answer_id)
                          .join(PartnerResponse, PartnerResponse.id == Answer.response_id)
                          .where(MatchCandidate.operation_id == op.id, MatchCandidate.status == "confirmed",
                                 Nominal.classification.in_(within), PartnerResponse.classification.in_(within),
                                 PartnerResponse.request_id.in_(visible_requests))
                          .order_by(MatchCandidate.decided_at.desc(), MatchCandidate.id), MatchCandidate, limit=50)
    return render_template("views/operations/show.html", op=op, requirements=requirements, requests=requests,
                           interventions=interventions, confirmed_matches=confirmed, today=today(),
                           nominal_links=nominal_links, withheld_nominals=withheld_nominals,
                           review_status=operation_service.review_status(op, today()),
                           can_edit=current_user.role in EDITORS)


@bp.route("/operations/<int:operation_id>/review", methods=["GET", "POST"])
@signed_in(*EDITORS)
def review(operation_id: int):
    op = load_or_404(Operation, operation_id, Action.EDIT)
    form = ReviewForm()
    if request.method == "GET":
        form.tier.data = op.tier
        form.kind.data = "trigger" if op.next_review_due and op.next_review_due > today() else "scheduled"
    if form.validate_on_submit():
        try:
            operation_service.record_review(db_session(), op, kind=form.kind.data, notes=form.notes.data,
                                            by=current_user, new_tier=form.tier.data)
        except WorkflowError as exc:
            _form_error(form, "notes", str(exc))
        else:
            flash(f"Review recorded. Next review due {op.next_review_due:%d %B %Y}", "success")
            return redirect(url_for("operations.show", operation_id=op.id))
    return render_template("views/operations/review.html", form=form, op=op)


def _decision_visible(op: Operation):
    """SQL: a rationale quotes what it decides about, so a decision about a request, an
    intervention, a match, a link or a circulation the viewer may not see is left off."""
    within = classifications_within(current_user)
    D = DecisionLogEntry
    visible_requests = select(InformationRequest.id).where(visible_to(current_user, InformationRequest))
    # Requests and interventions logged here are this operation's: the narrower set plans faster.
    own_requests = visible_requests.where(InformationRequest.operation_id == op.id)
    hidden_interventions = select(Intervention.id).where(Intervention.operation_id == op.id,
                                                         Intervention.request_id.not_in(own_requests))
    hidden_matches = (select(MatchCandidate.id)
                      .join(Nominal, Nominal.id == MatchCandidate.nominal_id)
                      .join(Answer, Answer.id == MatchCandidate.answer_id)
                      .join(PartnerResponse, PartnerResponse.id == Answer.response_id)
                      .where(MatchCandidate.operation_id == op.id,
                             or_(Nominal.classification.not_in(within), PartnerResponse.classification.not_in(within),
                                 PartnerResponse.request_id.not_in(visible_requests))))
    hidden_nominal_links = select(NominalAssociation.id).where(~visible_to(current_user, NominalAssociation))
    hidden_ocg_links = select(OperationAssociation.id).where(~visible_to(current_user, OperationAssociation))
    hidden_circulations = select(Circulation.id).where(Circulation.operation_id == op.id,
                                                       Circulation.classification.not_in(within))
    subject = func.coalesce(D.subject_id, 0)
    return ~or_(
        and_(D.subject_type == "information_request", subject.not_in(own_requests)),
        and_(D.subject_type == "intervention", subject.in_(hidden_interventions)),
        and_(D.subject_type == "match_candidate", subject.in_(hidden_matches)),
        and_(D.subject_type == "nominal_association", subject.in_(hidden_nominal_links)),
        and_(D.subject_type == "operation_association", subject.in_(hidden_ocg_links)),
        and_(D.subject_type == "circulation", subject.in_(hidden_circulations)),
    )


@bp.get("/operations/<int:operation_id>/decisions")
@signed_in(*POLICE_ROLES)
def decisions(operation_id: int):
    op = load_or_404(Operation, operation_id)
    entries = db_session().scalars(select(DecisionLogEntry).where(DecisionLogEntry.operation_id == op.id,
                                                                  _decision_visible(op))
                                   .order_by(DecisionLogEntry.decided_at.desc()).limit(500)).all()
    return render_template("views/operations/decisions.html", op=op, entries=entries)


@bp.route("/operations/<int:operation_id>/requirements/new", methods=["GET", "POST"])
@signed_in(*EDITORS)
def new_requirement(operation_id: int):
    op = load_or_404(Operation, operation_id, Action.EDIT)
    form = RequirementForm()
    if form.validate_on_submit():
        problems = requirement_service.check_need_to_know(form.gap.data, form.intent.data)
        if problems:
            _form_error(form, "intent", problems[0])
        else:
            req = requirement_service.create_requirement(
                db_session(), op, gap=form.gap.data, intent=form.intent.data, pillar=Pillar(form.pillar.data),
                priority=Priority(form.priority.data), review_date=form.review_date.data, by=current_user)
            flash(f"Requirement {req.reference} saved as a draft", "success")
            return redirect(url_for("operations.requirement", requirement_id=req.id))
    return render_template("views/operations/requirement_new.html", form=form, op=op)


@bp.get("/requirements/<int:requirement_id>")
@signed_in(*POLICE_ROLES)
def requirement(requirement_id: int):
    req = load_or_404(Requirement, requirement_id)
    requests = db_session().scalars(select(InformationRequest).join(CollectionPlanItem).where(
        CollectionPlanItem.requirement_id == req.id, visible_to(current_user, InformationRequest))).all()
    by_item: dict[int, list] = {}
    for r in requests:
        by_item.setdefault(r.plan_item_id, []).append(r)
    transitions = sorted(requirement_service.TRANSITIONS[req.state], key=lambda s: s.value)
    return render_template("views/operations/requirement.html", req=req, op=req.operation, requests_by_item=by_item,
                           transitions=transitions, can_edit=current_user.role in EDITORS, today=today())


TRANSITION_LABELS = {
    RequirementState.OPEN: ("Open this requirement", "Why is this a need to know, and why now?"),
    RequirementState.SATISFIED: ("Mark as satisfied", "What answered it, and what will happen next?"),
    RequirementState.CLOSED: ("Close this requirement", "Why is it being closed? Include anything you decided not to do."),
}


@bp.route("/requirements/<int:requirement_id>/<any(open, satisfied, closed):state>", methods=["GET", "POST"])
@signed_in(*EDITORS)
def requirement_transition(requirement_id: int, state: str):
    req = load_or_404(Requirement, requirement_id, Action.EDIT)
    target = RequirementState(state)
    heading, hint = TRANSITION_LABELS[target]
    form = DecisionForm()
    form.rationale.description = hint
    if form.validate_on_submit():
        try:
            requirement_service.change_state(db_session(), req, target, form.rationale.data, current_user)
        except WorkflowError as exc:
            _form_error(form, "rationale", str(exc))
        else:
            flash(f"Requirement {req.reference} is now {target.label.lower()}", "success")
            return redirect(url_for("operations.requirement", requirement_id=req.id))
    return render_template("views/operations/decision.html", form=form, heading=heading, op=req.operation,
                           back=url_for("operations.requirement", requirement_id=req.id))


@bp.route("/requirements/<int:requirement_id>/plan/new", methods=["GET", "POST"])
@signed_in(*EDITORS)
def new_plan_item(requirement_id: int):
    req = load_or_404(Requirement, requirement_id, Action.EDIT)
    s = db_session()
    partners = s.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)).all()
    partners = [a for a in partners if not a.is_police]
    form = PlanItemForm()
    form.source_choices(partners)
    if form.validate_on_submit():
        kind, _, value = (form.source.data or "").partition(":")
        agency = s.get(Agency, int(value)) if kind == "agency" and value.isdigit() else None
        internal = InternalSource(value) if kind == "internal" and value in {i.value for i in InternalSource} else None
        try:
            requirement_service.add_plan_item(
                s, req, source_agency=agency, internal_source=internal, method=CollectionMethod(form.method.data),
                lawful_basis=LawfulBasis(form.lawful_basis.data), isa_reference=form.isa_reference.data,
                due_date=form.due_date.data, owner=current_user, notes=form.notes.data, by=current_user)
        except WorkflowError as exc:
            _form_error(form, "source", str(exc))
        else:
            flash("Added to the collection plan", "success")
            return redirect(url_for("operations.requirement", requirement_id=req.id))
    return render_template("views/operations/plan_item_new.html", form=form, req=req, op=req.operation)
