"""Analysts: the nominal register import and the cross-match review queue."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from gainportal import jobs
from gainportal.db import db_session, utcnow
from gainportal.forms.common import clean_text
from gainportal.models import Answer, InformationRequest, MatchCandidate, Operation, PartnerResponse, Role
from gainportal.security.access import signed_in
from gainportal.security.matching_rules import nominal_visible
from gainportal.security.permissions import Action, classifications_within, load_or_404, visible, visible_to
from gainportal.services import audit, answer_matching, nominal_register
from gainportal.services.listing import page_rows
from gainportal.services.operations import log_decision

bp = Blueprint("matching", __name__)
log = logging.getLogger("gainportal.matching")
ANALYSTS = (Role.ANALYST, Role.SUPERVISOR)
PAGE_SIZE = 50


def highlighted(text: str, start: int | None, end: int | None) -> Markup:
    """The answer with the words a candidate came from marked, so the evidence is visible."""
    text = text or ""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return escape(text)
    return escape(text[:start]) + Markup("<mark>") + escape(text[start:end]) + Markup("</mark>") + escape(text[end:])


@bp.get("/matches")
@signed_in(*ANALYSTS)
def queue():
    s = db_session()
    rows = page_rows(s, select(MatchCandidate).where(visible_to(current_user, MatchCandidate),
                                                     MatchCandidate.status == "pending")
                     .order_by(MatchCandidate.tier.desc(), MatchCandidate.score.desc(), MatchCandidate.id),
                     MatchCandidate, limit=PAGE_SIZE,
                     options=[joinedload(MatchCandidate.answer).selectinload(Answer.response)])
    # The operations behind the candidates in one query: nominal_visible() then finds each
    # in the session instead of loading it on its own.
    s.scalars(select(Operation).where(Operation.id.in_({c.operation_id for c in rows}))).unique().all()
    items = [(c, nominal_visible(current_user, c)) for c in rows]
    return render_template("views/matching/queue.html", items=items, highlighted=highlighted, form=FlaskForm(),
                           rematch=_rematch_progress(), waiting=_answers_waiting(s))


def _answers_waiting(s) -> int:
    """Submitted answers the analyst may see that the job worker has yet to check against
    the register. The candidate rule's own terms (gainportal/security/matching_rules.py):
    the request visible to the analyst, the partner's marking within their clearance."""
    unmatched = (PartnerResponse.matched_at.is_(None), PartnerResponse.submitted_at.is_not(None))
    # Usually none are waiting: the partial index answers that at once (0.03 ms at national
    # size on PostgreSQL; the ORDER BY is what makes the planner walk it rather than scan the
    # table, 30 ms), where working out the analyst's visible requests costs ~13 ms.
    if s.scalar(select(PartnerResponse.id).where(*unmatched).order_by(PartnerResponse.submitted_at)
                .limit(1)) is None:
        return 0
    visible_requests = select(InformationRequest.id).where(visible_to(current_user, InformationRequest))
    return s.scalar(select(func.count(Answer.id))
                    .join(PartnerResponse, PartnerResponse.id == Answer.response_id)
                    .where(*unmatched, PartnerResponse.request_id.in_(visible_requests),
                           PartnerResponse.classification.in_(classifications_within(current_user))))


@bp.post("/matches/<int:candidate_id>/<any(confirm, reject):decision>")
@signed_in(*ANALYSTS)
def decide(candidate_id: int, decision: str):
    candidate = load_or_404(MatchCandidate, candidate_id, Action.MATCH)
    rationale = (clean_text(request.form.get("rationale", "")) or "")[:2000]
    if not nominal_visible(current_user, candidate):
        flash("This candidate is restricted. Refer it to the originator of the nominal.", "error")
        return redirect(url_for("matching.queue"))
    if not rationale:
        flash("Enter the reason for your decision", "error")
        return redirect(url_for("matching.queue", _anchor=f"candidate-{candidate.id}"))
    s = db_session()
    if candidate.status != "pending":
        flash("This candidate has already been decided", "error")
        return redirect(url_for("matching.queue"))
    candidate.status = "confirmed" if decision == "confirm" else "rejected"
    candidate.decided_by_id, candidate.decided_at = current_user.id, utcnow()
    candidate.rationale = rationale
    op = s.get(Operation, candidate.operation_id)
    log_decision(s, op, subject_type="match_candidate", subject_id=candidate.id,
                 decision=f"match_{candidate.status}", rationale=rationale, by=current_user)
    audit.record(s, f"match_{candidate.status}", object_type="match_candidate", object_id=candidate.id,
                 detail={"nominal_id": candidate.nominal_id, "answer_id": candidate.answer_id})
    flash(f"Match {candidate.status}", "success")
    if candidate.status == "confirmed" and candidate.relationship_kind == "possible_associate":
        return redirect(url_for("products.relative_from_match", candidate_id=candidate.id))  # offer a family link
    return redirect(url_for("matching.queue"))


@bp.post("/matches/rematch")
@signed_in(*ANALYSTS)
def rematch():
    """Queue a re-match of every answer for the background worker; the queue page shows
    its progress."""
    if FlaskForm().validate_on_submit():
        s = db_session()
        # In immediate mode the job runs here, in a session of its own: on SQLite this
        # request must not be holding the write lock while it does.
        s.commit()
        started, _status = jobs.start_rematch(current_app.config["SETTINGS"], current_user.id)
        audit.record(s, "rematch_requested", detail={"started": started})
        if started:
            flash("Re-matching has started. Its progress is shown below.", "success")
        else:
            flash("A re-match is already running. Its progress is shown below.", "success")
    return redirect(url_for("matching.queue", _anchor="rematch"))


def _rematch_progress() -> dict | None:
    try:
        status = jobs.rematch_status(jobs.huey_for(current_app.config["SETTINGS"]))
    except Exception:  # noqa: BLE001 - the queue must still show if the job store is down
        log.exception("could not read the re-match status")
        return {"state": "unknown"}
    if not status:
        return None
    total, done = status.get("total"), status.get("done") or 0
    percent = int(100 * done / total) if total else (100 if status["state"] == "done" else 0)
    return {**status, "percent": percent}


@bp.route("/nominals/import", methods=["GET", "POST"])
@signed_in(*ANALYSTS)
def import_nominals():
    s = db_session()
    operations = {op.reference: op for op in s.scalars(visible(Operation, current_user))}
    result, text = None, ""
    if request.method == "POST" and FlaskForm().validate_on_submit():
        upload = request.files.get("file")
        raw = upload.read(5 * 1024 * 1024 + 1) if upload and upload.filename else request.form.get("csv", "").encode()
        if len(raw) > 5 * 1024 * 1024:
            flash("The file must be smaller than 5MB", "error")
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                flash("The file must be a CSV saved as UTF-8", "error")
            else:
                commit = request.form.get("action") == "import"
                result = nominal_register.import_csv(s, text, operations, current_user, commit=commit)
                if commit:
                    answer_matching.forget()
                    flash(f"{result.imported} nominals imported; {len(result.errors)} rows need correcting", "success")
    return render_template("views/matching/import.html", result=result, text=text, form=FlaskForm(),
                           columns=nominal_register.CSV_COLUMNS)
