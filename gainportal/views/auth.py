"""Sign in, second factor, invitations, sign out."""
from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.forms.auth import CodeForm, ConfirmForm, EnrolForm, SetPasswordForm, SignInForm
from gainportal.models import User, UserSession
from gainportal.security import totp
from gainportal.security.access import mfa_pending_user_id, pending_mfa, public, signed_in
from gainportal.security.sessions import end_all_sessions, end_session, start_session
from gainportal.services import accounts, audit
from gainportal.services.accounts import AccountError

bp = Blueprint("auth", __name__)

# A password check is good for this long while the second factor is entered.
MFA_WINDOW_SECONDS = 600


def _pending_user() -> User | None:
    user_id = mfa_pending_user_id()
    started = session.get("mfa_started", 0)
    if user_id is None or time.time() - started > MFA_WINDOW_SECONDS:
        session.pop("mfa_user_id", None)
        return None
    user = db_session().get(User, user_id)
    return user if user is not None and user.active else None


def _safe_next() -> str:
    target = session.pop("next_url", None)
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.index")


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        try:
            user = accounts.check_password(db_session(), form.email.data, form.password.data)
        except AccountError as exc:
            error = str(exc)
        else:
            next_url = session.get("next_url")
            session.clear()  # nothing from before the password check survives it
            if next_url:
                session["next_url"] = next_url
            session["mfa_user_id"], session["mfa_started"] = user.id, time.time()
            if not user.mfa_enrolled:
                return redirect(url_for("auth.mfa_set_up"))
            return redirect(url_for("auth.mfa_verify"))
    if error:
        form.email.errors = list(form.email.errors) + [error]
    return render_template("views/auth/sign_in.html", form=form)


@bp.route("/sign-in/set-up-authenticator", methods=["GET", "POST"])
@pending_mfa
def mfa_set_up():
    user = _pending_user()
    if user is None:
        return redirect(url_for("auth.sign_in"))
    if user.mfa_enrolled:
        return redirect(url_for("auth.mfa_verify"))
    form = EnrolForm()
    secret = accounts.pending_secret(user)
    if secret is None or request.method == "GET" and not session.get("mfa_secret_shown"):
        secret = accounts.begin_enrolment(db_session(), user)
        session["mfa_secret_shown"] = True
    if form.validate_on_submit():
        try:
            codes = accounts.complete_enrolment(db_session(), user, form.code.data)
        except AccountError as exc:
            form.code.errors = list(form.code.errors) + [str(exc)]
        else:
            start_session(user)
            session["recovery_codes_to_show"] = codes
            return redirect(url_for("auth.recovery_codes"))
    uri = totp.provisioning_uri(secret, user.email)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("views/auth/mfa_set_up.html", form=form, qr_svg=totp.qr_svg(uri), secret=grouped)


@bp.route("/sign-in/recovery-codes", methods=["GET", "POST"])
@signed_in()
def recovery_codes():
    codes = session.get("recovery_codes_to_show")
    if request.method == "POST" or not codes:
        session.pop("recovery_codes_to_show", None)
        return redirect(_safe_next())
    return render_template("views/auth/recovery_codes.html", codes=codes, form=ConfirmForm())


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@pending_mfa
def mfa_verify():
    user = _pending_user()
    if user is None:
        flash("Your sign-in took too long. Sign in again.", "timeout")
        return redirect(url_for("auth.sign_in"))
    if not user.mfa_enrolled:
        return redirect(url_for("auth.mfa_set_up"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            factor = accounts.verify_second_factor(db_session(), user, form.code.data)
        except AccountError as exc:
            form.code.errors = list(form.code.errors) + [str(exc)]
        else:
            start_session(user)
            if factor == "recovery_code":
                left = accounts.unused_recovery_codes(db_session(), user)
                flash(f"You used a recovery code. You have {left} left.", "info")
            return redirect(_safe_next())
    return render_template("views/auth/mfa_verify.html", form=form)


@bp.route("/sign-out", methods=["GET", "POST"])
@public
def sign_out():
    if current_user.is_authenticated:
        audit.record(db_session(), "sign_out", object_type="user", object_id=current_user.id)
        end_session("signed_out")
    else:
        session.clear()
    return render_template("views/auth/signed_out.html")


@bp.route("/account", methods=["GET"])
@signed_in()
def account():
    sessions = db_session().scalars(
        select(UserSession).where(UserSession.user_id == current_user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    ).all()
    left = accounts.unused_recovery_codes(db_session(), current_user)
    return render_template("views/auth/account.html", sessions=sessions, recovery_left=left, form=ConfirmForm())


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@signed_in()
def sign_out_everywhere():
    form = ConfirmForm()
    if form.validate_on_submit():
        count = end_all_sessions(current_user.id)
        audit.record(db_session(), "sign_out_everywhere", object_type="user", object_id=current_user.id,
                     detail={"sessions_ended": count})
        end_session("signed_out_everywhere")
    return render_template("views/auth/signed_out.html", everywhere=True)


@bp.route("/account/new-recovery-codes", methods=["POST"])
@signed_in()
def new_recovery_codes():
    form = ConfirmForm()
    if form.validate_on_submit():
        codes = accounts.issue_recovery_codes(db_session(), current_user)
        audit.record(db_session(), "recovery_codes_reissued", object_type="user", object_id=current_user.id)
        session["recovery_codes_to_show"] = codes
        session["next_url"] = url_for("auth.account")
        return redirect(url_for("auth.recovery_codes"))
    return redirect(url_for("auth.account"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    invitation = accounts.find_invitation(db_session(), token)
    if invitation is None:
        audit.record(db_session(), "invitation_refused", outcome="denied", detail={"reason": "invalid_or_expired"})
        return render_template("views/auth/invitation_invalid.html"), 404
    if current_user.is_authenticated:
        end_session("new_invitation")
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.accept_invitation(db_session(), invitation, form.password.data)
        except AccountError as exc:
            form.password.errors = list(form.password.errors) + [str(exc)]
        else:
            flash("Your account has been created. Sign in to set up your authenticator app.", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("views/auth/accept_invitation.html", form=form, invitation=invitation)
