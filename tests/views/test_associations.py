"""Family links, associations and OCG links: recorded and removed from an operation (audited,
reasons sealed), shown on the family tree, the association chart and the OCG on a page only
when the viewer may see both ends and the link's own marking."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from gainportal.db import db_session
from gainportal.models import (
    AnswerOutcome, AuditEvent, Clearance, DecisionLogEntry, MatchCandidate, Nominal, NominalLink, Role,
)
from gainportal.models.association import LinkKind, NominalAssociation, OperationAssociation
from tests.conftest import post_form, sign_in
from tests.cycle_factories import Cycle
from tests.products_factories import HIDDEN_NAME, SECRET_RELATIVE, seed, seed_links

PRODUCTS = ["/operations/{id}/products/ocg-on-a-page", "/operations/{id}/products/association-chart",
            "/operations/{id}/products/association-chart.json", "/operations/{id}/products/family-tree",
            "/operations/{id}/links"]


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


@pytest.fixture
def seeded(app, cycle):
    made = seed(app, cycle)
    made.update(seed_links(app, cycle, made))
    return made


def _client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def _names(app, ids):
    with app.app_context():
        return [db_session().get(Nominal, i).display_name for i in ids]


def test_products_draw_visible_links_and_nothing_past_the_viewers_reach(app, cycle, seeded):
    client = _client(app, cycle.lro)
    op = cycle.operation_id
    for url in PRODUCTS:
        body = client.get(url.format(id=op)).get_data(as_text=True)
        assert SECRET_RELATIVE not in body and HIDDEN_NAME not in body, url
        assert "Operation Bittern" not in body and "BITTERN-NOTE" not in body, url
        assert "Rationale top_secret_link" not in body, url
    n = seeded["nominals"]
    data = client.get(f"/operations/{op}/products/association-chart.json").get_json()
    pairs = {(e["source"], e["target"], e["kind"]) for e in data["edges"] if e["kind"] != "other"}
    assert (f"n{seeded['grandparent']}", f"n{n[0]}", "family") in pairs  # relative on another visible operation
    assert (f"n{n[0]}", f"n{n[1]}", "family") in pairs  # "child of" is stored as the parent link
    assert (f"n{n[0]}", f"n{n[4]}", "association") in pairs
    assert (f"n{n[2]}", f"n{n[5]}", "rival") in pairs
    assert (f"o{op}", f"o{seeded['rival_op']}", "rival") in pairs
    node_ids = {x["id"] for x in data["nodes"]}
    assert f"n{seeded['secret_relative']}" not in node_ids and f"n{seeded['hidden_nominal']}" not in node_ids
    assert f"o{seeded['unseen_op']}" not in node_ids
    assert not any(e["kind"] == "association" and {e["source"], e["target"]} == {f"n{n[3]}", f"n{n[4]}"}
                   for e in data["edges"])  # the TOP SECRET link
    chart = client.get(f"/operations/{op}/products/association-chart").get_data(as_text=True)
    assert "Rival or rival OCG (red, dashed)" in chart and "Nominal on another operation" in chart
    page = client.get(f"/operations/{op}/products/ocg-on-a-page").get_data(as_text=True)
    assert "Operation Magpie" in page and "Feud over the Heron Walk market" in page
    names = _names(app, n[:6])
    assert f"Parent of {names[1]}" in page and "Child of SMITH, Edna" in page
    assert f"Rival of {names[5]}" in page


def test_family_tree_puts_parents_above_children_and_partners_level(app, cycle, seeded):
    client = _client(app, cycle.lro)
    n = seeded["nominals"]
    body = client.get(f"/operations/{cycle.operation_id}/products/family-tree").get_data(as_text=True)
    start = body.index('id="family-data">') + len('id="family-data">')
    data = json.loads(body[start:body.index("</script>", start)])
    y = {node["id"]: node["y"] for node in data["nodes"]}
    assert y[f"n{seeded['grandparent']}"] < y[f"n{n[0]}"] < y[f"n{n[1]}"]
    assert y[f"n{n[0]}"] == y[f"n{n[2]}"] and y[f"n{n[1]}"] == y[f"n{n[3]}"]
    # Associates and rivals are not family: not on the tree.
    assert f"n{n[4]}" not in y and f"n{n[5]}" not in y
    assert f"n{seeded['secret_relative']}" not in y and f"n{seeded['hidden_nominal']}" not in y
    assert "3 generations" in body and 'data-testid="tree-table"' in body


def test_a_viewer_not_indoctrinated_for_the_relatives_operation_sees_no_trace_of_it(app, cycle, seeded, make):
    analyst = make.user(agency=cycle.force, role=Role.ANALYST, clearance=Clearance.DV)
    cycle.indoctrinate(analyst)  # Heron only: not Magpie, where the grandparent and the rival OCG are
    client = _client(app, analyst)
    op = cycle.operation_id
    for url in PRODUCTS:
        body = client.get(url.format(id=op)).get_data(as_text=True)
        assert "SMITH, Edna" not in body and "Operation Magpie" not in body and "Feud over" not in body, url
    data = client.get(f"/operations/{op}/products/association-chart.json").get_json()
    assert f"n{seeded['grandparent']}" not in {x["id"] for x in data["nodes"]}
    # DV clearance: the TOP SECRET nominal and link are now in reach.
    assert any(e["kind"] == "association" and {e["source"], e["target"]} == {
        f"n{seeded['nominals'][3]}", f"n{seeded['nominals'][4]}"} for e in data["edges"])
    assert HIDDEN_NAME in client.get(f"/operations/{op}/products/family-tree").get_data(as_text=True)


def test_recording_and_removing_a_link_is_audited_logged_and_sealed(app, cycle, seeded):
    client = _client(app, cycle.lro)
    op = cycle.operation_id
    n = seeded["nominals"]
    url = f"/operations/{op}/links"
    response = post_form(client, f"{url}/nominals", {
        "first": n[4], "relationship": "cousin", "second": n[5], "source": "partner_answer",
        "classification": "OFFICIAL-SENSITIVE", "rationale": "CANARY-COUSIN council tenancy file"}, form_page=url)
    assert response.status_code == 302
    with app.app_context():
        s = db_session()
        link = s.scalar(select(NominalAssociation).where(NominalAssociation.kind == LinkKind.COUSIN,
                                                         NominalAssociation.nominal_id == min(n[4], n[5])))
        assert link.other_id == max(n[4], n[5]) and link.rationale == "CANARY-COUSIN council tenancy file"
        raw = s.execute(text("SELECT rationale_sealed FROM nominal_association WHERE id = :i"), {"i": link.id}).scalar()
        assert b"CANARY-COUSIN" not in bytes(raw)
        link_id = link.id
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "nominal_link_recorded",
                                                 AuditEvent.object_id == str(link_id)))
    names = _names(app, [n[4], n[5]])
    assert f"Cousin of</strong> {names[1]}" in client.get(url).get_data(as_text=True)
    # The same pair again, either way round, is refused.
    again = post_form(client, f"{url}/nominals", {"first": n[5], "relationship": "cousin", "second": n[4],
                                                  "rationale": "Twice"}, form_page=url)
    assert again.status_code == 400 and "already recorded" in again.get_data(as_text=True)
    # Removing needs a reason.
    confirm = client.get(f"{url}/nominals/{link_id}/remove").get_data(as_text=True)
    assert f"{names[0]}" in confirm and f"Cousin of {names[1]}" in confirm
    refused = post_form(client, f"{url}/nominals/{link_id}/remove", {"reason": ""})
    assert refused.status_code == 400 and "Enter why you are removing this link" in refused.get_data(as_text=True)
    with app.app_context():
        assert db_session().get(NominalAssociation, link_id) is not None
    assert post_form(client, f"{url}/nominals/{link_id}/remove",
                     {"reason": "Tenancy file was for another family"}).status_code == 302
    with app.app_context():
        s = db_session()
        assert s.get(NominalAssociation, link_id) is None
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "nominal_link_removed"))
        decisions = [e.decision for e in s.scalars(select(DecisionLogEntry).where(
            DecisionLogEntry.subject_type == "nominal_association", DecisionLogEntry.subject_id == link_id))]
        assert sorted(decisions) == ["nominal_link_recorded", "nominal_link_removed"]


def test_links_cannot_reach_what_the_editor_may_not_see(app, cycle, seeded, make):
    client = _client(app, cycle.lro)
    op = cycle.operation_id
    url = f"/operations/{op}/links"
    n = seeded["nominals"]
    # A nominal on an operation the LRO has not signed for cannot be linked by its reference.
    with app.app_context():
        reference = db_session().get(Nominal, seeded["secret_relative"]).reference
    response = post_form(client, f"{url}/nominals", {"first": n[0], "relationship": "sibling",
                                                     "second_reference": reference, "rationale": "x"}, form_page=url)
    assert response.status_code == 400 and "No nominal you can see has that reference" in response.get_data(as_text=True)
    # Links the LRO may not see cannot be removed through this operation.
    for key in ("secret_relative", "top_secret_link", "hidden"):
        assert client.get(f"{url}/nominals/{seeded['links'][key]}/remove").status_code == 404, key
        assert post_form(client, f"{url}/nominals/{seeded['links'][key]}/remove", {"reason": "x"},
                         form_page=url).status_code == 404, key
    assert post_form(client, f"{url}/ocgs/{seeded['unseen_link']}/remove", {"reason": "x"},
                     form_page=url).status_code == 404
    assert post_form(client, f"{url}/ocgs", {"other_operation": seeded["unseen_op"], "ocg_kind": "rival",
                                             "note": "x"}, form_page=url).status_code == 400
    # A co-ordinator reads links but may not change them.
    coordinator = make.user(agency=cycle.force, role=Role.GAIN_COORDINATOR)
    cycle.indoctrinate(coordinator)
    other = _client(app, coordinator)
    assert "Record link" not in other.get(url).get_data(as_text=True)
    assert post_form(other, f"{url}/nominals/{seeded['links']['partner']}/remove", {"reason": "x"},
                     form_page=url).status_code in (403, 404)
    with app.app_context():
        assert db_session().get(NominalAssociation, seeded["links"]["partner"]) is not None
        assert db_session().get(OperationAssociation, seeded["unseen_link"]) is not None


def test_rival_ocg_recorded_from_the_links_page(app, cycle, seeded):
    client = _client(app, cycle.lro)
    op = cycle.operation_id
    url = f"/operations/{op}/links"
    with app.app_context():
        s = db_session()
        s.delete(s.get(OperationAssociation, seeded["rival_link"]))
        s.commit()
    assert "Operation Magpie" not in client.get(f"/operations/{op}/products/ocg-on-a-page").get_data(as_text=True)
    response = post_form(client, f"{url}/ocgs", {"other_operation": seeded["rival_op"], "ocg_kind": "rival",
                                                 "ocg_classification": "OFFICIAL-SENSITIVE",
                                                 "note": "Shooting in Harehills"}, form_page=url)
    assert response.status_code == 302
    with app.app_context():
        raw = db_session().execute(text("SELECT note_sealed FROM operation_association")).scalars().all()
        assert raw and not any(b"Harehills" in bytes(r) for r in raw)
    page = client.get(f"/operations/{op}/products/ocg-on-a-page").get_data(as_text=True)
    assert "Rivalries and feuds" in page and "Shooting in Harehills" in page
    data = client.get(f"/operations/{op}/products/association-chart.json").get_json()
    assert [e["kind"] for e in data["edges"] if e["target"] == f"o{seeded['rival_op']}" and e["source"] == f"o{op}"] \
        == ["rival"]


def test_confirming_a_possible_relative_offers_a_family_link(app, cycle, make):
    made = seed(app, cycle, nominals=2, requests=1, questions=1, hidden=False)
    analyst = make.user(agency=cycle.force, role=Role.ANALYST)
    cycle.indoctrinate(analyst)
    with app.app_context():
        s = db_session()
        answer_id = made["answers"][0]
        s.execute(text("DELETE FROM match_candidate"))
        from gainportal.models import Answer
        answer = s.get(Answer, answer_id)
        answer.outcome = AnswerOutcome.ANSWERED
        answer.text = "Kayleigh Smith lives there with her dad"
        candidate = MatchCandidate(answer_id=answer_id, nominal_id=made["nominals"][0], operation_id=cycle.operation_id,
                                   score=0.6, tier="possible", relationship_kind="possible_associate",
                                   span_start=0, span_end=14)
        s.add(candidate)
        s.commit()
        candidate_id = candidate.id
    client = _client(app, analyst)
    response = post_form(client, f"/matches/{candidate_id}/confirm", {"rationale": "Same surname and address"},
                         form_page="/matches")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/matches/{candidate_id}/relative")
    form = client.get(f"/matches/{candidate_id}/relative").get_data(as_text=True)
    assert 'value="Kayleigh"' in form and 'value="Smith"' in form
    response = post_form(client, f"/matches/{candidate_id}/relative", {
        "existing": "", "forenames": "Kayleigh", "surname": "Smith", "relationship": "child",
        "rationale": "Partner says she lives there with her dad"})
    assert response.status_code == 302
    with app.app_context():
        s = db_session()
        link = s.scalar(select(NominalAssociation).where(NominalAssociation.match_candidate_id == candidate_id))
        assert link.kind is LinkKind.PARENT and link.nominal_id == made["nominals"][0]
        relative = s.get(Nominal, link.other_id)
        assert relative.display_name == "SMITH, Kayleigh"
        assert s.scalar(select(NominalLink.role).where(NominalLink.nominal_id == relative.id)).value == "associate"
    tree = client.get(f"/operations/{cycle.operation_id}/products/family-tree").get_data(as_text=True)
    assert "SMITH, Kayleigh" in tree
    # A candidate that is not a confirmed possible relative has no such page.
    with app.app_context():
        s = db_session()
        s.get(MatchCandidate, candidate_id).relationship_kind = "self"
        s.commit()
    assert client.get(f"/matches/{candidate_id}/relative").status_code == 404


def test_chart_table_lists_a_nominal_link_under_both_people(app, cycle, seeded):
    client = _client(app, cycle.lro)
    n = seeded["nominals"]
    names = _names(app, n[:2])
    body = client.get(f"/operations/{cycle.operation_id}/products/association-chart").get_data(as_text=True)
    assert f"parent of: {names[1]}" in body and f"child of: {names[0]}" in body


def test_pdf_of_the_ocg_on_a_page_carries_links_only_within_reach(app, cycle, seeded):
    import io

    from pypdf import PdfReader

    client = _client(app, cycle.lro)
    response = client.get(f"/operations/{cycle.operation_id}/products/ocg-on-a-page.pdf")
    assert response.status_code == 200
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "Operation Magpie" in text and "Child of SMITH, Edna" in text
    for secret in (SECRET_RELATIVE, HIDDEN_NAME, "Operation Bittern", "BITTERN-NOTE"):
        assert secret not in text


def test_a_relative_on_another_operation_is_tied_to_that_ocg_only_when_visible(app, cycle, seeded):
    client = _client(app, cycle.lro)
    data = client.get(f"/operations/{cycle.operation_id}/products/association-chart.json").get_json()
    grandparent = f"n{seeded['grandparent']}"
    assert [(e["target"], e["label"]) for e in data["edges"] if e["source"] == grandparent and e["kind"] == "other"] \
        == [(f"o{seeded['rival_op']}", "peripheral in")]
    assert f"o{seeded['unseen_op']}" not in {n["id"] for n in data["nodes"]}


def test_family_tree_downloads_are_audited_as_the_family_tree(app, cycle, seeded):
    client = _client(app, cycle.lro)
    url = f"/operations/{cycle.operation_id}/products/association-chart/exported"
    page = f"/operations/{cycle.operation_id}/products/family-tree"
    assert post_form(client, url, {"format": "svg", "product": "family_tree"}, form_page=page).status_code == 204
    assert post_form(client, url, {"format": "svg", "product": "register"}, form_page=page).status_code == 400
    with app.app_context():
        events = db_session().scalars(select(AuditEvent).where(AuditEvent.action == "product_exported")).all()
        assert [json.loads(e.detail) for e in events] == [{"product": "family_tree", "format": "svg"}]
