"""A full re-match (read in steps, the register's index built once) makes exactly the
candidates that matching each response on its own makes."""
from __future__ import annotations

import shutil

from sqlalchemy import delete, func, select, update

from tests.conftest import TEST_SECRET_KEY, _empty_postgres
from gainportal import create_app, scale_seed
from gainportal.db import db_session
from gainportal.models import Answer, MatchCandidate, Nominal, PartnerResponse, RequestSubject
from gainportal.scale_seed import Sizes
from gainportal.services import answer_matching
from gainportal.settings import load_settings

WORLD = Sizes(forces=2, partners=6, users=40, operations=8, nominals=120, requests=140)


def _app(backend, schema_url, tmp_path):
    if backend == "sqlite":
        path = tmp_path / "world.db"
        shutil.copyfile(schema_url.removeprefix("sqlite:///"), path)
        url = f"sqlite:///{path}"
    else:
        _empty_postgres(schema_url)
        url = schema_url
    app = create_app(load_settings("test", database_url=url, instance_path=tmp_path / "world",
                                   secret_key=TEST_SECRET_KEY))
    with app.app_context():
        s = db_session()
        scale_seed.run(s, WORLD, seed=5, progress=False)
        # Partners' answers that name register people, as the guidance's examples do.
        nominals = s.scalars(select(Nominal).order_by(Nominal.id)).all()
        answers = s.scalars(select(Answer).join(PartnerResponse, PartnerResponse.id == Answer.response_id)
                            .where(PartnerResponse.submitted_at.is_not(None)).order_by(Answer.id)).all()
        for i, answer in enumerate(answers[::3][:40]):
            d = nominals[(i * 7) % len(nominals)].details or {}
            answer.text = (f"{d.get('forenames', '')} {d.get('surname', '')} (born {d.get('dob') or 'unknown'}) "
                           f"rents the unit at {d.get('postcode', '')}; a van {', '.join(d.get('vrms') or [])} is parked there.")
        # Requests that ask about register people by their details (structured subjects).
        asked = s.scalars(select(PartnerResponse.request_id).where(PartnerResponse.submitted_at.is_not(None))
                          .order_by(PartnerResponse.id)).all()
        for i, request_id in enumerate(asked[1::4][:12]):
            d = nominals[(i * 11 + 3) % len(nominals)].details or {}
            s.add(RequestSubject(request_id=request_id, details={
                "name": f"{d.get('forenames', '')} {d.get('surname', '')}", "dob": d.get("dob") or ""}))
        s.commit()
    return app


def _candidates(s) -> set[tuple]:
    return {(c.answer_id, c.nominal_id, c.operation_id, c.tier, c.relationship_kind, round(c.score, 9),
             c.span_start, c.span_end, c.request_id, c.response_id, tuple(sorted((c.features or {}).items())))
            for c in s.scalars(select(MatchCandidate))}


def _forget_all(s) -> None:
    s.execute(delete(MatchCandidate))
    s.execute(update(PartnerResponse).values(matched_at=None))
    s.commit()


def test_rematch_in_steps_makes_what_matching_each_response_makes(backend, schema_url, tmp_path):
    app = _app(backend, schema_url, tmp_path)
    try:
        with app.app_context():
            s = db_session()
            submitted = s.scalars(select(PartnerResponse).where(PartnerResponse.submitted_at.is_not(None))
                                  .order_by(PartnerResponse.id)).all()
            assert len(submitted) > 20
            _forget_all(s)
            for response in s.scalars(select(PartnerResponse).where(PartnerResponse.submitted_at.is_not(None))):
                answer_matching.match_response(s, response)
            s.commit()
            one_by_one = _candidates(s)
            assert len(one_by_one) > 40, len(one_by_one)  # the answers name register people

            _forget_all(s)
            steps = []  # several steps, a short last one
            created = answer_matching.rematch_all(s, lambda done, total: steps.append((done, total)), chunk=7)
            s.commit()
            assert _candidates(s) == one_by_one
            assert created == len(one_by_one)
            total = len(submitted)
            assert steps[-1] == (total, total) and len(steps) == -(-total // 7)
            assert s.scalar(select(func.count()).select_from(PartnerResponse).where(
                PartnerResponse.submitted_at.is_not(None), PartnerResponse.matched_at.is_(None))) == 0

            # Run again with nothing changed: nothing new, nothing doubled.
            assert answer_matching.rematch_all(s) == 0
            s.commit()
            assert _candidates(s) == one_by_one
    finally:
        app.extensions["gainportal_db"].engine.dispose()
