"""Key-encryption keys (KEKs) held outside the database.

A keyring is a small JSON document kept in a 0600 file or, base64-encoded, in
an environment variable:

    {"version": 1,
     "keks": [{"id": "kek-20261122-ab12cd", "key": "<base64 32 bytes>",
               "created": "2026-11-22T10:00:00+00:00"}],
     "blind_index_key": "<base64 32 bytes>"}

The newest KEK (by ``created``) is the primary: new data keys are wrapped with
it. Older KEKs stay only so existing wraps can be opened until re-wrapped.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .errors import KeyringError, UnknownKEK

KEY_BYTES = 32
FORMAT_VERSION = 1
_HOW_TO_CREATE = "create one with `gainportal keys init --path <file>`"


@dataclass(frozen=True)
class KEK:
    id: str
    key: bytes = field(repr=False)
    created: datetime


def _new_kek(not_before: datetime | None = None) -> KEK:
    created = datetime.now(timezone.utc)
    # A clock step backwards must not make the new KEK sort before the old
    # primary, or new wraps would silently use the retiring key.
    if not_before is not None and created < not_before:
        created = not_before
    kek_id = f"kek-{created:%Y%m%d}-{secrets.token_hex(3)}"
    return KEK(id=kek_id, key=secrets.token_bytes(KEY_BYTES), created=created)


def _b64_key(value: object, what: str, source: str) -> bytes:
    if not isinstance(value, str):
        raise KeyringError(f"{source}: {what} must be a base64 string; {_HOW_TO_CREATE}")
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise KeyringError(f"{source}: {what} is not valid base64; {_HOW_TO_CREATE}") from None
    if len(raw) != KEY_BYTES:
        raise KeyringError(
            f"{source}: {what} must decode to {KEY_BYTES} bytes, got {len(raw)}; {_HOW_TO_CREATE}"
        )
    return raw


class Keyring:
    def __init__(self, keks: list[KEK], blind_index_key: bytes):
        if not keks:
            raise KeyringError(f"a keyring needs at least one KEK; {_HOW_TO_CREATE}")
        if len(blind_index_key) != KEY_BYTES:
            raise KeyringError(f"blind index key must be {KEY_BYTES} bytes")
        ids = [k.id for k in keks]
        if len(set(ids)) != len(ids):
            raise KeyringError("duplicate KEK ids in keyring")
        # Stable sort: among equal timestamps the later-listed KEK is newer.
        self._keks = sorted(keks, key=lambda k: k.created)
        self.blind_index_key = blind_index_key

    # --- construction -------------------------------------------------

    @classmethod
    def generate(cls) -> Keyring:
        return cls([_new_kek()], secrets.token_bytes(KEY_BYTES))

    @classmethod
    def load_file(cls, path: str | os.PathLike) -> Keyring:
        path = os.fspath(path)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise KeyringError(f"keyring file {path} does not exist; {_HOW_TO_CREATE}") from None
        except OSError as exc:
            raise KeyringError(f"cannot open keyring file {path}: {exc.strerror}") from None
        # fstat on the open descriptor, so the file checked is the file read.
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise KeyringError(f"keyring {path} is not a regular file")
            if st.st_mode & 0o077:
                raise KeyringError(
                    f"keyring {path} is readable by group or others "
                    f"(mode {stat.S_IMODE(st.st_mode):04o}); run `chmod 600 {path}`"
                )
            raw = fh.read()
        return cls._from_json(raw, source=f"keyring {path}")

    @classmethod
    def from_env_value(cls, value: str) -> Keyring:
        source = "keyring environment value"
        try:
            raw = base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise KeyringError(
                f"{source} is not base64; {_HOW_TO_CREATE} and export `base64 -w0 <file>`"
            ) from None
        return cls._from_json(raw, source=source)

    @classmethod
    def _from_json(cls, raw: bytes, source: str) -> Keyring:
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise KeyringError(f"{source} is not valid JSON; {_HOW_TO_CREATE}") from None
        if not isinstance(doc, dict) or doc.get("version") != FORMAT_VERSION:
            raise KeyringError(
                f"{source}: expected an object with \"version\": {FORMAT_VERSION}; {_HOW_TO_CREATE}"
            )
        entries = doc.get("keks")
        if not isinstance(entries, list) or not entries:
            raise KeyringError(f"{source}: \"keks\" must be a non-empty list; {_HOW_TO_CREATE}")
        keks = []
        for n, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
                raise KeyringError(f"{source}: KEK #{n} needs a non-empty string \"id\"")
            kek_id = entry["id"]
            key = _b64_key(entry.get("key"), f"KEK {kek_id} key", source)
            try:
                created = datetime.fromisoformat(entry.get("created"))
            except (TypeError, ValueError):
                raise KeyringError(f"{source}: KEK {kek_id} needs an ISO 8601 \"created\" time") from None
            if created.tzinfo is None:
                created = created.replace(tzinfo=timezone.utc)
            keks.append(KEK(id=kek_id, key=key, created=created))
        blind_key = _b64_key(doc.get("blind_index_key"), "blind_index_key", source)
        return cls(keks, blind_key)

    # --- serialisation ------------------------------------------------

    def to_json(self) -> bytes:
        doc = {
            "version": FORMAT_VERSION,
            "keks": [
                {
                    "id": k.id,
                    "key": base64.b64encode(k.key).decode("ascii"),
                    "created": k.created.isoformat(),
                }
                for k in self._keks
            ],
            "blind_index_key": base64.b64encode(self.blind_index_key).decode("ascii"),
        }
        return json.dumps(doc, indent=2).encode("utf-8") + b"\n"

    def to_env_value(self) -> str:
        return base64.b64encode(self.to_json()).decode("ascii")

    def save(self, path: str | os.PathLike) -> None:
        """Write atomically: readers see the old keyring or the new one, never half."""
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
        # Created 0600 (O_EXCL: never reuse someone else's file); fchmod pins the
        # exact mode whatever the umask.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), 0o600)
                fh.write(self.to_json())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)

    # --- access and rotation ------------------------------------------

    @property
    def primary(self) -> KEK:
        return self._keks[-1]

    @property
    def kek_ids(self) -> tuple[str, ...]:
        """Oldest first; the last one is the primary."""
        return tuple(k.id for k in self._keks)

    def get(self, kek_id: str) -> KEK:
        for kek in self._keks:
            if kek.id == kek_id:
                return kek
        raise UnknownKEK(kek_id)

    def add_kek(self) -> KEK:
        kek = _new_kek(not_before=self.primary.created)
        while kek.id in self.kek_ids:
            kek = _new_kek(not_before=self.primary.created)
        self._keks.append(kek)
        return kek

    def remove_kek(self, kek_id: str) -> None:
        kek = self.get(kek_id)
        # Retiring the primary would silently send new wraps to an older key.
        if kek is self.primary:
            raise KeyringError(f"cannot remove the primary KEK {kek_id}; add a new KEK first")
        self._keks.remove(kek)

    def __repr__(self) -> str:
        return f"Keyring(kek_ids={self.kek_ids!r})"
