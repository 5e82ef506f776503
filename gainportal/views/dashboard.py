"""Role dashboards. Every list and count is filtered with ``visible_to`` in SQL before any
LIMIT, and each panel is one bounded query (aggregates and joins, never a query per row).

- LRO: my operations (I am the LRO), reviews due or overdue, overdue requests, answers waiting.
- Partner SPOC and partner user: how many requests are new, due soon and overdue.
- GAIN co-ordinator, supervisor, analyst: requests by partner agency with counts per state
  and the median days from issue to answer.
- Administrator: the users page (administrators see no intelligence).

Each panel's count is taken in the same statement as its list, by window functions over the
whole filtered set (evaluated before the LIMIT), and lists select only the columns shown:
the models' joined eager loads would drag operations, agencies and data keys into every row.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import and_, case, func, select

from gainportal.db import db_session, utcnow
from gainportal.models import Agency, InformationRequest, Operation, RequestState, Role
from gainportal.services import indoctrination
from gainportal.security.access import signed_in
from gainportal.security.permissions import signed_operation_ids, visible_to
from gainportal.services.dates import today
from gainportal.views.partner import DUE_SOON_DAYS, deadline_tag, long_date, status_tag
from gainportal.views.paging import requested_page

bp = Blueprint("dashboard", __name__)
IR = InformationRequest
S = RequestState
OPEN = (S.ISSUED, S.ACKNOWLEDGED)
LIST_LIMIT = 10
OPERATION_LIMIT = 20
REVIEW_SOON_DAYS = 14
AGENCY_PAGE_SIZE = 25
# Columns of the co-ordinator's table: drafts have not reached the agency, so are left out.
AGENCY_STATES = (S.ISSUED, S.ACKNOWLEDGED, S.ANSWERED, S.ASSESSED, S.CLOSED, S.DECLINED, S.WITHDRAWN)
PERIODS = {"30": 30, "90": 90, "365": 365, "all": None}


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# The co-ordinator table's count per state, built once: SQL expressions are immutable, and
# building these seven aggregates took ~0.65 ms of CPU on every request.
STATE_COUNTS = tuple(_count_if(IR.state == st).label(st.value) for st in AGENCY_STATES)


def _all_rows_count_if(condition):
    """How many rows of the whole filtered set meet ``condition``, on every row of it."""
    return func.sum(case((condition, 1), else_=0)).over()


def _counts(rows: list, names: tuple[str, ...]) -> dict[str, int]:
    """The window counts carried by a list's rows (all rows carry the same); none if empty."""
    first = rows[0]._mapping if rows else {}
    return {name: first.get(name) or 0 for name in names}


@bp.get("/")
@signed_in()
def index():
    role = current_user.role
    if role is Role.ADMIN:
        return redirect(url_for("admin.users"))
    g.pending_signatures = indoctrination.pending_for(db_session(), current_user,
                                                      signed_operation_ids(current_user))
    if role.is_partner:
        return _partner()
    if role is Role.LRO:
        return _lro()
    return _coordinator()


# --- partner ------------------------------------------------------------------------------
def _partner():
    s = db_session()
    on = today()
    due_soon = and_(IR.deadline >= on, IR.deadline <= on + timedelta(days=DUE_SOON_DAYS))
    # Every figure is about open requests (new ones are open too), so one query over them
    # gives the list and, by window sums, the counts. The asking force's name is joined to
    # the page of rows only, after the LIMIT.
    page = (select(IR.id, IR.reference, IR.state, IR.deadline, IR.operation_id,
                   func.count().over().label("open"),
                   _all_rows_count_if(IR.state == S.ISSUED).label("new"),
                   _all_rows_count_if(due_soon).label("soon"),
                   _all_rows_count_if(IR.deadline < on).label("overdue"))
            .where(visible_to(current_user, IR), IR.state.in_(OPEN))
            .order_by(IR.deadline, IR.id).limit(LIST_LIMIT).subquery())
    waiting = s.execute(select(page, Agency.name.label("asked_by"))
                        .join(Operation, Operation.id == page.c.operation_id)
                        .join(Agency, Agency.id == Operation.owning_agency_id)
                        .order_by(page.c.deadline, page.c.id)).all()
    counts = _counts(waiting, ("new", "soon", "overdue", "open"))
    return render_template("views/dashboard/partner.html", title="Dashboard", counts=counts, waiting=waiting,
                           today=on, due_soon_days=DUE_SOON_DAYS, deadline_tag=deadline_tag,
                           status_tag=status_tag, long_date=long_date)


# --- LRO ----------------------------------------------------------------------------------
def _requests_with_agency(condition, order_by):
    """The first LIST_LIMIT requests meeting ``condition`` by ``order_by`` (a date column of
    the request, shown on each row), with the name of the agency asked and how many requests
    meet the condition in all."""
    return db_session().execute(
        select(IR.id, IR.reference, order_by, Agency.name.label("agency_name"), func.count().over().label("matching"))
        .join(Agency, Agency.id == IR.agency_id).where(condition)
        .order_by(order_by, IR.id).limit(LIST_LIMIT)).all()


def _lro():
    s = db_session()
    on = today()
    mine = and_(visible_to(current_user, Operation), Operation.lro_id == current_user.id)
    review_soon = and_(Operation.next_review_due >= on,
                       Operation.next_review_due <= on + timedelta(days=REVIEW_SOON_DAYS))
    operations = s.execute(
        select(Operation.id, Operation.reference, Operation.name, Operation.tier, Operation.next_review_due,
               func.count().over().label("total"),
               _all_rows_count_if(Operation.next_review_due < on).label("reviews_overdue"),
               _all_rows_count_if(review_soon).label("reviews_soon"))
        .where(mine)
        .order_by(Operation.next_review_due.is_(None), Operation.next_review_due, Operation.reference)
        .limit(OPERATION_LIMIT)).all()

    # visible_to already keeps requests to operations the LRO may see; repeating that rule in
    # the "mine" subquery made PostgreSQL check the register twice for every request.
    my_requests = and_(visible_to(current_user, IR),
                       IR.operation_id.in_(select(Operation.id).where(Operation.lro_id == current_user.id)))
    overdue = _requests_with_agency(and_(my_requests, IR.state.in_(OPEN), IR.deadline < on), IR.deadline)
    answered = _requests_with_agency(and_(my_requests, IR.state == S.ANSWERED), IR.answered_at)
    op_counts = _counts(operations, ("total", "reviews_overdue", "reviews_soon"))
    req_counts = {"overdue": _counts(overdue, ("matching",))["matching"],
                  "answered": _counts(answered, ("matching",))["matching"]}
    return render_template("views/dashboard/lro.html", title="Dashboard", today=on, operations=operations,
                           op_counts=op_counts, req_counts=req_counts, overdue=overdue, answered=answered,
                           review_soon_days=REVIEW_SOON_DAYS, long_date=long_date, list_limit=LIST_LIMIT)


# --- GAIN co-ordinator, supervisor, analyst -------------------------------------------------
def _on_postgresql() -> bool:
    return db_session().get_bind().dialect.name == "postgresql"


def _days_between(start, end):
    """Days from ``start`` to ``end`` as a number, in SQL, on either database."""
    if _on_postgresql():
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def _medians(conditions, agency_ids: list[int]) -> dict[int, float]:
    """SQLite: median days from issue to answer per agency, with window functions.
    (PostgreSQL takes the median in the table's own query, with percentile_cont.)"""
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


def _coordinator():
    s = db_session()
    on = today()
    period = request.args.get("period", "90")
    period = period if period in PERIODS else "90"
    conditions = [visible_to(current_user, IR), IR.state != S.DRAFT]
    if PERIODS[period] is not None:
        conditions.append(IR.issued_at >= utcnow() - timedelta(days=PERIODS[period]))

    page = requested_page()
    columns = list(STATE_COUNTS)
    postgresql = _on_postgresql()
    if postgresql:
        # Ordered-set aggregates skip NULLs: requests not yet answered have no days.
        columns.append(func.percentile_cont(0.5).within_group(_days_between(IR.issued_at, IR.answered_at))
                       .label("median"))
    # Counted per agency id first; the names (for the order and the table) are joined to
    # those few dozen groups rather than to every request.
    per_agency = (select(IR.agency_id, func.count(IR.id).label("total"),
                         _count_if(and_(IR.state.in_(OPEN), IR.deadline < on)).label("overdue"), *columns)
                  .where(*conditions).group_by(IR.agency_id).subquery())
    rows = s.execute(
        select(Agency.id, Agency.name, *[c for c in per_agency.c if c.name != "agency_id"],
               # A window runs before the LIMIT: the number of agencies in all.
               func.count().over().label("agency_total"))
        .join(per_agency, per_agency.c.agency_id == Agency.id)
        .order_by(Agency.name, Agency.id).limit(AGENCY_PAGE_SIZE).offset((page - 1) * AGENCY_PAGE_SIZE)
    ).all()
    # A page past the end has no rows and shows no total.
    agency_total = rows[0].agency_total if rows else 0
    if postgresql:
        medians = {r.id: float(r.median) for r in rows if r.median is not None}
    else:
        medians = _medians(conditions, [r.id for r in rows])
    # The table's cells in column order (data-testid, text), so the template only loops.
    agencies = [(r.id, r.name, [("total", r.total), *((st.value, r._mapping[st.value]) for st in AGENCY_STATES),
                                ("overdue", r.overdue),
                                ("median", f"{medians[r.id]:.1f}" if r.id in medians else "–")])
                for r in rows]

    operations = s.execute(
        select(Operation.id, Operation.reference, Operation.name, Operation.classification, Operation.status,
               func.count().over().label("visible"))
        .where(visible_to(current_user, Operation)).order_by(Operation.reference).limit(OPERATION_LIMIT)).all()
    operation_count = _counts(operations, ("visible",))["visible"]
    return render_template("views/dashboard/coordinator.html", title="Dashboard", agencies=agencies,
                           state_labels=[st.label for st in AGENCY_STATES], period=period, periods=PERIODS,
                           page=page, page_size=AGENCY_PAGE_SIZE, agency_total=agency_total, operations=operations,
                           operation_count=operation_count)
