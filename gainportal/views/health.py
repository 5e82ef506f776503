from flask import Blueprint, jsonify
from sqlalchemy import text

from gainportal.db import db_session
from gainportal.security.access import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """Liveness and database reachability; says nothing about content."""
    try:
        db_session().execute(text("SELECT 1"))
    except Exception:
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
