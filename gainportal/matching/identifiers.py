"""Non-name identifiers: postcodes, VRMs (number plates), phone numbers, business names."""
from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from anyascii import anyascii

# Outward code (area letters, district) + inward code (sector digit, unit letters).
# The inward unit never uses C I K M O V, which keeps "LS6 2AB"-shaped noise out.
POSTCODE = re.compile(
    r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][ABD-HJLNP-UW-Z]{2})\b", re.I
)


_WS = re.compile(r"\s+")


@lru_cache(maxsize=100_000)
def normalise_postcode(text: str) -> str:
    """"ls62ab" -> "LS6 2AB"; "" if the text is not a whole UK postcode."""
    if not text:
        return ""
    m = POSTCODE.fullmatch(" ".join(text.split()).upper())  # runs of whitespace -> one space
    if not m:
        return ""
    return m.group(1) + " " + m.group(2)


def postcode_sector(postcode: str) -> str:
    """"LS6 2AB" -> "LS6 2" (a few hundred households)."""
    return postcode[:-2] if postcode else ""


def postcode_district(postcode: str) -> str:
    """"LS6 2AB" -> "LS6"."""
    return postcode.split(" ")[0] if postcode else ""


# Characters people and ANPR confuse on plates, mapped to one representative.
_LOOKALIKE = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5",
                            "B": "8", "Z": "2", "G": "6"})
_NON_ALNUM = re.compile(r"[^A-Z0-9]")


@lru_cache(maxsize=100_000)
def normalise_vrm(text: str) -> str:
    """"ab12 cde" -> "AB12CDE" (upper-case alphanumerics only)."""
    if not text:
        return ""
    up = text.upper()
    if up.isascii():
        return up if up.isalnum() else _NON_ALNUM.sub("", up)
    return _NON_ALNUM.sub("", anyascii(text).upper())


@lru_cache(maxsize=100_000)
def vrm_lookalike(vrm: str) -> str:
    """Key under which O/0, I/1, S/5, B/8, Z/2, G/6 variants of a plate coincide."""
    return normalise_vrm(vrm).translate(_LOOKALIKE)


@lru_cache(maxsize=100_000)
def normalise_phone(text: str, region: str = "GB") -> str:
    """Phone number to E.164 ("07700 900123" -> "+447700900123"); "" if not a possible number.

    Possible rather than valid: Ofcom's drama ranges (07700 900xxx) are not "valid" but are
    exactly what test data and redacted examples use.
    """
    if not text:
        return ""
    fast = _fast_gb(text) if region == "GB" else ""
    if fast:
        return fast
    if sum(c.isdigit() for c in text) < 7:
        return ""
    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(num):
        return ""
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


_PHONE_PUNCT = re.compile(r"[\s\-().]")
# The same characters for ASCII text (str.translate is several times cheaper than re.sub).
_PHONE_DEL = str.maketrans("", "", " \t\n\r\f\v\x1c\x1d\x1e\x1f-().")


def _fast_gb(text: str) -> str:
    """The common shapes (07700 900123, +44 7700 900123) without phonenumbers' full parser,
    which costs ~200 us a number and dominated index builds. Anything odd falls through."""
    digits = text.translate(_PHONE_DEL) if text.isascii() else _PHONE_PUNCT.sub("", text)
    if digits.startswith("+44"):
        digits = "0" + digits[3:].removeprefix("0")
    elif digits.startswith("0044"):
        digits = "0" + digits[4:].removeprefix("0")
    if len(digits) == 11 and digits.isdigit() and digits[0] == "0" and digits[1] in "1237":
        return "+44" + digits[1:]
    return ""


BUSINESS_SUFFIXES = (
    "ltd", "limited", "plc", "llp", "motors", "autos", "garage", "cars", "car wash", "hand car wash",
    "services", "builders", "construction", "scaffolding", "logistics", "transport",
    "haulage", "trading", "enterprises", "holdings", "properties", "lettings", "cafe", "bar",
    "barbers", "nails", "takeaway", "kebabs", "pizza", "vapes", "mobiles", "tyres", "recovery",
    "security", "cleaning", "removals", "skip hire", "imports", "group",
)
# Legal forms and filler that do not distinguish one business from another.
_BUSINESS_NOISE = frozenset("ltd limited plc llp co company the and uk group".split())


@lru_cache(maxsize=100_000)
def business_fingerprint(name: str) -> str:
    """Order- and legal-form-insensitive key: "The Smith & Sons Motors Ltd" -> "motors smith sons"."""
    text = re.sub(r"[^a-z0-9 ]", " ", anyascii(name or "").lower().replace("&", " and "))
    tokens = sorted({t for t in text.split() if t not in _BUSINESS_NOISE})
    return " ".join(tokens)


_HOUSE_NUMBER = re.compile(r"^\s*(?:flat\s+\w+,?\s*)?(\d+[a-z]?)\b", re.I)


_ADDRESS_KEY = re.compile(r"(\d+[a-z]?)\s*,?\s+([a-z][a-z']+)")


def address_key(address: str) -> str:
    """House number + first street word ("14 Acacia Rd, Leeds" -> "14 acacia").

    Enough to say "same household" when the postcode agrees, without a gazetteer.
    """
    if not address:
        return ""
    text = (address if address.isascii() else anyascii(address)).lower()
    m = _ADDRESS_KEY.search(text)
    if not m:
        return ""
    return f"{m.group(1)} {m.group(2)}"
