"""The same upload form sent twice to real gunicorn workers over PostgreSQL: a browser that
gives up on a slow upload and resends it while the first is still being sealed in another
worker, and a resend after the worker holding the first was killed (SIGKILL). Either way the
file is attached once, both sends answer as the first did, and no second sealed copy is
left in the store."""
from __future__ import annotations

import os
import re
import signal
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gainportal.db import db_session
from gainportal.models import Attachment, AuditEvent, InformationRequest
from tests.cycle_factories import Cycle
from tests.processes import Browser, assert_audit_chain_intact, gunicorn_children, wait_for

pytestmark = pytest.mark.processes

CONTENT = b"date,premises\n" + b"2024-03-01,12 Kirkstall Road\n" * 20_000  # ~600 KB, several chunks
ANSWER = "See the attached licence log"


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', html).group(1)


def _form(partner: Browser, path: str, question_id: int) -> list[tuple[str, str]]:
    page = partner.get(path)
    assert page.status == 200
    return [("csrf_token", _hidden(page.text, "csrf_token")),
            ("idempotency_key", _hidden(page.text, "idempotency_key")),
            ("upload_token", _hidden(page.text, "upload_token")), ("action", "save"),
            (f"outcome-{question_id}", "answered"), (f"answer-{question_id}", ANSWER)]


def _same_browser(partner: Browser, port: int) -> Browser:
    other = Browser(port)
    other.cookies = dict(partner.cookies)
    return other


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        s = db_session()
        audited = {a: s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == a))
                   for a in ("attachment_uploaded", "attachment_upload_repeated")}
        return (s.scalar(select(func.count()).select_from(Attachment)), audited["attachment_uploaded"],
                audited["attachment_upload_repeated"])


def _sealed(upload_dir: Path) -> set[str]:
    return {p.name for p in upload_dir.iterdir()} if upload_dir.exists() else set()


def _send_in_background(browser: Browser, path: str, fields, files) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def send():
        try:
            outcome["page"] = browser.post(path, fields, files)
        except Exception as exc:  # noqa: BLE001 - a killed worker drops the connection
            outcome["error"] = exc
    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, outcome


def test_a_resend_while_the_first_send_is_sealing_attaches_once(app, make, portal, fault_instance):
    cycle = Cycle(app, make)
    request_id = cycle.draft(issue=True)
    with app.app_context():
        q1 = db_session().get(InformationRequest, request_id).questions[0].id
    path = f"/partner/requests/{request_id}"
    partner = Browser(portal.port)
    partner.sign_in(cycle.spoc)
    # The draft exists already, as the answer does: sends made while the first still holds an
    # uncommitted draft or answer row wait for it, so they cannot race past each other.
    saved = partner.post(f"{path}/answers", _form(partner, path, q1))
    assert saved.status == 302
    upload_dir = fault_instance / "uploads"
    before = _sealed(upload_dir)
    try:
        _resend_while_sealing_then_after_a_kill(app, portal, partner, path, q1, upload_dir, before)
    finally:
        # The server's instance folder outlives this test's database: leave the store as found.
        for name in _sealed(upload_dir) - before:
            (upload_dir / name).unlink(missing_ok=True)


def _resend_while_sealing_then_after_a_kill(app, portal, partner: Browser, path: str, q1: int,
                                            upload_dir: Path, before: set[str]) -> None:
    fields = _form(partner, path, q1)
    files = [(f"file-{q1}", "licence log.csv", CONTENT, "text/csv")]

    # 1. The first send is held while sealing in one worker; the resend goes to the other.
    portal.hold("upload")
    thread, first = _send_in_background(partner, f"{path}/answers", fields, files)
    wait_for(lambda: portal.held("upload"), timeout=60, what="the first send to reach the pause")
    resent = _same_browser(partner, portal.port).post(f"{path}/answers", fields, files)
    assert resent.status == 302, resent.text[:800]
    assert _counts(app)[:2] == (1, 1)
    portal.release("upload")
    thread.join(60)
    assert first["page"].status == 302 and first["page"].location == resent.location
    assert _counts(app) == (1, 1, 1)
    with app.app_context():
        attachment = db_session().scalar(select(Attachment))
        uid, attachment_id = attachment.uid, attachment.id
    assert _sealed(upload_dir) - before == {f"{uid}.sealed"}  # the loser's copy is gone
    page = partner.get(path)
    assert page.text.count(">licence log.csv</a>") == 1

    # 2. A new form's send is killed while sealing; resending that form stores the file
    #    once, and a further resend attaches nothing new.
    fields = _form(partner, path, q1)
    portal.hold("upload")
    thread, killed = _send_in_background(partner, f"{path}/answers", fields, files)
    held = wait_for(lambda: portal.held("upload"), timeout=60, what="the send to reach the pause")
    os.kill(int(held[0].name.rsplit("-", 1)[1]), signal.SIGKILL)
    thread.join(60)
    portal.release("upload")
    assert "error" in killed or killed["page"].status >= 500, killed
    assert _counts(app) == (1, 1, 1)
    wait_for(lambda: len(gunicorn_children(portal.master_pid)) == 2, timeout=60, what="a replacement worker")
    for expected in ((2, 2, 1), (2, 2, 2)):
        again = partner.post(f"{path}/answers", fields, files)
        assert again.status == 302, again.text[:800]
        assert _counts(app) == expected
    assert partner.get(path).text.count(">licence log.csv</a>") == 2
    assert partner.get(f"/partner/attachments/{attachment_id}").text.encode() == CONTENT
    assert_audit_chain_intact(app)
