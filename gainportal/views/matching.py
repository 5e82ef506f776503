"""Analysts: the nominal register import and the cross-match review queue."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlalchemy import bindparam, func, select, true

from gainportal import jobs
from gainportal.db import db_session, utcnow
from gainportal.forms.common import clean_text
from gainportal.models import (
    Agency, Answer, InformationRequest, MatchCandidate, Nominal, Operation, PartnerResponse, Role,
)
from gainportal.models.operation import nominal_display_name
from gainportal.models.sealing import DataKey
from gainportal.security.access import signed_in
from gainportal.security.matching_rules import nominal_visible, nominal_visible_by_values
from gainportal.security.permissions import Action, classifications_within, load_or_404, visible, visible_to
from gainportal.security.sealing import keyring
from gainportal.services import audit, answer_matching, nominal_register
from gainportal.services.sealed_rows import opened_json, opened_text
from gainportal.services.operations import log_decision
from gainportal.views.paging import page_total, requested_page

bp = Blueprint("matching", __name__)
log = logging.getLogger("gainportal.matching")
ANALYSTS = (Role.ANALYST, Role.SUPERVISOR)
# Strongest first, a page at a time: every card carries the answer's text and a decision form.
PAGE_SIZE = 20
WAITING_LISTED = 200  # waiting responses named in the count's query; beyond, counted without


def highlighted(text: str, start: int | None, end: int | None) -> Markup:
    """The answer with the words a candidate came from marked, so the evidence is visible."""
    text = text or ""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return escape(text)
    return escape(text[:start]) + Markup("<mark>") + escape(text[start:end]) + Markup("</mark>") + escape(text[end:])


@dataclass(frozen=True)
class QueueItem:
    """One candidate as the queue shows it. The nominal's name and reference and the
    match evidence are filled in only when the analyst may see the nominal."""
    id: int
    tier: str
    relationship_kind: str
    score: float
    evidence: Markup
    source_agency: str
    request_reference: str
    can_see: bool
    nominal_name: str = ""
    nominal_reference: str = ""
    features: dict = field(default_factory=dict)

    @property
    def evidence_line(self) -> str:
        """The features the score came from, "name 1.0; dob 1.0": one string for the
        template to escape rather than two outputs per feature."""
        return "; ".join(f"{name.replace('_', ' ')} {value}" for name, value in self.features.items())


@bp.get("/matches")
@signed_in(*ANALYSTS)
def queue():
    s = db_session()
    page = requested_page()
    pending = (select(MatchCandidate.id, func.count().over().label("total"))
               .where(visible_to(current_user, MatchCandidate), MatchCandidate.status == "pending"))
    rows = s.execute(pending.order_by(MatchCandidate.tier.desc(), MatchCandidate.score.desc(), MatchCandidate.id)
                     .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("views/matching/queue.html", items=_queue_items(s, [r.id for r in rows]),
                           form=FlaskForm(), rematch=_rematch_progress(), waiting=_answers_waiting(s),
                           page=page, page_size=PAGE_SIZE,
                           total=page_total(s, rows, page, pending, MatchCandidate.id))


@lru_cache(maxsize=1)
def _queue_rows_statement():
    """The queue rows' select, built once (building it cost 1.5-3 ms of CPU a page view).
    Their data keys come in a second select: with the key table joined three more times
    PostgreSQL spent ~4 ms planning nine tables to run them in 1 ms."""
    return (
        select(MatchCandidate.id, MatchCandidate.tier, MatchCandidate.relationship_kind, MatchCandidate.score,
               MatchCandidate.span_start, MatchCandidate.span_end, MatchCandidate.operation_id,
               MatchCandidate.uid, MatchCandidate.features_sealed, MatchCandidate.data_key_id.label("candidate_key"),
               Answer.uid, Answer.text_sealed, Answer.data_key_id.label("answer_key"),
               Nominal.classification, Nominal.reference, Nominal.uid, Nominal.details_sealed,
               Nominal.data_key_id.label("nominal_key"),
               InformationRequest.reference, Agency.name,
               Operation.owning_agency_id, Operation.classification.label("operation_classification"))
        .join(Answer, Answer.id == MatchCandidate.answer_id)
        .join(InformationRequest, InformationRequest.id == MatchCandidate.request_id)  # the answer's, copied
        .join(Agency, Agency.id == InformationRequest.agency_id)
        .join(Nominal, Nominal.id == MatchCandidate.nominal_id)
        .join(Operation, Operation.id == MatchCandidate.operation_id)  # the nominal's
        .where(MatchCandidate.id.in_(bindparam("ids", expanding=True))))


@lru_cache(maxsize=1)
def _data_keys_statement():
    return select(DataKey.id, DataKey.kek_id, DataKey.wrapped).where(DataKey.id.in_(bindparam("ids", expanding=True)))


def _queue_items(s, ids: list[int]) -> list[QueueItem]:
    """The page's candidates from one Core select of the columns shown (ORM rows of these
    drag their answer's question, response, request, operation and agencies, ~40 ms at
    national size). Sealed values are opened only where they are shown."""
    if not ids:
        return []
    rows = s.execute(_queue_rows_statement(), {"ids": ids}).all()
    key_ids = {k for r in rows for k in (r.candidate_key, r.answer_key, r.nominal_key) if k is not None}
    keys = {k: (kek, wrapped) for k, kek, wrapped in
            (s.execute(_data_keys_statement(), {"ids": list(key_ids)}).all() if key_ids else ())}
    ring = keyring()
    user = current_user._get_current_object()  # not the proxy, once per candidate
    seen: dict[tuple, bool] = {}  # nominal visibility by (operation, marking): many candidates share one
    by_id = {}
    no_key = (None, None)
    for (cid, tier, kind, score, start, end, operation_id, c_uid, c_blob, c_key,
         a_uid, a_blob, a_key, n_class, n_ref, n_uid, n_blob, n_key, req_ref, agency_name,
         op_agency_id, op_class) in rows:
        (c_kek, c_wrapped), (a_kek, a_wrapped), (n_kek, n_wrapped) = (keys.get(c_key, no_key), keys.get(a_key, no_key),
                                                                      keys.get(n_key, no_key))
        # The operation rule on the columns selected with the row: loading the 20 operations
        # as objects for can() took a statement and ~5% of the page.
        if (operation_id, n_class) not in seen:
            seen[operation_id, n_class] = nominal_visible_by_values(user, n_class, operation_id, op_agency_id,
                                                                    op_class)
        can_see = seen[operation_id, n_class]
        text = opened_text(Answer.__tablename__, "text", a_uid, a_kek, a_wrapped, a_blob, ring)
        item = dict(id=cid, tier=tier, relationship_kind=kind, score=score, evidence=highlighted(text, start, end),
                    source_agency=agency_name, request_reference=req_ref, can_see=can_see)
        if can_see:
            details = opened_json(Nominal.__tablename__, "details", n_uid, n_kek, n_wrapped, n_blob, ring) or {}
            item.update(nominal_name=nominal_display_name(details), nominal_reference=n_ref,
                        features=opened_json(MatchCandidate.__tablename__, "features", c_uid, c_kek, c_wrapped,
                                             c_blob, ring) or {})
        by_id[cid] = QueueItem(**item)
    return [by_id[i] for i in ids if i in by_id]


def _answers_waiting(s) -> int:
    """Submitted answers the analyst may see that the job worker has yet to check against
    the register. The candidate rule's own terms (gainportal/security/matching_rules.py):
    the request visible to the analyst, the partner's marking within their clearance."""
    unmatched = (PartnerResponse.matched_at.is_(None), PartnerResponse.submitted_at.is_not(None))
    # Usually none or a handful are waiting: the partial index lists them at once (0.03 ms at
    # national size on PostgreSQL; the ORDER BY is what makes the planner walk it rather than
    # scan the table, 30 ms). The rule is then applied to those responses' own requests;
    # left to the planner, it worked out every request the analyst may see first (~2,000 at
    # national size, 8 ms) to find the one or two waiting among them.
    waiting = s.scalars(select(PartnerResponse.id).where(*unmatched).order_by(PartnerResponse.submitted_at)
                        .limit(WAITING_LISTED + 1)).all()
    if not waiting:
        return 0
    backlog = len(waiting) > WAITING_LISTED  # the worker is behind: count them all the long way
    return s.scalar(select(func.count(Answer.id))
                    .join(PartnerResponse, PartnerResponse.id == Answer.response_id)
                    .join(InformationRequest, InformationRequest.id == PartnerResponse.request_id)
                    .where(*unmatched, visible_to(current_user, InformationRequest),
                           PartnerResponse.classification.in_(classifications_within(current_user)),
                           true() if backlog else PartnerResponse.id.in_(waiting)))


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
    # The rationale is about the nominal and the partner's answer: the higher of their markings.
    marking = max(candidate.nominal.classification, candidate.answer.response.classification,
                  key=lambda c: c.rank)
    log_decision(s, op, subject_type="match_candidate", subject_id=candidate.id,
                 decision=f"match_{candidate.status}", rationale=rationale, by=current_user, marking=marking)
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
