"""Role dashboards: the counts are right and leave out everything the viewer may not see."""
from __future__ import annotations

import re

import pytest

from tests.conftest import sign_in
from gainportal.models import AgencyKind, Clearance, Role
from gainportal.services import requests as request_service
from partner_cycle import OP_NAME, Cycle


@pytest.fixture
def cycle(app):
    return Cycle(app)


def client_for(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def count(html: str, key: str) -> int:
    match = re.search(rf'data-testid="count-{key}">(\d+)<', html)
    assert match, f"no count {key}"
    return int(match.group(1))


def agency_row(html: str, agency_id: int) -> dict[str, str]:
    row = re.search(rf'data-testid="agency-{agency_id}">(.*?)</tr>', html, re.S)
    if row is None:
        return {}
    return dict(re.findall(r'data-testid="([a-z_]+)">([^<]*)<', row.group(1)))


@pytest.fixture
def forces(make):
    force = make.agency(AgencyKind.POLICE_FORCE, name="West Yorkshire Police")
    other_force = make.agency(AgencyKind.POLICE_FORCE, name="Greater Manchester Police")
    council = make.agency(AgencyKind.COUNCIL, name="Leeds City Council")
    other_council = make.agency(AgencyKind.COUNCIL, name="Bradford Council")
    return force, other_force, council, other_council


def test_partner_dashboard_counts_only_my_agencys_issued_requests(app, make, cycle, forces):
    force, other_force, council, other_council = forces
    lro = make.user(agency=force, role=Role.LRO)
    spoc = make.user(agency=council, role=Role.PARTNER_SPOC)
    cycle.request(lro, council)                       # new, due in 14 days
    cycle.request(lro, council, deadline_days=3)      # new, due soon
    late = cycle.request(lro, council, deadline_days=-1)  # new, overdue
    cycle.act(request_service.acknowledge, late.id, spoc)  # acknowledged: no longer new, still overdue
    cycle.request(lro, council, issue=False)          # draft: invisible
    cycle.request(lro, other_council, deadline_days=2)  # another agency: invisible
    answered = cycle.request(lro, council, deadline_days=1)
    cycle.answer_all(answered.id, spoc)               # answered: not waiting
    html = client_for(app, spoc).get("/").get_data(as_text=True)
    assert (count(html, "new"), count(html, "soon"), count(html, "overdue")) == (2, 1, 1)
    assert OP_NAME not in html and late.reference in html and answered.reference not in html


def test_partner_user_dashboard_counts_only_assigned_requests(app, make, cycle, forces):
    force, _, council, _ = forces
    lro = make.user(agency=force, role=Role.LRO)
    spoc = make.user(agency=council, role=Role.PARTNER_SPOC)
    colleague = make.user(agency=council, role=Role.PARTNER_USER)
    mine = cycle.request(lro, council, deadline_days=-3)
    cycle.request(lro, council, deadline_days=-3)
    cycle.assign(mine.question_ids[0], colleague, spoc)
    html = client_for(app, colleague).get("/").get_data(as_text=True)
    assert (count(html, "new"), count(html, "soon"), count(html, "overdue")) == (1, 0, 1)


def test_lro_dashboard_counts_my_operations_only(app, make, cycle, forces):
    force, other_force, council, _ = forces
    lro = make.user(agency=force, role=Role.LRO)
    colleague_lro = make.user(agency=force, role=Role.LRO)
    stranger = make.user(agency=other_force, role=Role.LRO)
    spoc = make.user(agency=council, role=Role.PARTNER_SPOC)
    overdue = cycle.request(lro, council, deadline_days=-2, op_name="Operation Heron")
    cycle.request(lro, council, deadline_days=5, operation_id=overdue.operation_id)   # open, not overdue
    waiting = cycle.request(lro, council, operation_id=overdue.operation_id)
    cycle.answer_all(waiting.id, spoc)
    cycle.request(colleague_lro, council, deadline_days=-2, op_name="Operation Osprey")  # not mine
    cycle.request(stranger, council, deadline_days=-2, op_name="Operation Puffin")       # another force
    with app.app_context():  # one of my operations has its review overdue
        from sqlalchemy import update
        from datetime import timedelta
        from gainportal.db import db_session
        from gainportal.models import Operation
        from gainportal.services.dates import today
        s = db_session()
        s.execute(update(Operation).where(Operation.id == overdue.operation_id)
                  .values(next_review_due=today() - timedelta(days=1)))
        s.commit()
    html = client_for(app, lro).get("/").get_data(as_text=True)
    assert count(html, "requests-overdue") == 1
    assert count(html, "answers-waiting") == 1
    assert count(html, "reviews-overdue") == 1
    assert "Operation Heron" in html and "Operation Osprey" not in html and "Operation Puffin" not in html
    assert overdue.reference in html and waiting.reference in html


def test_coordinator_sees_requests_by_agency_with_state_counts_and_median(app, make, cycle, forces):
    force, other_force, council, other_council = forces
    lro = make.user(agency=force, role=Role.LRO)
    stranger = make.user(agency=other_force, role=Role.LRO)
    spoc = make.user(agency=council, role=Role.PARTNER_SPOC)
    coordinator = make.user(agency=force, role=Role.GAIN_COORDINATOR)
    stranger_coordinator = make.user(agency=other_force, role=Role.SUPERVISOR)
    cycle.signers = [coordinator, stranger_coordinator]
    answered = [cycle.request(lro, council) for _ in range(3)]
    for made, (issued, took) in zip(answered, [(10, 2), (10, 4), (20, 9)]):
        cycle.answer_all(made.id, spoc, key=f"k{made.id}")
        cycle.set_times(made.id, issued_days_ago=issued, answered_days_ago=issued - took)
    cycle.request(lro, council, deadline_days=-1)            # issued and overdue
    cycle.request(lro, council, issue=False)                 # draft: left out
    declined = cycle.request(lro, other_council)
    cycle.act(lambda s, ir, by: request_service.decline(s, ir, "Not held", by), declined.id,
              make.user(agency=other_council, role=Role.PARTNER_SPOC))
    for _ in range(2):
        cycle.request(stranger, council)                     # another force's: invisible
    html = client_for(app, coordinator).get("/").get_data(as_text=True)
    row = agency_row(html, council.id)
    assert row["total"] == "4" and row["answered"] == "3" and row["issued"] == "1" and row["overdue"] == "1"
    assert row["median"] == "4.0"  # median of 2, 4 and 9 days
    other = agency_row(html, other_council.id)
    assert other["total"] == "1" and other["declined"] == "1" and other["median"] == "–"
    # The other force's view counts only its own two requests.
    theirs = agency_row(client_for(app, stranger_coordinator).get("/").get_data(as_text=True), council.id)
    assert theirs["total"] == "2" and theirs["answered"] == "0"


def test_coordinator_median_of_an_even_count_and_period_filter(app, make, cycle, forces):
    force, _, council, _ = forces
    lro = make.user(agency=force, role=Role.LRO)
    spoc = make.user(agency=council, role=Role.PARTNER_SPOC)
    analyst = make.user(agency=force, role=Role.ANALYST)
    cycle.signers = [analyst]
    for issued, took in [(10, 1), (10, 3), (200, 5), (200, 7)]:
        made = cycle.request(lro, council)
        cycle.answer_all(made.id, spoc, key=f"k{made.id}")
        cycle.set_times(made.id, issued_days_ago=issued, answered_days_ago=issued - took)
    client = client_for(app, analyst)
    assert agency_row(client.get("/?period=all").get_data(as_text=True), council.id)["median"] == "4.0"
    recent = agency_row(client.get("/?period=90").get_data(as_text=True), council.id)
    assert recent["total"] == "2" and recent["median"] == "2.0"


def test_dashboard_hides_what_clearance_does_not_cover(app, make, cycle, forces):
    force, _, council, _ = forces
    lro = make.user(agency=force, role=Role.LRO, clearance=Clearance.SC)
    spoc = make.user(agency=council, role=Role.PARTNER_SPOC, clearance=Clearance.BPSS)
    made = cycle.request(lro, council, deadline_days=-1)
    with app.app_context():
        from sqlalchemy import update
        from gainportal.db import db_session
        from gainportal.models import Classification, InformationRequest
        s = db_session()
        s.execute(update(InformationRequest).where(InformationRequest.id == made.id)
                  .values(classification=Classification.SECRET))
        s.commit()
    html = client_for(app, spoc).get("/").get_data(as_text=True)
    assert count(html, "overdue") == 0 and made.reference not in html


def test_admin_is_sent_to_users(app, make):
    admin = make.user(role=Role.ADMIN)
    response = client_for(app, admin).get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users")


def test_counts_cover_every_matching_request_not_only_the_page_listed(app, make, cycle, forces, monkeypatch):
    from gainportal.views import dashboard
    monkeypatch.setattr(dashboard, "LIST_LIMIT", 1)
    force, _, council, _ = forces
    lro = make.user(agency=force, role=Role.LRO)
    spoc = make.user(agency=council, role=Role.PARTNER_SPOC)
    overdue = cycle.request(lro, council, deadline_days=-2, op_name="Operation Heron")
    cycle.request(lro, council, deadline_days=3, operation_id=overdue.operation_id)      # new, due soon
    late = cycle.request(lro, council, deadline_days=-1, operation_id=overdue.operation_id)
    cycle.act(request_service.acknowledge, late.id, spoc)                                # overdue, not new
    answered = [cycle.request(lro, council, operation_id=overdue.operation_id) for _ in range(2)]
    for made in answered:
        cycle.answer_all(made.id, spoc, key=f"k{made.id}")

    html = client_for(app, spoc).get("/").get_data(as_text=True)
    assert (count(html, "new"), count(html, "soon"), count(html, "overdue")) == (2, 1, 2)
    assert "See all 3 open requests" in html
    assert overdue.reference in html and late.reference not in html  # only the most overdue is listed

    html = client_for(app, lro).get("/").get_data(as_text=True)
    assert count(html, "requests-overdue") == 2 and count(html, "answers-waiting") == 2
    assert "Showing the 1 most overdue of 2." in html and "Showing the 1 oldest of 2." in html
    assert html.count('href="/requests/') == 2


def test_coordinator_table_pages_through_agencies_with_the_total_of_all(app, make, cycle, forces, monkeypatch):
    from gainportal.views import dashboard
    monkeypatch.setattr(dashboard, "AGENCY_PAGE_SIZE", 1)
    monkeypatch.setattr(dashboard, "OPERATION_LIMIT", 1)
    force, _, council, other_council = forces
    lro = make.user(agency=force, role=Role.LRO)
    coordinator = make.user(agency=force, role=Role.GAIN_COORDINATOR)
    cycle.signers = [coordinator]
    leeds = cycle.request(lro, council, op_name="Operation Heron")
    bradford = cycle.request(lro, other_council, op_name="Operation Osprey")
    client = client_for(app, coordinator)

    first = client.get("/").get_data(as_text=True)
    assert "2 agencies." in first and agency_row(first, other_council.id)["total"] == "1"  # Bradford sorts first
    assert not agency_row(first, council.id) and 'href="/?page=2&amp;period=90"' in first
    assert "Operations (2)" in first and len(re.findall(r'href="/operations/\d+"', first)) == 1
    second = client.get("/?page=2").get_data(as_text=True)
    assert "2 agencies." in second and agency_row(second, council.id)["total"] == "1"
    assert not agency_row(second, other_council.id) and 'href="/?page=1&amp;period=90"' in second
    past_the_end = client.get("/?page=3").get_data(as_text=True)
    assert "No requests have been issued in this period." in past_the_end
    assert leeds.reference not in first + second and bradford.reference not in first + second


def test_agreements_banner_links_the_first_ten_and_counts_the_rest(app, make):
    from gainportal.db import db_session
    from gainportal.models import Classification, User
    from gainportal.services import indoctrination, operations

    force = make.agency(AgencyKind.POLICE_FORCE)
    lro = make.user(agency=force, role=Role.LRO)
    analyst = make.user(agency=force, role=Role.ANALYST)
    with app.app_context():
        s = db_session()
        by, who = s.get(User, lro.id), s.get(User, analyst.id)
        for n in range(12):
            op = operations.create_operation(s, name=f"Operation {n}", agency=by.agency, lro=by, tier=3,
                                             ocgm_band=None, p_band=None,
                                             classification=Classification.OFFICIAL_SENSITIVE, summary=None, by=by)
            indoctrination.invite(s, op, who, by, notify=False)
        s.commit()
    html = client_for(app, analyst).get("/").get_data(as_text=True)
    banner = html.split('data-testid="pending-signatures"', 1)[1].split("</div>\n  </div>", 1)[0]
    assert "You have been asked to sign 12 agreements" in banner
    assert len(re.findall(r'href="/agreements/\d+/sign"', banner)) == 10
    assert "The other 2 will be listed here as you sign these." in banner
