"""Intelligence products for an operation: OCG on a page, association chart, performance
dashboard and the tasking-list export. Each loads the operation through ``load_or_404`` and
builds from what the viewer may see (services/products.py)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, jsonify, render_template, request
from flask_login import current_user

from gainportal.db import db_session
from gainportal.forms.auth import ConfirmForm
from gainportal.forms.dissemination import ExportForm
from gainportal.models import LawfulBasis, Operation, Role
from gainportal.security.access import POLICE_ROLES, signed_in
from gainportal.security.permissions import Action, load_or_404
from gainportal.services import audit
from gainportal.services import products as service
from gainportal.services.dates import today
from gainportal.services.pdf import render_pdf

bp = Blueprint("products", __name__)
DISSEMINATORS = (Role.LRO, Role.SUPERVISOR)


@bp.get("/operations/<int:operation_id>/products")
@signed_in(*POLICE_ROLES)
def index(operation_id: int):
    op = load_or_404(Operation, operation_id)
    return render_template("views/products/index.html", op=op, marking=op.classification.value,
                           can_export=current_user.role in DISSEMINATORS)


def _render_ocg_page(op: Operation) -> tuple[str, str]:
    """The OCG on a page as HTML, and its marking: the screen and the PDF are the same page."""
    page = service.ocg_on_a_page(db_session(), op, current_user)
    return render_template("views/products/ocg_page.html", op=op, page=page, marking=page.marking,
                           today=today()), page.marking


def _record_export(op: Operation, product: str, fmt: str) -> None:
    audit.record(db_session(), "product_exported", object_type="operation", object_id=op.id,
                 handling={"classification": op.classification.value, "operation_id": op.id},
                 detail={"product": product, "format": fmt})


@bp.get("/operations/<int:operation_id>/products/ocg-on-a-page")
@signed_in(*POLICE_ROLES)
def ocg_page(operation_id: int):
    return _render_ocg_page(load_or_404(Operation, operation_id))[0]


@bp.get("/operations/<int:operation_id>/products/ocg-on-a-page.pdf")
@signed_in(*POLICE_ROLES)
def ocg_page_pdf(operation_id: int):
    """Rendered on the server so the marking sits in the margin of every page whatever browser
    or printer the LRO uses, and every copy made is audited."""
    op = load_or_404(Operation, operation_id)
    html, marking = _render_ocg_page(op)
    footer = f"{op.reference} · produced {today():%d %B %Y} for {current_user.full_name}"
    pdf = render_pdf(html, marking, footer)
    _record_export(op, "ocg_on_a_page", "pdf")
    g.audited = True
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="ocg-on-a-page-{op.reference}.pdf"',
        "Cache-Control": "no-store"})


@bp.get("/operations/<int:operation_id>/products/association-chart")
@signed_in(*POLICE_ROLES)
def chart(operation_id: int):
    op = load_or_404(Operation, operation_id)
    data = service.chart_data(db_session(), op, current_user)
    by_id = {n["id"]: n for n in data["nodes"]}
    links: dict[str, list[tuple[str, str]]] = {}
    for e in data["edges"]:
        links.setdefault(e["source"], []).append((e["label"], by_id[e["target"]]["label"]))
        if "reverse" in e:  # a link between two nominals is listed under both
            links.setdefault(e["target"], []).append((e["reverse"], by_id[e["source"]]["label"]))
    return render_template("views/products/chart.html", op=op, data=data, links=links,
                           marking=op.classification.value)


@bp.get("/operations/<int:operation_id>/products/association-chart.json")
@signed_in(*POLICE_ROLES)
def chart_json(operation_id: int):
    op = load_or_404(Operation, operation_id)
    response = jsonify(service.chart_data(db_session(), op, current_user))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/operations/<int:operation_id>/products/association-chart/exported")
@signed_in(*POLICE_ROLES)
def chart_exported(operation_id: int):
    """The browser draws the PNG/SVG itself; it reports each download here so it is audited."""
    op = load_or_404(Operation, operation_id)
    fmt = request.form.get("format", "")
    product = request.form.get("product") or "association_chart"
    if not ConfirmForm().validate_on_submit() or fmt not in ("png", "svg") or \
            product not in ("association_chart", "family_tree"):
        abort(400)
    _record_export(op, product, fmt)
    return "", 204


@bp.get("/operations/<int:operation_id>/products/performance")
@signed_in(*POLICE_ROLES)
def performance(operation_id: int):
    op = load_or_404(Operation, operation_id)
    perf = service.performance(db_session(), op, current_user, today())
    charts = {
        "issued": service.bar_chart("Requests issued by agency", [(r["agency"], r["issued"]) for r in perf.by_agency]),
        "answered": service.bar_chart("Requests answered by agency",
                                      [(r["agency"], r["answered"]) for r in perf.by_agency]),
        "overdue": service.bar_chart("Requests overdue by agency",
                                     [(r["agency"], r["overdue"]) for r in perf.by_agency]),
        "median": service.bar_chart("Median days to answer by agency",
                                    [(r["agency"], r["median_days"] or 0) for r in perf.by_agency], unit=" days"),
        "outcomes": service.bar_chart("Partner answers: hits and no-trace", [
            ("Hit (information held)", perf.outcomes["hit"]), ("No trace", perf.outcomes["no_trace"]),
            ("Not yet answered", perf.outcomes["unanswered"])]),
        "requirements": service.bar_chart("Requirements by state", [
            (k.capitalize(), v) for k, v in perf.requirements.items()]),
        "satisfied": service.bar_chart("Requirements satisfied over time (running total by month)",
                                       perf.satisfied_by_month),
        "pillars": service.bar_chart("Interventions per 4P pillar", [
            (k.capitalize(), v) for k, v in perf.pillars.items()]),
        "reviews": service.bar_chart("Operations with reviews on time, by tier", [
            (f"Tier {r['tier']}", r["on_time"]) for r in perf.review_by_tier]),
    }
    return render_template("views/products/performance.html", op=op, perf=perf, charts=charts,
                           marking=op.classification.value)


@bp.route("/operations/<int:operation_id>/products/tasking-list", methods=["GET", "POST"])
@signed_in(*DISSEMINATORS)
def tasking_list(operation_id: int):
    op = load_or_404(Operation, operation_id, Action.DISSEMINATE)
    form = ExportForm()
    form.submit.label.text = "Record and download CSV"
    if form.validate_on_submit():
        item, text = service.export_tasking_list(
            db_session(), op, current_user, today(), lawful_basis=LawfulBasis(form.lawful_basis.data),
            purpose=form.purpose.data, necessity=form.necessity.data, recipients=form.recipients.data)
        g.audited = True
        return Response(text, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="tasking-{op.reference}-{item.id}.csv"',
            "Cache-Control": "no-store"})
    rows, marking = service.tasking_rows(db_session(), op, current_user, today())
    return render_template("views/products/tasking.html", op=op, form=form, rows=rows,
                           marking=marking.value)

from gainportal.views import associations as _associations  # noqa: E402,F401  links and family tree routes
