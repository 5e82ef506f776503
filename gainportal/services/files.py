"""Upload store: attachment content sealed in chunks, straight from the request stream.

Plaintext never touches disk: each chunk read from the upload goes through ``StreamSealer``
and only ciphertext is written, to a temporary name beside the final one and renamed into
place when complete. The file is sealed with the attachment's own data key and bound to
("attachment", "content", uid, 1), so it cannot be swapped for another attachment's file;
shredding that key (retention) makes the file and the sealed name unreadable together.
"""
from __future__ import annotations

import codecs
import io
import logging
import os
import re
import secrets
import tempfile
import unicodedata
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from flask import Request, current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gainportal import faults
from gainportal.models.request import Attachment
from gainportal.security.crypto import CHUNK_BYTES, SealBroken, StreamSealer, aad_for, decrypt_stream
from gainportal.security.crypto.envelope import TAG_BYTES
from gainportal.security.crypto.stream import HEADER_BYTES
from gainportal.security.sealing import SealedContentUnavailable, forget_plain_key, plain_data_key

log = logging.getLogger(__name__)

CONTENT_AAD = ("attachment", "content", 1)
MAX_NAME_CHARS = 120
# Reads of several chunks let StreamSealer seal most chunks straight from the read buffer
# instead of copying each into its hold-back buffer (~1.4x faster on small files); memory
# stays a few hundred KiB per upload whatever the file size.
_READ_BYTES = 4 * CHUNK_BYTES


class UploadRejected(ValueError):
    """The upload broke a rule; ``message`` is a GOV.UK-style error to show by the field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    max_files: int = 10

    @classmethod
    def from_settings(cls, settings, max_files: int = 10) -> UploadLimits:
        return cls(max_bytes=settings.max_upload_mb * 1024 * 1024, max_files=max_files)

    @property
    def max_label(self) -> str:
        return f"{self.max_bytes // (1024 * 1024)}MB"


# --- paths ---------------------------------------------------------------------------------
def upload_dir() -> Path:
    path = current_app.config["SETTINGS"].instance_path / "uploads"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def sealed_path(attachment: Attachment) -> Path:
    # uid is hex made by us, never user input, so it is safe as a file name.
    if not attachment.uid or not re.fullmatch(r"[0-9a-f]{32}", attachment.uid):
        raise ValueError("attachment has no valid uid")
    return upload_dir() / f"{attachment.uid}.sealed"


def _content_aad(uid: str) -> bytes:
    table, column, version = CONTENT_AAD
    return aad_for(table, column, uid, version)


# --- names ---------------------------------------------------------------------------------
_BIDI_AND_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def sanitise_filename(raw: str | None) -> str:
    """Basename only, no control/bidi/invisible characters (a right-to-left override can make
    "exe.pdf" look like "fdp.exe"), no leading dots, at most MAX_NAME_CHARS, keeping the
    extension where it fits."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(" " if c.isspace() else c for c in name)
    name = "".join(c for c in name if unicodedata.category(c) not in _BIDI_AND_INVISIBLE)
    name = " ".join(name.split()).lstrip(". ")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME_CHARS - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME_CHARS]
    return name or "attachment"


# --- content type from the bytes -------------------------------------------------------------
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ZIP_MARKERS = (b"[Content_Types].xml", b"word/document.xml", b"xl/workbook.xml")
_OVERLAP = max(len(m) for m in _ZIP_MARKERS)


class ContentSniffer:
    """Decides the type from the bytes as they stream past, never from the name or the
    browser's claim. Office files are zips whose entry names appear in clear in local file
    headers, but not necessarily first (openpyxl writes [Content_Types].xml last), so the
    whole stream is watched; text must be valid UTF-8 with no NULs throughout."""

    def __init__(self):
        self.kind: str | None = None  # a MIME type, "zip" or "text" once the first bytes are in
        self._head = b""
        self._zip_seen: set[bytes] = set()
        self._zip_tail = b""
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._text_ok = True

    def feed(self, data: bytes) -> None:
        if self.kind is None:
            self._head += data
            if len(self._head) < 8 and data:
                return
            self.kind = self._classify(self._head)
            data, self._head = self._head, b""
        if self.kind == "zip":
            window = self._zip_tail + data
            self._zip_seen.update(m for m in _ZIP_MARKERS if m in window)
            self._zip_tail = window[-_OVERLAP:]
        elif self.kind == "text" and self._text_ok:
            try:
                self._utf8.decode(data)
                self._text_ok = b"\x00" not in data
            except UnicodeDecodeError:
                self._text_ok = False

    @staticmethod
    def _classify(head: bytes) -> str:
        for magic, mime in _MAGIC:
            if head.startswith(magic):
                return mime
        if head.startswith(b"PK\x03\x04"):
            return "zip"
        return "text"

    def result(self, filename: str) -> str | None:
        """The MIME type to store, or None to refuse."""
        if self.kind is None:
            self.feed(b"")
        if self.kind == "zip":
            if b"[Content_Types].xml" not in self._zip_seen:
                return None
            if b"word/document.xml" in self._zip_seen:
                return DOCX
            if b"xl/workbook.xml" in self._zip_seen:
                return XLSX
            return None
        if self.kind == "text":
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                return None
            if not self._text_ok:
                return None
            # Bytes cannot tell CSV from plain text; both are served as attachments with
            # nosniff, so letting the name pick between the two is harmless.
            return "text/csv" if filename.lower().endswith(".csv") else "text/plain"
        return self.kind


# --- the form parser's spool ---------------------------------------------------------------
# Werkzeug parses a multipart body before the view runs, spooling each file over 500KB to a
# temporary file in clear. Files up to that size stay in memory as before; larger ones are
# spooled through AES-CTR under a key that exists only in this process's memory, so what
# reaches the disk (even a spool left behind by a killed worker) is ciphertext no one can
# open. This is a scratch copy for the length of one request, not the sealed store.
SPOOL_IN_MEMORY_BYTES = 500 * 1024


class _EphemeralSealedSpool(io.RawIOBase):
    def __init__(self):
        super().__init__()
        self._key = os.urandom(32)
        self._nonce = int.from_bytes(os.urandom(16), "big")
        self._file = tempfile.TemporaryFile(buffering=0)

    def _xor(self, data: bytes, offset: int) -> bytes:
        # CTR is seekable: the keystream for any offset starts at block offset // 16.
        block, skip = divmod(offset, 16)
        counter = ((self._nonce + block) % (1 << 128)).to_bytes(16, "big")
        keystream = Cipher(algorithms.AES(self._key), modes.CTR(counter)).encryptor()
        return keystream.update(bytes(skip) + data)[skip:]

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        offset = self._file.tell()
        data = self._file.read(len(buffer))
        buffer[:len(data)] = self._xor(data, offset)
        return len(data)

    def write(self, data) -> int:
        data = bytes(data)
        self._file.write(self._xor(data, self._file.tell()))
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def truncate(self, size: int | None = None) -> int:
        return self._file.truncate(size)

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self._key = b""
        super().close()


class SealedSpoolRequest(Request):
    """The app's request class: uploads over SPOOL_IN_MEMORY_BYTES spool as ciphertext."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        if total_content_length is not None and total_content_length <= SPOOL_IN_MEMORY_BYTES:
            return io.BytesIO()
        return io.BufferedRandom(_EphemeralSealedSpool(), buffer_size=_READ_BYTES)


# --- upload --------------------------------------------------------------------------------
TYPE_ERROR = "The selected file must be a PDF, image, Word, Excel, CSV or text file"


def store_upload(session: Session, attachment: Attachment, upload, limits: UploadLimits) -> Attachment:
    """Seal ``upload`` (a werkzeug FileStorage) into the store and fill in ``attachment``
    (transient, with response_id and uploaded_by_id set); adds it to ``session`` only on
    success. Raises UploadRejected with a message for the user; nothing is kept then."""
    _seal_into_store(session, attachment, upload, limits)
    session.add(attachment)
    session.flush()
    return attachment


@dataclass(frozen=True)
class StoredUpload:
    attachment: Attachment
    repeated: bool  # this form's file was already stored: nothing new was kept


def store_upload_once(session: Session, attachment: Attachment, upload, limits: UploadLimits) -> StoredUpload:
    """``store_upload`` for a file sent with a one-time form token (``attachment.upload_token``,
    with ``question_id``): the same form sent again, one after the other or at the same
    moment, gives back the file the first one stored and keeps nothing new.

    The check before sealing only spares a resend the work; the unique constraint on
    (response, question, token) decides a race: the request whose row lands second rolls
    back its savepoint (its data key row with it) and deletes the sealed file it wrote,
    which no committed key could ever open."""
    if not attachment.upload_token or attachment.question_id is None:
        raise ValueError("store_upload_once needs the form's upload token and the question")
    earlier = _stored_with_token(session, attachment)
    if earlier is not None:
        return StoredUpload(earlier, repeated=True)
    _seal_into_store(session, attachment, upload, limits)
    try:
        with session.begin_nested():
            session.add(attachment)
    except IntegrityError:
        delete_upload(attachment)
        forget_plain_key(attachment)
        earlier = _stored_with_token(session, attachment)
        if earlier is None:  # some other constraint: not a repeat, so not ours to hide
            raise
        return StoredUpload(earlier, repeated=True)
    return StoredUpload(attachment, repeated=False)


def _stored_with_token(session: Session, attachment: Attachment) -> Attachment | None:
    return session.scalar(select(Attachment).where(
        Attachment.response_id == attachment.response_id, Attachment.question_id == attachment.question_id,
        Attachment.upload_token == attachment.upload_token))


def _seal_into_store(session: Session, attachment: Attachment, upload, limits: UploadLimits) -> None:
    """Check the limits, then stream ``upload`` sealed into its final place and fill in
    ``attachment``'s name, type and size; the caller adds it to the session."""
    if attachment in session:
        raise ValueError("pass a new attachment; store_upload adds it once the file is stored")
    if not upload or not getattr(upload, "filename", None):
        raise UploadRejected("Select a file")
    existing = session.scalar(
        select(func.count(Attachment.id)).where(Attachment.response_id == attachment.response_id))
    if existing >= limits.max_files:
        raise UploadRejected(f"You can only upload up to {limits.max_files} files with a response")

    name = sanitise_filename(upload.filename)
    data_key = plain_data_key(attachment, create=True)  # also gives the attachment its uid
    final = sealed_path(attachment)
    tmp = final.with_name(f".{attachment.uid}.{secrets.token_hex(6)}.part")
    sniffer = ContentSniffer()
    sealer = StreamSealer(data_key, _content_aad(attachment.uid))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            source = upload.stream
            while chunk := source.read(_READ_BYTES):
                if sealer.plaintext_size + len(chunk) > limits.max_bytes:
                    raise UploadRejected(f"The selected file must be smaller than {limits.max_label}")
                sniffer.feed(chunk)
                out.write(sealer.update(chunk))
                faults.pause("upload")
            if sealer.plaintext_size == 0:
                raise UploadRejected("The selected file is empty")
            content_type = sniffer.result(name)
            if content_type is None:
                raise UploadRejected(TYPE_ERROR)
            out.write(sealer.finalize())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, final)
    except BaseException:
        _unlink_quietly(tmp)
        raise

    attachment.filename = name
    attachment.content_type = content_type
    attachment.size = sealer.plaintext_size


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def sweep_abandoned_uploads(session: Session, older_than_s: float = 3600) -> int:
    """Remove what a killed or failed upload left behind: ``.part`` files, and sealed files
    no attachment row names (the process died between sealing and committing). Both are
    ciphertext under a data key that was never committed, so no one could open them; this
    only frees the space. Files younger than ``older_than_s`` may belong to an upload still
    running and are left alone."""
    import time

    cutoff = time.time() - older_than_s
    removed = 0
    candidates = []
    for path in upload_dir().iterdir():
        try:
            if path.stat().st_mtime > cutoff:
                continue
        except FileNotFoundError:
            continue
        if path.name.startswith(".") and path.name.endswith(".part"):
            _unlink_quietly(path)
            removed += 1
        elif path.suffix == ".sealed" and re.fullmatch(r"[0-9a-f]{32}", path.stem):
            candidates.append(path)
    if candidates:
        known = set(session.scalars(select(Attachment.uid).where(Attachment.uid.in_([p.stem for p in candidates]))))
        for path in candidates:
            if path.stem not in known:
                _unlink_quietly(path)
                removed += 1
    if removed:
        log.info("removed %d abandoned upload file(s)", removed)
    return removed


def delete_upload(attachment: Attachment) -> bool:
    """Remove the sealed file; True if there was one."""
    if not attachment.uid:
        return False
    try:
        sealed_path(attachment).unlink()
        return True
    except FileNotFoundError:
        return False


# --- download ------------------------------------------------------------------------------
def expected_sealed_size(plaintext_size: int) -> int:
    chunks = max(1, -(-plaintext_size // CHUNK_BYTES))
    return HEADER_BYTES + plaintext_size + chunks * TAG_BYTES


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the exact name as RFC 5987 ``filename*``."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;%' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{urllib.parse.quote(filename, safe='')}"


def open_download(attachment: Attachment) -> tuple[Iterator[bytes], dict[str, str]]:
    """Plaintext chunks of the file and the response headers.

    The key, the file's length and the first chunk are checked before returning, so a shredded,
    moved, truncated or wrongly keyed file raises SealedContentUnavailable while the view can
    still answer with the friendly error page. A chunk that fails later can only cut the
    response: the generator audits the failure and raises, the server drops the connection,
    and because Content-Length was promised the client sees a failed download, never a file
    that silently ends early. Callers must not buffer the chunks anywhere on disk.
    """
    table = Attachment.__tablename__
    data_key = plain_data_key(attachment, create=False)
    filename = attachment.filename  # opened now: a tampered name fails before any byte is sent
    path = sealed_path(attachment)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise SealedContentUnavailable(table, "content", "sealed file missing") from None
    try:
        if os.fstat(fh.fileno()).st_size != expected_sealed_size(attachment.size):
            raise SealedContentUnavailable(table, "content", "sealed file has the wrong length")
        chunks = decrypt_stream(data_key, fh, _content_aad(attachment.uid))
        try:
            first = next(chunks, b"")
        except SealBroken:
            raise SealedContentUnavailable(table, "content", "SealBroken") from None
    except BaseException:
        fh.close()
        raise
    headers = {
        "Content-Type": attachment.content_type,
        "Content-Length": str(attachment.size),
        "Content-Disposition": content_disposition(filename),
        "Cache-Control": "no-store, max-age=0",
        "Pragma": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    app = current_app._get_current_object()
    return _stream(app, fh, first, chunks, attachment.id), headers


def _stream(app, fh, first: bytes, chunks: Iterator[bytes], attachment_id) -> Iterator[bytes]:
    try:
        if first:
            yield first
        try:
            for chunk in chunks:
                yield chunk
        except SealBroken:
            _audit_broken_stream(app, attachment_id)
            raise SealedContentUnavailable("attachment", "content", "SealBroken mid-stream") from None
    finally:
        fh.close()


def _audit_broken_stream(app, attachment_id) -> None:
    # The request's own session may already be committed and closed once streaming has
    # begun, so the failure is recorded in a session of its own.
    from gainportal.db import get_db
    from gainportal.services import audit

    with app.app_context():
        session = get_db().sessionmaker()
        try:
            audit.record(session, "sealed_content_unavailable", outcome="failure", object_type="attachment",
                         object_id=attachment_id, detail={"column": "content", "reason": "SealBroken mid-stream"})
            session.commit()
        except Exception:
            session.rollback()
            log.exception("could not audit a broken attachment stream (attachment %s)", attachment_id)
        finally:
            session.close()
