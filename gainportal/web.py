"""Wiring of the web layer: templates, CSRF, rate limits, headers, access gate, page audit,
error pages and blueprints."""
from __future__ import annotations

import json
import secrets
from pathlib import Path

from flask import Flask, g, render_template, request, send_from_directory
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from gainportal.db import db_session
from gainportal.security import access
from gainportal.security.sealing import SealedContentUnavailable
from gainportal.services import audit
from gainportal.templating import ImportCachingTemplate

STATIC_DIR = Path(__file__).parent / "static"
GOVUK_ASSETS = STATIC_DIR / "govuk" / "assets"


class _IdConverter(IntegerConverter):
    """``<int:...>`` ids fit the database's integer columns: a larger number is a 404, not a
    500 from the database driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def init_web(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    app.url_map.converters["int"] = _IdConverter  # before any route is added
    from gainportal.services.files import SealedSpoolRequest

    app.request_class = SealedSpoolRequest  # large uploads never spool to disk in clear
    app.jinja_env.template_class = ImportCachingTemplate
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(app.template_folder),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.globals.update(settings=settings)
    from gainportal.services.requests import CONDITION_LABELS

    app.jinja_env.filters["condition_label"] = lambda key: CONDITION_LABELS.get(key, str(key).replace("_", " "))
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    CSRFProtect(app)
    from gainportal.serving import init_serving

    init_serving(app)
    _init_rate_limits(app)

    @app.route("/assets/<path:filename>")
    @access.public
    def govuk_assets(filename):
        return send_from_directory(GOVUK_ASSETS, filename, max_age=86400)

    access.public(app.view_functions["static"])

    @app.before_request
    def _nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    app.before_request(access.enforce_access)

    @app.context_processor
    def _template_globals():
        # The user itself, not the proxy: templates read it dozens of times per page.
        return {"cspNonce": g.get("csp_nonce"), "current_user": current_user._get_current_object()}

    @app.after_request
    def _audit_page_view(response):
        # Every protected page a signed-in user sees is audited once; views that audit a
        # specific item themselves set g.audited.
        rule = access.rule_for_endpoint(app, request.endpoint)
        if (rule and rule.kind == "signed_in" and current_user.is_authenticated
                and request.method == "GET" and not g.get("audited")
                and request.endpoint not in ("static", "govuk_assets")):
            outcome = "success" if response.status_code < 400 else "denied"
            audit.record(db_session(), "page_view", outcome=outcome, object_type="page",
                         object_id=request.endpoint,
                         detail={"args": request.view_args or {}, "status": response.status_code})
        return response

    @app.after_request
    def _security_headers(response):
        nonce = g.get("csp_nonce", "")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if settings.secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if request.endpoint not in ("static", "govuk_assets"):
            # Intelligence must not linger in browser or proxy caches.
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response

    _init_error_pages(app)
    _register_blueprints(app)


def _init_rate_limits(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        key_prefix="gainportal",
        strategy="moving-window",
        headers_enabled=False,
    )
    app.extensions["gainportal_limiter"] = limiter


def rate_limit_views(app: Flask) -> None:
    """Limits are attached after blueprints register so each app gets its own limiter."""
    settings = app.config["SETTINGS"]
    limiter: Limiter = app.extensions["gainportal_limiter"]

    def account_key() -> str:
        return "account:" + (request.form.get("email") or "").strip().lower()[:254]

    # Flask-Limiter checks decorated limits inside the wrapper it returns (its before_request
    # hook does not apply them), so the wrapped views must replace the registered ones.
    sign_in = app.view_functions["auth.sign_in"]
    sign_in = limiter.limit(settings.sign_in_rate_limit, methods=["POST"])(sign_in)
    sign_in = limiter.limit(settings.sign_in_account_rate_limit, methods=["POST"], key_func=account_key,
                            scope="sign-in-account")(sign_in)
    app.view_functions["auth.sign_in"] = sign_in
    for endpoint in ("auth.mfa_verify", "auth.mfa_set_up", "auth.accept_invitation"):
        app.view_functions[endpoint] = limiter.limit(settings.mfa_rate_limit, methods=["POST"])(
            app.view_functions[endpoint])


ERROR_PAGES = {
    400: ("There is a problem with your request", "Go back and try again."),
    403: ("You cannot do that", "If you think you should be able to, contact your administrator."),
    404: ("Page not found", "If you typed the web address, check it is correct. "
                            "If you followed a link, the item may have been removed or you may not have access to it."),
    405: ("There is a problem with your request", "Go back and try again."),
    413: ("The file or form is too large", "Files must be {max_mb}MB or smaller. Go back and choose a smaller file."),
    429: ("Too many attempts", "You have tried too many times. Wait a few minutes, then try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. What you entered may not have been saved."),
    503: ("Sorry, the service is unavailable", "Try again in a few minutes. What you entered may not have been saved."),
}


def _init_error_pages(app: Flask) -> None:
    def render_error(code: int, title: str | None = None, body: str | None = None):
        default_title, default_body = ERROR_PAGES.get(code, ERROR_PAGES[500])
        body = (body or default_body).format(max_mb=app.config["SETTINGS"].max_upload_mb)
        if request.accept_mimetypes.best == "application/json" or request.path in ("/healthz", "/livez", "/readyz"):
            return json.dumps({"error": title or default_title}), code, {"Content-Type": "application/json"}
        return render_template("errors/error.html", code=code, title=title or default_title, body=body), code

    @app.errorhandler(CSRFError)
    def _csrf(error):
        if current_user.is_authenticated:
            audit.record(db_session(), "csrf_rejected", outcome="denied", object_type="page",
                         object_id=request.endpoint)
        return render_error(400, "Your form has expired",
                            "For your security, the form could not be sent. Go back, refresh the page and try again.")

    @app.errorhandler(SealedContentUnavailable)
    def _sealed(error: SealedContentUnavailable):
        # Fail closed: nothing of the item is shown, and the event is on the record.
        db_session().rollback()
        audit.record(db_session(), "sealed_content_unavailable", outcome="failure",
                     object_type=error.table, detail={"column": error.column, "reason": error.reason})
        return render_error(409, "This item could not be opened safely",
                            "Its protected content failed an integrity check or has been deleted under the "
                            "retention schedule. This has been recorded. Contact your administrator.")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if isinstance(getattr(error, "original_exception", None), DBAPIError):
            # Raised after the view (committing, auditing the page view): the same outage.
            return _database_unavailable(error.original_exception)
        return render_error(error.code or 500)

    @app.errorhandler(DBAPIError)
    def _database_unavailable(error: DBAPIError):
        if not (error.connection_invalidated or isinstance(error, (OperationalError, InterfaceError))):
            return _unexpected(error)
        # The database is unreachable (restarting, failing over): say so without touching it
        # again. Rendering the page must not load the signed-in user, which needs the database.
        app.logger.error("database unavailable on %s: %s", request.endpoint, type(error.orig).__name__)
        session = g.pop("db_session", None)
        if session is not None:
            try:
                session.close()
            except Exception:  # noqa: BLE001 - the connection is already gone
                pass
        g._login_user = app.login_manager.anonymous_user()
        body, code, *headers = render_error(503)
        return body, code, {**(headers[0] if headers else {}), "Retry-After": "30"}

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("unhandled error on %s", request.endpoint)
        db_session().rollback()
        return render_error(500)


def _register_blueprints(app: Flask) -> None:
    from gainportal.views import (
        admin, auth, circulation, dashboard, dissemination, health, indoctrination, matching, operations,
        partner, partner_circulation, requests,
    )

    for module in (health, auth, dashboard, admin, operations, requests, indoctrination, partner, dissemination,
                   circulation, partner_circulation, matching):
        app.register_blueprint(module.bp)
    from gainportal.views import products
    app.register_blueprint(products.bp)
    rate_limit_views(app)
