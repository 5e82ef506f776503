from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from gainportal.db import db_session
from gainportal.models import Operation, Role
from gainportal.security.access import signed_in
from gainportal.security.permissions import visible, visible_to

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@signed_in()
def index():
    if current_user.role is Role.ADMIN:
        return redirect(url_for("admin.users"))
    s = db_session()
    operations = s.scalars(visible(Operation, current_user).order_by(Operation.reference).limit(20)).all()
    total = s.scalar(select(func.count()).select_from(Operation).where(visible_to(current_user, Operation)))
    return render_template("views/dashboard/index.html", operations=operations, operation_count=total)
