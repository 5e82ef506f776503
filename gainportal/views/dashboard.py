"""Role dashboards. Every list and count is filtered with ``visible_to`` in SQL before any
LIMIT, and each panel is one bounded query (aggregates and joins, never a query per row).

- LRO: my operations (I am the LRO), reviews due or overdue, overdue requests, answers waiting.
- Partner SPOC and partner user: how many requests are new, due soon and overdue.
- GAIN co-ordinator, supervisor, analyst: requests by partner agency with counts per state
  and the median days from issue to answer.
- Administrator: the users page (administrators see no intelligence).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import and_, case, func, select

from gainportal.db import db_session
from gainportal.models import Agency, InformationRequest, Operation, RequestState, Role
from gainportal.services import indoctrination
from gainportal.security.access import signed_in
from gainportal.services.listing import page_rows
from gainportal.security.permissions import visible, visible_to
from gainportal.services.dates import today
from gainportal.views.partner import DUE_SOON_DAYS, deadline_tag, long_date, status_tag

bp = Blueprint("dashboard", __name__)
IR = InformationRequest
S = RequestState
OPEN = (S.ISSUED, S.ACKNOWLEDGED)
LIST_LIMIT = 10
REVIEW_SOON_DAYS = 14
AGENCY_PAGE_SIZE = 25
# Columns of the co-ordinator's table: drafts have not reached the agency, so are left out.
AGENCY_STATES = (S.ISSUED, S.ACKNOWLEDGED, S.ANSWERED, S.ASSESSED, S.CLOSED, S.DECLINED, S.WITHDRAWN)
PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@bp.get("/")
@signed_in()
def index():
    role = current_user.role
    if role is Role.ADMIN:
        return redirect(url_for("admin.users"))
    g.pending_signatures = indoctrination.pending_for(db_session(), current_user)
    if role.is_partner:
        return _partner()
    if role is Role.LRO:
        return _lro()
    return _coordinator()


# --- partner ------------------------------------------------------------------------------
def _partner():
    s = db_session()
    on = today()
    is_open = IR.state.in_(OPEN)
    counts = s.execute(select(
        _count_if(IR.state == S.ISSUED).label("new"),
        _count_if(and_(is_open, IR.deadline >= on, IR.deadline <= on + timedelta(days=DUE_SOON_DAYS))).label("soon"),
        _count_if(and_(is_open, IR.deadline < on)).label("overdue"),
        _count_if(is_open).label("open"),
    ).where(visible_to(current_user, IR))).one()
    waiting = page_rows(s, visible(IR, current_user).where(is_open).order_by(IR.deadline, IR.id), IR,
                        limit=LIST_LIMIT)
    return render_template("views/dashboard/partner.html", title="Dashboard", counts=counts, waiting=waiting,
                           today=on, due_soon_days=DUE_SOON_DAYS, deadline_tag=deadline_tag,
                           status_tag=status_tag, long_date=long_date)


# --- LRO ----------------------------------------------------------------------------------
def _lro():
    s = db_session()
    on = today()
    me = current_user.id
    mine = and_(visible_to(current_user, Operation), Operation.lro_id == me)
    op_counts = s.execute(select(
        func.count().label("total"),
        _count_if(Operation.next_review_due < on).label("reviews_overdue"),
        _count_if(and_(Operation.next_review_due >= on,
                       Operation.next_review_due <= on + timedelta(days=REVIEW_SOON_DAYS))).label("reviews_soon"),
    ).select_from(Operation).where(mine)).one()
    operations = page_rows(s, select(Operation).where(mine)
                           .order_by(Operation.next_review_due.is_(None), Operation.next_review_due,
                                     Operation.reference), Operation, limit=20)

    my_requests = and_(visible_to(current_user, IR),
                       IR.operation_id.in_(select(Operation.id).where(mine)))
    overdue_cond = and_(IR.state.in_(OPEN), IR.deadline < on)
    req_counts = s.execute(select(
        _count_if(overdue_cond).label("overdue"),
        _count_if(IR.state == S.ANSWERED).label("answered"),
        _count_if(IR.state.in_(OPEN)).label("open"),
    ).select_from(IR).where(my_requests)).one()
    overdue = page_rows(s, select(IR).where(my_requests, overdue_cond).order_by(IR.deadline, IR.id), IR,
                        limit=LIST_LIMIT)
    answered = page_rows(s, select(IR).where(my_requests, IR.state == S.ANSWERED).order_by(IR.answered_at, IR.id),
                         IR, limit=LIST_LIMIT)
    return render_template("views/dashboard/lro.html", title="Dashboard", today=on, operations=operations,
                           op_counts=op_counts, req_counts=req_counts, overdue=overdue, answered=answered,
                           review_soon_days=REVIEW_SOON_DAYS, long_date=long_date, list_limit=LIST_LIMIT)


# --- GAIN co-ordinator, supervisor, analyst -------------------------------------------------
def _days_between(start, end):
    """Days from ``start`` to ``end`` as a number, in SQL, on either database."""
    if db_session().get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def _medians(conditions, agency_ids: list[int]) -> dict[int, float]:
    """Median days from issue to answer per agency, with window functions (both databases)."""
    if not agency_ids:
        return {}
    days = _days_between(IR.issued_at, IR.answered_at)
    ranked = select(
        IR.agency_id.label("agency_id"), days.label("days"),
        func.row_number().over(partition_by=IR.agency_id, order_by=days).label("rn"),
        func.count().over(partition_by=IR.agency_id).label("n"),
    ).where(*conditions, IR.issued_at.is_not(None), IR.answered_at.is_not(None)).subquery()
    middle = select(ranked.c.agency_id, func.avg(ranked.c.days)).where(
        ranked.c.rn >= (ranked.c.n + 1) // 2, ranked.c.rn <= (ranked.c.n + 2) // 2,
    ).group_by(ranked.c.agency_id)
    # The page's agencies are picked here rather than with agency_id IN (...) in SQL: given
    # that list, SQLite walks every request of those agencies nationally (~270 ms at national
    # size) instead of the few thousand the viewer may see.
    wanted = set(agency_ids)
    return {agency_id: float(value) for agency_id, value in db_session().execute(middle) if agency_id in wanted}


def _page() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        return 1


def _coordinator():
    s = db_session()
    on = today()
    period = request.args.get("period", "90")
    period = period if period in PERIODS else "90"
    conditions = [visible_to(current_user, IR), IR.state != S.DRAFT]
    if PERIODS[period] is not None:
        from gainportal.db import utcnow
        conditions.append(IR.issued_at >= utcnow() - timedelta(days=PERIODS[period]))

    agency_total = s.scalar(select(func.count(func.distinct(IR.agency_id))).where(*conditions)) or 0
    page = _page()
    columns = [_count_if(IR.state == st).label(st.value) for st in AGENCY_STATES]
    rows = s.execute(
        select(Agency.id, Agency.name, func.count(IR.id).label("total"),
               _count_if(and_(IR.state.in_(OPEN), IR.deadline < on)).label("overdue"), *columns)
        .select_from(IR).join(Agency, Agency.id == IR.agency_id).where(*conditions)
        .group_by(Agency.id, Agency.name).order_by(Agency.name)
        .limit(AGENCY_PAGE_SIZE).offset((page - 1) * AGENCY_PAGE_SIZE)
    ).all()
    medians = _medians(conditions, [r.id for r in rows])

    operations = page_rows(s, visible(Operation, current_user).order_by(Operation.reference), Operation, limit=20)
    operation_count = s.scalar(select(func.count()).select_from(Operation)
                               .where(visible_to(current_user, Operation)))
    return render_template("views/dashboard/coordinator.html", title="Dashboard", rows=rows, medians=medians,
                           states=AGENCY_STATES, period=period, periods=PERIODS, page=page,
                           page_size=AGENCY_PAGE_SIZE, agency_total=agency_total, operations=operations,
                           operation_count=operation_count)
