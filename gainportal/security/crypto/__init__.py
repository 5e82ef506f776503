"""Encryption primitives for gainportal: keyring, envelope sealing, file streams, blind indexes.

Pure library: no database or Flask. See DESIGN.md section 4.
"""

from .blind_index import (
    blind_index,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    normalise_vrm,
)
from .envelope import (
    WrappedKey,
    aad_for,
    new_data_key,
    open_sealed,
    rewrap_data_key,
    seal,
    unwrap_data_key,
    wrap_data_key,
)
from .errors import CryptoError, KeyringError, SealBroken, UnknownKEK
from .keyring import KEK, Keyring
from .stream import CHUNK_BYTES, StreamSealer, decrypt_stream, encrypt_stream

__all__ = [
    "CHUNK_BYTES",
    "KEK",
    "CryptoError",
    "Keyring",
    "KeyringError",
    "SealBroken",
    "StreamSealer",
    "UnknownKEK",
    "WrappedKey",
    "aad_for",
    "blind_index",
    "decrypt_stream",
    "encrypt_stream",
    "new_data_key",
    "normalise_name",
    "normalise_phone",
    "normalise_postcode",
    "normalise_vrm",
    "open_sealed",
    "rewrap_data_key",
    "seal",
    "unwrap_data_key",
    "wrap_data_key",
]
