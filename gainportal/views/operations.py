"""Police side: operations, reviews, requirements, collection plans and the decision log."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import and_, func, or_, select

from gainportal.db import db_session, planned_as_written
from gainportal.forms.cycle import DecisionForm, OperationForm, PlanItemForm, RequirementForm, ReviewForm
from gainportal.models import (
    Agency, Answer, Classification, CollectionMethod, CollectionPlanItem, DecisionLogEntry, InformationRequest,
    InternalSource, Intervention, LawfulBasis, MatchCandidate, Nominal, NominalLink, Operation, OperationStatus, Pillar, Priority, Requirement,
    RequirementState, Role, PartnerResponse, User,
)
from gainportal.models.association import NominalAssociation, OperationAssociation
from gainportal.models.circulation import Circulation
from gainportal.models.sealing import DataKey
from gainportal.security.access import POLICE_ROLES, signed_in
from gainportal.security.permissions import Action, classifications_within, load_or_404, visible, visible_to
from gainportal.security.sealing import keyring
from gainportal.services import operations as operation_service
from gainportal.services import requirements as requirement_service
from gainportal.services.dates import today
from gainportal.services.sealed_rows import opened_text
from gainportal.services.errors import WorkflowError
from gainportal.views.paging import page_total, requested_page

bp = Blueprint("operations", __name__)
PAGE_SIZE = 25
EDITORS = (Role.LRO, Role.SUPERVISOR)


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
    page = requested_page()
    # The columns the list shows, and the total from the same statement (a window count is
    # taken before the LIMIT): no Operation objects with their agency and data key joined.
    listed = query.with_only_columns(
        Operation.id, Operation.reference, Operation.name, Operation.ocgm_band, Operation.tier,
        Operation.next_review_due, Operation.classification, func.count().over().label("total"))
    rows = s.execute(listed.order_by(Operation.next_review_due.asc().nulls_last(), Operation.reference)
                     .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    on = today()
    return render_template("views/operations/index.html", operations=rows, page=page,
                           total=page_total(s, rows, page, query, Operation.id),
                           page_size=PAGE_SIZE, q=q, tier=tier,
                           status={r.id: operation_service.review_status(r, on) for r in rows})


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


# The operation page's lists. Each selects what the page shows and no more: the models'
# joined loads (the operation again on every requirement, every owner's whole account row
# and agency, each match's chain of answer, question, response and request) cost more
# Python than the page's SQL did. Items of the operation carry their own markings:
# nominals, interventions driven by a request the viewer may not see, and confirmed matches
# to such answers stay off the page, filtered in SQL before the LIMIT like every other list.
# ``requests_visible`` is visible_to(viewer, InformationRequest), built once per page: the
# expression alone took as much Python as running a statement.
# Sealed values are opened from their stored parts (services/sealed_rows.py) with one keyring
# look-up per page, rather than loading each row as an object with its data key.
def _requirements(s, op: Operation, user, ring) -> list[tuple]:
    """(id, number, gap, pillar, priority, state) of the operation's requirements."""
    R = Requirement
    rows = s.execute(select(R.id, R.number, R.pillar, R.priority, R.state, R.gap_sealed, R.uid, DataKey.kek_id,
                            DataKey.wrapped)
                     .outerjoin(DataKey, DataKey.id == R.data_key_id)
                     .where(R.operation_id == op.id, visible_to(user, R))
                     .order_by(R.number)).all()
    return [(r.id, r.number, opened_text(R.__tablename__, "gap", r.uid, r.kek_id, r.wrapped, r.gap_sealed, ring),
             r.pillar, r.priority, r.state) for r in rows]


def _requests(s, op: Operation, requests_visible) -> list:
    return s.execute(select(InformationRequest.id, InformationRequest.reference, InformationRequest.deadline,
                            InformationRequest.state, Agency.name.label("agency_name"))
                     .join(Agency, Agency.id == InformationRequest.agency_id)
                     .where(InformationRequest.operation_id == op.id, requests_visible)
                     .order_by(InformationRequest.id.desc()).limit(50)).all()


def _nominals_and_lro(s, op: Operation, within) -> tuple[list, int, str | None]:
    """(role, nominal) for the links the viewer may see, how many links are withheld, and the
    LRO's name, in one statement: from the operation's own row, so there is a row (for the
    name) when it has no links; a link whose nominal is above the viewer comes back without
    its nominal, and only counts."""
    rows = s.execute(select(User.full_name, NominalLink.id, NominalLink.role, Nominal)
                     .select_from(Operation)
                     .outerjoin(User, User.id == Operation.lro_id)
                     .outerjoin(NominalLink, NominalLink.operation_id == Operation.id)
                     .outerjoin(Nominal, and_(Nominal.id == NominalLink.nominal_id, Nominal.classification.in_(within)))
                     .where(Operation.id == op.id)
                     .order_by(NominalLink.id)).all()
    shown = [(row.role, row.Nominal) for row in rows if row.Nominal is not None]
    withheld = sum(1 for row in rows if row.id is not None and row.Nominal is None)
    return shown, withheld, rows[0].full_name if rows else None


def _interventions(s, op: Operation, requests_visible, ring) -> list[tuple]:
    """(pillar, action, owner's name, recorded at) of the latest twenty the viewer may see."""
    I = Intervention
    # The driving request joined to each intervention (an operation has a handful) and the
    # rule tested on that row. Not IN, nor an EXISTS under the OR: PostgreSQL turned either
    # into a hash of every request the viewer may see (~2,100 for a supervisor, 2.5-5 ms a page).
    rows = s.execute(select(I.pillar, I.recorded_at, I.action_sealed, I.uid, DataKey.kek_id, DataKey.wrapped,
                            User.full_name)
                     .join(User, User.id == I.owner_id)
                     .outerjoin(DataKey, DataKey.id == I.data_key_id)
                     .outerjoin(InformationRequest, InformationRequest.id == I.request_id)
                     .where(I.operation_id == op.id, or_(I.request_id.is_(None), requests_visible))
                     .order_by(I.recorded_at.desc()).limit(20)).all()
    return [(r.pillar, opened_text(I.__tablename__, "action", r.uid, r.kek_id, r.wrapped, r.action_sealed, ring),
             r.full_name, r.recorded_at) for r in rows]


def _confirmed_matches(s, op: Operation, within, requests_visible) -> list:
    # The answer's request is joined once: for its reference and agency, and for the
    # viewer's right to see it. Response and request through the ids copied onto the
    # candidate, not through the answer: a table fewer for the planner (2.6-4.5 ms to plan).
    statement = (select(Nominal, MatchCandidate.decided_at, InformationRequest.reference,
                        Agency.name.label("agency_name"))
                 .select_from(MatchCandidate)
                 .join(Nominal, Nominal.id == MatchCandidate.nominal_id)
                 .join(PartnerResponse, PartnerResponse.id == MatchCandidate.response_id)
                 .join(InformationRequest, InformationRequest.id == MatchCandidate.request_id)
                 .join(Agency, Agency.id == InformationRequest.agency_id)
                 .where(MatchCandidate.operation_id == op.id, MatchCandidate.status == "confirmed",
                        Nominal.classification.in_(within), PartnerResponse.classification.in_(within),
                        requests_visible)
                 .order_by(MatchCandidate.decided_at.desc(), MatchCandidate.id).limit(50))
    with planned_as_written(s):
        return s.execute(statement).all()


@bp.get("/operations/<int:operation_id>")
@signed_in(*POLICE_ROLES)
def show(operation_id: int):
    op = load_or_404(Operation, operation_id)
    s = db_session()
    user = current_user._get_current_object()
    within = classifications_within(user)
    requests_visible = visible_to(user, InformationRequest)
    requests = _requests(s, op, requests_visible)
    nominal_links, withheld_nominals, lro_name = _nominals_and_lro(s, op, within)
    on = today()
    ring = keyring()
    return render_template("views/operations/show.html", op=op, lro_name=lro_name,
                           requirements=_requirements(s, op, user, ring), requests=requests,
                           overdue={r.id for r in requests if InformationRequest.is_overdue(r, on)},
                           interventions=_interventions(s, op, requests_visible, ring),
                           confirmed_matches=_confirmed_matches(s, op, within, requests_visible),
                           nominal_links=nominal_links, withheld_nominals=withheld_nominals,
                           review_status=operation_service.review_status(op, on),
                           can_edit=user.role in EDITORS)


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


def _decision_visible(op: Operation, user, kinds: set[str]):
    """SQL: a rationale quotes what it decides about, so a decision about a request, an
    intervention, a match, a link or a circulation the viewer may not see is left off.

    Only the kinds of subject in ``kinds`` (those in this operation's log) are checked
    against their items: PostgreSQL spent ~25 ms planning all six checks for a 1 ms
    execution. A decision of an unchecked kind logged since ``kinds`` was read is left off
    rather than shown unchecked."""
    within = classifications_within(user)
    D = DecisionLogEntry
    subject = func.coalesce(D.subject_id, 0)
    # Requests and interventions logged here are this operation's: the narrower set plans faster.
    own_requests = select(InformationRequest.id).where(visible_to(user, InformationRequest),
                                                       InformationRequest.operation_id == op.id)

    def hidden_matches():
        visible_requests = select(InformationRequest.id).where(visible_to(user, InformationRequest))
        return (select(MatchCandidate.id)
                .join(Nominal, Nominal.id == MatchCandidate.nominal_id)
                .join(Answer, Answer.id == MatchCandidate.answer_id)
                .join(PartnerResponse, PartnerResponse.id == Answer.response_id)
                .where(MatchCandidate.operation_id == op.id,
                       or_(Nominal.classification.not_in(within), PartnerResponse.classification.not_in(within),
                           PartnerResponse.request_id.not_in(visible_requests))))

    hidden_when = {
        "information_request": lambda: subject.not_in(own_requests),
        "intervention": lambda: subject.in_(select(Intervention.id).where(
            Intervention.operation_id == op.id, Intervention.request_id.not_in(own_requests))),
        "match_candidate": lambda: subject.in_(hidden_matches()),
        "nominal_association": lambda: subject.in_(
            select(NominalAssociation.id).where(~visible_to(user, NominalAssociation))),
        "operation_association": lambda: subject.in_(
            select(OperationAssociation.id).where(~visible_to(user, OperationAssociation))),
        "circulation": lambda: subject.in_(select(Circulation.id).where(
            Circulation.operation_id == op.id, Circulation.classification.not_in(within))),
    }
    hidden = [and_(D.subject_type == kind, check()) for kind, check in hidden_when.items() if kind in kinds]
    unchecked = [kind for kind in hidden_when if kind not in kinds]
    if unchecked:
        hidden.append(D.subject_type.in_(unchecked))
    # The entry's own marking (its subject's when logged) holds after the subject is gone.
    hidden.append(and_(D.classification.is_not(None), D.classification.not_in(within)))
    return ~or_(*hidden)


@bp.get("/operations/<int:operation_id>/decisions")
@signed_in(*POLICE_ROLES)
def decisions(operation_id: int):
    op = load_or_404(Operation, operation_id)
    s = db_session()
    kinds = set(s.scalars(select(DecisionLogEntry.subject_type).where(DecisionLogEntry.operation_id == op.id)
                          .distinct()))
    D = DecisionLogEntry
    # The columns shown, the rationale opened from its stored parts (services/sealed_rows.py)
    # with one keyring look-up, rather than an entry object with its data key and decider.
    rows = s.execute(select(D.decided_at, D.decision, D.rationale_sealed, D.uid, DataKey.kek_id, DataKey.wrapped,
                            User.full_name)
                     .join(User, User.id == D.decided_by_id)
                     .outerjoin(DataKey, DataKey.id == D.data_key_id)
                     .where(D.operation_id == op.id, _decision_visible(op, current_user._get_current_object(), kinds))
                     .order_by(D.decided_at.desc()).limit(500)).all()
    ring = keyring()
    entries = [(r.decided_at, r.decision, opened_text(D.__tablename__, "rationale", r.uid, r.kek_id, r.wrapped,
                                                      r.rationale_sealed, ring), r.full_name) for r in rows]
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
