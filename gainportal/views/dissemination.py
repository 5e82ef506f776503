"""Exports and briefings (police) and originator consent (partners)."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, flash, g, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.forms.auth import ConfirmForm
from gainportal.forms.dissemination import BriefingForm, ConsentForm, ExportForm
from gainportal.models import (
    Classification, ConsentRequest, Dissemination, LawfulBasis, Operation, PartnerResponse, Role,
    SanitisedBriefing,
)
from gainportal.security.access import POLICE_ROLES, signed_in
from gainportal.security.permissions import Action, classifications_within, load_or_404
from gainportal.services import audit
from gainportal.services import dissemination as service
from gainportal.services.errors import WorkflowError
from gainportal.services.requests import CONDITION_LABELS

bp = Blueprint("dissemination", __name__)
EXPORTERS = (Role.LRO, Role.SUPERVISOR, Role.ANALYST)
DISSEMINATORS = (Role.LRO, Role.SUPERVISOR)


def _field_error(form, field, message):
    getattr(form, field).errors = list(getattr(form, field).errors) + [message]


@bp.get("/operations/<int:operation_id>/disseminations")
@signed_in(*POLICE_ROLES)
def register(operation_id: int):
    op = load_or_404(Operation, operation_id, Action.EXPORT)
    s = db_session()
    # An export carries the highest marking of what it holds, which may be above the viewer's.
    within = classifications_within(current_user)
    items = s.scalars(select(Dissemination).where(Dissemination.operation_id == op.id,
                                                  Dissemination.marking.in_(within))
                      .order_by(Dissemination.created_at.desc())).all()
    briefings = s.scalars(select(SanitisedBriefing).where(SanitisedBriefing.operation_id == op.id,
                                                          SanitisedBriefing.marking.in_(within))
                          .order_by(SanitisedBriefing.created_at.desc())).all()
    return render_template("views/dissemination/register.html", op=op, items=items, briefings=briefings,
                           can_disseminate=current_user.role in DISSEMINATORS)


@bp.route("/operations/<int:operation_id>/exports/new", methods=["GET", "POST"])
@signed_in(*DISSEMINATORS)
def new_export(operation_id: int):
    op = load_or_404(Operation, operation_id, Action.DISSEMINATE)
    form = ExportForm()
    if form.validate_on_submit():
        try:
            item = service.start_export(db_session(), op, lawful_basis=LawfulBasis(form.lawful_basis.data),
                                        purpose=form.purpose.data, necessity=form.necessity.data,
                                        recipients=form.recipients.data, by=current_user)
        except WorkflowError as exc:
            _field_error(form, "purpose", str(exc))
        else:
            return redirect(url_for("dissemination.show_export", item_id=item.id))
    return render_template("views/dissemination/export_new.html", form=form, op=op)


@bp.get("/exports/<int:item_id>")
@signed_in(*EXPORTERS)
def show_export(item_id: int):
    item = load_or_404(Dissemination, item_id, Action.EXPORT)
    return render_template("views/dissemination/export.html", item=item, op=item.operation, form=ConfirmForm(),
                           can_disseminate=current_user.role in DISSEMINATORS,
                           pending=[c for c in item.consents if c.status == "pending"])


@bp.post("/exports/<int:item_id>/release")
@signed_in(*DISSEMINATORS)
def release(item_id: int):
    item = load_or_404(Dissemination, item_id, Action.DISSEMINATE)
    if ConfirmForm().validate_on_submit():
        try:
            service.release(db_session(), item, current_user)
            flash("Export released. It is on the dissemination register.", "success")
        except WorkflowError as exc:
            flash(str(exc), "error")
    return redirect(url_for("dissemination.show_export", item_id=item.id))


def _released_content(item: Dissemination):
    try:
        return service.content(db_session(), item)
    except WorkflowError:
        return None


@bp.get("/exports/<int:item_id>/print")
@signed_in(*EXPORTERS)
def print_export(item_id: int):
    item = load_or_404(Dissemination, item_id, Action.EXPORT)
    content = _released_content(item)
    if content is None:
        flash("This export has not been released", "error")
        return redirect(url_for("dissemination.show_export", item_id=item.id))
    audit.record(db_session(), "dissemination_viewed", object_type="dissemination", object_id=item.id,
                 handling={"classification": item.marking.value, "operation_id": item.operation_id})
    g.audited = True
    return render_template("views/dissemination/print.html", item=item, op=item.operation, content=content,
                           marking=item.marking.value, condition_labels=CONDITION_LABELS)


@bp.get("/exports/<int:item_id>/export.csv")
@signed_in(*EXPORTERS)
def csv_export(item_id: int):
    item = load_or_404(Dissemination, item_id, Action.EXPORT)
    content = _released_content(item)
    if content is None:
        flash("This export has not been released", "error")
        return redirect(url_for("dissemination.show_export", item_id=item.id))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([item.marking.value])
    writer.writerow(["request", "agency", "question", "outcome", "answer", "grading", "handling"])
    for response in content.responses:
        for answer in sorted(response.answers, key=lambda a: a.question.position):
            writer.writerow([response.request.reference, response.request.agency.name, answer.question.text,
                             answer.outcome.label if answer.outcome else "", answer.text or "",
                             response.grading or "ungraded", response.handling_code.value])
    writer.writerow([item.marking.value])
    audit.record(db_session(), "dissemination_downloaded", object_type="dissemination", object_id=item.id,
                 handling={"classification": item.marking.value, "operation_id": item.operation_id},
                 detail={"format": "csv"})
    g.audited = True
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="export-{item.id}.csv"', "Cache-Control": "no-store"})


@bp.route("/operations/<int:operation_id>/briefings/new", methods=["GET", "POST"])
@signed_in(*DISSEMINATORS, Role.ANALYST)
def new_briefing(operation_id: int):
    op = load_or_404(Operation, operation_id, Action.VIEW)
    form = BriefingForm()
    if form.validate_on_submit():
        try:
            briefing = service.create_briefing(db_session(), op, text=form.text.data,
                                               marking=Classification(form.marking.data), by=current_user)
        except WorkflowError as exc:
            _field_error(form, "text", str(exc))
        else:
            flash("Sent for approval. Another Lead Responsible Officer or supervisor must approve it.", "success")
            return redirect(url_for("dissemination.show_briefing", briefing_id=briefing.id))
    return render_template("views/dissemination/briefing_new.html", form=form, op=op)


@bp.get("/briefings/<int:briefing_id>")
@signed_in(*POLICE_ROLES)
def show_briefing(briefing_id: int):
    briefing = load_or_404(SanitisedBriefing, briefing_id, Action.VIEW)
    return render_template("views/dissemination/briefing.html", briefing=briefing, op=briefing.operation,
                           form=ConfirmForm(), marking=briefing.marking.value,
                           can_approve=current_user.role in DISSEMINATORS and current_user.id != briefing.created_by_id)


@bp.post("/briefings/<int:briefing_id>/<any(approve, reject):decision>")
@signed_in(*DISSEMINATORS)
def decide_briefing(briefing_id: int, decision: str):
    briefing = load_or_404(SanitisedBriefing, briefing_id, Action.DISSEMINATE)
    if ConfirmForm().validate_on_submit():
        try:
            service.approve_briefing(db_session(), briefing, current_user, approve=decision == "approve")
            flash(f"Briefing {'approved' if decision == 'approve' else 'rejected'}", "success")
        except WorkflowError as exc:
            flash(str(exc), "error")
    return redirect(url_for("dissemination.show_briefing", briefing_id=briefing.id))


# --- partner side: the originator decides -----------------------------------------------------
@bp.get("/partner/consents")
@signed_in(Role.PARTNER_SPOC)
def consents():
    from gainportal.services import indoctrination

    # The consent rule in SQL before the LIMIT: requests about answers above the SPOC's
    # clearance or work they have not signed for must not push theirs off the list.
    rows = db_session().scalars(
        select(ConsentRequest)
        .join(PartnerResponse, PartnerResponse.id == ConsentRequest.response_id)
        .join(Dissemination, Dissemination.id == ConsentRequest.dissemination_id)
        .where(ConsentRequest.agency_id == current_user.agency_id,
               PartnerResponse.classification.in_(classifications_within(current_user)),
               Dissemination.operation_id.in_(indoctrination.current_operation_ids(current_user)))
        .order_by(ConsentRequest.id.desc()).limit(100)).all()
    from gainportal.security.permissions import can

    rows = [c for c in rows if can(current_user, Action.VIEW, c)]
    return render_template("views/dissemination/consents.html", consents=rows)


@bp.route("/partner/consents/<int:consent_id>", methods=["GET", "POST"])
@signed_in(Role.PARTNER_SPOC)
def consent(consent_id: int):
    item = load_or_404(ConsentRequest, consent_id, Action.RESPOND)
    response = db_session().get(PartnerResponse, item.response_id)
    form = ConsentForm()
    if form.validate_on_submit():
        try:
            service.decide_consent(db_session(), item, grant=form.decision.data == "grant",
                                   reason=form.reason.data, by=current_user)
        except WorkflowError as exc:
            _field_error(form, "reason", str(exc))
        else:
            flash("Decision sent", "success")
            return redirect(url_for("dissemination.consents"))
    return render_template("views/dissemination/consent.html", form=form, consent=item, response=response,
                           dissemination=item.dissemination)
