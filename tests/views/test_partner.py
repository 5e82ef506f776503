"""Partner side of a request: inbox, request page, acknowledge, decline, assign, messages,
answers (draft, validation, no trace, idempotent submit) and what a partner must never see."""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_from, sign_in
from gainportal.db import db_session
from gainportal.models import (
    AgencyKind, Answer, AnswerOutcome, AuditEvent, InformationRequest, PartnerResponse, RequestState,
    ResponseState, Role,
)
from gainportal.services import requests as request_service
from partner_cycle import GAP, INTENT, OP_NAME, QUESTIONS, Cycle


@pytest.fixture
def cycle(app):
    return Cycle(app)


@pytest.fixture
def world(app, make, cycle):
    """A force with an LRO, a council with a SPOC and a partner user, another council with a
    SPOC, and one issued request from the force to the first council."""
    force = make.agency(AgencyKind.POLICE_FORCE, name="West Yorkshire Police")
    council = make.agency(AgencyKind.COUNCIL, name="Leeds City Council")
    other = make.agency(AgencyKind.COUNCIL, name="Bradford Council")
    lro = make.user(agency=force, role=Role.LRO)
    spoc = make.user(agency=council, role=Role.PARTNER_SPOC)
    colleague = make.user(agency=council, role=Role.PARTNER_USER)
    other_spoc = make.user(agency=other, role=Role.PARTNER_SPOC)
    cycle.signers = [spoc, colleague, other_spoc]
    req = cycle.request(lro, council)

    class W:
        pass
    w = W()
    w.__dict__.update(force=force, council=council, other=other, lro=lro, spoc=spoc, colleague=colleague,
                      other_spoc=other_spoc, req=req)
    return w


def client_for(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def token(client) -> str:
    return csrf_from(client.get("/partner/requests").get_data(as_text=True))


def page(client, req_id) -> str:
    response = client.get(f"/partner/requests/{req_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def idem_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def answers_post(client, req_id, data: dict, action="save", html: str | None = None):
    html = html or page(client, req_id)
    form = {"csrf_token": csrf_from(html), "idempotency_key": idem_key(html), "action": action, **data}
    return client.post(f"/partner/requests/{req_id}/answers", data=form)


def state_of(app, req_id) -> RequestState:
    with app.app_context():
        return db_session().get(InformationRequest, req_id).state


# --- who can see what ---------------------------------------------------------------------
def test_partner_of_another_agency_gets_404_everywhere(app, world):
    client = client_for(app, world.other_spoc)
    rid, csrf = world.req.id, token(client)
    assert client.get(f"/partner/requests/{rid}").status_code == 404
    assert client.get(f"/partner/requests/{rid}/decline").status_code == 404
    assert client.get(f"/partner/requests/{rid}/sent").status_code == 404
    for path, data in [("acknowledge", {}), ("decline", {"reason": "No"}), ("messages", {"body": "Hello"}),
                       ("assign", {f"assignee-{world.req.question_ids[0]}": ""}),
                       ("answers", {"action": "submit", "idempotency_key": "x1",
                                    **{f"outcome-{q}": "no_trace" for q in world.req.question_ids}})]:
        response = client.post(f"/partner/requests/{rid}/{path}", data={"csrf_token": csrf, **data})
        assert response.status_code == 404, path
    assert world.req.reference not in client.get("/partner/requests").get_data(as_text=True)
    assert state_of(app, rid) is RequestState.ISSUED
    with app.app_context():
        s = db_session()
        assert s.scalar(select(func.count()).select_from(PartnerResponse)) == 0
        refused = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.like("%_refused"), AuditEvent.object_id == str(rid)))
        assert refused >= 1


def test_draft_requests_are_invisible_to_the_partner(app, world, cycle):
    draft = cycle.request(world.lro, world.council, issue=False)
    client = client_for(app, world.spoc)
    assert client.get(f"/partner/requests/{draft.id}").status_code == 404
    inbox = client.get("/partner/requests").get_data(as_text=True)
    assert draft.reference not in inbox
    assert world.req.reference in inbox


def test_police_roles_cannot_open_partner_pages(app, world):
    client = client_for(app, world.lro)
    assert client.get("/partner/requests").status_code == 404
    assert client.get(f"/partner/requests/{world.req.id}").status_code == 404


def test_partner_pages_never_show_operation_requirement_or_jargon(app, world):
    client = client_for(app, world.spoc)
    pages = [client.get("/partner/requests").get_data(as_text=True),
             page(client, world.req.id),
             client.get("/").get_data(as_text=True),
             client.get(f"/partner/requests/{world.req.id}/decline").get_data(as_text=True)]
    detail = pages[1]
    assert "Kirkstall Road" in detail and "West Yorkshire Police" in detail  # questions and force shown
    assert "AB12 CDE" in detail and "Alan Example" in detail                 # subjects shown
    for html in pages:
        assert OP_NAME not in html
        assert GAP not in html and INTENT not in html
        assert not re.search(r"\b(OCG|SOC)\b", html)
        for role_word in ("principal", "peripheral", "nominal"):
            assert role_word not in html.lower()


def test_inbox_lists_only_my_agencys_requests_with_deadline_tags(app, world, cycle):
    overdue = cycle.request(world.lro, world.council, deadline_days=-2)
    soon = cycle.request(world.lro, world.council, deadline_days=3)
    elsewhere = cycle.request(world.lro, world.other)
    client = client_for(app, world.spoc)
    html = client.get("/partner/requests").get_data(as_text=True)
    assert elsewhere.reference not in html
    assert "Overdue" in html and "Due in 3 days" in html
    # Overdue first (soonest deadline), then due soon, then the 14-day one.
    assert html.index(overdue.reference) < html.index(soon.reference) < html.index(world.req.reference)
    only_overdue = client.get("/partner/requests?due=overdue").get_data(as_text=True)
    assert overdue.reference in only_overdue and soon.reference not in only_overdue
    due_soon = client.get("/partner/requests?due=soon").get_data(as_text=True)
    assert soon.reference in due_soon and overdue.reference not in due_soon
    assert world.req.reference not in due_soon
    cycle.act(request_service.acknowledge, soon.id, world.spoc)
    new_only = client.get("/partner/requests?status=new").get_data(as_text=True)
    assert soon.reference not in new_only and overdue.reference in new_only
    ack = client.get("/partner/requests?status=acknowledged").get_data(as_text=True)
    assert soon.reference in ack and overdue.reference not in ack
    assert client.get("/partner/requests?status=nonsense&page=x").status_code == 200


def test_inbox_paginates_in_sql(app, world, cycle, monkeypatch):
    from gainportal.views import partner
    monkeypatch.setattr(partner, "PAGE_SIZE", 2)
    extra = [cycle.request(world.lro, world.council, deadline_days=20 + i) for i in range(2)]
    client = client_for(app, world.spoc)
    first = client.get("/partner/requests").get_data(as_text=True)
    second = client.get("/partner/requests?page=2").get_data(as_text=True)
    assert "3 requests" in first
    assert world.req.reference in first and extra[0].reference in first and extra[1].reference not in first
    assert extra[1].reference in second and world.req.reference not in second


# --- acknowledge, decline, assign, messages -------------------------------------------------
def test_acknowledge_changes_state_and_is_audited(app, world):
    client = client_for(app, world.spoc)
    html = page(client, world.req.id)
    assert "Acknowledge request" in html
    response = client.post(f"/partner/requests/{world.req.id}/acknowledge", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    assert state_of(app, world.req.id) is RequestState.ACKNOWLEDGED
    with app.app_context():
        event = db_session().scalar(select(AuditEvent).where(AuditEvent.action == "request_acknowledged",
                                                             AuditEvent.object_id == str(world.req.id)))
        assert event is not None and event.actor_user_id == world.spoc.id
    again = page(client, world.req.id)
    assert "Acknowledge request" not in again and "Acknowledged" in again
    # A second acknowledgement is refused with a message, not an error page.
    response = client.post(f"/partner/requests/{world.req.id}/acknowledge", data={"csrf_token": csrf_from(again)},
                           follow_redirects=True)
    assert response.status_code == 200 and "cannot be acknowledged" in response.get_data(as_text=True)


def test_partner_user_cannot_acknowledge_or_decline(app, world, cycle):
    cycle.assign(world.req.question_ids[0], world.colleague, world.spoc)
    client = client_for(app, world.colleague)
    html = page(client, world.req.id)
    assert "Acknowledge request" not in html and "Decline this request" not in html
    csrf = csrf_from(html)
    assert client.post(f"/partner/requests/{world.req.id}/acknowledge", data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"/partner/requests/{world.req.id}/decline",
                       data={"csrf_token": csrf, "reason": "x"}).status_code == 404
    assert state_of(app, world.req.id) is RequestState.ISSUED


def test_decline_needs_a_reason(app, world):
    client = client_for(app, world.spoc)
    url = f"/partner/requests/{world.req.id}/decline"
    form = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_from(form), "reason": "  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Error: " in html and "Enter why your agency cannot answer this request" in html
    assert state_of(app, world.req.id) is RequestState.ISSUED
    response = client.post(url, data={"csrf_token": csrf_from(form), "reason": "We hold no records for that area"})
    assert response.status_code == 302
    assert state_of(app, world.req.id) is RequestState.DECLINED
    html = page(client, world.req.id)
    assert "We hold no records for that area" in html and "Submit response" not in html


def test_spoc_assigns_a_question_and_the_colleague_sees_only_that_one(app, world, make):
    q1, q2 = world.req.question_ids
    spoc = client_for(app, world.spoc)
    colleague = client_for(app, world.colleague)
    assert colleague.get(f"/partner/requests/{world.req.id}").status_code == 404  # nothing assigned yet
    html = page(spoc, world.req.id)
    assert world.colleague.full_name in html
    response = spoc.post(f"/partner/requests/{world.req.id}/assign",
                         data={"csrf_token": csrf_from(html), f"assignee-{q1}": str(world.colleague.id),
                               f"assignee-{q2}": ""})
    assert response.status_code == 302
    mine = page(colleague, world.req.id)
    assert QUESTIONS[0][1] in mine and QUESTIONS[1][1] not in mine
    assert f'name="answer-{q1}"' in mine and f'name="answer-{q2}"' not in mine
    assert "Submit response" not in mine
    assert world.req.reference in colleague.get("/partner/requests").get_data(as_text=True)
    # A user of another agency cannot be assigned.
    stranger = make.user(agency=world.other, role=Role.PARTNER_USER)
    response = spoc.post(f"/partner/requests/{world.req.id}/assign",
                         data={"csrf_token": csrf_from(html), f"assignee-{q2}": str(stranger.id)},
                         follow_redirects=True)
    assert "Select a colleague from your agency" in response.get_data(as_text=True)
    with app.app_context():
        from gainportal.models import RequestQuestion
        assert db_session().get(RequestQuestion, q2).assigned_to_id is None


def test_partner_user_answers_only_assigned_questions(app, world, cycle):
    q1, q2 = world.req.question_ids
    cycle.assign(q1, world.colleague, world.spoc)
    client = client_for(app, world.colleague)
    response = answers_post(client, world.req.id, {
        f"outcome-{q1}": "answered", f"answer-{q1}": "Licence applied for in March",
        f"outcome-{q2}": "answered", f"answer-{q2}": "Sneaky answer to a question not mine",
    }, action="submit")
    assert response.status_code == 302
    assert state_of(app, world.req.id) is RequestState.ISSUED  # a partner user cannot submit
    with app.app_context():
        answers = db_session().scalars(select(Answer)).all()
        assert [(a.question_id, a.text, a.answered_by_id) for a in answers] == \
            [(q1, "Licence applied for in March", world.colleague.id)]
    spoc_html = page(client_for(app, world.spoc), world.req.id)
    assert "Licence applied for in March" in spoc_html


def test_clarification_messages_both_ways(app, world, cycle):
    client = client_for(app, world.spoc)
    html = page(client, world.req.id)
    response = client.post(f"/partner/requests/{world.req.id}/messages",
                           data={"csrf_token": csrf_from(html), "body": ""})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Enter your message" in body and 'href="#body"' in body and "Error: " in body
    response = client.post(f"/partner/requests/{world.req.id}/messages",
                           data={"csrf_token": csrf_from(html), "body": "Which year do you mean in question 1?"})
    assert response.status_code == 302
    cycle.act(lambda s, ir, by: request_service.add_message(s, ir, "Since January 2024, thank you.", by),
              world.req.id, world.lro)
    html = page(client, world.req.id)
    assert "Which year do you mean in question 1?" in html
    assert "Since January 2024, thank you." in html
    assert html.index("Which year") < html.index("Since January 2024")
    with app.app_context():
        assert db_session().scalar(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "clarification_sent")) == 2


# --- answers ------------------------------------------------------------------------------
def test_save_draft_then_reload_shows_the_typed_text(app, world):
    q1, q2 = world.req.question_ids
    client = client_for(app, world.spoc)
    response = answers_post(client, world.req.id, {f"outcome-{q1}": "answered",
                                                   f"answer-{q1}": "Two vans seen\nmost Tuesdays"})
    assert response.status_code == 302
    html = page(client, world.req.id)
    assert "Two vans seen\nmost Tuesdays" in html
    assert re.search(rf'id="outcome-{q1}" name="outcome-{q1}" type="radio" value="answered" checked', html)
    assert state_of(app, world.req.id) is RequestState.ISSUED
    with app.app_context():
        draft = db_session().scalar(select(PartnerResponse))
        assert draft.state is ResponseState.DRAFT and draft.answers[0].text == "Two vans seen\nmost Tuesdays"


def test_submit_with_a_missing_answer_keeps_everything_typed(app, world):
    q1, q2 = world.req.question_ids
    client = client_for(app, world.spoc)
    html = page(client, world.req.id)
    key = idem_key(html)
    response = answers_post(client, world.req.id, {f"outcome-{q1}": "answered", f"answer-{q1}": "Seen twice",
                                                   f"outcome-{q2}": "answered", f"answer-{q2}": ""},
                            action="submit", html=html)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<title>Error: " in body
    assert "There is a problem" in body
    assert f'href="#answer-{q2}">Enter your answer to question 2</a>' in body
    assert "Seen twice" in body
    assert idem_key(body) == key  # the same token, so a double click still makes one response
    assert state_of(app, world.req.id) is RequestState.ISSUED
    with app.app_context():  # and the draft was saved before the errors were shown
        draft = db_session().scalar(select(PartnerResponse))
        assert {a.question_id: a.text for a in draft.answers}[q1] == "Seen twice"
    # With no outcome chosen the summary links to the radios.
    response = answers_post(client, world.req.id, {f"answer-{q1}": "Seen twice", f"outcome-{q1}": "answered"},
                            action="submit")
    assert f'href="#outcome-{q2}">Answer question 2, or select' in response.get_data(as_text=True)


def test_no_trace_submit_works_and_shows_read_only(app, world):
    q1, q2 = world.req.question_ids
    client = client_for(app, world.spoc)
    response = answers_post(client, world.req.id, {f"outcome-{q1}": "answered", f"answer-{q1}": "Licence in 2023",
                                                   f"outcome-{q2}": "no_trace"}, action="submit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/partner/requests/{world.req.id}/sent")
    sent = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Response sent" in sent and world.req.reference in sent and f'data-draft-clear="{world.req.id}"' in sent
    assert state_of(app, world.req.id) is RequestState.ANSWERED
    with app.app_context():
        response_row = db_session().scalar(select(PartnerResponse))
        assert response_row.state is ResponseState.SUBMITTED and response_row.submitted_by_id == world.spoc.id
        assert {a.question_id: a.outcome for a in response_row.answers} == {
            q1: AnswerOutcome.ANSWERED, q2: AnswerOutcome.NO_TRACE}
    html = page(client, world.req.id)
    assert "Licence in 2023" in html and "No trace" in html
    assert 'name="answer-' not in html and "Submit response" not in html


def test_a_first_submission_looks_up_its_draft_and_answers_no_more_than_it_must(app, world, monkeypatch):
    """One form that starts the draft and submits it: the draft is looked up once before the
    save (the view holds it), never to read the answers it has just been given, and once
    more by the submission after the draft's commit (it must see what was committed)."""
    from sqlalchemy import event

    from gainportal.db import get_db

    from gainportal.services import responses

    # Cross-matching after the commit (run at once in tests) reads the answers: not this form's.
    monkeypatch.setattr(responses, "_match_after_commit", lambda s, response_id: None)
    q1, q2 = world.req.question_ids
    client = client_for(app, world.spoc)
    html = page(client, world.req.id)
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = get_db().engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        response = answers_post(client, world.req.id, {f"outcome-{q1}": "answered", f"answer-{q1}": "Licence in 2023",
                                                       f"outcome-{q2}": "no_trace"}, action="submit", html=html)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert response.status_code == 302 and state_of(app, world.req.id) is RequestState.ANSWERED
    draft_lookups = [st for st in seen if st.startswith("SELECT partner_response.id")
                     and "partner_response.state =" in st]
    assert len(draft_lookups) == 2, draft_lookups
    assert not [st for st in seen if st.startswith("SELECT answer.id")], "\n".join(st[:60] for st in seen)


def test_same_idempotency_token_twice_makes_one_response(app, world):
    q1, q2 = world.req.question_ids
    client = client_for(app, world.spoc)
    html = page(client, world.req.id)
    data = {f"outcome-{q1}": "no_trace", f"outcome-{q2}": "no_trace"}
    first = answers_post(client, world.req.id, data, action="submit", html=html)
    second = answers_post(client, world.req.id, data, action="submit", html=html)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    with app.app_context():
        s = db_session()
        assert s.scalar(select(func.count()).select_from(PartnerResponse)) == 1
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "response_submitted")) == 1
    # A different token on an answered request is refused with a clear message.
    third = answers_post(client, world.req.id, data, action="submit",
                         html=html.replace(idem_key(html), uuid.uuid4().hex))
    assert third.status_code == 200 and "already answered" in third.get_data(as_text=True)


def test_submit_after_withdrawal_explains_and_keeps_the_draft(app, world, cycle):
    q1, q2 = world.req.question_ids
    client = client_for(app, world.spoc)
    answers_post(client, world.req.id, {f"outcome-{q1}": "answered", f"answer-{q1}": "First thoughts"})
    html = page(client, world.req.id)
    cycle.act(request_service.withdraw, world.req.id, world.lro, "The business has closed")
    response = answers_post(client, world.req.id, {f"outcome-{q1}": "answered", f"answer-{q1}": "Final words",
                                                   f"outcome-{q2}": "no_trace"}, action="submit", html=html)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This request is already withdrawn. Your draft has been kept" in body
    assert "Final words" in body  # what was typed is on screen to copy
    with app.app_context():
        draft = db_session().scalar(select(PartnerResponse))
        assert draft.state is ResponseState.DRAFT and draft.answers[0].text == "First thoughts"
    # Saving is refused the same way, and the LRO's reason is never shown.
    response = answers_post(client, world.req.id, {f"answer-{q1}": "More"}, html=html)
    assert "withdrawn, so your answers cannot be saved" in response.get_data(as_text=True)
    shown = page(client, world.req.id)
    assert "The business has closed" not in shown and "withdrew this request" in shown


def test_answer_form_carries_draft_key_and_script(app, world):
    client = client_for(app, world.spoc)
    html = page(client, world.req.id)
    assert f'data-draft-key="{world.req.id}"' in html and 'data-draft-version="0"' in html
    assert re.search(r'<script type="module" src="/static/partner-draft.js', html)
    q1 = world.req.question_ids[0]
    answers_post(client, world.req.id, {f"answer-{q1}": "typed"})
    version = int(re.search(r'data-draft-version="(\d+)"', page(client, world.req.id)).group(1))
    assert version > 0
    assert client.get("/static/partner-draft.js").status_code == 200


def test_overlong_answer_is_refused_but_kept_on_screen(app, world):
    q1, q2 = world.req.question_ids
    client = client_for(app, world.spoc)
    long_text = "x" * 20_001
    response = answers_post(client, world.req.id, {f"answer-{q1}": long_text, f"answer-{q2}": "Short one"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "must be 20,000 characters or fewer" in body
    assert long_text in body
    with app.app_context():
        assert [a.text for a in db_session().scalars(select(Answer))] == ["Short one"]


# --- attachments ----------------------------------------------------------------------------
def multipart_post(client, req_id, data: dict, action="save"):
    html = page(client, req_id)
    form = {"csrf_token": csrf_from(html), "idempotency_key": idem_key(html), "action": action, **data}
    return client.post(f"/partner/requests/{req_id}/answers", data=form, content_type="multipart/form-data")


def test_attach_download_and_remove_a_file(app, world):
    import io
    from gainportal.models import Attachment
    q1, q2 = world.req.question_ids
    client = client_for(app, world.spoc)
    response = multipart_post(client, world.req.id, {
        f"outcome-{q1}": "answered", f"answer-{q1}": "See the attached licence log",
        f"file-{q1}": (io.BytesIO(b"date,premises\n2024-03-01,12 Kirkstall Road\n"), "licence log.csv")})
    assert response.status_code == 302
    html = page(client, world.req.id)
    assert "licence log.csv" in html and "See the attached licence log" in html
    with app.app_context():
        attachment = db_session().scalar(select(Attachment))
        att_id, assert_q = attachment.id, attachment.question_id
    assert assert_q == q1
    download = client.get(f"/partner/attachments/{att_id}")
    assert download.status_code == 200
    assert download.data == b"date,premises\n2024-03-01,12 Kirkstall Road\n"
    assert "attachment;" in download.headers["Content-Disposition"]
    # Another agency cannot fetch it.
    assert client_for(app, world.other_spoc).get(f"/partner/attachments/{att_id}").status_code == 404
    # A file of the wrong type is refused by its question, and the typed answer is kept.
    response = multipart_post(client, world.req.id, {
        f"outcome-{q2}": "answered", f"answer-{q2}": "Vans seen",
        f"file-{q2}": (io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\xff\xff\x00\x00"), "tool.exe")})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and f'href="#file-{q2}"' in body and "Vans seen" in body
    # Removing saves what was typed too.
    response = multipart_post(client, world.req.id, {f"answer-{q1}": "Changed my mind",
                                                     f"outcome-{q1}": "answered"}, action=f"remove:{att_id}")
    assert response.status_code == 302
    html = page(client, world.req.id)
    assert "licence log.csv" not in html and "Changed my mind" in html
    with app.app_context():
        assert db_session().scalar(select(func.count()).select_from(Attachment)) == 0
        actions = set(db_session().scalars(select(AuditEvent.action)))
        assert {"attachment_uploaded", "attachment_downloaded", "attachment_removed"} <= actions
