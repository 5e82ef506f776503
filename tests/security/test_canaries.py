"""Canaries: a unique value planted in an answer, a draft, a message, a file's content and a
file's name (and typed into the sign-in form) never appears in the SQLite file and its WAL,
a pg_dump of PostgreSQL, the upload store or the application logs, in clear, hex or base64;
yet an authorised reader still gets it back."""
from __future__ import annotations

import base64
import binascii
import logging
import subprocess
import uuid
from pathlib import Path

import pytest

from gainportal.db import db_session
from gainportal.models import Answer, Attachment, RequestMessage
from gainportal.security.crypto import blind_index
from tests.conftest import csrf_from
from tests.unit.sealing.builders import build, people, read_download


def encodings(canary: str) -> dict[str, bytes]:
    """The canary as it could leak: clear (UTF-8 and UTF-16), hex, and base64 at each of the
    three alignments it could start at inside a longer encoded value."""
    raw = canary.encode()
    forms = {"utf-8": raw, "utf-16": canary.encode("utf-16-le"),
             "hex": binascii.hexlify(raw), "HEX": binascii.hexlify(raw).upper()}
    for k in range(3):
        for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
            encoded = encode(b"x" * k + raw)
            forms[f"{name}+{k}"] = encoded[4 if k else 0:-4]
    return forms


def assert_absent(canary: str, where: str, data: bytes) -> None:
    for form, pattern in encodings(canary).items():
        assert pattern not in data, f"canary found ({form}) in {where}"
        assert pattern.lower() not in data.lower() or form.startswith("base64"), \
            f"canary found ({form}, case-folded) in {where}"


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _pg_dump(url) -> bytes:
    result = subprocess.run(["pg_dump", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
                             "-U", url.username or "postgres", "--no-owner", url.database],
                            capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert b"COPY public.answer" in result.stdout  # the dump really holds the tables
    return result.stdout


def _log_text(records) -> bytes:
    return "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in records).encode()


def _sign_in_attempt(app, typed: str):
    client = app.test_client()
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"email": f"{typed.lower()}@example.test", "password": typed,
                                             "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.get_data(as_text=True)


def _stores(app, backend, tmp_path) -> dict[str, bytes]:
    """Every place data rests: the upload store, and the SQLite file with its WAL and shared
    memory (plus everything else under the test's folder) or a pg_dump of PostgreSQL."""
    settings = app.config["SETTINGS"]
    uploads = _files_under(settings.instance_path / "uploads")
    assert len(uploads) == 1
    scanned = {str(p): p.read_bytes() for p in uploads}
    if backend == "sqlite":
        db_file = Path(app.extensions["gainportal_db"].engine.url.database)
        wal = db_file.with_name(db_file.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0, "expected a WAL file to scan"
        scanned.update({str(p): p.read_bytes() for p in _files_under(tmp_path)})
        assert {str(db_file), str(wal)} <= set(scanned)
    else:
        scanned["pg_dump"] = _pg_dump(app.extensions["gainportal_db"].engine.url)
    return scanned


def test_canary_never_stored_or_logged_in_clear(app, make, backend, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    # SQL logging is on too: whatever reaches the database goes through it, so a sealed value
    # appearing there would mean sealing was bypassed.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    canary = f"CANARY-{uuid.uuid4().hex}"
    typed = f"TYPED-{uuid.uuid4().hex}"
    lro, partner = people(make)
    g = build(app, lro, partner, text=canary, file_name=f"{canary}.txt",
              file_content=f"first line\n{canary}\nlast line\n".encode())

    # The portal still shows it to an authorised reader.
    with app.app_context():
        s = db_session()
        assert s.get(Answer, g.answer_id).text == f"answer {canary}"
        assert s.get(Answer, g.draft_answer_id).text == f"draft {canary}"
        assert s.get(RequestMessage, g.message_id).body == f"message {canary}"
        attachment = s.get(Attachment, g.attachment_id)
        assert attachment.filename == f"{canary}.txt"
        assert canary.encode() in read_download(attachment)

    # Typed into a real form: not kept in the database, nor in the application's own logs.
    _sign_in_attempt(app, typed)

    scanned = _stores(app, backend, tmp_path)
    app_logs = [r for r in caplog.records if not r.name.startswith("sqlalchemy")]
    sql_logs = [r for r in caplog.records if r.name.startswith("sqlalchemy")]
    assert sql_logs, "expected SQL log output to scan"
    scanned["application logs"] = _log_text(app_logs)
    for where, data in scanned.items():
        for value in (canary, typed):
            assert_absent(value, where, data)
            assert value.split("-", 1)[1].encode() not in data, where  # the bare uuid either
    assert_absent(canary, "SQL logs", _log_text(sql_logs))


def test_sql_logging_does_not_echo_bound_values(app, caplog):
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    typed = f"TYPED-{uuid.uuid4().hex}"
    _sign_in_attempt(app, typed)
    assert_absent(typed, "SQL logs", _log_text(caplog.records))


def test_scanner_would_find_a_leak():
    """The scan itself is able to fail: each encoded form is caught inside a larger blob."""
    canary = f"CANARY-{uuid.uuid4().hex}"
    raw = canary.encode()
    for leak in (raw, binascii.hexlify(raw), base64.b64encode(b"pre" + raw + b"post"),
                 base64.b64encode(b"p" + raw), base64.urlsafe_b64encode(b"pr" + raw), canary.encode("utf-16-le")):
        with pytest.raises(AssertionError, match="canary found"):
            assert_absent(canary, "blob", b"....." + leak + b".....")
    assert_absent(canary, "blob", blind_index(b"k" * 32, "name", canary).encode())
