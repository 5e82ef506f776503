"""Keyed blind indexes: equality lookups on encrypted identifiers.

A blind index is an HMAC of a normalised value, so the database can find
"same VRM / postcode / phone / name" without holding the value. It reveals
equality (and, for low-entropy values, is guessable by anyone with the key),
so the key lives in the keyring, never in the database.

Normalisers decide what counts as "the same"; change one and every stored
index of that kind must be rebuilt.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
import unicodedata

_DOMAIN = b"gainportal.blind-index.v1"
_KIND = re.compile(r"[a-z][a-z0-9_]*\Z")
INDEX_CHARS = 32  # hex: 128 bits, ample against accidental collisions


def blind_index(key: bytes, kind: str, normalised_value: str) -> str:
    """Deterministic 32-hex-char index of ``normalised_value`` within ``kind``.

    ``kind`` (e.g. "vrm", "postcode") is mixed in, so the same text indexed as
    two kinds gives unrelated results. Empty values are refused: they would all
    match each other.
    """
    if len(key) != 32:
        raise ValueError("blind index key must be 32 bytes")
    if not _KIND.match(kind):
        raise ValueError("kind must be a lower-case identifier, e.g. 'vrm'")
    if not normalised_value:
        raise ValueError("refusing to index an empty value")
    parts = (_DOMAIN, kind.encode(), normalised_value.encode("utf-8"))
    message = b"".join(struct.pack(">I", len(p)) + p for p in parts)
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:INDEX_CHARS]


def _ascii_alnum_upper(value: str) -> str:
    # NFKC folds full-width and other compatibility forms to ASCII first.
    return "".join(c for c in unicodedata.normalize("NFKC", value).upper() if c.isascii() and c.isalnum())


def normalise_vrm(value: str) -> str:
    """Vehicle registration mark: "ab12 cde" and "AB12-CDE" -> "AB12CDE"."""
    return _ascii_alnum_upper(value)


def normalise_postcode(value: str) -> str:
    """UK postcode: "sw1a1aa" -> "SW1A 1AA"; an outward code alone stays as is."""
    compact = _ascii_alnum_upper(value)
    if len(compact) < 5:  # outward code only (or junk): nothing to split
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def normalise_phone(value: str) -> str:
    """Phone number to E.164-like form, assuming UK for national numbers.

    "07700 900123", "+44 (0)7700 900123", "0044 7700 900123" -> "+447700900123".
    Other international numbers keep their country code: "0033 1 23" -> "+33123".
    Anything else is returned as bare digits.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    digits = "".join(c for c in text if c.isascii() and c.isdigit())
    if not digits:
        return ""
    if text.startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    elif digits.startswith("0"):
        international = "44" + digits[1:]
    elif digits.startswith("44") and len(digits) == 12:  # "447700900123": +44 without the plus
        international = digits
    else:
        return digits
    if international.startswith("440"):  # "+44 (0)20 ..." written with the trunk zero
        international = "44" + international[3:]
    return "+" + international


# Letters NFKD does not decompose into a base letter plus accent.
_LETTER_FOLDS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"})
_APOSTROPHES = str.maketrans("", "", "'’‘`´")


def normalise_name(value: str) -> str:
    """Name: "  Zoë  O’Brien-Smith " -> "zoe obrien smith".

    Case-folded, accents stripped, apostrophes dropped, other punctuation and
    runs of whitespace turned into single spaces.
    """
    folded = value.casefold().translate(_APOSTROPHES).translate(_LETTER_FOLDS)
    decomposed = unicodedata.normalize("NFKD", folded)
    kept = []
    for c in decomposed:
        category = unicodedata.category(c)
        if category.startswith("M"):
            continue
        kept.append(" " if category[0] in "PZSC" else c)
    return " ".join("".join(kept).split())
