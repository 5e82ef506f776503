"""A gunicorn worker killed (SIGKILL) during a file upload: while the body streams in and
while the file is being sealed. No half file is ever attached, no plaintext is left on
disk (not even in the form parser's spool), the leftover ciphertext is ignored and swept,
and the partner's draft stays as it was."""
from __future__ import annotations

import os
import signal
import socket
import stat
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gainportal.db import db_session
from gainportal.models import Attachment, InformationRequest, PartnerResponse
from gainportal.services import files
from tests.cycle_factories import Cycle
from tests.processes import Browser, assert_audit_chain_intact, gunicorn_children, multipart, wait_for

pytestmark = pytest.mark.processes

CANARY = b"CANARY-PLAINTEXT-do-not-store-7f3a9c "
FILE_BYTES = 3 * 1024 * 1024


def _fields(app, request_id: int, token: str, texts: list[str]) -> tuple[list[tuple[str, str]], list[int]]:
    with app.app_context():
        questions = [q.id for q in db_session().get(InformationRequest, request_id).questions]
    fields = [("csrf_token", token), ("idempotency_key", "k-upload"), ("action", "save")]
    for qid, text in zip(questions, texts):
        fields += [(f"outcome-{qid}", "answered"), (f"answer-{qid}", text)]
    return fields, questions


def _draft_state(app, request_id: int) -> tuple[list[str], int]:
    with app.app_context():
        s = db_session()
        draft = s.scalar(select(PartnerResponse).where(PartnerResponse.request_id == request_id))
        texts = sorted(a.text or "" for a in draft.answers)
        return texts, s.scalar(select(func.count(Attachment.id)).where(Attachment.response_id == draft.id))


def _big_open_files(pid: int, at_least: int) -> list[Path]:
    """Regular files the process has open that have grown past ``at_least`` bytes,
    including unnamed or deleted temporary files (reachable through /proc)."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if int(fd.name) <= 2 or os.readlink(fd).endswith(".log"):
                continue  # the server's own output
            info = os.stat(fd)
        except (FileNotFoundError, PermissionError):
            continue
        if stat.S_ISREG(info.st_mode) and info.st_size >= at_least:
            found.append(fd)
    return found


def _upload_files(upload_dir: Path) -> list[Path]:
    return sorted(upload_dir.iterdir()) if upload_dir.exists() else []


def test_worker_killed_during_an_upload_leaves_no_half_file_and_no_plaintext(app, make, portal, fault_instance):
    cycle = Cycle(app, make)
    request_id = cycle.draft(issue=True)
    path = f"/partner/requests/{request_id}"
    partner = Browser(portal.port)
    partner.sign_in(cycle.spoc)
    texts = ["Three complaints since June", "No vehicle mentioned"]
    fields, questions = _fields(app, request_id, partner.csrf(path), texts)
    assert partner.post(f"{path}/answers", fields).status == 302
    assert _draft_state(app, request_id) == (sorted(texts), 0)
    upload_dir = fault_instance / "uploads"
    content = (CANARY * (FILE_BYTES // len(CANARY) + 1))[:FILE_BYTES]

    # 1. Killed while the body is still streaming in: the form parser has spooled about
    #    2MB of the file, and what it spooled must not be readable.
    fields, _ = _fields(app, request_id, partner.csrf(path), texts)
    body, ctype = multipart(fields, [(f"file-{questions[0]}", "complaints.txt", content, "text/plain")])
    sent_part = body[: 2 * 1024 * 1024]
    head = (f"POST {path}/answers HTTP/1.1\r\nHost: 127.0.0.1:{portal.port}\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            f"Cookie: {partner.cookie_header()['Cookie']}\r\nConnection: close\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", portal.port), timeout=60)
    try:
        sock.sendall(head + sent_part)

        def spooling_worker():
            for pid in gunicorn_children(portal.master_pid):
                if spools := _big_open_files(pid, 1024 * 1024):
                    return pid, spools
            return None

        victim, spools = wait_for(spooling_worker, timeout=60, what="a worker to spool the upload")
        for spool in spools:
            with open(spool, "rb") as fh:
                spooled = fh.read()
            assert CANARY not in spooled and b"CANARY" not in spooled
        os.kill(victim, signal.SIGKILL)
    finally:
        sock.close()
    assert _draft_state(app, request_id) == (sorted(texts), 0)
    assert [p for p in _upload_files(upload_dir) if not p.name.startswith(".")] == []

    # 2. Killed while the file is being sealed into the store.
    wait_for(lambda: len(gunicorn_children(portal.master_pid)) == 2, timeout=60, what="a replacement worker")
    fields, _ = _fields(app, request_id, partner.csrf(path), texts)
    portal.hold("upload")
    outcome: dict = {}

    def upload():
        try:
            outcome["page"] = partner.post(f"{path}/answers", fields,
                                           [(f"file-{questions[0]}", "complaints.txt", content, "text/plain")])
        except Exception as exc:  # noqa: BLE001 - the killed request is expected to fail
            outcome["error"] = exc
    thread = threading.Thread(target=upload, daemon=True)
    thread.start()
    held = wait_for(lambda: portal.held("upload"), timeout=60, what="the upload to reach the pause")
    victim = int(held[0].name.rsplit("-", 1)[1])
    parts = [p for p in _upload_files(upload_dir) if p.name.endswith(".part")]
    assert len(parts) == 1 and parts[0].stat().st_size > 0
    assert CANARY not in parts[0].read_bytes()
    os.kill(victim, signal.SIGKILL)
    thread.join(60)
    portal.release("upload")
    assert "error" in outcome or outcome["page"].status >= 500, outcome

    # No attachment, the draft as it was, and the page serves it.
    assert _draft_state(app, request_id) == (sorted(texts), 0)
    wait_for(lambda: len(gunicorn_children(portal.master_pid)) == 2, timeout=60, what="a replacement worker")
    page = partner.get(path)
    assert page.status == 200 and texts[0] in page.text and "complaints.txt" not in page.text
    # The leftover is ciphertext under a key that was never committed: ignored, then swept.
    leftovers = _upload_files(upload_dir)
    assert leftovers and all(CANARY not in p.read_bytes() for p in leftovers)
    with app.app_context():
        assert files.sweep_abandoned_uploads(db_session(), older_than_s=3600) == 0  # too young to be sure
        assert files.sweep_abandoned_uploads(db_session(), older_than_s=0) == len(leftovers)
    assert _upload_files(upload_dir) == []

    # The same upload now goes through, and the file comes back whole.
    time.sleep(0)  # the pause file is gone: nothing holds the next request
    fields, _ = _fields(app, request_id, partner.csrf(path), texts)
    done = partner.post(f"{path}/answers", fields, [(f"file-{questions[0]}", "complaints.txt", content, "text/plain")])
    assert done.status == 302, done.text[:800]
    assert _draft_state(app, request_id) == (sorted(texts), 1)
    with app.app_context():
        attachment_id = db_session().scalar(select(Attachment.id))
    download = partner.get(f"/partner/attachments/{attachment_id}")
    assert download.status == 200 and download.text.encode() == content
    assert all(CANARY not in p.read_bytes() for p in _upload_files(upload_dir))
    assert_audit_chain_intact(app)
