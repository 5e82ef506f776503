"""Structured logs: one JSON object a line, and one line per request.

What a line may hold is decided here, not at each call site: the time, level, logger, the
message, the request id, and for the request line the method, the route *rule*
(``/requests/<int:request_id>``, never the URL with its ids, tokens or query string), the
status, the duration and the user's numeric id (never an email). Request bodies, form
fields and sealed content are never read here. Exceptions are logged as their type and stack
frames without the exception's message, because a database error's message can quote the
row it failed on.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request, request_finished

# Keys a caller may attach with ``extra={...}``: anything else passed as extra is dropped,
# so a careless ``extra={"answer": ...}`` cannot put content in the logs.
ALLOWED_EXTRA = ("request_id", "method", "route", "endpoint", "status", "duration_ms", "user_id", "ip",
                 "worker_pid", "event")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_HANDLER_FLAG = "_gainportal_handler"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for key in ALLOWED_EXTRA:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            line["stack"] = [f"{frame.filename}:{frame.lineno} in {frame.name}"
                             for frame in traceback.extract_tb(record.exc_info[2])][-15:]
        return json.dumps(line, separators=(",", ":"), default=str)


class TextFormatter(logging.Formatter):
    """For a developer's terminal: the same safe fields, readable."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{key}={getattr(record, key)}" for key in ALLOWED_EXTRA
                          if getattr(record, key, None) is not None)
        text = f"{self.formatTime(record)} {record.levelname} {record.name}: {record.getMessage()}"
        if extras:
            text += " " + extras
        if record.exc_info and record.exc_info[0] is not None:
            frames = traceback.extract_tb(record.exc_info[2])[-5:]
            text += f" error={record.exc_info[0].__name__} at " + " < ".join(
                f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames))
        return text


class RequestIdFilter(logging.Filter):
    """Stamps every record emitted while serving a request with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None and has_request_context():
            record.request_id = g.get("request_id")
        return True


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(settings, stream=None) -> logging.Handler | None:
    """One handler on the root logger, replaced (not added to) when called again, so several
    apps in one process (tests, CLI) do not print each line twice. Under gunicorn the root
    handler made by config/gunicorn.conf.py is reused. Tests keep pytest's own capture
    instead, unless a stream is given."""
    root = logging.getLogger()
    root.setLevel(settings.log_level.upper())
    # The development server's own access lines carry the full URL with its query string.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Alembic names its plugins when /readyz first reads the migration scripts.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if stream is None:
        if settings.env == "test":
            return None
        # Logging set up already (gunicorn's config, a command's basicConfig): its stream
        # handlers take our format and request id rather than a second handler being added,
        # which would print every line twice.
        existing = [h for h in root.handlers if isinstance(h, logging.StreamHandler)
                    and not isinstance(h, logging.FileHandler)]
        for handler in existing:
            handler.setFormatter(formatter_for(settings.log_format))
            if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
                handler.addFilter(RequestIdFilter())
        if existing:
            return existing[0]
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_FLAG, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _HANDLER_FLAG, True)
    handler.setFormatter(formatter_for(settings.log_format))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    return handler


request_log = logging.getLogger("gainportal.request")


def _user_id(user) -> int | None:
    """The signed-in user's id from the identity map key: the request's session is closed
    by now and the object may be expired, so no attribute is loaded."""
    if user is None:
        return None
    from sqlalchemy import inspect
    from sqlalchemy.exc import NoInspectionAvailable

    try:
        identity = inspect(user).identity
    except NoInspectionAvailable:  # the anonymous user
        return None
    return identity[0] if identity else None


def init_request_logging(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    configure_logging(settings)

    @app.before_request
    def _start_clock():
        g.request_started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        # The proxy's id joins our line to its access log; anything odd is replaced, not logged.
        g.request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response):
        if g.get("request_id"):
            response.headers["X-Request-ID"] = g.request_id
        return response

    if not settings.log_requests:
        return

    # request_finished fires after every after_request hook, so the duration includes the
    # commit of the request's transaction and the audit row.
    def _log_request(sender, response, **_extra):
        started = g.get("request_started")
        # Only a user already loaded by the request is named: looking one up here would cost
        # a query on public pages.
        user_id = _user_id(g.get("_login_user"))
        rule = request.url_rule.rule if request.url_rule is not None else None
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        request_log.log(level, "request", extra={
            "method": request.method,
            "route": rule,
            "endpoint": request.endpoint,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            "user_id": user_id,
            "ip": request.remote_addr,
        })

    request_finished.connect(_log_request, app, weak=False)
