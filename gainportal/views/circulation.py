"""GAIN co-ordination, police side: the co-ordinator's referrals, circulations, matrix,
chasers and saved groups; the operation's GAIN page (referrals, hits and their follow-up
requests, the combined multi-agency disruption plan) for the police of the operation."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload, load_only, selectinload

from gainportal.db import db_session
from gainportal.forms.circulation import CirculationForm, CloseForm, GroupForm, ReferralDecisionForm, ReferralForm
from gainportal.forms.partner import ActionForm
from gainportal.models import (
    Agency, Classification, InformationRequest, Operation, Requirement, RequirementState, Role,
)
from gainportal.models.circulation import (
    AgencyGroup, Circulation, CirculationResult, CirculationState, CirculationSubject, CirculationTarget,
    DisruptionAction, GainReferral, HitOutcome, ReferralState, SubjectKind,
)
from gainportal.security.access import signed_in
from gainportal.security.permissions import Action, can, load_or_404, visible, visible_to
from gainportal.services import audit
from gainportal.services import circulation as service
from gainportal.services.dates import today
from gainportal.services.errors import WorkflowError

bp = Blueprint("circulation", __name__)
COORDINATOR = Role.GAIN_COORDINATOR
OPERATION_POLICE = (Role.LRO, Role.SUPERVISOR, Role.ANALYST)
SUBJECT_ROWS = 6
CIRCULATIONS_PAGE_SIZE = 25
SUBJECT_FIELDS = (("name", "Name"), ("dob", "Date of birth"), ("address", "Address"), ("postcode", "Postcode"),
                  ("vrm", "Vehicle registration"), ("business", "Business name"))


def describe(subject) -> str:
    """One line a person can read: what kind of subject and its details."""
    d = subject.details or {}
    parts = [d.get(key) for key, _ in SUBJECT_FIELDS if d.get(key)]
    if d.get("dob"):
        parts[parts.index(d["dob"])] = f"born {_long(d['dob'])}"
    return f"{subject.kind.label}: " + ", ".join(parts)


def _long(value) -> str:
    try:
        value = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{value.day} {value:%B %Y}"


@bp.app_context_processor
def _helpers():
    return {"describe_subject": describe, "long_date": _long, "cell_labels": service.CELL_LABELS,
            "HitOutcome": HitOutcome}


def _form_error(form, field: str, message: str) -> None:
    getattr(form, field).errors = list(getattr(form, field).errors) + [message]


# --- the co-ordinator's home ---------------------------------------------------------------------
@bp.get("/gain")
@signed_in(COORDINATOR)
def index():
    s = db_session()
    # The lists show a few plain columns of each row: Core selects of exactly those, not ORM
    # rows with their joined agencies, users, data keys and every result's sealed outcome.
    referrals = s.execute(select(GainReferral.id, GainReferral.reference, GainReferral.created_at,
                                 GainReferral.state, Agency.name.label("referring_agency"))
                          .join(Agency, Agency.id == GainReferral.referring_agency_id)
                          .where(visible_to(current_user, GainReferral))
                          .order_by(GainReferral.created_at.desc()).limit(100)).all()
    # Paged: a regional unit runs hundreds of circulations a year.
    total = s.scalar(select(func.count(Circulation.id)).where(visible_to(current_user, Circulation))) or 0
    try:
        page = max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    on = today()
    return render_template("views/circulation/index.html", title="GAIN co-ordination", referrals=referrals,
                           circulations=_circulation_rows(s, page, on), today=on,
                           total=total, page=page, page_size=CIRCULATIONS_PAGE_SIZE)


def _circulation_rows(s, page: int, on: date) -> list[dict]:
    """One page of the co-ordinator's circulations (visible_to before the LIMIT)."""
    listed = (select(Circulation.id, Circulation.reference, Circulation.deadline, Circulation.state)
              .where(visible_to(current_user, Circulation))
              .order_by(Circulation.deadline, Circulation.id)
              .limit(CIRCULATIONS_PAGE_SIZE).offset((page - 1) * CIRCULATIONS_PAGE_SIZE).subquery())
    return _with_answers(s, listed, (listed.c.deadline, listed.c.id), on)


def _with_answers(s, listed, order, on: date) -> list[dict]:
    """The listed circulations (a subquery of their id, reference, deadline and state), in
    ``order``, with how much of each matrix is answered, counted in the same statement. A
    result is one cell (unique per target and subject), so the cells answered are its
    results and the cells in all are subjects times targets, as in service.matrix."""
    answered = (select(func.count(CirculationResult.id))
                .join(CirculationTarget, CirculationTarget.id == CirculationResult.target_id)
                .where(CirculationTarget.circulation_id == listed.c.id).scalar_subquery())
    subjects = (select(func.count(CirculationSubject.id))
                .where(CirculationSubject.circulation_id == listed.c.id).scalar_subquery())
    targets = (select(func.count(CirculationTarget.id))
               .where(CirculationTarget.circulation_id == listed.c.id).scalar_subquery())
    rows = []
    for row in s.execute(select(listed.c.id, listed.c.reference, listed.c.deadline, listed.c.state,
                                answered.label("answered"), subjects.label("subjects"), targets.label("targets"))
                         .order_by(*order)):
        total = row.subjects * row.targets
        rows.append({"id": row.id, "reference": row.reference, "deadline": row.deadline, "state": row.state,
                     "answered": row.answered, "total": total,
                     "percent": round(100 * row.answered / total) if total else 0,
                     # Circulation.is_overdue: still sent and past its deadline.
                     "overdue": row.state is CirculationState.SENT and row.deadline < on})
    return rows


@bp.route("/gain/referrals/<int:referral_id>", methods=["GET", "POST"])
@signed_in(COORDINATOR)
def referral(referral_id: int):
    s = db_session()
    ref = load_or_404(GainReferral, referral_id)
    form = ReferralDecisionForm()
    others = s.scalars(visible(GainReferral, current_user).where(
        GainReferral.id != ref.id, GainReferral.state.in_((ReferralState.SUBMITTED, ReferralState.ACCEPTED)))
        .order_by(GainReferral.id.desc()).limit(200)).all()
    form.merge_into_id.choices = [(0, "Select a referral")] + [(o.id, f"{o.reference} from {o.referring_agency.name}")
                                                              for o in others]
    if form.validate_on_submit():
        decision = ReferralState(form.decision.data)
        merge_into = s.get(GainReferral, form.merge_into_id.data) if form.merge_into_id.data else None
        if merge_into is not None and not can(current_user, Action.EDIT, merge_into):
            merge_into = None
        try:
            service.decide_referral(s, ref, decision, form.rationale.data, current_user, merge_into)
        except WorkflowError as exc:
            _form_error(form, "merge_into_id" if "duplicates" in str(exc) else "rationale", str(exc))
        else:
            flash(f"Referral {ref.reference} {decision.label.lower()}", "success")
            return redirect(url_for(".referral", referral_id=ref.id))
    circulations = s.scalars(visible(Circulation, current_user).where(Circulation.referral_id == ref.id)).unique().all()
    return render_template("views/circulation/referral.html", title=f"Referral {ref.reference}", ref=ref, form=form,
                           circulations=circulations, marking=ref.classification.value)


@bp.route("/gain/referrals/<int:referral_id>/circulate", methods=["GET", "POST"])
@signed_in(COORDINATOR)
def circulate(referral_id: int):
    s = db_session()
    ref = load_or_404(GainReferral, referral_id, Action.EDIT)
    if ref.state is not ReferralState.ACCEPTED:
        flash("Accept the referral before circulating its subjects", "error")
        return redirect(url_for(".referral", referral_id=ref.id))
    members = service.member_agencies(s)
    groups = s.scalars(visible(AgencyGroup, current_user).order_by(AgencyGroup.name)).unique().all()
    form = CirculationForm()
    form.group_id.choices = [(0, "Select a group")] + [(g.id, f"{g.name} ({len(g.members)} agencies)") for g in groups]
    subjects = [_subject_from_form(i) for i in range(SUBJECT_ROWS)]
    selected = {int(v) for v in request.form.getlist("agency_ids") if v.isdigit()}
    errors: dict[str, str] = {}
    if request.method == "POST" and form.validate_on_submit():
        agencies = _chosen_agencies(form, members, groups, selected)
        draft = service.CirculationDraft(
            purpose=form.purpose.data, deadline=form.deadline.data, subjects=subjects, agencies=agencies,
            classification=Classification(form.classification.data))
        errors = service.validate(draft, ref.operation)
        if not agencies and form.agency_mode.data == "group":
            errors["group_id"] = "Select a saved group"
        if not errors:
            circ = service.circulate(s, ref, draft, current_user)
            flash(f"Circulation {circ.reference} sent to {len(circ.targets)} agencies", "success")
            return redirect(url_for(".show", circulation_id=circ.id))
        for key in ("purpose", "deadline", "group_id"):
            if key in errors:
                _form_error(form, key, errors.pop(key))
    error_list = [{"text": message, "href": f"#{key}"} for key, message in errors.items()]
    return render_template("views/circulation/circulate.html", title="Circulate subjects", ref=ref, form=form,
                           members=members, selected=selected, subjects=subjects, kinds=list(SubjectKind),
                           subject_fields=SUBJECT_FIELDS, errors=errors, error_list=error_list,
                           has_errors=bool(error_list))


def _subject_from_form(i: int) -> service.SubjectInput:
    raw = request.form.get(f"subjects-{i}-kind", "person")
    kind = SubjectKind(raw) if raw in {k.value for k in SubjectKind} else SubjectKind.PERSON
    return service.SubjectInput(kind, **{key: (request.form.get(f"subjects-{i}-{key}") or "")[:400]
                                         for key, _ in SUBJECT_FIELDS})


def _chosen_agencies(form, members: list[Agency], groups, selected: set[int]) -> list[Agency]:
    if form.agency_mode.data == "all":
        return members
    if form.agency_mode.data == "group":
        group = next((g for g in groups if g.id == form.group_id.data), None)
        ids = {m.agency_id for m in group.members} if group else set()
    else:
        ids = selected
    return [a for a in members if a.id in ids]


# --- the matrix ------------------------------------------------------------------------------------
@bp.get("/gain/circulations/<int:circulation_id>")
@signed_in(COORDINATOR, *OPERATION_POLICE)
def show(circulation_id: int):
    circ = load_or_404(Circulation, circulation_id)
    s = db_session()
    on = today()
    audit.record(s, "circulation_viewed", object_type="circulation", object_id=circ.id,
                 handling=service.handling_of(circ))
    from flask import g
    g.audited = True
    _load_matrix(s, circ)
    hits = [r for t in circ.targets for r in t.results if r.outcome is HitOutcome.HIT]
    # The circulation is in the session already: its actions refer to it without a join.
    actions = s.scalars(select(DisruptionAction).where(DisruptionAction.circulation_id == circ.id,
                                                       visible_to(current_user, DisruptionAction))
                        .order_by(DisruptionAction.action_date)
                        .options(lazyload(DisruptionAction.circulation))).all()
    return render_template("views/circulation/show.html", title=f"Circulation {circ.reference}", circ=circ,
                           matrix=service.matrix(circ, on), hits=hits, actions=actions, today=on,
                           references=_references(s, circ),
                           is_coordinator=current_user.role is COORDINATOR, action_form=ActionForm(),
                           marking=circ.classification.value)


def _load_matrix(s, circ: Circulation) -> None:
    """The matrix and hits of the circulation's page, loaded into ``circ`` in a few statements
    whatever the number of agencies (one query per target's results before): its targets
    with their results and each hit's follow-up request, and its subjects. A result's
    subject and a target's circulation are then found in the session, not joined again."""
    s.execute(select(Circulation).where(Circulation.id == circ.id).options(
        # Its own row is loaded already, with its unit and data key: not joined again.
        lazyload(Circulation.gain_agency), lazyload(Circulation.data_key),
        selectinload(Circulation.targets).options(
            lazyload(CirculationTarget.circulation),
            selectinload(CirculationTarget.results).options(
                lazyload(CirculationResult.subject),
                selectinload(CirculationResult.followup_request).options(
                    load_only(InformationRequest.id, InformationRequest.reference, InformationRequest.state),
                    lazyload("*")))),
        selectinload(Circulation.subjects))).unique().all()


def _references(s, circ: Circulation) -> str:
    """The referral's reference and the operation's, if any, as the page names them: one
    small select instead of loading both rows with their joined agencies and users."""
    referral, operation = s.execute(
        select(GainReferral.reference, Operation.reference).where(GainReferral.id == circ.referral_id)
        .outerjoin(Operation, Operation.id == circ.operation_id)).one()
    return referral + (f", operation {operation}" if operation else "")


@bp.post("/gain/circulations/<int:circulation_id>/chase")
@signed_in(COORDINATOR)
def chase(circulation_id: int):
    circ = load_or_404(Circulation, circulation_id, Action.EDIT)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        queued = service.chase(db_session(), circ, current_user)
    except WorkflowError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Reminders sent: {queued}. Emails say only that a check is waiting.", "success")
    return redirect(url_for(".show", circulation_id=circ.id))


@bp.route("/gain/circulations/<int:circulation_id>/close", methods=["GET", "POST"])
@signed_in(COORDINATOR)
def close(circulation_id: int):
    circ = load_or_404(Circulation, circulation_id, Action.EDIT)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            service.close(db_session(), circ, form.rationale.data, current_user)
        except WorkflowError as exc:
            _form_error(form, "rationale", str(exc))
        else:
            flash(f"Circulation {circ.reference} closed", "success")
            return redirect(url_for(".show", circulation_id=circ.id))
    return render_template("views/circulation/close.html", title="Close circulation", circ=circ, form=form)


@bp.route("/gain/groups", methods=["GET", "POST"])
@signed_in(COORDINATOR)
def groups():
    s = db_session()
    members = service.member_agencies(s)
    form = GroupForm()
    selected = {int(v) for v in request.form.getlist("agency_ids") if v.isdigit()}
    agency_error = None
    if form.validate_on_submit():
        try:
            group = service.save_group(s, name=form.name.data, agency_ids=list(selected), by=current_user)
        except WorkflowError as exc:
            if "agency" in str(exc):
                agency_error = str(exc)
            else:
                _form_error(form, "name", str(exc))
        else:
            flash(f"Group {group.name} saved", "success")
            return redirect(url_for(".groups"))
    saved = s.scalars(visible(AgencyGroup, current_user).order_by(AgencyGroup.name)).unique().all()
    return render_template("views/circulation/groups.html", title="Saved agency groups", form=form, members=members,
                           selected=selected, saved=saved, agency_error=agency_error,
                           has_errors=bool(agency_error))


# --- the operation's GAIN page --------------------------------------------------------------------
@bp.get("/operations/<int:operation_id>/gain")
@signed_in(*OPERATION_POLICE)
def operation(operation_id: int):
    op = load_or_404(Operation, operation_id)
    s = db_session()
    # Each referral's GAIN unit and rationale are shown; not who referred it or from where.
    referrals = s.scalars(select(GainReferral).where(GainReferral.operation_id == op.id,
                                                     visible_to(current_user, GainReferral))
                          .order_by(GainReferral.created_at.desc())
                          .options(lazyload(GainReferral.referring_agency), lazyload(GainReferral.referred_by))).all()
    on = today()
    listed = (select(Circulation.id, Circulation.reference, Circulation.deadline, Circulation.state,
                     Circulation.created_at)
              .where(Circulation.operation_id == op.id, visible_to(current_user, Circulation)).subquery())
    circulations = _with_answers(s, listed, (listed.c.created_at.desc(),), on)
    # The plan shows each action's agency, not its circulation: no join to that.
    actions = s.scalars(select(DisruptionAction).where(DisruptionAction.operation_id == op.id,
                                                       visible_to(current_user, DisruptionAction))
                        .order_by(DisruptionAction.action_date)
                        .options(lazyload(DisruptionAction.circulation))).all()
    return render_template("views/circulation/operation.html", title=f"GAIN for {op.reference}", op=op,
                           referrals=referrals, circulations=circulations, actions=actions, today=on)


@bp.route("/operations/<int:operation_id>/gain/refer", methods=["GET", "POST"])
@signed_in(Role.LRO, Role.SUPERVISOR)
def refer(operation_id: int):
    op = load_or_404(Operation, operation_id, Action.EDIT)
    s = db_session()
    form = ReferralForm()
    units = service.gain_units(s)
    reqs = s.scalars(select(Requirement).where(Requirement.operation_id == op.id,
                                               Requirement.state == RequirementState.OPEN)
                     .order_by(Requirement.number)).all()
    form.gain_agency_id.choices = [(0, "Select a GAIN unit")] + [(u.id, u.name) for u in units]
    form.requirement_id.choices = [(0, "Select a requirement")] + [(r.id, f"{r.reference}: {r.gap[:80]}") for r in reqs]
    if form.validate_on_submit():
        unit = next((u for u in units if u.id == form.gain_agency_id.data), None)
        req = next((r for r in reqs if r.id == form.requirement_id.data), None)
        if unit is None:
            _form_error(form, "gain_agency_id", "Select the GAIN unit to refer to")
        elif req is None:
            _form_error(form, "requirement_id", "Select the open requirement this referral serves")
        else:
            try:
                ref = service.refer(s, gain_agency=unit, concern=form.concern.data, by=current_user, requirement=req)
            except WorkflowError as exc:
                _form_error(form, "concern", str(exc))
            else:
                flash(f"Referral {ref.reference} sent to {unit.name}", "success")
                return redirect(url_for(".operation", operation_id=op.id))
    return render_template("views/circulation/refer.html", title="Refer to GAIN", op=op, form=form)
