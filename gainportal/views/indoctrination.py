"""Signing an operation's agreement, and the LRO's register of who is indoctrinated."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from gainportal.db import db_session, utcnow
from gainportal.forms.indoctrination import AgreementForm, InviteToOperationForm, RevokeForm, SignForm
from gainportal.models import InformationRequest, Operation, Role, User
from gainportal.models.indoctrination import Indoctrination
from gainportal.security.access import INTELLIGENCE_ROLES, signed_in
from gainportal.security.permissions import Action, clearance_covers, load_or_404
from gainportal.services import audit
from gainportal.services import indoctrination as service
from gainportal.services.errors import WorkflowError

bp = Blueprint("indoctrination", __name__)
MANAGERS = (Role.LRO, Role.SUPERVISOR)


def _next_after_signing(op: Operation) -> str:
    target = request.args.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    if current_user.role.is_partner:
        return url_for("partner.inbox")
    return url_for("operations.show", operation_id=op.id)


@bp.route("/agreements/<int:operation_id>/sign", methods=["GET", "POST"])
@signed_in(*INTELLIGENCE_ROLES)
def sign(operation_id: int):
    s = db_session()
    record = s.scalar(select(Indoctrination).where(Indoctrination.operation_id == operation_id,
                                                   Indoctrination.user_id == current_user.id))
    if record is None or record.revoked_at is not None:
        abort(404)  # not on the register: the operation is not acknowledged to exist
    op = s.get(Operation, operation_id)
    if not current_user.role.is_partner and not clearance_covers(current_user, op.classification):
        abort(404)  # the page names the operation: not to someone its marking is above
    agreement = service.current_agreement(s, op.id, service.audience_for(current_user))
    if agreement is None:
        abort(404)
    form = SignForm()
    if form.validate_on_submit():
        try:
            service.sign(s, op, current_user, typed_name=form.full_name.data, confirmed=form.confirm.data)
        except WorkflowError as exc:
            target = form.confirm if "Confirm" in str(exc) else form.full_name
            target.errors = list(target.errors) + [str(exc)]
        else:
            flash("Agreement signed. You can now see this work.", "success")
            return redirect(_next_after_signing(op))
    audit.record(s, "indoctrination_agreement_viewed", object_type="operation", object_id=op.id,
                 detail={"agreement_id": agreement.id, "version": agreement.version})
    # Partners see no operation name: their agreement is about the questions they were asked.
    heading = "Sign the information handling agreement" if current_user.role.is_partner else \
        f"Sign the indoctrination agreement for {op.reference} {op.name}"
    return render_template("views/indoctrination/sign.html", form=form, agreement=agreement, heading=heading,
                           status=service.status(record, agreement))


@bp.route("/operations/<int:operation_id>/indoctrination", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def register(operation_id: int):
    op = load_or_404(Operation, operation_id, Action.EDIT)
    s = db_session()
    records = s.scalars(select(Indoctrination).where(Indoctrination.operation_id == op.id)
                        .order_by(Indoctrination.invited_at)).all()
    agreements = {a: service.current_agreement(s, op.id, a) for a in ("police", "partner")}
    on_register = {r.user_id for r in records if r.revoked_at is None}
    candidates = s.scalars(select(User).where(User.agency_id == op.owning_agency_id, User.active.is_(True),
                                              User.role != Role.ADMIN).order_by(User.full_name)).all()
    form = InviteToOperationForm()
    form.user_id.choices = [(0, "Select a person")] + [(u.id, f"{u.full_name} ({u.role.label})")
                                                      for u in candidates if u.id not in on_register
                                                      and clearance_covers(u, op.classification)]
    if form.validate_on_submit():
        user = s.get(User, form.user_id.data)
        if user is None or user.agency_id != op.owning_agency_id:
            form.user_id.errors = list(form.user_id.errors) + ["Select a person"]
        else:
            service.invite(s, op, user, current_user)
            flash(f"{user.full_name} added. They must sign the agreement before they can see anything.", "success")
            return redirect(url_for("indoctrination.register", operation_id=op.id))
    rows = [(r, service.status(r, agreements["partner" if r.user.role.is_partner else "police"])) for r in records]
    return render_template("views/indoctrination/register.html", op=op, rows=rows, agreements=agreements,
                           form=form, revoke_form=RevokeForm(), now=utcnow())


@bp.route("/operations/<int:operation_id>/indoctrination/<int:record_id>/revoke", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def revoke(operation_id: int, record_id: int):
    op = load_or_404(Operation, operation_id, Action.EDIT)
    record = db_session().get(Indoctrination, record_id)
    if record is None or record.operation_id != op.id:
        abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            service.revoke(db_session(), record, form.reason.data, current_user)
        except WorkflowError as exc:
            form.reason.errors = list(form.reason.errors) + [str(exc)]
        else:
            flash(f"Access revoked for {record.user.full_name}", "success")
            return redirect(url_for("indoctrination.register", operation_id=op.id))
    return render_template("views/indoctrination/revoke.html", form=form, op=op, record=record)


@bp.route("/operations/<int:operation_id>/indoctrination/<any(police, partner):audience>", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def edit_agreement(operation_id: int, audience: str):
    op = load_or_404(Operation, operation_id, Action.EDIT)
    s = db_session()
    current = service.current_agreement(s, op.id, audience)
    form = AgreementForm()
    if request.method == "GET":
        form.text.data = current.text if current else ""
        form.valid_months.data = current.valid_months if current else service.DEFAULT_MONTHS
    if form.validate_on_submit():
        try:
            agreement = service.publish(s, op, audience, form.text.data, current_user, form.valid_months.data)
        except WorkflowError as exc:
            form.text.errors = list(form.text.errors) + [str(exc)]
        else:
            # The editor keeps access only by signing the new version like everyone else.
            service.invite(s, op, current_user, current_user)
            if audience == "police":
                service.sign(s, op, current_user, typed_name=current_user.full_name, confirmed=True)
            flash(f"Version {agreement.version} published. Everyone must sign it again before further access.",
                  "success")
            return redirect(url_for("indoctrination.register", operation_id=op.id))
    return render_template("views/indoctrination/agreement.html", form=form, op=op, audience=audience,
                           current=current)


def invite_partner_staff(s, req: InformationRequest, users, by) -> None:
    """Called when a request reaches an agency: its staff join the register, unsigned."""
    for user in users:
        service.invite(s, req.operation, user, by)
