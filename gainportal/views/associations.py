"""Family links, associations and OCG links: the screens to record and remove them from an
operation, the family tree product, and recording a matcher's "possible relative" as a family
link. Routes hang off the products blueprint (imported at the end of views/products.py)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.forms.common import clean_text
from gainportal.models import Classification, MatchCandidate, Nominal, NominalLink, Operation
from gainportal.models.association import LinkSource, NominalAssociation, OperationAssociation, OperationLinkKind
from gainportal.security.access import POLICE_ROLES, signed_in
from gainportal.security.association_rules import LINK_EDITORS, nominal_visible
from gainportal.security.matching_rules import nominal_visible as candidate_nominal_visible
from gainportal.security.permissions import Action, can, classifications_within, clearance_covers, load_or_404, visible
from gainportal.services import associations as service
from gainportal.services import audit
from gainportal.services import products as products_service
from gainportal.services.errors import WorkflowError
from gainportal.views.products import bp

EDITORS = tuple(LINK_EDITORS)
RELATIVE_CHOICES = [c for c in service.RELATIONSHIP_CHOICES if c[0] in
                    ("parent", "child", "sibling", "partner", "cousin", "other_relative")]


def _op_nominals(op: Operation) -> list[Nominal]:
    s = db_session()
    links = s.scalars(select(NominalLink).where(NominalLink.operation_id == op.id).order_by(NominalLink.id)).unique()
    return [link.nominal for link in links if clearance_covers(current_user, link.nominal.classification)]


def _links_page(op: Operation, errors: dict | None = None, values: dict | None = None, status: int = 200):
    s = db_session()
    nominals = _op_nominals(op)
    ids = {n.id for n in nominals}
    links = service.links_touching(s, current_user, ids)
    rows = []
    for link in links:
        first = link.nominal if link.nominal_id in ids else link.other
        rows.append((link, first, service.relation_label(link, first.id), link.other_end(first.id)))
    ocg_links = service.ocg_links_of(s, current_user, op)
    others = [o for o in s.scalars(visible(Operation, current_user).order_by(Operation.reference)).unique()
              if o.id != op.id]
    errors = errors or {}
    return render_template(
        "views/products/links.html", op=op, marking=op.classification.value, nominals=nominals, rows=rows,
        ocg_links=ocg_links, others=others, can_edit=current_user.role in LINK_EDITORS,
        relationships=service.RELATIONSHIP_CHOICES, sources=list(LinkSource),
        classifications=classifications_within(current_user), values=values or {}, errors=errors,
        error_list=[{"text": message, "href": f"#{field}"} for field, message in errors.items()],
        form=FlaskForm()), status


@bp.get("/operations/<int:operation_id>/links")
@signed_in(*POLICE_ROLES)
def links(operation_id: int):
    op = load_or_404(Operation, operation_id)
    return _links_page(op)


def _load_link(model, link_id: int):
    """load_or_404 without its offer to sign: an OCG link's ``operation_id`` names one end only,
    and a missing signature on the other end must read as a plain 404."""
    item = db_session().get(model, link_id) if 0 < link_id < 2**31 else None
    if item is None or not can(current_user, Action.EDIT, item):
        if item is not None:
            audit.record(db_session(), "edit_refused", outcome="denied", object_type=model.__tablename__,
                         object_id=link_id)
        abort(404)
    return item


def _editable_operation(operation_id: int) -> Operation:
    op = load_or_404(Operation, operation_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    return op


def _classification(value: str | None) -> Classification:
    try:
        chosen = Classification(value or Classification.OFFICIAL_SENSITIVE.value)
    except ValueError:
        raise WorkflowError("Select a protective marking")
    if chosen not in classifications_within(current_user):
        raise WorkflowError("Select a protective marking")
    return chosen


@bp.post("/operations/<int:operation_id>/links/nominals")
@signed_in(*EDITORS)
def add_nominal_link(operation_id: int):
    op = _editable_operation(operation_id)
    s = db_session()
    form = request.form
    values = {k: clean_text(form.get(k, "")) or "" for k in
              ("first", "relationship", "second", "second_reference", "source", "classification", "rationale")}
    errors: dict[str, str] = {}
    on_op = {str(n.id): n for n in _op_nominals(op)}
    first = on_op.get(values["first"])
    if first is None:
        errors["first"] = "Select a nominal on this operation"
    second = on_op.get(values["second"])
    if values["second_reference"].strip():
        second = s.scalar(select(Nominal).where(Nominal.reference == values["second_reference"].strip()))
        if second is None or not nominal_visible(current_user, second):
            second = None
            errors["second_reference"] = "No nominal you can see has that reference"
    elif second is None:
        errors["second"] = "Select the other nominal, or enter their reference"
    try:
        source = LinkSource(values["source"] or LinkSource.POLICE_RECORD.value)
    except ValueError:
        errors["source"] = "Select where this comes from"
    try:
        classification = _classification(values["classification"])
    except WorkflowError as e:
        errors["classification"] = str(e)
    if not errors:
        try:
            service.record_link(s, first, second, values["relationship"], by=current_user,
                                rationale=values["rationale"], source=source, classification=classification,
                                operation=op)
        except WorkflowError as e:
            field = ("rationale" if "why" in str(e) else "relationship" if "how" in str(e).lower() else "second")
            errors[field] = str(e)
    if errors:
        s.rollback()
        return _links_page(op, errors, values, 400)
    flash("Link recorded", "success")
    return redirect(url_for("products.links", operation_id=op.id))


@bp.route("/operations/<int:operation_id>/links/nominals/<int:link_id>/remove", methods=["GET", "POST"])
@signed_in(*EDITORS)
def remove_nominal_link(operation_id: int, link_id: int):
    op = load_or_404(Operation, operation_id)
    link = _load_link(NominalAssociation, link_id)
    on_op = {n.id for n in _op_nominals(op)}
    if not {link.nominal_id, link.other_id} & on_op:
        abort(404)
    first = link.nominal if link.nominal_id in on_op else link.other
    summary = f"{first.display_name} ({first.reference}): {service.describe(link, first.id)}"
    return _remove(op, link, summary, lambda reason: service.remove_link(db_session(), link, by=current_user,
                                                                         reason=reason, operation=op))


def _remove(op: Operation, link, summary: str, remove):
    """A confirmation page asking why; the removal and its reason go to the audit trail and
    the decision log."""
    error = None
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            remove(clean_text(request.form.get("reason", "")) or "")
        except WorkflowError as e:
            error = str(e)
            db_session().rollback()
        else:
            flash("Link removed", "success")
            return redirect(url_for("products.links", operation_id=op.id))
    return render_template("views/products/remove_link.html", op=op, link=link, summary=summary, error=error,
                           marking=op.classification.value,
                           error_list=[{"text": error, "href": "#reason"}] if error else []), (400 if error else 200)


@bp.post("/operations/<int:operation_id>/links/ocgs")
@signed_in(*EDITORS)
def add_ocg_link(operation_id: int):
    op = _editable_operation(operation_id)
    s = db_session()
    values = {k: clean_text(request.form.get(k, "")) or "" for k in ("other_operation", "ocg_kind", "note",
                                                                       "ocg_classification")}
    errors: dict[str, str] = {}
    other = s.get(Operation, int(values["other_operation"])) if values["other_operation"].isdigit() \
        and len(values["other_operation"]) < 10 else None
    if other is None or other.id == op.id or not can(current_user, Action.VIEW, other):
        errors["other_operation"] = "Select another operation you can see"
    try:
        kind = OperationLinkKind(values["ocg_kind"])
    except ValueError:
        errors["ocg_kind"] = "Select linked OCG or rival OCG"
    try:
        classification = _classification(values["ocg_classification"])
    except WorkflowError as e:
        errors["ocg_classification"] = str(e)
    if not errors:
        try:
            service.record_ocg_link(s, op, other, kind, by=current_user, note=values["note"],
                                    classification=classification)
        except WorkflowError as e:
            errors["note" if "note" in str(e) else "other_operation"] = str(e)
    if errors:
        s.rollback()
        return _links_page(op, errors, values, 400)
    flash("OCG link recorded", "success")
    return redirect(url_for("products.links", operation_id=op.id))


@bp.route("/operations/<int:operation_id>/links/ocgs/<int:link_id>/remove", methods=["GET", "POST"])
@signed_in(*EDITORS)
def remove_ocg_link(operation_id: int, link_id: int):
    op = load_or_404(Operation, operation_id)
    link = _load_link(OperationAssociation, link_id)
    if op.id not in (link.operation_id, link.other_id):
        abort(404)
    other = link.other_end(op.id)
    summary = f"{link.kind.label}: {other.reference} {other.name}"
    return _remove(op, link, summary, lambda reason: service.remove_ocg_link(db_session(), link, op, by=current_user,
                                                                             reason=reason))


# --- family tree --------------------------------------------------------------------------------
@bp.get("/operations/<int:operation_id>/products/family-tree")
@signed_in(*POLICE_ROLES)
def family_tree(operation_id: int):
    op = load_or_404(Operation, operation_id)
    tree = products_service.family_tree(db_session(), op, current_user)
    return render_template("views/products/family_tree.html", op=op, tree=tree, marking=tree.marking,
                           data={"nodes": tree.nodes, "edges": tree.edges, "marking": tree.marking,
                                 "reference": tree.reference})


# --- a matcher's "possible relative" -------------------------------------------------------------
@bp.route("/matches/<int:candidate_id>/relative", methods=["GET", "POST"])
@signed_in(*EDITORS)
def relative_from_match(candidate_id: int):
    """Offered after an analyst confirms a "possible relative" candidate: record the person the
    partner mentioned as a relative of the nominal (a family link)."""
    candidate = load_or_404(MatchCandidate, candidate_id, Action.MATCH)
    if candidate.status != "confirmed" or candidate.relationship_kind != "possible_associate" \
            or not candidate_nominal_visible(current_user, candidate):
        abort(404)
    s = db_session()
    op = load_or_404(Operation, candidate.operation_id)
    nominals = [n for n in _op_nominals(op) if n.id != candidate.nominal_id]
    text = candidate.answer.text or ""
    mentioned = text[candidate.span_start:candidate.span_end] \
        if candidate.span_start is not None and candidate.span_end is not None else ""
    parts = mentioned.replace(",", " ").split()
    values = {"existing": "", "forenames": " ".join(parts[:-1]) if len(parts) > 1 else "",
              "surname": parts[-1] if parts else "", "relationship": "", "rationale": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        values = {k: clean_text(request.form.get(k, "")) or "" for k in values}
        existing = {str(n.id): n for n in nominals}.get(values["existing"])
        if values["existing"] and existing is None:
            errors["existing"] = "Select a nominal on this operation"
        if values["relationship"] not in dict(RELATIVE_CHOICES):
            errors["relationship"] = "Select how they are related"
        if not errors:
            try:
                service.relative_from_candidate(
                    s, candidate, op, relationship=values["relationship"], by=current_user,
                    rationale=values["rationale"], existing=existing,
                    new=service.NewRelative(values["forenames"], values["surname"]))
            except WorkflowError as e:
                errors["rationale" if "why" in str(e) else "surname" if "surname" in str(e) else "existing"] = str(e)
        if not errors:
            flash("Family link recorded", "success")
            return redirect(url_for("products.links", operation_id=op.id))
        s.rollback()
    return render_template("views/products/relative.html", op=op, candidate=candidate, nominals=nominals,
                           values=values, errors=errors, relationships=RELATIVE_CHOICES,
                           error_list=[{"text": m, "href": f"#{f}"} for f, m in errors.items()],
                           marking=op.classification.value, form=FlaskForm()), (400 if errors else 200)
