"""A partner's file is attached once per upload form: a double click or a browser resend
(the same one-time upload token) attaches nothing new and shows the same page, whether the
two requests come one after the other or race each other. A new form (a new token) is a
new intention: the same document chosen again is attached again, listed twice, and the
partner can remove one."""
from __future__ import annotations

import io
import re
import threading

import pytest
from sqlalchemy import func, select

from gainportal.db import db_session
from gainportal.models import AgencyKind, Attachment, AuditEvent, DataKey, Role
from partner_cycle import Cycle
from tests.conftest import csrf_from, sign_in

LOG = b"date,premises\n2024-03-01,12 Kirkstall Road\n"
NAME = "licence log.csv"
ANSWER = "See the attached licence log"


@pytest.fixture
def world(app, make):
    force = make.agency(AgencyKind.POLICE_FORCE, name="West Yorkshire Police")
    council = make.agency(AgencyKind.COUNCIL, name="Leeds City Council")
    lro = make.user(agency=force, role=Role.LRO)
    spoc = make.user(agency=council, role=Role.PARTNER_SPOC)
    cycle = Cycle(app)
    cycle.signers = [spoc]
    req = cycle.request(lro, council)
    client = app.test_client()
    sign_in(client, spoc)
    return req, client


def _page(client, req_id) -> str:
    response = client.get(f"/partner/requests/{req_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', html).group(1)


def _form(html: str, question_id: int, content: bytes = LOG, name: str = NAME) -> dict:
    """The answer form as the browser sends it, with one file chosen beside its answer."""
    return {"csrf_token": csrf_from(html), "idempotency_key": _hidden(html, "idempotency_key"),
            "upload_token": _hidden(html, "upload_token"), "action": "save",
            f"outcome-{question_id}": "answered", f"answer-{question_id}": ANSWER,
            f"file-{question_id}": (io.BytesIO(content), name)}


def _post(client, req_id, form: dict):
    # A fresh stream per request: the two sends carry the same bytes, as a resend would.
    data = {k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v for k, v in form.items()}
    return client.post(f"/partner/requests/{req_id}/answers", data=data, content_type="multipart/form-data")


def _attachments(app) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count()).select_from(Attachment))


def _audited(app, action: str) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def _store(app) -> list[str]:
    """What the upload store holds: sealed files and any leftover parts."""
    folder = app.config["SETTINGS"].instance_path / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _listed(client, req_id) -> int:
    return _page(client, req_id).count(f">{NAME}</a>")


def _save_a_draft(client, req_id, question_id) -> None:
    html = _page(client, req_id)
    response = client.post(f"/partner/requests/{req_id}/answers", data={
        "csrf_token": csrf_from(html), "idempotency_key": _hidden(html, "idempotency_key"), "action": "save",
        f"outcome-{question_id}": "answered", f"answer-{question_id}": ANSWER})
    assert response.status_code == 302


def _second_client(app, client):
    """The same signed-in browser, as a second connection (a double click, a resend); made
    after the form page is loaded, whose CSRF token lives in the session cookie."""
    other = app.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name, domain="localhost")
    assert cookie is not None
    other.set_cookie(name, cookie.value, domain="localhost")
    return other


def test_the_same_form_sent_twice_attaches_the_file_once(app, world):
    req, client = world
    q1 = req.question_ids[0]
    form = _form(_page(client, req.id), q1)
    first = _post(client, req.id, form)
    second = _post(client, req.id, form)
    assert first.status_code == second.status_code == 302, second.get_data(as_text=True)[:800]
    assert second.headers["Location"] == first.headers["Location"]
    assert _attachments(app) == 1 and _listed(client, req.id) == 1
    assert _audited(app, "attachment_uploaded") == 1 and _audited(app, "attachment_upload_repeated") == 1
    # The resend was not even sealed: one file in the store, nothing left over.
    assert len(_store(app)) == 1 and _store(app)[0].endswith(".sealed")
    with app.app_context():
        attachment = db_session().scalar(select(Attachment))
        assert attachment.filename == NAME and len(attachment.upload_token) == 32
        attachment_id = attachment.id
    assert client.get(f"/partner/attachments/{attachment_id}").data == LOG


def test_a_new_form_attaches_the_same_document_again(app, world):
    req, client = world
    q1, q2 = req.question_ids
    first_page = _page(client, req.id)
    assert _post(client, req.id, _form(first_page, q1)).status_code == 302
    second_page = _page(client, req.id)
    assert _hidden(second_page, "upload_token") != _hidden(first_page, "upload_token")
    assert _post(client, req.id, _form(second_page, q1)).status_code == 302
    assert _attachments(app) == 2 and _listed(client, req.id) == 2
    # A form sent back with an error is a new form too: a file stored from it did land,
    # and the partner choosing another file on the page shown must not be taken for a resend.
    form = _form(_page(client, req.id), q1, b"more,rows\n1,2\n", "more.csv")
    form[f"file-{q2}"] = (io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00"), "tool.exe")
    refused = _post(client, req.id, form)
    assert refused.status_code == 200 and f'href="#file-{q2}"' in refused.get_data(as_text=True)
    shown = refused.get_data(as_text=True)
    assert _hidden(shown, "upload_token") != form["upload_token"]
    assert _post(client, req.id, _form(shown, q1, b"other,rows\n3,4\n", "other.csv")).status_code == 302
    assert _attachments(app) == 4 and len(_store(app)) == 4


def test_a_form_without_a_usable_token_still_uploads(app, world):
    req, client = world
    q1 = req.question_ids[0]
    form = _form(_page(client, req.id), q1)
    for token in ("", "not a token'; drop table attachment"):
        form["upload_token"] = token
        assert _post(client, req.id, form).status_code == 302
    assert _attachments(app) == 2  # nothing to tell a resend by: stored as before


def _race(*sends):
    """Run each send in its own thread, released together; their responses."""
    barrier = threading.Barrier(len(sends))
    results: list = [None] * len(sends)

    def run(i, send):
        barrier.wait(timeout=10)
        try:
            results[i] = send()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(sends)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_sends_of_the_same_form_at_once_attach_one_file(app, world):
    req, client = world
    q1 = req.question_ids[0]
    form = _form(_page(client, req.id), q1)  # no draft yet: the two also race to make it
    other = _second_client(app, client)
    results = _race(lambda: _post(client, req.id, form), lambda: _post(other, req.id, form))
    assert [getattr(r, "status_code", r) for r in results] == [302, 302], results
    assert results[0].headers["Location"] == results[1].headers["Location"]
    assert _attachments(app) == 1 and _listed(client, req.id) == 1
    assert _audited(app, "attachment_uploaded") == 1 and _audited(app, "attachment_upload_repeated") == 1
    assert len(_store(app)) == 1 and _store(app)[0].endswith(".sealed")


def test_the_database_settles_a_race_the_first_check_cannot_see(app, world, backend, tmp_path, monkeypatch):
    """The first send is held while sealing, past its check for an earlier copy; the second
    send stores the file and commits; the first then finds its row refused by the unique
    constraint, answers as the second did, and deletes the sealed file it had written."""
    if backend == "sqlite":
        pytest.skip("SQLite takes the write lock at BEGIN (BEGIN IMMEDIATE): the held send blocks the other")
    req, client = world
    q1 = req.question_ids[0]
    _save_a_draft(client, req.id, q1)
    form = _form(_page(client, req.id), q1)
    other = _second_client(app, client)
    monkeypatch.setenv("GAINPORTAL_FAULT_DIR", str(tmp_path))
    (tmp_path / "pause-upload").touch()
    held: dict = {}
    thread = threading.Thread(target=lambda: held.setdefault("response", _post(client, req.id, form)))
    thread.start()
    try:
        for _ in range(400):
            if list(tmp_path.glob("paused-upload-*")):
                break
            thread.join(0.05)
        assert list(tmp_path.glob("paused-upload-*")), "the first send never reached the pause"
        second = _post(other, req.id, form)
        assert second.status_code == 302
        assert _attachments(app) == 1
        assert thread.is_alive() and list(tmp_path.glob("paused-upload-*")), "the first send was not held"
    finally:
        for path in tmp_path.glob("paused-upload-*"):
            path.unlink()
        thread.join(60)
    first = held["response"]
    assert first.status_code == 302 and first.headers["Location"] == second.headers["Location"]
    assert _attachments(app) == 1 and _listed(client, req.id) == 1
    assert _audited(app, "attachment_uploaded") == 1 and _audited(app, "attachment_upload_repeated") == 1
    # The loser's ciphertext is gone, its data key never committed.
    with app.app_context():
        s = db_session()
        attachment = s.scalar(select(Attachment))
        assert _store(app) == [f"{attachment.uid}.sealed"]
        assert s.scalar(select(func.count()).select_from(DataKey).where(DataKey.owner_table == "attachment")) == 1
        attachment_id = attachment.id
    assert client.get(f"/partner/attachments/{attachment_id}").data == LOG
