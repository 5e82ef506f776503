"""GAIN circulation through the web: partners see only their own agency's answers and no
operation or group names; signing comes first; CSV uploads keep good rows and report each
bad one; hits draft follow-up requests; the matrix shows every cell, overdue and chasers;
co-ordinators see only their own unit's work."""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select, update

from gainportal.db import db_session
from gainportal.models import AgencyKind, AuditEvent, InformationRequest, Notification, RequestState, Role, User
from gainportal.models.circulation import Circulation, CirculationResult, CirculationTarget, HitOutcome
from gainportal.security.permissions import Action, can, visible
from gainportal.services.dates import today
from tests.circulation_factories import Gain
from tests.conftest import csrf_from, post_form, sign_in

NOTE_CANARY = "seen-at-canal-wharf-canary"


def _client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def _answer(client, gain, spoc, outcomes: dict[int, str], note: str = ""):
    target = gain.target_id(spoc)
    data = {f"result-{gain.subject_ids[i]}": value for i, value in outcomes.items()}
    data.update({f"note-{gain.subject_ids[i]}": note for i in outcomes})
    return post_form(client, f"/partner/checks/{target}", data)


def _upload(client, target_id: int, content: bytes):
    page = client.get(f"/partner/checks/{target_id}")
    return client.post(f"/partner/checks/{target_id}/upload", content_type="multipart/form-data",
                       data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                             "file": (io.BytesIO(content), "results.csv")})


def test_a_partner_never_sees_another_agencys_answers(app, make):
    gain = Gain(app, make)
    gain.circulate()
    hmrc, fire = gain.spocs[1], gain.spocs[2]
    a = _client(app, hmrc)
    assert _answer(a, gain, hmrc, {0: "hit", 1: "no_hit", 2: "not_held"}, NOTE_CANARY).status_code == 302
    b = _client(app, fire)
    page = b.get(f"/partner/checks/{gain.target_id(fire)}").get_data(as_text=True)
    assert NOTE_CANARY not in page and "Not a record type we hold" not in page.split('id="answers"')[1].split("<form")[0]
    assert 'data-testid="answer-1"' not in page  # fire has answered nothing, and sees nothing answered
    # Another agency's slice, the matrix and the operation's GAIN page are all 404s to a partner.
    assert b.get(f"/partner/checks/{gain.target_id(hmrc)}").status_code == 404
    assert b.get(f"/gain/circulations/{gain.circulation_id}").status_code == 404
    assert b.get(f"/operations/{gain.cycle.operation_id}/gain").status_code == 404
    assert post_form(b, f"/partner/checks/{gain.target_id(hmrc)}", {f"result-{gain.subject_ids[0]}": "no_hit"},
                     form_page=f"/partner/checks/{gain.target_id(fire)}").status_code == 404
    with app.app_context():
        s = db_session()
        user = s.get(User, fire.id)
        user.is_authenticated = True
        mine = s.scalars(visible(CirculationTarget, user)).unique().all()
        assert [t.agency_id for t in mine] == [fire.agency_id]
        hmrc_result = s.scalars(select(CirculationResult)).first()
        assert not can(user, Action.VIEW, hmrc_result)
        assert not can(user, Action.VIEW, s.get(Circulation, gain.circulation_id))
    # The agency that answered sees its own answers.
    own = a.get(f"/partner/checks/{gain.target_id(hmrc)}").get_data(as_text=True)
    assert NOTE_CANARY in own and "Not a record type we hold" in own


def test_what_a_partner_sees_names_no_operation_or_group(app, make):
    gain = Gain(app, make)
    gain.circulate()
    spoc = gain.spocs[1]
    client = _client(app, spoc)
    target = gain.target_id(spoc)
    pages = [client.get("/partner/checks").get_data(as_text=True),
             client.get(f"/partner/checks/{target}").get_data(as_text=True),
             client.get(f"/partner/checks/{target}/template.csv").get_data(as_text=True)]
    assert "Wei Chen" in pages[1] and "LB70 VWX" in pages[1] and "Golden Dragon" in pages[1]
    assert "Wei Chen" in pages[2]
    for body in pages:
        assert gain.operation_name not in body and gain.operation_reference not in body
        assert "OCG" not in body and "organised crime" not in body.lower()
        assert "Check the takeaway and its manager" not in body  # the referral's concern stays police-side
        assert "Heron Walk" not in body  # the requirement's gap


def test_the_coordinator_cannot_put_operation_or_group_words_in_front_of_partners(app, make):
    gain = Gain(app, make)
    referral_id = gain.referral()
    client = _client(app, gain.coordinator)
    url = f"/gain/referrals/{referral_id}/circulate"
    base = {"deadline": ["1", "1", str(today().year + 1)],
            "classification": "OFFICIAL-SENSITIVE", "agency_mode": "all",
            "subjects-0-kind": "person", "subjects-0-name": "Wei Chen"}
    for purpose, message in ((f"Checks for {gain.operation_name}", "Do not name the operation"),
                             ("We are looking at an OCG running takeaways", "police jargon")):
        page = post_form(client, url, {**base, "purpose": purpose}).get_data(as_text=True)
        assert message in page
    page = post_form(client, url, {**base, "purpose": "Checking a takeaway",
                                   "subjects-0-name": gain.operation_reference}).get_data(as_text=True)
    assert "do not name the operation" in page
    with app.app_context():
        assert db_session().scalar(select(Circulation.id)) is None


def test_a_partner_signs_the_agreement_before_seeing_subjects(app, make):
    gain = Gain(app, make, sign_partners=False)
    gain.circulate()
    spoc = gain.spocs[1]
    client = _client(app, spoc)
    listing = client.get("/partner/checks").get_data(as_text=True)
    assert "Wei Chen" not in listing and "To answer" in listing
    response = client.get(f"/partner/checks/{gain.target_id(spoc)}")
    assert response.status_code == 302 and f"/agreements/{gain.cycle.operation_id}/sign" in response.headers["Location"]
    sign_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wei Chen" not in sign_page and gain.operation_name not in sign_page
    assert client.get(f"/partner/checks/{gain.target_id(spoc)}/template.csv").status_code == 302


def test_csv_upload_reports_each_bad_row_and_keeps_every_good_one(app, make):
    gain = Gain(app, make)
    gain.circulate()
    spoc = gain.spocs[1]
    client = _client(app, spoc)
    target = gain.target_id(spoc)
    content = ("subject,description,result,note\n"
               "S1,person,hit,holds a tax record\n"
               "S9,nobody,no hit,\n"          # line 3: no such subject
               "S2,vehicle,maybe,\n"          # line 4: bad result
               ",,no hit,\n"                  # line 5: no subject
               "\n"                           # blank: ignored
               "S1,person,no hit,\n"          # line 7: duplicate of S1
               "3,premises,Not held,\n").encode()  # line 8: good (number and any case accepted)
    response = _upload(client, target, content)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    errors = body.split('data-testid="upload-errors"')[1].split("</ul>")[0]
    for line, text in ((3, "no subject \u201cS9\u201d"), (4, "hit, no hit or not held"), (5, "Enter the subject"),
                       (7, "more than once")):
        assert f"Row {line}: " in errors and text in errors
    assert errors.count("<li>") == 4
    with app.app_context():
        s = db_session()
        results = {r.subject.position: r.outcome for r in s.get(CirculationTarget, target).results}
        assert results == {1: HitOutcome.HIT, 3: HitOutcome.NOT_HELD}
    # The corrected file can be uploaded again in full: saved rows are left alone, a changed
    # answer is refused on its own row, and the remaining row is saved.
    content = b"subject,result\nS1,hit\nS2,no hit\nS3,no hit\n"
    body = _upload(client, target, content).get_data(as_text=True)
    errors = body.split('data-testid="upload-errors"')[1].split("</ul>")[0]
    assert "Row 4: S3 is already answered" in errors and errors.count("<li>") == 1
    with app.app_context():
        s = db_session()
        t = s.get(CirculationTarget, target)
        assert {r.subject.position: r.outcome for r in t.results} == {
            1: HitOutcome.HIT, 2: HitOutcome.NO_HIT, 3: HitOutcome.NOT_HELD}
        assert t.completed_at is not None
    # Files that are not CSV text are refused whole, with a message, not a 500.
    other = gain.target_id(gain.spocs[2])
    fire = _client(app, gain.spocs[2])
    assert "saved as UTF-8" in _upload(fire, other, b"\xff\xfe\x00bad").get_data(as_text=True)
    assert "first row must name the columns" in _upload(fire, other, b"a,b\n1,2\n").get_data(as_text=True)


def test_a_hit_drafts_a_follow_up_request_for_the_lro(app, make):
    gain = Gain(app, make)
    gain.circulate()
    spoc = gain.spocs[1]
    _answer(_client(app, spoc), gain, spoc, {0: "hit", 1: "no_hit"})
    with app.app_context():
        s = db_session()
        drafts = s.scalars(select(InformationRequest)).all()
        assert len(drafts) == 1
        req = drafts[0]
        assert (req.state, req.agency_id, req.created_by_id) == (RequestState.DRAFT, spoc.agency_id, gain.lro.id)
        assert req.operation_id == gain.cycle.operation_id and req.plan_item.requirement_id == gain.cycle.requirement_id
        assert req.subjects[0].details["name"] == "Wei Chen" and len(req.questions) == 2
        result = s.scalar(select(CirculationResult).where(CirculationResult.followup_request_id == req.id))
        assert result.subject.position == 1
        reference, request_id = req.reference, req.id
        assert s.scalar(select(Notification).where(Notification.kind == "circulation_hit")).user_id == gain.lro.id
    lro = _client(app, gain.lro)
    matrix = lro.get(f"/gain/circulations/{gain.circulation_id}").get_data(as_text=True)
    assert reference in matrix and "Draft" in matrix.split('data-testid="hits"')[1]
    assert lro.get(f"/requests/{request_id}").status_code == 200


def test_matrix_shows_every_cell_overdue_and_content_free_chasers(app, make):
    gain = Gain(app, make)
    gain.circulate()
    hmrc = gain.spocs[1]
    _answer(_client(app, hmrc), gain, hmrc, {0: "hit", 1: "no_hit", 2: "not_held"})
    coordinator = _client(app, gain.coordinator)
    page = coordinator.get(f"/gain/circulations/{gain.circulation_id}").get_data(as_text=True)
    for position in (1, 2, 3):
        for agency in gain.agencies:
            state = {1: "hit", 2: "no_hit", 3: "not_held"}[position] if agency.id == hmrc.agency_id else "awaiting"
            assert f'data-testid="cell-{position}-{agency.id}" data-state="{state}"' in page
    assert "3 of 12 answers (25%)" in page and "3 of 3, 33% hits" in page
    assert "Overdue" not in page
    with app.app_context():
        s = db_session()
        s.execute(update(Circulation).values(deadline=today() - timedelta(days=1)))
        s.commit()
    page = coordinator.get(f"/gain/circulations/{gain.circulation_id}").get_data(as_text=True)
    assert f'data-testid="cell-1-{gain.agencies[0].id}" data-state="overdue"' in page
    assert f'data-testid="cell-1-{hmrc.agency_id}" data-state="hit"' in page
    assert 'data-testid="circulation-overdue"' in page
    summary = page.split(f'data-testid="agency-summary-{gain.agencies[2].id}"')[1].split("</td>")[0]
    assert "Overdue" in summary
    assert "Overdue" not in page.split(f'data-testid="agency-summary-{hmrc.agency_id}"')[1].split("</td>")[0]
    response = post_form(coordinator, f"/gain/circulations/{gain.circulation_id}/chase", {},
                         form_page=f"/gain/circulations/{gain.circulation_id}")
    assert response.status_code == 302
    with app.app_context():
        notes = db_session().scalars(select(Notification).where(Notification.kind == "circulation_overdue")).all()
        assert sorted(n.user_id for n in notes) == sorted(u.id for u in gain.spocs if u.id != hmrc.id)
        for n in notes:
            assert "Wei Chen" not in n.body + n.subject and gain.operation_name not in n.body + n.subject
    # Once a day: a second press queues nothing new.
    post_form(coordinator, f"/gain/circulations/{gain.circulation_id}/chase", {},
              form_page=f"/gain/circulations/{gain.circulation_id}")
    with app.app_context():
        assert len(db_session().scalars(select(Notification).where(Notification.kind == "circulation_overdue")).all()) == 3


def test_who_sees_a_circulation(app, make):
    gain = Gain(app, make)
    gain.circulate()
    url = f"/gain/circulations/{gain.circulation_id}"
    assert _client(app, gain.lro).get(url).status_code == 200
    assert _client(app, gain.coordinator).get(url).status_code == 200
    # A co-ordinator of another region, police of another force, an unsigned analyst of the
    # owning force and a partner user (not the SPOC) all get a 404.
    other_rocu = make.agency(AgencyKind.ROCU)
    outsiders = [make.user(agency=other_rocu, role=Role.GAIN_COORDINATOR), make.user(role=Role.LRO),
                 make.user(agency=gain.cycle.force, role=Role.ANALYST)]
    clients = [_client(app, user) for user in outsiders]
    for client in clients:
        assert client.get(url).status_code == 404
    other = clients[0]
    assert gain.operation_reference not in other.get("/gain").get_data(as_text=True)
    partner_user = make.user(agency=gain.agencies[1], role=Role.PARTNER_USER)
    assert _client(app, partner_user).get(f"/partner/checks/{gain.target_id(gain.spocs[1])}").status_code == 404


def test_referrals_are_accepted_declined_or_merged_with_rationale(app, make):
    gain = Gain(app, make)
    first, second, third = gain.referral(accept=False), gain.referral(accept=False), gain.referral(accept=False)
    client = _client(app, gain.coordinator)
    assert "Enter the reason" in post_form(client, f"/gain/referrals/{first}", {"decision": "accepted"}).get_data(as_text=True)
    assert post_form(client, f"/gain/referrals/{first}", {"decision": "accepted", "rationale": "Fits the theme"}).status_code == 302
    page = post_form(client, f"/gain/referrals/{second}", {"decision": "merged", "rationale": "Same takeaway"})
    assert "Select the open referral this one duplicates" in page.get_data(as_text=True)
    assert post_form(client, f"/gain/referrals/{second}", {"decision": "merged", "merge_into_id": str(first),
                                                            "rationale": "Same takeaway"}).status_code == 302
    assert post_form(client, f"/gain/referrals/{third}", {"decision": "declined",
                                                           "rationale": "Already tasked locally"}).status_code == 302
    # A partner's own concern comes in too, and the LRO sees the decisions on the operation page.
    spoc = _client(app, gain.spocs[2])
    assert post_form(spoc, "/partner/gain/refer", {"gain_agency_id": str(gain.rocu.id),
                                                   "concern": "Workers sleeping above the takeaway"}).status_code == 302
    listing = client.get("/gain").get_data(as_text=True)
    assert listing.count("Waiting for decision") == 1
    lro_page = _client(app, gain.lro).get(f"/operations/{gain.cycle.operation_id}/gain").get_data(as_text=True)
    assert "Accepted" in lro_page and "Merged" in lro_page and "Already tasked locally" in lro_page
    with app.app_context():
        actions = db_session().scalars(select(AuditEvent.action).where(AuditEvent.action.like("gain_referral_%"))).all()
        assert sorted(actions) == sorted(["gain_referral_submitted"] * 4 + [
            "gain_referral_accepted", "gain_referral_merged", "gain_referral_declined"])


def test_a_revoked_spoc_no_longer_sees_the_check_listed(app, make):
    """Revocation cuts a partner's access at once, down to the listing (as for requests)."""
    from sqlalchemy import select

    from gainportal.models.circulation import CirculationTarget
    from gainportal.security.permissions import visible_to
    from gainportal.services import indoctrination
    from tests.circulation_factories import Gain

    world = Gain(app, make)
    circulation_id = world.circulate()
    with app.app_context():
        s = db_session()
        spoc = s.merge(world.spocs[0])
        before = s.scalars(select(CirculationTarget).where(
            CirculationTarget.circulation_id == circulation_id, visible_to(spoc, CirculationTarget))).all()
        assert len(before) == 1
        record = indoctrination.record_for(s, before[0].circulation.operation_id, spoc)
        indoctrination.revoke(s, record, "Left the agency", s.merge(world.lro))
        s.flush()
        after = s.scalars(select(CirculationTarget).where(
            CirculationTarget.circulation_id == circulation_id, visible_to(spoc, CirculationTarget))).all()
        assert after == []


def test_the_coordinators_and_operations_lists_count_each_circulations_own_answers(app, make):
    gain = Gain(app, make)
    first = gain.circulate()
    hmrc = gain.spocs[1]
    _answer(_client(app, hmrc), gain, hmrc, {0: "hit", 1: "no_hit", 2: "not_held"})
    second = gain.circulate(days=14)
    coordinator, lro = _client(app, gain.coordinator), _client(app, gain.lro)
    operation_gain = f"/operations/{gain.cycle.operation_id}/gain"

    def row(page, circulation_id, end="</tr>"):
        return page.split(f'href="/gain/circulations/{circulation_id}"')[1].split(end)[0]

    page = coordinator.get("/gain").get_data(as_text=True)
    assert "3 of 12 (25%)" in row(page, first) and "0 of 12 (0%)" in row(page, second)
    assert "Overdue" not in page
    page = lro.get(operation_gain).get_data(as_text=True)
    assert "3 of 12 answered" in row(page, first, "</li>") and "0 of 12 answered" in row(page, second, "</li>")
    assert "Overdue" not in page
    with app.app_context():
        s = db_session()
        s.execute(update(Circulation).where(Circulation.id == first).values(deadline=today() - timedelta(days=1)))
        s.commit()
    page = coordinator.get("/gain").get_data(as_text=True)
    assert "Overdue" in row(page, first) and "Overdue" not in row(page, second)
    page = lro.get(operation_gain).get_data(as_text=True)
    assert "Overdue" in row(page, first, "</li>") and "Overdue" not in row(page, second, "</li>")


def test_a_circulations_page_does_not_query_once_per_agency(app, make):
    from sqlalchemy import event

    from gainportal.models import Agency, User
    from gainportal.models.circulation import GainReferral
    from gainportal.services import circulation as service
    from tests.circulation_factories import PURPOSE, SUBJECTS

    gain = Gain(app, make)
    with app.app_context():
        s = db_session()
        one = service.circulate(s, s.get(GainReferral, gain.referral()), service.CirculationDraft(
            purpose=PURPOSE, deadline=today() + timedelta(days=7), subjects=list(SUBJECTS),
            agencies=[s.get(Agency, gain.agencies[0].id)]), s.get(User, gain.coordinator.id)).id
        s.commit()
    four = gain.circulate()
    for spoc in gain.spocs[1:3]:  # two agencies answer, each with a hit (a follow-up request each)
        _answer(_client(app, spoc), gain, spoc, {0: "hit", 1: "no_hit", 2: "not_held"})
    coordinator = _client(app, gain.coordinator)
    engine = app.extensions["gainportal_db"].engine
    counted = [0]

    def count(*_args):
        counted[0] += 1

    statements = {}
    for circulation_id in (one, four):
        url = f"/gain/circulations/{circulation_id}"
        coordinator.get(url)
        event.listen(engine, "before_cursor_execute", count)
        try:
            counted[0] = 0
            assert coordinator.get(url).status_code == 200
            statements[circulation_id] = counted[0]
        finally:
            event.remove(engine, "before_cursor_execute", count)
    # Four agencies with answers and hits load their follow-up requests in one more statement.
    assert statements[four] <= statements[one] + 1, statements


def test_a_referral_carries_its_operations_marking_and_only_the_cleared_see_it(app, make):
    """An LRO's referral describes a SECRET operation: a BPSS co-ordinator of the unit is not
    told of it, does not see it listed and gets 404 for it; an SC co-ordinator does. A
    partner's own concern (OFFICIAL-SENSITIVE) reaches both."""
    from gainportal.models import Classification, Clearance, Operation
    from gainportal.models.circulation import GainReferral

    gain = Gain(app, make)
    bpss = make.user(agency=gain.rocu, role=Role.GAIN_COORDINATOR, clearance=Clearance.BPSS)
    with app.app_context():
        s = db_session()
        s.get(Operation, gain.cycle.operation_id).classification = Classification.SECRET
        s.commit()
    secret = gain.referral(accept=False)
    spoc = _client(app, gain.spocs[2])
    assert post_form(spoc, "/partner/gain/refer", {"gain_agency_id": str(gain.rocu.id),
                                                   "concern": "Workers sleeping above the takeaway"}).status_code == 302
    with app.app_context():
        s = db_session()
        own = s.scalar(select(GainReferral.id).where(GainReferral.operation_id.is_(None)))
        markings = dict(s.execute(select(GainReferral.id, GainReferral.classification)).all())
        assert markings == {secret: Classification.SECRET, own: Classification.OFFICIAL_SENSITIVE}
        told = {(n.user_id, n.dedupe_key) for n in s.scalars(select(Notification).where(Notification.kind == "gain_referral"))}
    assert (gain.coordinator.id, f"gain-referral:{secret}:{gain.coordinator.id}") in told
    assert not any(user_id == bpss.id and key.startswith(f"gain-referral:{secret}:") for user_id, key in told)
    assert (bpss.id, f"gain-referral:{own}:{bpss.id}") in told

    cleared, uncleared = _client(app, gain.coordinator), _client(app, bpss)
    assert cleared.get(f"/gain/referrals/{secret}").status_code == 200
    assert uncleared.get(f"/gain/referrals/{secret}").status_code == 404
    assert uncleared.get(f"/gain/referrals/{own}").status_code == 200
    with app.app_context():
        reference = db_session().get(GainReferral, secret).reference
    assert reference in cleared.get("/gain").get_data(as_text=True)
    assert reference not in uncleared.get("/gain").get_data(as_text=True)
