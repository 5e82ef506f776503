"""Intelligence products: OCG on a page, association chart, performance dashboard and the
tasking-list export show only what the viewer may see; a viewer who may not see the
operation gets a 404 on every product; the export is recorded, marked and audited."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import AuditEvent, Clearance, Dissemination, Role
from tests.conftest import post_form, sign_in
from tests.cycle_factories import Cycle
from tests.products_factories import HIDDEN_ANSWER, HIDDEN_NAME, seed

PAGES = ["/operations/{id}/products", "/operations/{id}/products/ocg-on-a-page",
         "/operations/{id}/products/association-chart", "/operations/{id}/products/association-chart.json",
         "/operations/{id}/products/performance", "/operations/{id}/products/tasking-list"]


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


@pytest.fixture
def seeded(app, cycle):
    return seed(app, cycle)


def _client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def test_lro_sees_every_product_built_from_the_operation(app, cycle, seeded):
    client = _client(app, cycle.lro)
    op = cycle.operation_id
    for url in PAGES:
        response = client.get(url.format(id=op))
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert HIDDEN_NAME not in body and HIDDEN_ANSWER not in body and "TS99HID" not in body, url
        assert "Hidden Holdings" not in body and "ZE1" not in body, url
    page = client.get(f"/operations/{op}/products/ocg-on-a-page").get_data(as_text=True)
    assert "Who is using the flats on Heron Walk?" in page  # what we need to know, from the open requirement
    assert "SMITH, Gary" in page and "Heron Car Wash 0" in page and "LS1" in page
    assert page.count('class="app-member__photo"') == 6  # a photo slot per nominal shown
    assert "2 means high threat and harm" in page and "B means moderate capability" in page
    assert "Protect (2)" in page and "Prepare (0)" in page
    assert "nominal(s) on this operation are above your clearance" in page
    assert page.count("OFFICIAL-SENSITIVE") >= 2  # marking banners top and bottom


def test_chart_json_draws_only_visible_nominals_and_answers(app, cycle, seeded):
    client = _client(app, cycle.lro)
    data = client.get(f"/operations/{cycle.operation_id}/products/association-chart.json").get_json()
    nominal_nodes = {n["id"] for n in data["nodes"] if n["kind"] in ("principal", "significant", "peripheral",
                                                                      "associate")}
    assert nominal_nodes == {f"n{i}" for i in seeded["nominals"]}
    assert f"n{seeded['hidden_nominal']}" not in {n["id"] for n in data["nodes"]}
    answers = [n for n in data["nodes"] if n["kind"] == "answer"]
    assert len(answers) == 4  # 2 requests x 2 questions; the TOP SECRET answer is left out
    kinds = {n["kind"] for n in data["nodes"]}
    assert {"premises", "vehicle", "phone", "business"} <= kinds
    ids = {n["id"] for n in data["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in data["edges"])
    assert data["marking"] == "OFFICIAL-SENSITIVE"
    # Shared premises are one node linked to each nominal living there.
    premises = [n for n in data["nodes"] if n["kind"] == "premises"]
    assert len(premises) < 6


def test_a_cleared_user_sees_the_top_secret_nominal(app, cycle, seeded, make):
    dv = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.DV)
    cycle.indoctrinate(dv)
    data = _client(app, dv).get(f"/operations/{cycle.operation_id}/products/association-chart.json").get_json()
    assert f"n{seeded['hidden_nominal']}" in {n["id"] for n in data["nodes"]}


def test_no_indoctrination_or_other_force_means_404_on_every_product(app, cycle, seeded, make):
    op = cycle.operation_id
    unsigned = make.user(agency=cycle.force, role=Role.ANALYST)  # same force, never on the register
    other_force = make.user(role=Role.LRO)
    partner = cycle.spoc
    for user in (unsigned, other_force):
        client = _client(app, user)
        for url in PAGES:
            response = client.get(url.format(id=op))
            assert response.status_code == 404, (user.role, url, response.status_code)
            assert HIDDEN_NAME not in response.get_data(as_text=True)
            assert "SMITH" not in response.get_data(as_text=True)
    client = _client(app, partner)
    for url in PAGES:
        assert client.get(url.format(id=op)).status_code in (403, 404), url


def test_lower_clearance_counts_exclude_what_is_above_it(app, cycle, seeded, make):
    # BPSS covers OFFICIAL-SENSITIVE (the operation) but not the TOP SECRET request or nominal.
    bpss = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.BPSS)
    cycle.indoctrinate(bpss)
    client = _client(app, bpss)
    perf = client.get(f"/operations/{cycle.operation_id}/products/performance").get_data(as_text=True)
    # 2 answered + 1 overdue request are visible; the TOP SECRET one is not counted.
    assert "Requests issued by agency: " in perf
    assert f"{cycle.council.name} 3;" in perf or f"{cycle.council.name} 3<" in perf, perf[:3000]
    lro_perf = _client(app, cycle.lro).get(f"/operations/{cycle.operation_id}/products/performance").get_data(
        as_text=True)
    assert f"{cycle.council.name} 3" in lro_perf  # SC does not cover TOP SECRET either
    dv = make.user(agency=cycle.force, role=Role.SUPERVISOR, clearance=Clearance.DV)
    cycle.indoctrinate(dv)
    dv_perf = _client(app, dv).get(f"/operations/{cycle.operation_id}/products/performance").get_data(as_text=True)
    assert f"{cycle.council.name} 4" in dv_perf
    chart = client.get(f"/operations/{cycle.operation_id}/products/association-chart").get_data(as_text=True)
    assert HIDDEN_NAME not in chart and HIDDEN_ANSWER not in chart


def test_tasking_list_export_is_recorded_marked_and_audited(app, cycle, seeded):
    client = _client(app, cycle.lro)
    url = f"/operations/{cycle.operation_id}/products/tasking-list"
    response = post_form(client, url, {"lawful_basis": "cda_1998_s115", "purpose": "Tasking meeting 3 December",
                                       "necessity": "To task the closure order", "recipients": "Tasking panel"})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["OFFICIAL-SENSITIVE"] and rows[-1] == ["OFFICIAL-SENSITIVE"]
    sections = [r[0] for r in rows[2:-1]]
    assert sections.count("Open requirement") == 1 and sections.count("Overdue request") == 1
    assert sections.count("Intervention") == 4
    text = response.get_data(as_text=True)
    assert HIDDEN_NAME not in text and HIDDEN_ANSWER not in text
    with app.app_context():
        s = db_session()
        item = s.scalars(select(Dissemination).where(Dissemination.operation_id == cycle.operation_id)).one()
        assert item.kind == "tasking_list" and item.status == "released" and item.recipients == "Tasking panel"
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "dissemination_released",
                                                   AuditEvent.object_id == str(item.id))).all()
        assert len(events) == 1
    register = client.get(f"/operations/{cycle.operation_id}/disseminations").get_data(as_text=True)
    assert "Tasking panel" in register


def test_tasking_list_needs_the_dissemination_right(app, cycle, seeded, make):
    analyst = make.user(agency=cycle.force, role=Role.ANALYST)
    cycle.indoctrinate(analyst)
    client = _client(app, analyst)
    assert client.get(f"/operations/{cycle.operation_id}/products/tasking-list").status_code in (403, 404)
    assert client.get(f"/operations/{cycle.operation_id}/products/ocg-on-a-page").status_code == 200


def test_partner_disruption_actions_appear_for_those_who_may_see_the_circulation(app, make):
    from gainportal.models import CirculationTarget, User
    from gainportal.models.circulation import PowerKind
    from gainportal.services import circulation as circulation_service
    from gainportal.services.dates import today
    from tests.circulation_factories import Gain

    gain = Gain(app, make)
    gain.circulate()
    spoc = gain.spocs[1]
    with app.app_context():
        s = db_session()
        target = s.get(CirculationTarget, gain.target_id(spoc))
        circulation_service.record_disruption(s, target, power=PowerKind.REGULATORY, action="VAT inspection of the takeaway",
                                              owner="Officer A", action_date=today(), by=s.get(User, spoc.id))
        s.commit()
    op = gain.cycle.operation_id
    client = _client(app, gain.lro)
    page = client.get(f"/operations/{op}/products/ocg-on-a-page").get_data(as_text=True)
    assert "VAT inspection of the takeaway" in page and "Partner disruption actions (1)" in page
    perf = client.get(f"/operations/{op}/products/performance").get_data(as_text=True)
    assert f"{gain.agencies[1].name}: Planned" in perf
    # Not on the operation's register: no product, so no partner action either.
    unsigned = make.user(agency=gain.cycle.force, role=Role.ANALYST)
    assert _client(app, unsigned).get(f"/operations/{op}/products/ocg-on-a-page").status_code == 404


def test_requirements_satisfied_over_time_counts_the_decision_log(app, cycle, seeded):
    from gainportal.models import Requirement, RequirementState
    from gainportal.services import requirements

    with app.app_context():
        s = db_session()
        requirements.change_state(s, s.get(Requirement, cycle.requirement_id), RequirementState.SATISFIED,
                                  "Answered by the council", s.merge(cycle.lro))
        s.commit()
    perf = _client(app, cycle.lro).get(f"/operations/{cycle.operation_id}/products/performance").get_data(as_text=True)
    from gainportal.db import utcnow
    assert f"Requirements satisfied over time (running total by month): {utcnow():%Y-%m} 1</title>" in perf


def test_ocg_links_show_only_operations_the_viewer_may_see(app, cycle, seeded, make):
    from gainportal.models import Classification, NominalLink, NominalRole, Operation
    from gainportal.services import indoctrination, operations

    with app.app_context():
        s = db_session()
        lro = s.merge(cycle.lro)
        seen = operations.create_operation(s, name="Operation Kestrel", agency=s.merge(cycle.force), lro=lro, tier=2,
                                           ocgm_band="1A", p_band=None, classification=Classification.OFFICIAL_SENSITIVE,
                                           summary="Firearms", by=lro)
        unseen = operations.create_operation(s, name="Operation Osprey", agency=s.merge(cycle.force), lro=lro, tier=2,
                                             ocgm_band="1A", p_band=None, classification=Classification.OFFICIAL_SENSITIVE,
                                             summary="Fraud", by=lro)
        indoctrination.sign(s, seen, lro, typed_name=lro.full_name, confirmed=True)  # not Osprey
        s.add(NominalLink(operation_id=seen.id, nominal_id=seeded["nominals"][0], role=NominalRole.SIGNIFICANT))
        s.add(NominalLink(operation_id=unseen.id, nominal_id=seeded["nominals"][1], role=NominalRole.PRINCIPAL))
        s.add(NominalLink(operation_id=seen.id, nominal_id=seeded["hidden_nominal"], role=NominalRole.PRINCIPAL))
        s.commit()
        seen_id, unseen_id = seen.id, unseen.id
    client = _client(app, cycle.lro)
    page = client.get(f"/operations/{cycle.operation_id}/products/ocg-on-a-page").get_data(as_text=True)
    assert "Operation Kestrel" in page and "SMITH, Gary (significant there)" in page
    assert "Operation Osprey" not in page and HIDDEN_NAME not in page
    data = client.get(f"/operations/{cycle.operation_id}/products/association-chart.json").get_json()
    ocg_nodes = {n["id"] for n in data["nodes"] if n["kind"] == "ocg"}
    assert ocg_nodes == {f"o{seen_id}"} and f"o{unseen_id}" not in ocg_nodes
    assert [e["source"] for e in data["edges"] if e["target"] == f"o{seen_id}"] == [f"n{seeded['nominals'][0]}"]


def test_an_intervention_from_a_request_above_clearance_is_left_out(app, cycle, seeded):
    from gainportal.models import Intervention

    with app.app_context():
        s = db_session()
        item = Intervention(operation_id=cycle.operation_id, request_id=seeded["hidden_request"], pillar="pursue",
                            owner_id=cycle.lro.id, recorded_by_id=cycle.lro.id)
        s.add(item)
        s.flush()
        item.action = "ARREST-FROM-TOPSECRET"
        s.commit()
    client = _client(app, cycle.lro)
    for url in PAGES[1:]:
        assert "ARREST-FROM-TOPSECRET" not in client.get(url.format(id=cycle.operation_id)).get_data(as_text=True)
    assert "Pursue (1)" in client.get(f"/operations/{cycle.operation_id}/products/ocg-on-a-page").get_data(as_text=True)


def test_chart_downloads_are_audited(app, cycle, seeded):
    client = _client(app, cycle.lro)
    url = f"/operations/{cycle.operation_id}/products/association-chart/exported"
    page = f"/operations/{cycle.operation_id}/products/association-chart"
    assert post_form(client, url, {"format": "png"}, form_page=page).status_code == 204
    assert post_form(client, url, {"format": "exe"}, form_page=page).status_code == 400
    assert client.post(url, data={"format": "svg"}).status_code == 400  # no CSRF token
    with app.app_context():
        events = db_session().scalars(select(AuditEvent).where(AuditEvent.action == "product_exported")).all()
        assert [json.loads(e.detail)["format"] for e in events] == ["png"]


def test_performance_counts_the_answers_and_headings_of_what_the_viewer_may_see(app, cycle, seeded, make):
    """The page's counts come from aggregate queries; they must equal what the viewer's own
    requests and responses hold, read object by object, at every clearance."""
    from collections import Counter, defaultdict
    import statistics

    from datetime import timedelta

    from gainportal.models import AnswerOutcome, Operation, User
    from gainportal.security.permissions import visible_to
    from gainportal.services import products as service
    from gainportal.services.dates import today

    totals, late_by_clearance = {}, {}
    for clearance in (Clearance.BPSS, Clearance.DV):
        viewer = make.user(agency=cycle.force, role=Role.ANALYST, clearance=clearance)
        cycle.indoctrinate(viewer)
        with app.app_context():
            s = db_session()
            user, op = s.get(User, viewer.id), s.get(Operation, cycle.operation_id)
            v = service.gather(s, op, user)
            outcomes = Counter()
            for response in v.responses:
                for answer in response.answers:
                    outcomes["hit" if answer.outcome is AnswerOutcome.ANSWERED else
                             "no_trace" if answer.outcome is AnswerOutcome.NO_TRACE else "unanswered"] += 1
            days = defaultdict(list)
            for r in v.requests:
                if r.answered_at is not None and r.issued_at is not None:
                    for heading in {q.heading.label for q in r.questions}:
                        days[heading].append(max(0, (r.answered_at - r.issued_at).days))
            if clearance is Clearance.DV:
                op.next_review_due = today() - timedelta(days=1)  # a late review counts as late
                s.flush()
            ops = s.scalars(select(Operation).where(visible_to(user, Operation))).unique().all()
            tiers = []
            for tier in (1, 2, 3, 4):
                of_tier = [o for o in ops if o.tier == tier]
                late = sum(1 for o in of_tier if o.review_overdue(today()) or o.next_review_due is None)
                tiers.append({"tier": tier, "operations": len(of_tier), "on_time": len(of_tier) - late, "overdue": late})
            perf = service.performance(s, op, user, today())
            assert perf.review_by_tier == tiers and sum(t["operations"] for t in tiers) >= 1
            late_by_clearance[clearance] = sum(t["overdue"] for t in tiers)
            assert perf.outcomes == {k: outcomes.get(k, 0) for k in ("hit", "no_trace", "unanswered")}
            assert perf.by_heading == [{"heading": h, "answered": len(d), "median_days": statistics.median(d)}
                                       for h, d in sorted(days.items())]
            assert perf.by_heading and sum(perf.outcomes.values()) > 0
            totals[clearance] = sum(perf.outcomes.values())
    assert totals[Clearance.BPSS] < totals[Clearance.DV]  # the TOP SECRET response's answers
    assert late_by_clearance[Clearance.DV] > late_by_clearance[Clearance.BPSS]
