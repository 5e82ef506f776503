"""Plain-language check for what a partner will read.

Partners answer better when asked in their own terms (LRO guidance, Part 2 Section D):
no police jargon, no "everything you have". Each finding carries a suggested rewrite."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class JargonFinding:
    term: str
    start: int
    end: int
    why: str
    suggestion: str


# (pattern, why it is a problem, suggested rewrite)
_RULES: list[tuple[str, str, str]] = [
    (r"\bOCGs?\b", "police jargon", "say what you are asking about, for example \"the people named below\""),
    (r"\borgani[sz]ed crime( groups?)?\b", "can alarm partners or stop them answering",
     "describe the behaviour instead, for example \"people you are called to deal with most\""),
    (r"\bSOC\b", "police jargon", "describe the activity, for example \"drug supply\" or \"exploitation\""),
    (r"\bserious and organi[sz]ed crime\b", "police jargon", "describe the activity you are interested in"),
    (r"\bnominals?\b", "police jargon", "say \"the people named below\" or \"this person\""),
    (r"\bsubjects? of interest\b", "police jargon", "say \"the people named below\""),
    (r"\bLRO\b", "police jargon", "say \"the officer leading this work\""),
    (r"\bcounty lines?\b", "police term", "describe what partners would see, for example \"young people travelling to sell drugs\""),
    (r"\bcuckoo(ed|ing)?\b", "police term", "say \"a home taken over by others\""),
    (r"\bintel(ligence)?\b", "sounds covert and can put partners off", "say \"information\""),
    (r"\beverything (you|your agency) (have|has|hold|holds)\b", "a catch-all ask burdens the partner and gets less",
     "ask one specific question, for example \"Has this address been reported for noise since January?\""),
    (r"\ball (the )?(information|records|data|details)\b", "a catch-all ask", "ask for the specific record you need"),
    (r"\bany (information|intelligence|details|records)\b", "a catch-all ask",
     "ask about one thing, for example \"any complaints about dogs at this address\""),
    (r"\banything (at all|you (have|know))\b", "a catch-all ask", "ask one specific question"),
]
_COMPILED = [(re.compile(p, re.IGNORECASE), why, fix) for p, why, fix in _RULES]
# Capitals that a partner may not know; common public ones are fine.
_KNOWN_ACRONYMS = {
    "DOB", "NHS", "GP", "UK", "DVLA", "HMRC", "DWP", "RSPCA", "MOT", "VAT", "ASB", "CCTV", "PDF",
    "UTC", "A&E", "PO", "BOX", "LTD", "PLC", "LLP", "CIC", "ID", "NI", "HMO", "TV", "SIM", "ATM", "NO",
}
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_POSTCODE_OR_VRM = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}|[A-Z]{2}\d{2}\s*[A-Z]{3})\b")


def check(text: str) -> list[JargonFinding]:
    text = text or ""
    findings: list[JargonFinding] = []
    taken: list[tuple[int, int]] = []
    for pattern, why, fix in _COMPILED:
        for m in pattern.finditer(text):
            if any(s <= m.start() < e for s, e in taken):
                continue
            findings.append(JargonFinding(m.group(0), m.start(), m.end(), why, fix))
            taken.append((m.start(), m.end()))
    protected = [(m.start(), m.end()) for m in _POSTCODE_OR_VRM.finditer(text)]
    for m in _ACRONYM.finditer(text):
        word = m.group(0)
        if word in _KNOWN_ACRONYMS or any(s <= m.start() < e for s, e in taken + protected):
            continue
        # An acronym explained in brackets nearby ("Anti-Social Behaviour (ASB)") is fine.
        if re.search(rf"\(\s*{re.escape(word)}\s*\)", text):
            continue
        findings.append(JargonFinding(word, m.start(), m.end(), "unexplained abbreviation",
                                      f"write \"{word}\" out in full, or explain it the first time"))
        taken.append((m.start(), m.end()))
    return sorted(findings, key=lambda f: f.start)
