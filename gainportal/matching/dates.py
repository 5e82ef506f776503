"""Dates of birth as partners write them: day-first UK forms, ISO, words, and "aged 34".

A parsed DOB is either exact (a date) or approximate (a range of birth years), so an
"aged 34" in an answer can still support or contradict a register DOB.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

_setattr = object.__setattr__  # what a frozen dataclass's __init__ stores its fields with

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH_RE = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
             r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")

# Numeric day-first: 03/04/1985, 3.4.85, 3-4-1985, 03 04 1985.
NUMERIC_DMY = re.compile(r"\b(\d{1,2})\s?[/.\-]\s?(\d{1,2})\s?[/.\-]\s?(\d{4}|\d{2})\b")
ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
WORD_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?(?:\s+of)?[\s\-]+" + _MONTH_RE + r"\.?,?[\s\-]+(\d{4}|\d{2})\b", re.I)
WORD_MDY = re.compile(r"\b" + _MONTH_RE + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I)
AGE = re.compile(r"\b(?:aged?|age:)\s*(\d{1,3})\b|\b(\d{1,3})\s*(?:years?|yrs?)[\s\-]*old\b", re.I)


@dataclass(frozen=True)
class Dob:
    """exact: a full date; otherwise year_lo..year_hi is the possible birth-year range."""
    exact: date | None
    year_lo: int
    year_hi: int

    def __init__(self, exact, year_lo, year_hi):
        # Compiled by Cython, unlike the dataclass's generated __init__ (the same stores).
        _setattr(self, "exact", exact)
        _setattr(self, "year_lo", year_lo)
        _setattr(self, "year_hi", year_hi)

    @property
    def iso(self) -> str:
        return self.exact.isoformat() if self.exact else ""

    @classmethod
    def from_date(cls, d: date) -> "Dob":
        return cls(d, d.year, d.year)


def _year(text: str, ref: date) -> int:
    y = int(text)
    if len(text) == 4:
        return y
    # Two-digit years: a person is at least ~10, so "15" in 2026 means 1915 only if 2015 is too late.
    return 2000 + y if 2000 + y <= ref.year - 10 else 1900 + y


def _make(y: int, m: int, d: int, ref: date) -> Dob | None:
    try:
        value = date(y, m, d)
    except ValueError:
        return None
    if not (ref.year - 110 <= y <= ref.year):
        return None
    return Dob.from_date(value)


def age_to_dob(age: int, ref: date) -> Dob | None:
    """Someone aged N on ref was born in ref.year-N-1 (birthday still to come) or ref.year-N."""
    if not 0 < age < 110:
        return None
    return Dob(None, ref.year - age - 1, ref.year - age)


@lru_cache(maxsize=100_000)
def parse_dob(text: str, ref: date | None = None) -> Dob | None:
    """Parse one DOB string; day-first for numeric forms (03/04/1985 is 3 April)."""
    if not text:
        return None
    ref = ref or date.today()
    text = text.strip()
    m = ISO.search(text)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)), ref)
    m = NUMERIC_DMY.search(text)
    if m:
        return _make(_year(m.group(3), ref), int(m.group(2)), int(m.group(1)), ref)
    m = WORD_DMY.search(text)
    if m:
        return _make(_year(m.group(3), ref), MONTHS[m.group(2).lower()[:3]], int(m.group(1)), ref)
    m = WORD_MDY.search(text)
    if m:
        return _make(int(m.group(3)), MONTHS[m.group(1).lower()[:3]], int(m.group(2)), ref)
    m = AGE.search(text)
    if m:
        return age_to_dob(int(m.group(1) or m.group(2)), ref)
    m = re.fullmatch(r"(\d{1,3})", text)
    if m:
        return age_to_dob(int(m.group(1)), ref)
    return None


def swapped(d: date) -> date | None:
    """Day and month exchanged (the US-order mistake), if that is a different valid date."""
    if d.day > 12 or d.day == d.month:
        return None
    try:
        return date(d.year, d.day, d.month)
    except ValueError:
        return None


def one_edit(a: date, b: date) -> bool:
    """True if the ISO forms differ in exactly one digit or by one adjacent transposition."""
    x, y = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    diff = [i for i in range(8) if x[i] != y[i]]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]] and x[diff[1]] == y[diff[0]]
