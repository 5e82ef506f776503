"""The demo's cross-matching: seeded in one transaction, before any matching job could run,
it must still show matches the matcher found (with their evidence), not only hand-made ones."""
from __future__ import annotations

from sqlalchemy import func, select

from gainportal.db import db_session
from gainportal.models import MatchCandidate, Nominal, PartnerResponse


def test_demo_shows_confirmed_matches_found_by_the_matcher(app):
    from gainportal import demo

    with app.app_context():
        assert demo.seed(echo=lambda *_: None)
        s = db_session()
        confirmed = s.scalars(select(MatchCandidate).where(MatchCandidate.status == "confirmed")).all()
        assert len(confirmed) >= 4
        gary = next(n for n in s.scalars(select(Nominal)) if n.reference == "NOM-000101")
        found = [c for c in confirmed if c.nominal_id == gary.id]
        # Found by the matcher: it records the features that agreed (a hand-made link has none).
        assert found and found[0].features and found[0].features.get("surname") == "exact"
        assert s.scalar(select(func.count()).select_from(PartnerResponse).where(
            PartnerResponse.submitted_at.is_not(None), PartnerResponse.matched_at.is_(None))) == 0
