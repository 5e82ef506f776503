"""Accounts: invitations, password sign-in with lockout, TOTP enrolment and verification,
recovery codes, deactivation. Every outcome is audited; nothing here commits."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gainportal.db import utcnow
from gainportal.models import Agency, Invitation, RecoveryCode, User
from gainportal.models.enums import Clearance, Role
from gainportal.security import passwords, totp
from gainportal.security.sessions import end_all_sessions
from gainportal.services import audit


class AccountError(Exception):
    """A refusal whose message is written for the person at the screen."""


def _settings():
    return current_app.config["SETTINGS"]


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- invitations --------------------------------------------------------------------------
def invite_user(s: Session, *, email: str, full_name: str, agency: Agency, role: Role,
                clearance: Clearance, invited_by: User | None) -> tuple[Invitation, str]:
    email = normalise_email(email)
    if s.scalar(select(User.id).where(User.email == email)):
        raise AccountError("An account with this email address already exists")
    if role.is_partner and agency.is_police:
        raise AccountError("Partner roles belong to partner agencies, not police agencies")
    if role.is_police and not agency.is_police:
        raise AccountError("Police roles belong to police agencies")
    # A newer invitation replaces any pending one for the same address.
    s.execute(update(Invitation).where(
        Invitation.email == email, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None)
    ).values(revoked_at=utcnow()))
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=_token_hash(token), email=email, full_name=full_name.strip(), agency_id=agency.id,
        role=role, clearance=clearance, created_by_id=getattr(invited_by, "id", None),
        expires_at=utcnow() + timedelta(hours=_settings().invitation_valid_hours),
    )
    s.add(invitation)
    s.flush()
    audit.record(s, "invitation_created", object_type="invitation", object_id=invitation.id,
                 detail={"agency_id": agency.id, "role": role.value, "clearance": clearance.value},
                 actor=invited_by)
    return invitation, token


def find_invitation(s: Session, token: str) -> Invitation | None:
    invitation = s.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token or "")))
    if invitation is None or invitation.state(utcnow()) != "pending":
        return None
    return invitation


def accept_invitation(s: Session, invitation: Invitation, password: str) -> User:
    problems = passwords.password_problems(password, email=invitation.email, full_name=invitation.full_name)
    if problems:
        raise AccountError(problems[0])
    if s.scalar(select(User.id).where(User.email == invitation.email)):
        raise AccountError("An account with this email address already exists")
    user = User(
        email=invitation.email, full_name=invitation.full_name, agency_id=invitation.agency_id,
        role=invitation.role, clearance=invitation.clearance,
        password_hash=passwords.hash_password(password), password_changed_at=utcnow(),
    )
    s.add(user)
    s.flush()
    invitation.used_at, invitation.user_id = utcnow(), user.id
    audit.record(s, "invitation_accepted", object_type="user", object_id=user.id, actor=user,
                 detail={"invitation_id": invitation.id})
    return user


def revoke_invitation(s: Session, invitation: Invitation, by: User) -> None:
    if invitation.state(utcnow()) != "pending":
        raise AccountError("Only a pending invitation can be withdrawn")
    invitation.revoked_at = utcnow()
    audit.record(s, "invitation_revoked", object_type="invitation", object_id=invitation.id, actor=by)


# --- sign in ------------------------------------------------------------------------------
LOCKED_MESSAGE = ("Your account is locked because of too many failed attempts. "
                  "Try again in {minutes} minutes, or contact your administrator.")
BAD_CREDENTIALS = "Enter a correct email address and password"


def _register_failure(s: Session, user: User, stage: str) -> None:
    settings = _settings()
    user.failed_attempts = (user.failed_attempts or 0) + 1
    locked = user.failed_attempts >= settings.lockout_threshold
    if locked:
        user.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
        user.failed_attempts = 0
    audit.record(s, f"{stage}_failed", outcome="failure", object_type="user", object_id=user.id,
                 actor=user, detail={"locked": locked})
    if locked:
        audit.record(s, "account_locked", outcome="failure", object_type="user", object_id=user.id,
                     actor=user, detail={"minutes": settings.lockout_minutes})


def is_locked(user: User) -> bool:
    return bool(user.locked_until and user.locked_until > utcnow())


def check_password(s: Session, email: str, password: str) -> User:
    user = s.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        passwords.verify_password(None, password)
        audit.record(s, "sign_in_failed", outcome="failure", detail={"reason": "unknown_account"})
        raise AccountError(BAD_CREDENTIALS)
    if is_locked(user):
        audit.record(s, "sign_in_refused", outcome="denied", object_type="user", object_id=user.id,
                     actor=user, detail={"reason": "locked"})
        raise AccountError(LOCKED_MESSAGE.format(minutes=_settings().lockout_minutes))
    if not passwords.verify_password(user.password_hash, password):
        _register_failure(s, user, "sign_in")
        if is_locked(user):
            raise AccountError(LOCKED_MESSAGE.format(minutes=_settings().lockout_minutes))
        raise AccountError(BAD_CREDENTIALS)
    if not user.active:
        audit.record(s, "sign_in_refused", outcome="denied", object_type="user", object_id=user.id,
                     actor=user, detail={"reason": "deactivated"})
        raise AccountError(BAD_CREDENTIALS)
    audit.record(s, "password_accepted", object_type="user", object_id=user.id, actor=user)
    return user


def begin_enrolment(s: Session, user: User) -> str:
    secret = totp.new_secret()
    user.totp_secret_sealed = totp.seal_secret(user.id, secret)
    user.totp_enrolled_at = None
    return secret


def pending_secret(user: User) -> str | None:
    return totp.open_secret(user.id, user.totp_secret_sealed) if user.totp_secret_sealed else None


def complete_enrolment(s: Session, user: User, code: str) -> list[str]:
    secret = pending_secret(user)
    step = totp.verify_code(secret, code, None) if secret else None
    if step is None:
        _register_failure(s, user, "mfa_enrolment")
        if is_locked(user):
            raise AccountError(LOCKED_MESSAGE.format(minutes=_settings().lockout_minutes))
        raise AccountError("Enter the 6-digit code shown in your authenticator app")
    user.totp_enrolled_at, user.totp_last_step = utcnow(), step
    codes = issue_recovery_codes(s, user)
    audit.record(s, "mfa_enrolled", object_type="user", object_id=user.id, actor=user)
    return codes


def issue_recovery_codes(s: Session, user: User) -> list[str]:
    s.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
              .values(used_at=utcnow()))
    codes = totp.new_recovery_codes(_settings().recovery_code_count)
    s.add_all(RecoveryCode(user_id=user.id, code_hash=totp.hash_recovery_code(c)) for c in codes)
    s.flush()
    return codes


def verify_second_factor(s: Session, user: User, code: str) -> str:
    """Returns "totp" or "recovery_code"; raises AccountError otherwise."""
    if is_locked(user):
        raise AccountError(LOCKED_MESSAGE.format(minutes=_settings().lockout_minutes))
    code = (code or "").strip()
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) == 6 and len(code.replace(" ", "")) == 6:
        step = totp.verify_code(pending_secret(user), digits, user.totp_last_step)
        if step is not None:
            user.totp_last_step, user.failed_attempts = step, 0
            user.last_sign_in_at = utcnow()
            audit.record(s, "sign_in", object_type="user", object_id=user.id, actor=user,
                         detail={"factor": "totp"})
            return "totp"
    elif code:
        match = s.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
            RecoveryCode.code_hash == totp.hash_recovery_code(code)))
        if match is not None:
            match.used_at = utcnow()
            user.failed_attempts, user.last_sign_in_at = 0, utcnow()
            audit.record(s, "sign_in", object_type="user", object_id=user.id, actor=user,
                         detail={"factor": "recovery_code"})
            return "recovery_code"
    _register_failure(s, user, "mfa")
    if is_locked(user):
        raise AccountError(LOCKED_MESSAGE.format(minutes=_settings().lockout_minutes))
    if not code:
        raise AccountError("Enter the 6-digit code from your authenticator app")
    raise AccountError("The code is not correct. Enter the 6-digit code from your authenticator app, "
                       "or one of your recovery codes")


def unused_recovery_codes(s: Session, user: User) -> int:
    return s.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


# --- administration -----------------------------------------------------------------------
def deactivate(s: Session, user: User, by: User) -> None:
    if user.id == by.id:
        raise AccountError("You cannot deactivate your own account")
    user.active, user.deactivated_at = False, utcnow()
    end_all_sessions(user.id, "deactivated")
    audit.record(s, "user_deactivated", object_type="user", object_id=user.id, actor=by)


def reactivate(s: Session, user: User, by: User) -> None:
    user.active, user.deactivated_at, user.failed_attempts, user.locked_until = True, None, 0, None
    audit.record(s, "user_reactivated", object_type="user", object_id=user.id, actor=by)


def unlock(s: Session, user: User, by: User) -> None:
    user.locked_until, user.failed_attempts = None, 0
    audit.record(s, "user_unlocked", object_type="user", object_id=user.id, actor=by)


def reset_mfa(s: Session, user: User, by: User) -> None:
    user.totp_secret_sealed, user.totp_enrolled_at, user.totp_last_step = None, None, None
    end_all_sessions(user.id, "mfa_reset")
    audit.record(s, "mfa_reset", object_type="user", object_id=user.id, actor=by)


def create_user_direct(s: Session, *, email: str, full_name: str, agency: Agency, role: Role,
                       clearance: Clearance, password: str, totp_secret: str | None = None,
                       check_policy: bool = True) -> User:
    """For the CLI (first admin, demo seed). Web accounts are made through invitations."""
    if check_policy:
        problems = passwords.password_problems(password, email=email, full_name=full_name)
        if problems:
            raise AccountError(problems[0])
    user = User(email=normalise_email(email), full_name=full_name, agency_id=agency.id, role=role,
                clearance=clearance, password_hash=passwords.hash_password(password),
                password_changed_at=utcnow())
    s.add(user)
    s.flush()
    if totp_secret:
        user.totp_secret_sealed = totp.seal_secret(user.id, totp_secret)
        user.totp_enrolled_at = utcnow()
    audit.record(s, "user_created", object_type="user", object_id=user.id,
                 detail={"role": role.value, "agency_id": agency.id, "via": "cli"})
    return user
