"""The OCG on a page as a PDF, rendered on the server so the marking sits in the margin of
every page whatever browser or printer the LRO uses, and every copy made is audited."""
from __future__ import annotations

from flask import Blueprint, Response, g, render_template
from flask_login import current_user

from gainportal.db import db_session
from gainportal.models import Operation
from gainportal.security.access import POLICE_ROLES, signed_in
from gainportal.security.permissions import load_or_404
from gainportal.services import audit
from gainportal.services import products as service
from gainportal.services.dates import today
from gainportal.services.pdf import render_pdf

bp = Blueprint("product_pdf", __name__)


@bp.get("/operations/<int:operation_id>/products/ocg-on-a-page.pdf")
@signed_in(*POLICE_ROLES)
def ocg_page_pdf(operation_id: int):
    op = load_or_404(Operation, operation_id)
    page = service.ocg_on_a_page(db_session(), op, current_user)
    produced = today()
    html = render_template("views/products/ocg_page.html", op=op, page=page, marking=page.marking,
                           today=produced)
    footer = f"{op.reference} · produced {produced:%d %B %Y} for {current_user.full_name}"
    pdf = render_pdf(html, page.marking, footer)
    audit.record(db_session(), "product_exported", object_type="operation", object_id=op.id,
                 handling={"classification": page.marking, "operation_id": op.id},
                 detail={"product": "ocg_on_a_page", "format": "pdf"})
    g.audited = True
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="ocg-on-a-page-{op.reference}.pdf"',
        "Cache-Control": "no-store"})
