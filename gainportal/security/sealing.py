"""Sealing as the default path: model attributes declared with ``SealedText`` or
``SealedJSON`` read and write plaintext in Python and store only AES-256-GCM ciphertext
(``<name>_sealed``) bound to (table, column, row uid, version).

    class Answer(SealedMixin, Base):
        text_sealed = mapped_column(LargeBinary)
        text = SealedText()

    answer.text = "seen at the premises"   # sealed on assignment
    answer.text                            # opened on read, or SealedContentUnavailable
"""
from __future__ import annotations

import json
import os
import uuid

from flask import current_app, has_app_context

from gainportal.models.sealing import DataKey
from gainportal.security.crypto import (
    CryptoError,
    Keyring,
    KeyringError,
    WrappedKey,
    aad_for,
    blind_index,
    new_data_key,
    open_sealed,
    seal,
    unwrap_data_key,
    wrap_data_key,
)

_PLAIN_KEY_ATTR = "_gainportal_plain_data_key"


class SealedContentUnavailable(Exception):
    """Sealed content could not be opened: tampered, moved, shredded or its KEK is gone.
    Fails closed; the view shows a clear message and the event is audited."""

    def __init__(self, table: str, column: str, reason: str):
        super().__init__(f"{table}.{column}: {reason}")
        self.table, self.column, self.reason = table, column, reason


# --- keyring ---------------------------------------------------------------------------------
def load_keyring(settings) -> Keyring:
    """From GAINPORTAL_KEYRING (base64 JSON) or the keyring file named in settings. Outside
    production a missing file is created (0600) so the demo and tests just work."""
    if value := os.environ.get("GAINPORTAL_KEYRING"):
        return Keyring.from_env_value(value)
    path = settings.keyring_file
    if path.exists():
        return Keyring.load_file(path)
    if settings.is_production:
        raise KeyringError(
            f"No keyring at {path}. Create one with `gainportal keys init --path {path}` "
            "(keep it outside the database and its backups) and set GAINPORTAL_KEYRING_FILE."
        )
    keyring = Keyring.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    keyring.save(path)
    return keyring


def keyring() -> Keyring:
    """The app's keyring, reloaded when its file is replaced (``keys rotate``/``retire`` save
    atomically): a running process must learn a new KEK before rotation re-wraps keys it
    reads, and must wrap new keys with it rather than with a KEK about to be retired."""
    ext = current_app.extensions
    settings = current_app.config.get("SETTINGS")
    if settings is None or os.environ.get("GAINPORTAL_KEYRING") or settings.keyring_file is None:
        return ext["gainportal_keyring"]
    try:
        st = os.stat(settings.keyring_file)
        seen = (st.st_ino, st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        return ext["gainportal_keyring"]
    last = ext.get("gainportal_keyring_stat")
    if last is None:
        ext["gainportal_keyring_stat"] = seen  # first use: the start-up keyring is current
    elif last != seen:
        ext["gainportal_keyring_stat"] = seen
        try:
            ext["gainportal_keyring"] = Keyring.load_file(settings.keyring_file)
        except KeyringError as exc:
            # A bad edit must not take the service down: keep the keys already loaded.
            current_app.logger.error("keyring file changed but cannot be loaded; keeping the old one: %s", exc)
    return ext["gainportal_keyring"]


def blind(kind: str, normalised_value: str) -> str:
    return blind_index(keyring().blind_index_key, kind, normalised_value)


# --- data keys -------------------------------------------------------------------------------
def _ensure_uid(obj) -> str:
    if not obj.uid:
        obj.uid = uuid.uuid4().hex
    return obj.uid


def plain_data_key(obj, *, create: bool) -> bytes:
    cached = obj.__dict__.get(_PLAIN_KEY_ATTR)
    if cached is not None:
        return cached
    table = obj.__tablename__
    record: DataKey | None = obj.data_key
    if record is None:
        if not create:
            raise SealedContentUnavailable(table, "*", "no data key")
        plain = new_data_key()
        wrapped = wrap_data_key(keyring(), plain)
        obj.data_key = DataKey(kek_id=wrapped.kek_id, wrapped=wrapped.blob, owner_table=table,
                               owner_uid=_ensure_uid(obj))
    else:
        if record.wrapped is None:
            raise SealedContentUnavailable(table, "*", "shredded under the retention schedule")
        try:
            plain = unwrap_data_key(keyring(), WrappedKey(record.kek_id, record.wrapped))
        except CryptoError as exc:
            raise SealedContentUnavailable(table, "*", type(exc).__name__) from None
    obj.__dict__[_PLAIN_KEY_ATTR] = plain
    return plain


def forget_plain_key(obj) -> None:
    obj.__dict__.pop(_PLAIN_KEY_ATTR, None)


def _aad(obj, column: str) -> bytes:
    return aad_for(obj.__tablename__, column, _ensure_uid(obj), int(getattr(obj, "version", None) or 1))


def seal_value(obj, column: str, plaintext: bytes) -> bytes:
    return seal(plain_data_key(obj, create=True), plaintext, _aad(obj, column))


def open_value(obj, column: str, blob: bytes) -> bytes:
    try:
        return open_sealed(plain_data_key(obj, create=False), blob, _aad(obj, column))
    except CryptoError as exc:
        raise SealedContentUnavailable(obj.__tablename__, column, type(exc).__name__) from None


def open_stored(table: str, column: str, uid: str, version: int, kek_id: str, wrapped: bytes | None, blob: bytes,
                ring: Keyring | None = None) -> bytes:
    """Open a sealed value from its stored parts (the row's uid and version, its data key's
    KEK id and wrapped key) without loading the ORM object: for readers of whole tables
    (the matching index reads every nominal). Fails closed as ``open_value`` does."""
    if wrapped is None:
        raise SealedContentUnavailable(table, column, "shredded under the retention schedule")
    try:
        plain = unwrap_data_key(ring or keyring(), WrappedKey(kek_id, wrapped))
        return open_sealed(plain, blob, aad_for(table, column, uid, version))
    except CryptoError as exc:
        raise SealedContentUnavailable(table, column, type(exc).__name__) from None


# --- descriptors -----------------------------------------------------------------------------
class SealedText:
    def __set_name__(self, owner, name: str) -> None:
        self.name, self.column = name, f"{name}_sealed"

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        blob = getattr(obj, self.column)
        if blob is None:
            return None
        return self.decode(open_value(obj, self.name, blob))

    def __set__(self, obj, value) -> None:
        if value is None:
            setattr(obj, self.column, None)
            return
        if not has_app_context():
            raise RuntimeError("sealing needs an application context (for the keyring)")
        setattr(obj, self.column, seal_value(obj, self.name, self.encode(value)))

    def encode(self, value) -> bytes:
        return str(value).encode("utf-8")

    def decode(self, raw: bytes):
        return raw.decode("utf-8")


class SealedJSON(SealedText):
    def encode(self, value) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def decode(self, raw: bytes):
        return json.loads(raw)
