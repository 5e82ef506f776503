"""Route access rules: deny by default.

Every endpoint must declare who may reach it with one of the decorators below; the
``before_request`` hook refuses any endpoint that declares nothing, and a test walks
``app.url_map`` to keep it that way. Item-level checks (``can``/``visible_to``) live in
``permissions.py``; a route rule only says who may reach the page at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user

from gainportal.models import Role


@dataclass(frozen=True)
class AccessRule:
    kind: str  # "public" | "pending_mfa" | "signed_in"
    roles: frozenset[Role] = frozenset()

    def describe(self) -> str:
        if self.kind != "signed_in":
            return self.kind
        return "signed_in:" + (",".join(sorted(r.value for r in self.roles)) or "any role")


def _mark(rule: AccessRule) -> Callable:
    def decorate(view):
        view.access_rule = rule
        return view
    return decorate


public = _mark(AccessRule("public"))
"""Reachable without signing in (sign-in, health, invitations, static assets)."""

pending_mfa = _mark(AccessRule("pending_mfa"))
"""Reachable after a correct password, before the second factor."""


def signed_in(*roles: Role) -> Callable:
    """Signed in with both factors; with roles, only by those roles."""
    return _mark(AccessRule("signed_in", frozenset(roles)))


POLICE_ROLES = (Role.LRO, Role.ANALYST, Role.GAIN_COORDINATOR, Role.SUPERVISOR)
PARTNER_ROLES = (Role.PARTNER_SPOC, Role.PARTNER_USER)
INTELLIGENCE_ROLES = POLICE_ROLES + PARTNER_ROLES  # everyone but admin


def rule_for_endpoint(app: Flask, endpoint: str | None) -> AccessRule | None:
    if endpoint is None:
        return None
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def mfa_pending_user_id() -> int | None:
    return session.get("mfa_user_id")


def enforce_access():
    """``before_request``: the one gate every request passes."""
    if request.endpoint is None:
        return None  # no route matched: Flask answers 404 itself
    rule = rule_for_endpoint(current_app, request.endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s has no access rule; refused", request.endpoint)
        abort(404)
    if rule.kind == "public":
        return None
    if rule.kind == "pending_mfa":
        if mfa_pending_user_id() is None:
            return redirect(url_for("auth.sign_in"))
        return None
    if not current_user.is_authenticated:
        reason = g.get("session_ended_reason")
        if reason == "idle_timeout":
            flash("You were signed out because you were inactive for "
                  f"{current_app.config['SETTINGS'].session_idle_minutes} minutes. Sign in again.", "timeout")
        elif reason == "absolute_timeout":
            flash("Your session has ended. Sign in again.", "timeout")
        if request.method == "GET":
            session["next_url"] = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.sign_in"))
    if rule.roles and current_user.role not in rule.roles:
        # 404, not 403: a page the role may not use is not acknowledged to exist.
        g.access_denied = "role"
        abort(404)
    return None
