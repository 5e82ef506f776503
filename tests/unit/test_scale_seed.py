"""gainportal seed-scale at a small size, on both databases: what it makes, that sensitive
values are sealed with the real code and open again, that the load-test accounts sign in,
and that a run killed part-way continues to exactly what one uninterrupted run makes."""
from __future__ import annotations

import json
import stat

import pyotp
import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_SECRET_KEY, post_form
from gainportal import create_app, scale_seed
from gainportal.db import db_session
from gainportal.migrate import upgrade
from gainportal.models import (
    Agency, Answer, AnswerOutcome, DecisionLogEntry, InformationRequest, Intervention, Nominal, NominalKey, NominalLink, Operation,
    PartnerResponse, RequestQuestion, RequestState, ResponseState, Role, User,
)
from gainportal.models.circulation import Circulation, CirculationResult
from gainportal.models.indoctrination import Indoctrination
from gainportal.models.matching import MatchCandidate
from gainportal.scale_seed import Sizes
from gainportal.security import totp
from gainportal.services import audit, nominal_register
from gainportal.settings import load_settings

SMALL = Sizes(forces=2, partners=8, users=60, operations=14, nominals=90, requests=160)


def _count(s, model, *where):
    return s.scalar(select(func.count()).select_from(model).where(*where))


def fingerprint(s) -> dict:
    """Everything a reader would see, opened from the seals: equal fingerprints mean equal data."""
    ops = {o.id: o.reference for o in s.scalars(select(Operation))}
    users = dict(s.execute(select(User.id, User.email)).all())
    requests = {r.id: r for r in s.scalars(select(InformationRequest))}
    questions = {q.id: q for q in s.scalars(select(RequestQuestion))}
    return {
        "operations": sorted((o.reference, o.name, o.summary, o.classification.value, o.lro.email)
                             for o in s.scalars(select(Operation))),
        "requests": sorted((r.reference, ops[r.operation_id], r.state.value, r.deadline.isoformat(), r.purpose,
                            r.state_reason) for r in requests.values()),
        "questions": sorted((requests[q.request_id].reference, q.position, q.heading.value, q.text,
                             users.get(q.assigned_to_id)) for q in questions.values()),
        "answers": sorted((requests[a.response.request_id].reference, questions[a.question_id].position,
                           a.outcome.value, a.text or "") for a in s.scalars(select(Answer))),
        "nominals": sorted((n.reference, json.dumps(n.details, sort_keys=True)) for n in s.scalars(select(Nominal))),
        "links": sorted((ops[link.operation_id], link.nominal.reference, link.role.value)
                        for link in s.scalars(select(NominalLink))),
        "circulations": sorted((c.reference, c.state.value, c.purpose, tuple(sorted(json.dumps(x.details, sort_keys=True)
                                                                                  for x in c.subjects)))
                               for c in s.scalars(select(Circulation))),
        "results": sorted((r.target.circulation.reference, r.target.agency.code, r.subject.position, r.outcome.value)
                          for r in s.scalars(select(CirculationResult))),
        "candidates": sorted((requests[c.answer.response.request_id].reference, c.nominal.reference, c.status, c.score,
                              json.dumps(c.features, sort_keys=True)) for c in s.scalars(select(MatchCandidate))),
        "decisions": sorted((ops[d.operation_id], d.subject_type, d.decision, d.rationale)
                            for d in s.scalars(select(DecisionLogEntry))),
        "interventions": sorted((ops[i.operation_id], requests[i.request_id].reference, i.pillar, i.action)
                                for i in s.scalars(select(Intervention))),
        "register": sorted((ops[r.operation_id], users[r.user_id], r.agreement_id is not None, r.revoked_at is not None)
                           for r in s.scalars(select(Indoctrination))),
    }


def test_small_world_is_complete_sealed_and_signs_in(app, tmp_path):
    creds = tmp_path / "scale-users.json"
    with app.app_context():
        s = db_session()
        scale_seed.run(s, SMALL, seed=3, credentials=creds, progress=False)
        assert _count(s, Agency, Agency.code.like("SC-%")) == SMALL.forces + SMALL.partners
        assert _count(s, User) == SMALL.users
        assert _count(s, Operation) == SMALL.operations
        assert _count(s, Nominal) == SMALL.nominals
        assert _count(s, InformationRequest) == SMALL.requests
        assert _count(s, Circulation) > 0 and _count(s, CirculationResult) > 0
        assert _count(s, MatchCandidate, MatchCandidate.status == "pending") > 0
        assert _count(s, DecisionLogEntry) > 0 and _count(s, Intervention) > 0
        # Every role exists, every nominal is linked to an operation, every request has questions.
        assert {r for (r,) in s.execute(select(User.role).distinct())} == set(Role)
        assert _count(s, Nominal, ~Nominal.id.in_(select(NominalLink.nominal_id))) == 0
        assert _count(s, InformationRequest, ~InformationRequest.id.in_(select(RequestQuestion.request_id))) == 0
        states = {st for (st,) in s.execute(select(InformationRequest.state).distinct())}
        assert states == set(RequestState)
        # Answered requests carry a submitted answer for every question, sealed; "no trace" has no text.
        answered = s.scalars(select(InformationRequest).where(InformationRequest.state == RequestState.ANSWERED)).all()
        for req in answered:
            response = s.scalar(select(PartnerResponse).where(PartnerResponse.request_id == req.id))
            assert response.state in (ResponseState.SUBMITTED, ResponseState.GRADED)
            assert {a.question_id for a in response.answers} == {q.id for q in req.questions}
        # The seed makes its own candidates, so the job worker's sweep must not re-match 100,000 answers.
        assert _count(s, PartnerResponse, PartnerResponse.submitted_at.is_not(None),
                      PartnerResponse.matched_at.is_(None)) == 0
        texts = s.scalars(select(Answer).where(Answer.outcome == AnswerOutcome.ANSWERED)).all()
        assert texts
        for answer in texts:
            plain = answer.text
            assert plain and plain.encode() not in answer.text_sealed
            assert answer.data_key is not None and answer.data_key.owner_uid == answer.uid
        assert all(a.text is None for a in s.scalars(select(Answer).where(Answer.outcome == AnswerOutcome.NO_TRACE)))
        # The register's blind indexes are the ones the service would write.
        nominal = s.scalars(select(Nominal).order_by(Nominal.id)).first()
        stored = set(s.execute(select(NominalKey.kind, NominalKey.digest).where(NominalKey.nominal_id == nominal.id)).all())
        assert stored == nominal_register.keys_for(nominal.details)
        ok, problems = audit.verify_chain(s)
        assert problems == []
    # The credentials file is private and its accounts sign in with password and TOTP.
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    body = json.loads(creds.read_text())
    assert {u["role"] for u in body["users"]} == {r.value for r in Role}
    for entry in (next(u for u in body["users"] if u["role"] == role) for role in ("lro", "partner_spoc")):
        with app.app_context():
            user = db_session().scalar(select(User).where(User.email == entry["email"]))
            assert totp.open_secret(user.id, user.totp_secret_sealed) == entry["totp_secret"]
        client = app.test_client()
        r = post_form(client, "/sign-in", {"email": entry["email"], "password": body["password"]})
        assert r.status_code == 302 and r.headers["Location"].endswith("/sign-in/security-code")
        r = post_form(client, "/sign-in/security-code", {"code": pyotp.TOTP(entry["totp_secret"]).now()})
        assert r.status_code == 302
        assert client.get("/").status_code == 200


def test_interrupted_run_continues_to_the_same_data(app, tmp_path, monkeypatch):
    # Small batches, so the run is many batches and the failure lands in the middle of one.
    monkeypatch.setattr(scale_seed, "OP_BATCH", 5)
    monkeypatch.setattr(scale_seed, "NOMINAL_BATCH", 25)
    monkeypatch.setattr(scale_seed, "REQUEST_BATCH", 40)
    real_mark, calls = scale_seed._mark, [0]

    def failing_mark(s, phase, batch, rows):
        calls[0] += 1
        if phase == "requests" and batch == 2:  # rows of this batch are flushed, not committed
            raise RuntimeError("killed mid-batch")
        real_mark(s, phase, batch, rows)

    with app.app_context():
        s = db_session()
        monkeypatch.setattr(scale_seed, "_mark", failing_mark)
        with pytest.raises(RuntimeError, match="killed mid-batch"):
            scale_seed.run(s, SMALL, seed=5, progress=False)
        s.rollback()
        assert _count(s, InformationRequest) == 2 * 40  # two whole batches, nothing of the third
        monkeypatch.setattr(scale_seed, "_mark", real_mark)
    with app.app_context():
        s = db_session()
        with pytest.raises(scale_seed.Interrupted):
            scale_seed.run(s, SMALL, seed=5, progress=False, stop_after=1)
        assert _count(s, InformationRequest) == 3 * 40
    with app.app_context():
        s = db_session()
        scale_seed.run(s, SMALL, seed=5, progress=False)
        assert _count(s, InformationRequest) == SMALL.requests
        resumed = fingerprint(s)
        assert audit.verify_chain(s)[1] == []
        # A different size in the same database is refused rather than mixed in.
        with pytest.raises(Exception, match="another size"):
            scale_seed.run(s, Sizes.scaled(0.01), seed=5, progress=False)

    # One uninterrupted run (same batch sizes) in a fresh SQLite database makes the same world.
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    fresh_app = create_app(load_settings("test", database_url=url, instance_path=tmp_path / "fresh",
                                         secret_key=TEST_SECRET_KEY))
    try:
        with fresh_app.app_context():
            s = db_session()
            scale_seed.run(s, SMALL, seed=5, progress=False)
            assert fingerprint(s) == resumed
    finally:
        fresh_app.extensions["gainportal_db"].engine.dispose()
