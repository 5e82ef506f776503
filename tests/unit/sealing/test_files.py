"""Upload store: sealed straight from the stream, limits, type from the bytes, safe names."""
from __future__ import annotations

import io
import os
import stat
import zipfile

import pytest
from sqlalchemy import func, select

from gainportal.db import db_session
from gainportal.models import Attachment, DataKey
from gainportal.services import files
from gainportal.services.files import UploadLimits, UploadRejected, content_disposition, sanitise_filename
from tests.unit.sealing.builders import build, people, read_download, upload

MARKER = b"PLAINTEXT-MARKER-7f3a"


@pytest.fixture
def graph(app, make):
    lro, partner = people(make)
    return build(app, lro, partner)


def _store(app, graph, name, content, limits=None):
    with app.app_context():
        s = db_session()
        response_id = s.get(Attachment, graph.attachment_id).response_id
        attachment = Attachment(response_id=response_id, uploaded_by_id=graph.partner_id)
        limits = limits or UploadLimits.from_settings(app.config["SETTINGS"])
        files.store_upload(s, attachment, upload(name, content), limits)
        s.commit()
        return attachment.id


def _office(kind: str, content_types_last: bool) -> bytes:
    entries = [("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>"), ("_rels/.rels", "<r/>")]
    ct = ("[Content_Types].xml", "<Types/>")
    entries = entries + [ct] if content_types_last else [ct] + entries
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in entries:
            z.writestr(name, body)
    return buf.getvalue()


def _upload_files(app) -> list[str]:
    return sorted(os.listdir(app.config["SETTINGS"].instance_path / "uploads"))


def test_round_trip_of_a_multi_chunk_file_with_safe_headers(app, graph):
    content = b"%PDF-1.7\n" + MARKER + os.urandom(300_000) + MARKER
    attachment_id = _store(app, graph, "Report – Zoë.pdf", content)
    with app.app_context():
        attachment = db_session().get(Attachment, attachment_id)
        assert (attachment.content_type, attachment.size, attachment.filename) == (
            "application/pdf", len(content), "Report – Zoë.pdf")
        path = files.sealed_path(attachment)
        sealed = path.read_bytes()
        assert MARKER not in sealed and content[:64] not in sealed
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        chunks, headers = files.open_download(attachment)
        assert b"".join(chunks) == content
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Length"] == str(len(content))
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"Report _ Zo_.pdf\"; filename*=UTF-8''Report%20%E2%80%93%20Zo%C3%AB.pdf")
    assert "no-store" in headers["Cache-Control"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Only final sealed files remain: no temporary or clear copies.
    assert all(name.endswith(".sealed") and not name.startswith(".") for name in _upload_files(app))


def test_plaintext_never_reaches_disk_while_streaming(app, graph):
    """The upload stream itself checks the store between reads: only ciphertext is there."""
    seen = []

    class Spy(io.BytesIO):
        def read(self, n=-1):
            for name in _upload_files(app):
                data = (app.config["SETTINGS"].instance_path / "uploads" / name).read_bytes()
                seen.append(len(data))
                assert MARKER not in data, f"plaintext found in {name} mid-upload"
            return super().read(n)

    content = MARKER * 100_000  # 2 MB of text: many reads, many chunks
    with app.app_context():
        s = db_session()
        response_id = s.get(Attachment, graph.attachment_id).response_id
        attachment = Attachment(response_id=response_id, uploaded_by_id=graph.partner_id)
        storage = upload("big.txt", b"")
        storage.stream = Spy(content)
        files.store_upload(s, attachment, storage, UploadLimits.from_settings(app.config["SETTINGS"]))
        s.commit()
        assert read_download(attachment) == content
    assert len(seen) > 5 and max(seen) > 100_000  # the temp file was growing while we looked


@pytest.mark.parametrize("name, content, claimed, expected", [
    ("photo.txt", b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "text/plain", "image/png"),
    ("scan.bin", b"\xff\xd8\xff\xe0" + b"\0" * 50, "application/octet-stream", "image/jpeg"),
    ("anim.gif", b"GIF89a" + b"\0" * 50, "image/gif", "image/gif"),
    ("letter", _office("docx", content_types_last=False), "application/zip", files.DOCX),
    ("sheet.xlsx", _office("xlsx", content_types_last=True), "application/zip", files.XLSX),
    ("list.csv", "name,vrm\nZoë,AB12CDE\n".encode(), "text/csv", "text/csv"),
    ("notes", b"just some notes\n", "application/pdf", "text/plain"),
])
def test_type_is_taken_from_the_bytes(app, graph, name, content, claimed, expected):
    attachment_id = _store(app, graph, name, content)
    with app.app_context():
        assert db_session().get(Attachment, attachment_id).content_type == expected


@pytest.mark.parametrize("name, content", [
    ("invoice.pdf", b"MZ\x90\x00\x03" + b"\0" * 100),          # a Windows executable named .pdf
    ("archive.docx", _office("docx", False).replace(b"[Content_Types].xml", b"[Content_Typez].xml")),
    ("data.zip", b"PK\x03\x04" + b"\0" * 100),
    ("text.txt", b"text with a NUL\x00 in it"),
    ("latin1.csv", "caf\xe9".encode("latin-1")),
    ("page.html", "<html>\u00e9".encode("utf-16")),
])
def test_other_types_are_refused_and_nothing_is_kept(app, graph, name, content):
    before = _upload_files(app)
    with pytest.raises(UploadRejected) as exc:
        _store(app, graph, name, content)
    assert exc.value.message == "The selected file must be a PDF, image, Word, Excel, CSV or text file"
    assert _upload_files(app) == before
    with app.app_context():
        assert db_session().scalar(select(func.count(Attachment.id))) == 1


def test_size_limit_and_empty_file(app, graph):
    limits = UploadLimits(max_bytes=1024 * 1024, max_files=10)
    before = _upload_files(app)
    with pytest.raises(UploadRejected, match="^The selected file must be smaller than 1MB$"):
        _store(app, graph, "big.txt", b"a" * (1024 * 1024 + 1), limits)
    _store(app, graph, "exact.txt", b"a" * (1024 * 1024), limits)  # the limit itself is allowed
    with pytest.raises(UploadRejected, match="^The selected file is empty$"):
        _store(app, graph, "empty.txt", b"", limits)
    assert len(_upload_files(app)) == len(before) + 1


def test_count_limit_per_response(app, graph):
    limits = UploadLimits(max_bytes=1024, max_files=2)
    _store(app, graph, "second.txt", b"two", limits)
    with pytest.raises(UploadRejected, match="^You can only upload up to 2 files with a response$"):
        _store(app, graph, "third.txt", b"three", limits)
    with app.app_context():
        s = db_session()
        assert s.scalar(select(func.count(Attachment.id))) == 2
        # the refused upload left no data key behind either
        assert s.scalar(select(func.count(DataKey.id)).where(DataKey.owner_table == "attachment")) == 2


@pytest.mark.parametrize("raw, expected", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\report.pdf", "report.pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),        # right-to-left override removed
    ("a\x00b\r\nc\t.txt", "ab c .txt"),
    ("\u200b.hidden", "hidden"),
    ("...", "attachment"),
    ("", "attachment"),
    ("x" * 300 + ".xlsx", "x" * 115 + ".xlsx"),
])
def test_names_are_sanitised(raw, expected):
    assert sanitise_filename(raw) == expected
    assert len(sanitise_filename(raw)) <= files.MAX_NAME_CHARS


def test_content_disposition_cannot_be_broken_out_of():
    header = content_disposition('a";\r\nX-Injected: 1.pdf')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="a__')
