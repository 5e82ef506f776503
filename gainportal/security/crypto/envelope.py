"""Envelope encryption: per-record data keys, wrapped by a KEK, sealing small values.

Data keys and sealed values live in the database; KEKs never do. A stolen
database therefore yields only wrapped keys and ciphertext.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from .errors import SealBroken
from .keyring import KEK, KEY_BYTES, Keyring

DATA_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16

# Leading format bytes let a later release change algorithms while old rows
# stay readable.
_WRAP_V1 = b"\x01"  # RFC 3394 AES key wrap of a 32-byte data key
_SEAL_V1 = b"\x01"  # AES-256-GCM, 96-bit random nonce
_AAD_DOMAIN = b"gainportal.aad.v1"


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted under the KEK named by ``kek_id``; safe to store."""

    kek_id: str
    blob: bytes


def _check_key(key: bytes, what: str) -> None:
    # Wrong key length is a programming error, not tampering, so not SealBroken.
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_BYTES:
        raise ValueError(f"{what} must be {KEY_BYTES} bytes")


def new_data_key() -> bytes:
    return os.urandom(DATA_KEY_BYTES)


def wrap_data_key(keyring_or_kek: Keyring | KEK, data_key: bytes) -> WrappedKey:
    """Wrap with the given KEK, or with the keyring's primary KEK."""
    kek = keyring_or_kek.primary if isinstance(keyring_or_kek, Keyring) else keyring_or_kek
    _check_key(data_key, "data key")
    return WrappedKey(kek.id, _WRAP_V1 + aes_key_wrap(kek.key, bytes(data_key)))


def unwrap_data_key(keyring: Keyring, wrapped: WrappedKey) -> bytes:
    """Raises UnknownKEK if the KEK was retired, SealBroken if the blob is not valid under it."""
    kek = keyring.get(wrapped.kek_id)
    blob = wrapped.blob
    if blob[:1] != _WRAP_V1:
        raise SealBroken(f"wrapped data key has an unknown format (KEK {wrapped.kek_id})")
    try:
        data_key = aes_key_unwrap(kek.key, blob[1:])
    except (InvalidUnwrap, ValueError):
        raise SealBroken(
            f"wrapped data key failed its integrity check under KEK {wrapped.kek_id}"
        ) from None
    if len(data_key) != DATA_KEY_BYTES:
        raise SealBroken(f"wrapped data key under KEK {wrapped.kek_id} has the wrong length")
    return data_key


def rewrap_data_key(keyring: Keyring, wrapped: WrappedKey) -> WrappedKey:
    """Re-wrap under the primary KEK (for rotation); a no-op if already there."""
    if wrapped.kek_id == keyring.primary.id:
        return wrapped
    return wrap_data_key(keyring, unwrap_data_key(keyring, wrapped))


def aad_for(table: str, column: str, row_id: int | str, version: int) -> bytes:
    """Associated data binding a sealed value to where it is stored.

    Every field is length-prefixed, so ("ab", "c") and ("a", "bc") differ.
    ``row_id`` may be an int or a string id (e.g. a UUID); both are encoded by
    their text form. ``version`` lets a row re-encrypt without reusing context.
    """
    if not table or not column:
        raise ValueError("table and column must be non-empty")
    if isinstance(row_id, bool) or not isinstance(row_id, (int, str)) or row_id == "":
        raise ValueError("row_id must be an int or a non-empty string")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValueError("version must be a non-negative int")
    parts = [_AAD_DOMAIN, table.encode(), column.encode(), str(row_id).encode(), str(version).encode()]
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def seal(data_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt ``plaintext``; output is version(1) | nonce(12) | ciphertext+tag."""
    _check_key(data_key, "data key")
    nonce = os.urandom(NONCE_BYTES)
    # The version byte is authenticated too, so it cannot be swapped later.
    return _SEAL_V1 + nonce + AESGCM(data_key).encrypt(nonce, plaintext, _SEAL_V1 + aad)


def open_sealed(data_key: bytes, blob: bytes, aad: bytes) -> bytes:
    _check_key(data_key, "data key")
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES:
        raise SealBroken("sealed value is truncated")
    if blob[:1] != _SEAL_V1:
        raise SealBroken("sealed value has an unknown format version")
    nonce = blob[1 : 1 + NONCE_BYTES]
    try:
        return AESGCM(data_key).decrypt(nonce, blob[1 + NONCE_BYTES :], _SEAL_V1 + aad)
    except InvalidTag:
        raise SealBroken(
            "sealed value failed authentication (wrong key, wrong row/column/version, or tampered)"
        ) from None
