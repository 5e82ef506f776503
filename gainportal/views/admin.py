"""Account and agency administration. Admins see people and agencies, never intelligence."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from gainportal.db import db_session, utcnow
from gainportal.forms.admin import AgencyForm, InviteForm
from gainportal.forms.auth import ConfirmForm
from gainportal.models import Agency, Invitation, Role, User
from gainportal.models.enums import AgencyKind, Clearance
from gainportal.security.access import signed_in
from gainportal.services import accounts, audit
from gainportal.services.accounts import AccountError
from gainportal.views.paging import requested_page

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.get("/users")
@signed_in(Role.ADMIN)
def users():
    s = db_session()
    # Core selects of the columns shown: ORM users bring every account column and their
    # joined agency, for a table of six plain fields. Ordered by id within a name, so that
    # people with the same name stay on the same page from one page to the next.
    where = []
    q = (request.args.get("q") or "").strip()[:100]
    if q:
        like = f"%{q.lower()}%"
        where.append(or_(func.lower(User.full_name).like(like), User.email.like(like)))
    agency_id = request.args.get("agency", type=int)
    if agency_id:
        where.append(User.agency_id == agency_id)
    total = s.scalar(select(func.count(User.id)).where(*where))
    page = requested_page()
    rows = s.execute(select(User.id, User.full_name, User.email, User.role, User.clearance, User.active,
                            Agency.name.label("agency"))
                     .join(Agency, Agency.id == User.agency_id).where(*where)
                     .order_by(User.full_name, User.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    agencies = s.execute(select(Agency.id, Agency.name).order_by(Agency.name)).all()
    invitations = s.execute(select(Invitation.id, Invitation.email, Invitation.expires_at,
                                   Agency.name.label("agency"))
                            .join(Agency, Agency.id == Invitation.agency_id)
                            .where(Invitation.used_at.is_(None), Invitation.revoked_at.is_(None),
                                   Invitation.expires_at > utcnow())
                            .order_by(Invitation.created_at.desc()).limit(50)).all()
    return render_template("views/admin/users.html", users=rows, total=total, page=page, page_size=PAGE_SIZE,
                           q=q, agencies=agencies, agency_id=agency_id, invitations=invitations,
                           form=ConfirmForm())


@bp.route("/users/invite", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def invite():
    s = db_session()
    form = InviteForm()
    form.agency_id.choices = [(0, "Select an agency")] + [
        (a.id, a.name) for a in s.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name))]
    if form.validate_on_submit():
        agency = s.get(Agency, form.agency_id.data)
        if agency is None:
            form.agency_id.errors = list(form.agency_id.errors) + ["Select an agency"]
        else:
            try:
                invitation, token = accounts.invite_user(
                    s, email=form.email.data, full_name=form.full_name.data, agency=agency,
                    role=Role(form.role.data), clearance=Clearance(form.clearance.data), invited_by=current_user)
            except AccountError as exc:
                form.email.errors = list(form.email.errors) + [str(exc)]
            else:
                link = url_for("auth.accept_invitation", token=token, _external=True)
                return render_template("views/admin/invitation_sent.html", invitation=invitation, link=link)
    return render_template("views/admin/invite.html", form=form)


@bp.post("/invitations/<int:invitation_id>/withdraw")
@signed_in(Role.ADMIN)
def withdraw_invitation(invitation_id: int):
    form = ConfirmForm()
    invitation = db_session().get(Invitation, invitation_id)
    if invitation is None:
        abort(404)
    if form.validate_on_submit():
        try:
            accounts.revoke_invitation(db_session(), invitation, current_user)
            flash(f"Invitation to {invitation.email} withdrawn", "success")
        except AccountError as exc:
            flash(str(exc), "error")
    return redirect(url_for("admin.users"))


@bp.get("/users/<int:user_id>")
@signed_in(Role.ADMIN)
def user_detail(user_id: int):
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return render_template("views/admin/user.html", user=user, form=ConfirmForm(),
                           locked=accounts.is_locked(user))


USER_ACTIONS = {
    "deactivate": (accounts.deactivate, "Account deactivated"),
    "reactivate": (accounts.reactivate, "Account reactivated"),
    "unlock": (accounts.unlock, "Account unlocked"),
    "reset-mfa": (accounts.reset_mfa, "Authenticator reset: they will set it up again at next sign in"),
}


@bp.post("/users/<int:user_id>/<any(deactivate, reactivate, unlock, 'reset-mfa'):operation>")
@signed_in(Role.ADMIN)
def user_action(user_id: int, operation: str):
    form = ConfirmForm()
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    if form.validate_on_submit():
        action, message = USER_ACTIONS[operation]
        try:
            action(db_session(), user, current_user)
            flash(message, "success")
        except AccountError as exc:
            flash(str(exc), "error")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.get("/agencies")
@signed_in(Role.ADMIN)
def agencies():
    # Each agency with its number of users, in one statement.
    rows = db_session().execute(select(Agency.id, Agency.name, Agency.code, Agency.kind,
                                       func.count(User.id).label("users"))
                                .outerjoin(User, User.agency_id == Agency.id)
                                .group_by(Agency.id, Agency.name, Agency.code, Agency.kind)
                                .order_by(Agency.name)).all()
    return render_template("views/admin/agencies.html", agencies=rows)


@bp.route("/agencies/new", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def new_agency():
    return _edit_agency(None)


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def edit_agency(agency_id: int):
    agency = db_session().get(Agency, agency_id)
    if agency is None:
        abort(404)
    return _edit_agency(agency)


def _edit_agency(agency: Agency | None):
    s = db_session()
    form = AgencyForm(obj=agency)
    if agency is not None and request.method == "GET":
        form.kind.data = agency.kind.value
    if form.validate_on_submit():
        code = form.code.data.upper()
        clash = s.scalar(select(Agency).where(
            or_(func.lower(Agency.name) == form.name.data.lower(), Agency.code == code),
            Agency.id != (agency.id if agency else -1)))
        if clash is not None:
            form.name.errors = list(form.name.errors) + ["An agency with this name or short code already exists"]
        else:
            created = agency is None
            if created:
                agency = Agency(name=form.name.data, code=code, kind=AgencyKind(form.kind.data))
                s.add(agency)
            else:
                agency.name, agency.code, agency.kind = form.name.data, code, AgencyKind(form.kind.data)
            s.flush()
            audit.record(s, "agency_created" if created else "agency_updated", object_type="agency",
                         object_id=agency.id, detail={"kind": agency.kind.value})
            flash(f"{agency.name} saved", "success")
            return redirect(url_for("admin.agencies"))
    return render_template("views/admin/agency.html", form=form, agency=agency)
