"""The dissemination register lists only exports the viewer is cleared for: an export carries
the highest marking of what it holds, so one made by a DV officer that includes a TOP SECRET
answer is not listed (nor its recipients, nor counted) for an SC officer on the operation."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import (
    Classification, Clearance, ConsentRequest, Dissemination, LawfulBasis, Operation, PartnerResponse, Role, User,
)
from gainportal.services import dissemination
from tests.conftest import sign_in
from tests.cycle_factories import Cycle
from tests.products_factories import seed


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _export(app, cycle, by, recipients: str) -> None:
    with app.app_context():
        s = db_session()
        dissemination.start_export(s, s.get(Operation, cycle.operation_id), lawful_basis=LawfulBasis.CDA_1998_S115,
                                   purpose="Closure order evidence", necessity="Needed for the hearing",
                                   recipients=recipients, by=s.get(User, by.id))
        s.commit()


def _register(app, user, operation_id) -> str:
    client = app.test_client()
    sign_in(client, user)
    response = client.get(f"/operations/{operation_id}/disseminations")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_export_above_clearance_is_not_on_the_register(app, cycle, make):
    seed(app, cycle)  # includes a TOP SECRET answer on the operation
    dv = make.user(agency=cycle.force, role=Role.LRO, clearance=Clearance.DV)
    cycle.indoctrinate(dv)
    _export(app, cycle, dv, "TS-CARRYING-RECIPIENTS")
    page = _register(app, cycle.lro, cycle.operation_id)
    assert "TS-CARRYING-RECIPIENTS" not in page
    assert int(re.search(r"(\d+) exports", page).group(1)) == 0
    page = _register(app, dv, cycle.operation_id)
    assert "TS-CARRYING-RECIPIENTS" in page
    assert int(re.search(r"(\d+) exports", page).group(1)) == 1


def test_an_export_carries_only_what_its_maker_may_see(app, cycle):
    made = seed(app, cycle)
    _export(app, cycle, cycle.lro, "Council licensing team")
    with app.app_context():
        s = db_session()
        item = s.scalars(select(Dissemination).where(Dissemination.operation_id == cycle.operation_id)).one()
        hidden = {r.id for r in s.scalars(select(PartnerResponse).where(
            PartnerResponse.request_id == made["hidden_request"]))}
        assert hidden and not hidden & set(item.response_ids)
        assert item.response_ids  # the responses the LRO may see are carried
        assert item.marking is Classification.OFFICIAL_SENSITIVE
        item_id = item.id
    client = app.test_client()
    sign_in(client, cycle.lro)
    assert client.get(f"/exports/{item_id}").status_code == 200  # its maker can open it


def test_the_consents_list_filters_before_its_limit(app, cycle):
    """A hundred consent requests about an answer above the SPOC's clearance must not push one
    they may decide off the list (it is cut at 100)."""
    made = seed(app, cycle)
    with app.app_context():
        s = db_session()
        shown = s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == made["requests"][0])).first()
        hidden = s.scalars(select(PartnerResponse).where(
            PartnerResponse.request_id == made["hidden_request"])).first()
        item = Dissemination(operation_id=cycle.operation_id, kind="export", status="awaiting_consent",
                             lawful_basis=LawfulBasis.CDA_1998_S115, marking=Classification.TOP_SECRET,
                             response_ids=[shown.id, hidden.id], created_by_id=cycle.lro.id)
        s.add(item)
        s.flush()
        wanted = ConsentRequest(dissemination_id=item.id, agency_id=cycle.council.id, response_id=shown.id)
        s.add(wanted)
        s.flush()
        wanted_id = wanted.id
        s.add_all([ConsentRequest(dissemination_id=item.id, agency_id=cycle.council.id, response_id=hidden.id)
                   for _ in range(100)])
        s.commit()
    client = app.test_client()
    sign_in(client, cycle.spoc)
    page = client.get("/partner/consents").get_data(as_text=True)
    assert f"/partner/consents/{wanted_id}\"" in page
    assert int(re.search(r"(\d+) requests", page).group(1)) == 1
