"""The operations list pages by 25 and counts every operation the viewer may see (the count
comes with the page's rows, or on its own past the last page)."""
from __future__ import annotations

import re

import pytest

from gainportal.db import db_session
from gainportal.models import Classification, Operation, User
from gainportal.services import indoctrination, operations
from tests.conftest import sign_in
from tests.cycle_factories import Cycle


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _more_operations(app, cycle, signed: int, unsigned: int) -> None:
    with app.app_context():
        s = db_session()
        lro = s.get(User, cycle.lro.id)
        force = s.get(Operation, cycle.operation_id).owning_agency
        for k in range(signed + unsigned):
            op = operations.create_operation(s, name=f"Operation Listed {k:02d}", agency=force, lro=lro, tier=3,
                                             ocgm_band="2B", p_band=None,
                                             classification=Classification.OFFICIAL_SENSITIVE, summary=None, by=lro)
            if k < signed:
                indoctrination.sign(s, op, lro, typed_name=lro.full_name, confirmed=True)
        s.commit()


def _list(client, query: str = "") -> tuple[int, int, bool, bool]:
    """(count in the caption, rows on the page, has a previous link, has a next link)."""
    response = client.get(f"/operations{query}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    total = int(re.search(r"(\d+) operations</caption>", body).group(1))
    rows = len(re.findall(r'href="/operations/\d+"', body))
    return total, rows, "govuk-pagination__prev" in body, "govuk-pagination__next" in body


def test_the_list_counts_and_pages_what_the_viewer_may_see(app, cycle):
    _more_operations(app, cycle, signed=29, unsigned=3)  # with the cycle's own: 30 the LRO may see
    client = app.test_client()
    sign_in(client, cycle.lro)
    assert _list(client) == (30, 25, False, True)
    assert _list(client, "?page=2") == (30, 5, True, False)
    assert _list(client, "?page=7") == (30, 0, True, False)  # past the last page: still counted
    assert _list(client, "?q=Listed 1") == (10, 10, False, False)
    assert _list(client, "?q=no such operation") == (0, 0, False, False)
