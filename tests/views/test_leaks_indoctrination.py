"""Being on an operation's register does not reveal an operation above one's clearance: the
signing page (which names the operation to police) is refused, and the register offers only
people cleared for the operation's marking."""
from __future__ import annotations

import pytest

from gainportal.db import db_session
from gainportal.models import Classification, Clearance, Operation, Role
from tests.conftest import sign_in
from tests.cycle_factories import Cycle


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _raise(app, cycle) -> str:
    with app.app_context():
        s = db_session()
        op = s.get(Operation, cycle.operation_id)
        op.classification = Classification.TOP_SECRET
        s.commit()
        return op.name


def test_the_signing_page_is_refused_below_the_operations_marking(app, cycle, make):
    sc = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.SC)
    dv = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.DV)
    cycle.indoctrinate(sc, sign=False)
    cycle.indoctrinate(dv, sign=False)
    name = _raise(app, cycle)
    client = app.test_client()
    sign_in(client, sc)
    response = client.get(f"/agreements/{cycle.operation_id}/sign")
    assert response.status_code == 404
    assert name not in response.get_data(as_text=True)
    client = app.test_client()
    sign_in(client, dv)
    response = client.get(f"/agreements/{cycle.operation_id}/sign")
    assert response.status_code == 200 and name in response.get_data(as_text=True)


def test_the_register_offers_only_people_cleared_for_the_operation(app, cycle, make):
    sc = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.SC, email="sc.analyst@example.police.uk")
    dv_lro = make.user(agency=cycle.force, role=Role.LRO, clearance=Clearance.DV)
    dv = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.DV)
    cycle.indoctrinate(dv_lro)
    _raise(app, cycle)
    client = app.test_client()
    sign_in(client, dv_lro)
    page = client.get(f"/operations/{cycle.operation_id}/indoctrination").get_data(as_text=True)
    assert f'value="{dv.id}"' in page
    assert f'value="{sc.id}"' not in page
