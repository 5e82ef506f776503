"""page_rows: the page's ids with the caller's filter and order, then those rows, in order."""
from __future__ import annotations

from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import Agency, AgencyKind
from gainportal.services.listing import page_rows


def test_page_rows_keeps_filter_order_and_offset(app, make):
    for n in range(7):
        make.agency(AgencyKind.COUNCIL, name=f"Council {n:02d}")
    make.agency(AgencyKind.POLICE_FORCE, name="A police force")
    with app.app_context():
        s = db_session()
        query = select(Agency).where(Agency.kind == AgencyKind.COUNCIL).order_by(Agency.name.desc())
        expected = [a.name for a in s.scalars(query)]
        assert len(expected) == 7
        first = page_rows(s, query, Agency, limit=3)
        second = page_rows(s, query, Agency, limit=3, offset=3)
        last = page_rows(s, query, Agency, limit=3, offset=6)
        assert [a.name for a in first + second + last] == expected
        assert page_rows(s, query, Agency, limit=3, offset=9) == []
