"""GAIN checks, partner side: the agency's SPOC sees the subjects and the plain-language
purpose of each check sent to their agency, answers hit / no hit / not held per subject
on one screen or by CSV, records the action their agency takes under its own powers, and
can refer a concern of their own. Never the operation, the group or another agency's answers."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from gainportal.db import db_session
from gainportal.forms.circulation import DisruptionForm, OutcomeForm, ReferralForm, UploadForm
from gainportal.forms.partner import ActionForm
from gainportal.models import Role
from gainportal.models.circulation import (
    CirculationState, CirculationTarget, DisruptionAction, DisruptionStatus, GainReferral, HitOutcome, PowerKind,
)
from gainportal.security.access import signed_in
from gainportal.security.permissions import Action, load_or_404, visible
from gainportal.services import audit
from gainportal.services import circulation as service
from gainportal.services.dates import today
from gainportal.services.listing import page_rows
from gainportal.services.errors import WorkflowError

bp = Blueprint("partner_circulation", __name__, url_prefix="/partner")
SPOC = Role.PARTNER_SPOC
MAX_CSV_BYTES = 1024 * 1024
CHECKS_PAGE_SIZE = 25


@bp.get("/checks")
@signed_in(SPOC)
def index():
    s = db_session()
    # Paged: at national size an agency is asked a few hundred checks a year, and a fixed
    # cut-off would hide the oldest without saying so.
    query = visible(CirculationTarget, current_user)
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    try:
        page = max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    targets = page_rows(s, query.order_by(CirculationTarget.id.desc()), CirculationTarget, limit=CHECKS_PAGE_SIZE,
                        offset=(page - 1) * CHECKS_PAGE_SIZE)
    referrals = s.scalars(visible(GainReferral, current_user).order_by(GainReferral.created_at.desc())
                          .limit(50)).all()
    return render_template("views/partner_circulation/index.html", title="Checks for your agency", targets=targets,
                           referrals=referrals, today=today(), total=total, page=page, page_size=CHECKS_PAGE_SIZE)


def _load(target_id: int, action: Action = Action.VIEW) -> CirculationTarget:
    return load_or_404(CirculationTarget, target_id, action)


def _render(target: CirculationTarget, *, errors: list | None = None, upload_errors: list | None = None,
            values: dict | None = None, upload_form: UploadForm | None = None):
    circ = target.circulation
    answered = {r.subject_id: r for r in target.results}
    actions = db_session().scalars(select(DisruptionAction).where(
        DisruptionAction.circulation_id == circ.id, DisruptionAction.agency_id == current_user.agency_id)
        .order_by(DisruptionAction.action_date)).all()
    error_list = [{"text": e, "href": "#answers"} for e in (errors or [])]
    error_list += [{"text": f"Row {e.line}: {e.message}" if e.line else e.message, "href": "#upload-errors"}
                   for e in (upload_errors or [])]
    return render_template(
        "views/partner_circulation/check.html", title=f"Check {circ.reference}", target=target, circ=circ,
        answered=answered, values=values or {}, is_open=circ.state is CirculationState.SENT,
        overdue=circ.is_overdue(today()) and len(answered) < len(circ.subjects), actions=actions,
        upload_form=upload_form or UploadForm(formdata=None), action_form=ActionForm(formdata=None),
        upload_errors=upload_errors or [], error_list=error_list, has_errors=bool(error_list),
        marking=circ.classification.value, outcomes=list(HitOutcome))


@bp.route("/checks/<int:target_id>", methods=["GET", "POST"])
@signed_in(SPOC)
def check(target_id: int):
    target = _load(target_id, Action.RESPOND if request.method == "POST" else Action.VIEW)
    s = db_session()
    if request.method == "GET":
        audit.record(s, "circulation_target_viewed", object_type="circulation_target", object_id=target.id,
                     handling=service.handling_of(target.circulation))
        g.audited = True
        return _render(target)
    if not ActionForm().validate_on_submit():
        abort(400)
    answers, values = {}, {}
    for subject in target.circulation.subjects:
        raw = request.form.get(f"result-{subject.id}", "")
        note = (request.form.get(f"note-{subject.id}") or "")[:2000]
        values[subject.id] = {"result": raw, "note": note}
        if raw in {o.value for o in HitOutcome}:
            answers[subject.id] = (HitOutcome(raw), note)
    if not answers:
        return _render(target, errors=["Select hit, no hit or not held for at least one subject"], values=values)
    try:
        saved, refused = service.record_results(s, target, answers, current_user)
    except WorkflowError as exc:
        return _render(target, errors=[str(exc)], values=values)
    if refused:
        return _render(target, errors=[e.message for e in refused], values=values)
    flash(f"{len(saved)} answer{'s' if len(saved) != 1 else ''} sent", "success")
    return redirect(url_for(".check", target_id=target.id))


def _safe_cell(value: str) -> str:
    # A spreadsheet would run a cell starting with = + - @ as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@bp.get("/checks/<int:target_id>/template.csv")
@signed_in(SPOC)
def template(target_id: int):
    target = _load(target_id)
    from gainportal.views.circulation import describe

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["subject", "description", "result", "note"])
    for subject in target.circulation.subjects:
        writer.writerow([subject.label, _safe_cell(describe(subject)), "", ""])
    audit.record(db_session(), "circulation_template_downloaded", object_type="circulation_target",
                 object_id=target.id, handling=service.handling_of(target.circulation))
    g.audited = True
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=check-{target.circulation.reference}.csv"})


@bp.post("/checks/<int:target_id>/upload")
@signed_in(SPOC)
def upload(target_id: int):
    target = _load(target_id, Action.RESPOND)
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    file = form.file.data
    raw = file.read(MAX_CSV_BYTES + 1) if file else b""
    if not raw:
        form.file.errors = ["Select a CSV file"]
        return _render(target, upload_form=form)
    if len(raw) > MAX_CSV_BYTES:
        form.file.errors = ["The file must be 1MB or smaller"]
        return _render(target, upload_form=form)
    try:
        saved, errors = service.upload_csv(db_session(), target, raw, current_user)
    except WorkflowError as exc:
        form.file.errors = [str(exc)]
        return _render(target, upload_form=form)
    if errors:
        # The good rows are saved and kept; the page lists each bad row to fix and upload again.
        flash(f"{len(saved)} answer{'s' if len(saved) != 1 else ''} saved from the file. "
              f"{len(errors)} row{'s' if len(errors) != 1 else ''} could not be used.", "error")
        return _render(target, upload_errors=errors)
    flash(f"{len(saved)} answer{'s' if len(saved) != 1 else ''} saved from the file", "success")
    return redirect(url_for(".check", target_id=target.id))


# --- disruption under the agency's own powers ------------------------------------------------------
@bp.route("/checks/<int:target_id>/disruption", methods=["GET", "POST"])
@signed_in(SPOC)
def disruption(target_id: int):
    target = _load(target_id, Action.EDIT)
    form = DisruptionForm()
    if form.validate_on_submit():
        try:
            service.record_disruption(db_session(), target, power=PowerKind(form.power.data), action=form.action.data,
                                      owner=form.owner.data, action_date=form.action_date.data, by=current_user)
        except WorkflowError as exc:
            form.action.errors = list(form.action.errors) + [str(exc)]
        else:
            flash("Action recorded. The co-ordinator and the officer leading the work can see it.", "success")
            return redirect(url_for(".check", target_id=target.id) + "#disruption")
    return render_template("views/partner_circulation/disruption.html", title="Record your agency's action",
                           target=target, form=form)


@bp.route("/disruption/<int:action_id>/outcome", methods=["GET", "POST"])
@signed_in(SPOC)
def outcome(action_id: int):
    item = load_or_404(DisruptionAction, action_id, Action.EDIT)
    target = next(t for t in item.circulation.targets if t.agency_id == item.agency_id)
    form = OutcomeForm()
    if form.validate_on_submit():
        try:
            service.record_outcome(db_session(), item, status=DisruptionStatus(form.status.data),
                                   outcome=form.outcome.data, by=current_user)
        except WorkflowError as exc:
            form.outcome.errors = list(form.outcome.errors) + [str(exc)]
        else:
            flash("Outcome recorded", "success")
            return redirect(url_for(".check", target_id=target.id) + "#disruption")
    return render_template("views/partner_circulation/outcome.html", title="Record the outcome", item=item,
                           target=target, form=form)


# --- a partner's own concern --------------------------------------------------------------------------
@bp.route("/gain/refer", methods=["GET", "POST"])
@signed_in(SPOC)
def refer():
    s = db_session()
    units = service.gain_units(s)
    form = ReferralForm()
    form.gain_agency_id.choices = [(0, "Select a GAIN unit")] + [(u.id, u.name) for u in units]
    form.requirement_id.choices = [(0, "")]
    if form.validate_on_submit():
        unit = next((u for u in units if u.id == form.gain_agency_id.data), None)
        if unit is None:
            form.gain_agency_id.errors = ["Select the GAIN unit to refer to"]
        else:
            try:
                ref = service.refer(s, gain_agency=unit, concern=form.concern.data, by=current_user)
            except WorkflowError as exc:
                form.concern.errors = [str(exc)]
            else:
                flash(f"Referral {ref.reference} sent to {unit.name}", "success")
                return redirect(url_for(".index"))
    return render_template("views/partner_circulation/refer.html", title="Refer a concern to GAIN", form=form)
