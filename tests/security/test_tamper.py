"""Tampering fails closed: a flipped byte, a ciphertext moved between rows or columns, a
truncated or reordered file chunk, or a wrong KEK each raise SealedContentUnavailable, leave an
audit record, and reach the user as the friendly 409 page rather than a 500 or wrong data."""
from __future__ import annotations

import json
import os

import pytest
from flask import Response
from sqlalchemy import select, update

from gainportal.db import db_session
from gainportal.models import Answer, Attachment, AuditEvent, InformationRequest, Role
from gainportal.security.access import signed_in
from gainportal.security.crypto import CHUNK_BYTES, KEK, Keyring
from gainportal.security.crypto.envelope import TAG_BYTES
from gainportal.security.crypto.stream import HEADER_BYTES
from gainportal.security.sealing import SealedContentUnavailable
from gainportal.services import files
from tests.unit.sealing.builders import build, people

SECRET = "tamper-secret-4be1"
SEALED_CHUNK = CHUNK_BYTES + TAG_BYTES
BIG_FILE = b"%PDF-1.7\n" + bytes(range(256)) * 1200  # ~300 KB: five chunks


@pytest.fixture
def web(app):
    """Test-only routes that read sealed content the way a view would."""
    @signed_in()
    def read_answer(answer_id):
        return db_session().get(Answer, answer_id).text

    @signed_in()
    def read_purpose(request_id):
        return db_session().get(InformationRequest, request_id).purpose

    @signed_in()
    def download(attachment_id):
        chunks, headers = files.open_download(db_session().get(Attachment, attachment_id))
        return Response(chunks, headers=headers)

    app.add_url_rule("/_test/answer/<int:answer_id>", "t_answer", read_answer)
    app.add_url_rule("/_test/purpose/<int:request_id>", "t_purpose", read_purpose)
    app.add_url_rule("/_test/download/<int:attachment_id>", "t_download", download)
    return app


@pytest.fixture
def two(web, make):
    lro, partner = people(make)
    first = build(web, lro, partner, text=SECRET + "-one", file_content=BIG_FILE)
    second = build(web, lro, partner, text=SECRET + "-two")
    with web.app_context():
        req = db_session().get(InformationRequest, first.request_id)
        req.jargon_override = SECRET + "-override"
        db_session().commit()
    return first, second


@pytest.fixture
def reader(signed_in_client):
    client, _user = signed_in_client(Role.LRO)
    return client


def _sql(app, statement):
    with app.app_context():
        db_session().execute(statement)
        db_session().commit()


def _column(app, model, row_id, column):
    with app.app_context():
        return db_session().scalar(select(getattr(model, column)).where(model.id == row_id))


def _audits(app, object_type):
    with app.app_context():
        return db_session().scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "sealed_content_unavailable", AuditEvent.object_type == object_type)
            .order_by(AuditEvent.seq)).all()


def _assert_fails_closed(app, client, url, object_type, read=None):
    if read is not None:
        with app.app_context(), pytest.raises(SealedContentUnavailable):
            read()
    before = len(_audits(app, object_type))
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == 409, body[:500]
    assert "could not be opened safely" in body
    assert SECRET not in body
    events = _audits(app, object_type)
    assert len(events) == before + 1
    assert SECRET not in events[-1]


def _answer(app, answer_id):
    return lambda: db_session().get(Answer, answer_id).text


def test_untampered_content_reads(web, two, reader):
    first, _ = two
    assert reader.get(f"/_test/answer/{first.answer_id}").get_data(as_text=True) == f"answer {SECRET}-one"
    response = reader.get(f"/_test/download/{first.attachment_id}")
    assert response.status_code == 200 and response.data == BIG_FILE


def test_flipped_byte_in_a_sealed_column(web, two, reader):
    first, _ = two
    blob = bytearray(_column(web, Answer, first.answer_id, "text_sealed"))
    blob[len(blob) // 2] ^= 0x01
    _sql(web, update(Answer).where(Answer.id == first.answer_id).values(text_sealed=bytes(blob)))
    _assert_fails_closed(web, reader, f"/_test/answer/{first.answer_id}", "answer", _answer(web, first.answer_id))


def test_ciphertext_swapped_between_rows(web, two, reader):
    first, second = two
    other = _column(web, Answer, second.answer_id, "text_sealed")
    _sql(web, update(Answer).where(Answer.id == first.answer_id).values(text_sealed=other))
    _assert_fails_closed(web, reader, f"/_test/answer/{first.answer_id}", "answer", _answer(web, first.answer_id))


def test_ciphertext_moved_with_its_data_key(web, two, reader):
    """Even moving the wrapped key along with the ciphertext fails: the row uid is bound in."""
    first, second = two
    blob = _column(web, Answer, second.answer_id, "text_sealed")
    key_id = _column(web, Answer, second.answer_id, "data_key_id")
    _sql(web, update(Answer).where(Answer.id == first.answer_id).values(text_sealed=blob, data_key_id=key_id))
    _assert_fails_closed(web, reader, f"/_test/answer/{first.answer_id}", "answer", _answer(web, first.answer_id))


def test_ciphertext_swapped_between_columns_of_one_row(web, two, reader):
    first, _ = two
    purpose = _column(web, InformationRequest, first.request_id, "purpose_sealed")
    override = _column(web, InformationRequest, first.request_id, "jargon_override_sealed")
    _sql(web, update(InformationRequest).where(InformationRequest.id == first.request_id)
         .values(purpose_sealed=override, jargon_override_sealed=purpose))
    _assert_fails_closed(web, reader, f"/_test/purpose/{first.request_id}", "information_request",
                         lambda: db_session().get(InformationRequest, first.request_id).purpose)


def _sealed_file(app, attachment_id):
    with app.app_context():
        return files.sealed_path(db_session().get(Attachment, attachment_id))


def _chunks(data: bytes) -> tuple[bytes, list[bytes]]:
    body = data[HEADER_BYTES:]
    return data[:HEADER_BYTES], [body[i:i + SEALED_CHUNK] for i in range(0, len(body), SEALED_CHUNK)]


def test_truncated_file(web, two, reader):
    first, _ = two
    path = _sealed_file(web, first.attachment_id)
    header, chunks = _chunks(path.read_bytes())
    path.write_bytes(header + b"".join(chunks[:-1]))  # drop the final chunk
    _assert_fails_closed(web, reader, f"/_test/download/{first.attachment_id}", "attachment")


def test_truncated_file_with_matching_size_still_fails(web, two):
    """An attacker with the database and the disk fixes the recorded size too: the final-chunk
    flag still exposes it, mid-stream, and the failure is audited."""
    first, _ = two
    path = _sealed_file(web, first.attachment_id)
    header, chunks = _chunks(path.read_bytes())
    path.write_bytes(header + b"".join(chunks[:2]))
    _sql(web, update(Attachment).where(Attachment.id == first.attachment_id).values(size=2 * CHUNK_BYTES))
    before = len(_audits(web, "attachment"))
    with web.app_context():
        s = db_session()
        stream, _headers = files.open_download(s.get(Attachment, first.attachment_id))
        s.commit()  # as after_request does before a response body streams
        received = []
        with pytest.raises(SealedContentUnavailable):
            for chunk in stream:
                received.append(chunk)
    assert b"".join(received) == BIG_FILE[:CHUNK_BYTES]  # only authenticated bytes went out
    assert len(_audits(web, "attachment")) == before + 1


@pytest.mark.parametrize("swap", [(0, 1), (2, 3)])
def test_reordered_chunks(web, two, reader, swap):
    first, _ = two
    path = _sealed_file(web, first.attachment_id)
    header, chunks = _chunks(path.read_bytes())
    a, b = swap
    chunks[a], chunks[b] = chunks[b], chunks[a]
    path.write_bytes(header + b"".join(chunks))
    if a == 0:
        _assert_fails_closed(web, reader, f"/_test/download/{first.attachment_id}", "attachment")
        return
    before = len(_audits(web, "attachment"))
    with web.app_context():
        s = db_session()
        stream, _headers = files.open_download(s.get(Attachment, first.attachment_id))
        s.commit()
        with pytest.raises(SealedContentUnavailable):
            for _chunk in stream:
                pass
    assert len(_audits(web, "attachment")) == before + 1


@pytest.mark.parametrize("same_id", [True, False])
def test_wrong_kek(web, two, reader, same_id):
    """The keyring file is replaced by one whose KEK has the same id but another key (or is
    missing the KEK): nothing opens, and the running app picks up the file change itself."""
    first, _ = two
    path = web.config["SETTINGS"].keyring_file
    genuine = Keyring.load_file(path)
    kek = genuine.primary
    impostor = KEK(id=kek.id if same_id else "kek-other", key=os.urandom(32), created=kek.created)
    Keyring([impostor], genuine.blind_index_key).save(path)
    _assert_fails_closed(web, reader, f"/_test/answer/{first.answer_id}", "answer", _answer(web, first.answer_id))
    _assert_fails_closed(web, reader, f"/_test/download/{first.attachment_id}", "attachment")
    assert json.loads(_audits(web, "answer")[-1])["reason"] == ("SealBroken" if same_id else "UnknownKEK")
