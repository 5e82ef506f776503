"""The cross-match queue a page at a time: strongest first, how many there are, and the way
to the rest (it once showed the top fifty and nothing beyond)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import Clearance, MatchCandidate, PartnerResponse, Role
from gainportal.views import matching as matching_views
from tests.conftest import sign_in
from tests.cycle_factories import Cycle
from tests.products_factories import seed


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _candidates(app, made, cycle, how_many: int) -> list[int]:
    """Pending candidates on visible answers, scores falling; returns their ids by score."""
    with app.app_context():
        s = db_session()
        answers = [a.id for r in made["requests"]
                   for resp in s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == r))
                   for a in resp.answers]
        taken = {tuple(r) for r in s.execute(select(MatchCandidate.answer_id, MatchCandidate.nominal_id))}
        pairs = [(a, n) for a in answers for n in made["nominals"] if (a, n) not in taken][:how_many]
        assert len(pairs) == how_many
        rows = [MatchCandidate(answer_id=a, nominal_id=n, operation_id=cycle.operation_id,
                               score=0.99 - i / 1000, tier="possible") for i, (a, n) in enumerate(pairs)]
        s.add_all(rows)
        s.commit()
        return [r.id for r in rows]


def _shown(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'id="candidate-(\d+)"', html)]


def test_the_queue_pages_through_every_pending_candidate(app, cycle, make, monkeypatch):
    monkeypatch.setattr(matching_views, "PAGE_SIZE", 4)
    made = seed(app, cycle, nominals=4, requests=2)
    ids = _candidates(app, made, cycle, 10)
    analyst = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.SC)
    cycle.indoctrinate(analyst)
    client = app.test_client()
    sign_in(client, analyst)

    first = client.get("/matches").get_data(as_text=True)
    assert _shown(first) == ids[:4]
    assert "Showing 1 to 4 of 10 candidates to review, strongest first." in first
    assert 'href="/matches?page=2"' in first and "?page=0" not in first

    last = client.get("/matches?page=3").get_data(as_text=True)
    assert _shown(last) == ids[8:]
    assert "Showing 9 to 10 of 10 candidates" in last
    assert 'href="/matches?page=2"' in last and "?page=4" not in last

    beyond = client.get("/matches?page=7").get_data(as_text=True)
    assert _shown(beyond) == []
    assert "There are 10 candidates to review, on earlier pages." in beyond
    assert client.get("/matches?page=abc").get_data(as_text=True).count('id="candidate-') == 4
