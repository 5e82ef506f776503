"""Matching partner answers against the nominal register on arrival.

Every nominal is considered so that a hit on a nominal the analyst may not see still
surfaces, as "restricted: refer to originator"; what an analyst is shown is filtered by
the one access mechanism when the queue is read.

Matching runs in the job worker (gainportal/jobs.py), after the submission has committed:
the index is big (hundreds of MB and 7 s of CPU at national size), so web processes never
build or hold it."""
from __future__ import annotations

import logging
import threading

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gainportal.db import utcnow
from gainportal.matching.matcher import Matcher
from gainportal.matching.records import NominalRecord
from gainportal.models import (
    Answer, InformationRequest, MatchCandidate, Nominal, NominalLink, PartnerResponse, RequestSubject,
)
from gainportal.models.matching import ANSWER_SOURCES
from gainportal.models.sealing import DataKey
from gainportal.security import sealing
from gainportal.services import audit
from gainportal.services.dates import today
from gainportal.services.sealed_rows import opened_json, opened_text

log = logging.getLogger(__name__)

_cache: dict = {}
_build_lock = threading.Lock()
# The index's caches and the phonetic/fuzzy C extensions are used by one thread at a time.
# Added while chasing a SIGSEGV of multi-threaded workers under load; it did not stop that
# crash (one thread per worker did, config/gunicorn.conf.py), so it is caution, not the fix.
_match_lock = threading.Lock()


def _fingerprint(s: Session) -> tuple:
    # Additions and removals move the counts and ids; an edit bumps the nominal's revision.
    return tuple(s.execute(select(func.count(Nominal.id), func.max(Nominal.id),
                                  func.coalesce(func.sum(Nominal.revision), 0))).one()) + tuple(
        s.execute(select(func.count(NominalLink.id), func.max(NominalLink.id))).one())


def _records(s: Session) -> tuple[list[NominalRecord], dict[str, int]]:
    """Every linked nominal's details, read with two Core queries and opened straight from the
    stored ciphertext and wrapped key. Not through ORM objects: 36,953 nominals, their data
    keys and links as ORM instances cost seconds more, and that whole-register ORM load is
    what crashed CPython 3.11 (bench/thread_crash.py, bench/README.md)."""
    first_link: dict[int, tuple[int, str]] = {}
    for nominal_id, operation_id, role in s.execute(
            select(NominalLink.nominal_id, NominalLink.operation_id, NominalLink.role).order_by(NominalLink.id)):
        first_link.setdefault(nominal_id, (operation_id, role.value))
    ring = sealing.keyring()
    records, operation_of = [], {}
    rows = s.execute(select(Nominal.id, Nominal.uid, Nominal.details_sealed, DataKey.kek_id, DataKey.wrapped)
                     .join(DataKey, DataKey.id == Nominal.data_key_id)
                     .where(Nominal.details_sealed.is_not(None)).order_by(Nominal.id))
    for nominal_id, uid, blob, kek_id, wrapped in rows:
        link = first_link.get(nominal_id)
        if link is None:
            continue
        d = _opened_or_left_out(opened_json, Nominal.__tablename__, "details", nominal_id, uid, kek_id, wrapped,
                                blob, ring)
        if d is None:
            continue
        records.append(NominalRecord(
            nominal_id=str(nominal_id), forenames=d.get("forenames") or "", surname=d.get("surname") or "",
            aliases=tuple(d.get("aliases") or ()), dob=d.get("dob"), address=d.get("address") or "",
            postcode=d.get("postcode") or "", vrms=tuple(d.get("vrms") or ()), phones=tuple(d.get("phones") or ()),
            businesses=tuple(d.get("businesses") or ()), ocg_ref=str(link[0]), role=link[1]))
        operation_of[str(nominal_id)] = link[0]
    return records, operation_of


def matcher(s: Session) -> tuple[Matcher, dict[str, int]]:
    """One in-memory index per process, rebuilt when the register changes."""
    key = (str(s.get_bind().url), _fingerprint(s))
    if _cache.get("key") != key:
        # One build per process at a time: the threads of a worker wait for it rather than
        # each building the same index.
        with _build_lock:
            if _cache.get("key") != key:
                records, operation_of = _records(s)
                _cache.update(key=key, matcher=Matcher(records, ref_date=today()), operation_of=operation_of)
    return _cache["matcher"], _cache["operation_of"]


def forget() -> None:
    _cache.clear()


def warm(app) -> int:
    """Build this process's index ahead of the first job: ``gainportal worker`` calls it
    as it starts, so the first submission's match does not wait 7 s (national size) for it."""
    from gainportal.db import db_session

    with app.app_context():
        s = db_session()
        try:
            engine, _ = matcher(s)
            # The DOB filter's tables are otherwise built by the first match (0.15-0.2 s).
            engine.index.prepare_batch()
        finally:
            s.close()
    return len(_cache.get("operation_of") or {})


def _subject_candidates(engine: Matcher, subject: dict) -> list:
    return engine.match_fields(**{k: v for k, v in subject.items()
                                  if k in ("name", "dob", "address", "postcode", "vrm", "phone")})


def _best_per_nominal(found: list) -> dict:
    """The highest-scoring candidate per nominal, the first found on a tie."""
    best: dict[str, object] = {}
    for candidate in found:
        current = best.get(candidate.nominal_id)
        if current is None or candidate.score > current.score:
            best[candidate.nominal_id] = candidate
    return best


def _match_answers(engine: Matcher, response: PartnerResponse) -> list:
    subjects = [sub.details or {} for sub in response.request.subjects]
    results = []
    for answer in response.answers:
        text = answer.text or ""
        found = engine.match_text(text) if text else []
        for subject in subjects:
            found += _subject_candidates(engine, subject)
        results.append((answer, _best_per_nominal(found)))
    return results


def _add_candidate(s: Session, answer_id: int, nominal_id: str, candidate, operation_of: dict) -> MatchCandidate:
    row = MatchCandidate(answer_id=answer_id, nominal_id=int(nominal_id),
                         operation_id=operation_of[nominal_id], score=float(candidate.score),
                         tier=candidate.tier, relationship_kind=candidate.relationship,
                         span_start=candidate.span[0] if candidate.span else None,
                         span_end=candidate.span[1] if candidate.span else None)
    row.features = candidate.features  # sealed before the insert: one INSERT, no UPDATE after it
    s.add(row)
    return row


def match_response(s: Session, response: PartnerResponse) -> int:
    """Candidates for every answer (and the request's structured subjects) in a response,
    and the response marked as matched. Run again, it adds only what is new."""
    engine, operation_of = matcher(s)
    with _match_lock:
        found_by_answer = _match_answers(engine, response)
    created = 0
    for answer, best in found_by_answer:
        for nominal_id, candidate in best.items():
            exists = s.scalar(select(MatchCandidate.id).where(MatchCandidate.answer_id == answer.id,
                                                              MatchCandidate.nominal_id == int(nominal_id)))
            if exists:
                continue
            _add_candidate(s, answer.id, nominal_id, candidate, operation_of)
            created += 1
    response.matched_at = utcnow()
    if created:
        audit.record(s, "answers_matched", object_type="partner_response", object_id=response.id,
                     detail={"candidates": created})
    return created


# Responses read, matched and written per step of a full re-match: a step's answers and their
# requests' subjects are read with two selects, not object by object. On SQLite, where a
# transaction holds the database's write lock from its start, steps are short, so a partner's
# submission never waits long behind one.
REMATCH_CHUNK = 1000
REMATCH_CHUNK_SQLITE = 50


def rematch_all(s: Session, progress=None, chunk: int | None = None) -> int:
    """Every submitted response against the register as it is now (after an import or edits):
    the candidates match_response() would make for each, made in steps of ``chunk`` responses
    (REMATCH_CHUNK, or REMATCH_CHUNK_SQLITE) with progress(done, total) after each step, where
    the caller commits. The index is built once for the run. Answers whose sealed text cannot be opened (shredded under the retention schedule)
    are left out. At national size (55,945 responses, 114,668 answers) one response at a
    time took ~50 ms each, about 46 minutes, most of it the register's fingerprint read for
    every response and each answer's key, subjects and candidates loaded one by one."""
    forget()
    engine, operation_of = matcher(s)
    ids = s.scalars(select(PartnerResponse.id).where(PartnerResponse.submitted_at.is_not(None))
                    .order_by(PartnerResponse.id)).all()
    sqlite = s.get_bind().dialect.name == "sqlite"
    created, step = 0, chunk or (REMATCH_CHUNK_SQLITE if sqlite else REMATCH_CHUNK)
    for start in range(0, len(ids), step):
        created += _rematch_chunk(s, engine, operation_of, ids[start:start + step])
        if progress:
            progress(min(start + step, len(ids)), len(ids))
    return created


def _opened_or_left_out(opener, table: str, column: str, row_id: int, uid, kek_id, wrapped, blob, ring):
    """``opener`` (sealed_rows.opened_text or opened_json) of a stored value, or None when it
    cannot be opened (shredded under the retention schedule, unreadable): nothing of it can
    be matched. The log says which row, not what."""
    try:
        return opener(table, column, uid, kek_id, wrapped, blob, ring)
    except sealing.SealedContentUnavailable as exc:
        log.warning("%s %s left out of cross-matching: %s", table, row_id, exc.reason)
        return None


def _rematch_chunk(s: Session, engine: Matcher, operation_of: dict, response_ids: list[int]) -> int:
    ring = sealing.keyring()
    answers = s.execute(
        select(Answer.id, Answer.response_id, PartnerResponse.request_id,
               InformationRequest.operation_id.label("request_operation_id"), Answer.uid, Answer.text_sealed,
               DataKey.kek_id, DataKey.wrapped)
        .join(PartnerResponse, PartnerResponse.id == Answer.response_id)
        .join(InformationRequest, InformationRequest.id == PartnerResponse.request_id)
        .outerjoin(DataKey, DataKey.id == Answer.data_key_id)
        .where(Answer.response_id.in_(response_ids)).order_by(Answer.id)).all()
    request_ids = {row.request_id for row in answers}
    subjects: dict[int, list[dict]] = {}
    if request_ids:
        for request_id, subject_id, uid, blob, kek_id, wrapped in s.execute(
                select(RequestSubject.request_id, RequestSubject.id, RequestSubject.uid, RequestSubject.details_sealed,
                       DataKey.kek_id, DataKey.wrapped)
                .outerjoin(DataKey, DataKey.id == RequestSubject.data_key_id)
                .where(RequestSubject.request_id.in_(request_ids)).order_by(RequestSubject.id)):
            details = _opened_or_left_out(opened_json, RequestSubject.__tablename__, "details", subject_id, uid,
                                          kek_id, wrapped, blob, ring)
            subjects.setdefault(request_id, []).append(details or {})
    existing = set()
    if answers:
        existing = set(s.execute(select(MatchCandidate.answer_id, MatchCandidate.nominal_id)
                                 .where(MatchCandidate.response_id.in_(response_ids))).all())
    by_subjects: dict[int, list] = {}  # a request's subjects are matched once, not once per answer
    created_for: dict[int, int] = {}
    with _match_lock:
        found_by_answer = []
        for answer_id, response_id, request_id, _request_operation_id, uid, blob, kek_id, wrapped in answers:
            text = _opened_or_left_out(opened_text, Answer.__tablename__, "text", answer_id, uid, kek_id, wrapped,
                                       blob, ring) or ""
            if request_id not in by_subjects:
                by_subjects[request_id] = [_subject_candidates(engine, subject)
                                           for subject in subjects.get(request_id, ())]
            found = engine.match_text(text) if text else []
            for from_subject in by_subjects[request_id]:
                found += from_subject
            found_by_answer.append((answer_id, response_id, _best_per_nominal(found)))
    # The answers' responses and requests were read from the database above: the candidates'
    # insert hook takes them from here instead of asking again for every row.
    s.info[ANSWER_SOURCES] = {row.id: (row.response_id, row.request_id, row.request_operation_id)
                              for row in answers}
    try:
        for answer_id, response_id, best in found_by_answer:
            for nominal_id, candidate in best.items():
                if (answer_id, int(nominal_id)) in existing:
                    continue
                _add_candidate(s, answer_id, nominal_id, candidate, operation_of)
                created_for[response_id] = created_for.get(response_id, 0) + 1
        s.flush()
    finally:
        s.info.pop(ANSWER_SOURCES, None)
    # One UPDATE for the step; the default synchronisation also sets it on any of these
    # responses already loaded in the session (sessions here keep objects past a commit).
    s.execute(update(PartnerResponse).where(PartnerResponse.id.in_(response_ids)).values(matched_at=utcnow()))
    for response_id, created in created_for.items():
        audit.record(s, "answers_matched", object_type="partner_response", object_id=response_id,
                     detail={"candidates": created})
    return sum(created_for.values())
