"""Sealed values read with Core selects: a list page selects the ciphertext, the row's uid
and its data key's KEK id and wrapped key beside the plain columns it shows, and opens
only the values it displays. Loading ORM objects for the same values builds each row's
joined operation, agency, data key and user objects too (several ms per page of 50)."""
from __future__ import annotations

import json

from gainportal.security.crypto import Keyring
from gainportal.security.sealing import SealedContentUnavailable, open_stored


def opened_text(table: str, column: str, uid: str | None, kek_id: str | None, wrapped: bytes | None,
                blob: bytes | None, ring: Keyring | None = None, version: int = 1) -> str | None:
    """The plaintext, as the model's ``SealedText`` attribute reads it: None when nothing
    is stored, SealedContentUnavailable when it cannot be opened (no data key, shredded,
    tampered or bound to another row). ``ring``: the keyring, looked up once per page
    rather than once per value."""
    if blob is None:
        return None
    if kek_id is None or uid is None:
        raise SealedContentUnavailable(table, "*", "no data key")
    return open_stored(table, column, uid, version, kek_id, wrapped, blob, ring).decode("utf-8")


def opened_json(table: str, column: str, uid: str | None, kek_id: str | None, wrapped: bytes | None,
                blob: bytes | None, ring: Keyring | None = None, version: int = 1):
    """As ``opened_text`` for a ``SealedJSON`` attribute."""
    text = opened_text(table, column, uid, kek_id, wrapped, blob, ring, version)
    return None if text is None else json.loads(text)
