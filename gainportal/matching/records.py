"""Plain data carried between the matching modules: register records, mentions, candidates."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from gainportal.matching.dates import Dob
from gainportal.matching.names import PersonName


@dataclass
class NominalRecord:
    """One person on the nominal register, as the service layer hands it over (raw strings).

    aliases, vrms, phones, businesses are sequences of raw strings; dob is ISO or a date.
    """
    nominal_id: str
    forenames: str
    surname: str
    aliases: tuple[str, ...] = ()
    dob: str | date | None = None
    address: str = ""
    postcode: str = ""
    vrms: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    businesses: tuple[str, ...] = ()
    ocg_ref: str = ""
    role: str = ""


@dataclass
class Mention:
    """One person (or bare identifier set) to look up, already normalised.

    spans maps each field to the (start, end) it came from in the answer text, so an
    analyst can see the evidence; structured fields have no span.
    """
    name: PersonName | None = None
    dob: Dob | None = None
    postcode: str = ""
    address: str = ""
    vrms: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    businesses: tuple[str, ...] = ()
    span: tuple[int, int] | None = None
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    source: str = "structured"  # or "text"


@dataclass
class Candidate:
    """A nominal proposed for a mention; nothing is a link until an analyst confirms it."""
    nominal_id: str
    score: float
    tier: str  # "strong" or "possible"
    features: dict
    relationship: str = "self"  # or "possible_associate" (family link via surname + address)
    span: tuple[int, int] | None = None

    def as_dict(self) -> dict:
        out = {"nominal_id": self.nominal_id, "score": round(self.score, 2), "tier": self.tier,
               "features": self.features}
        if self.relationship != "self":
            out["relationship"] = self.relationship
        if self.span is not None:
            out["span"] = list(self.span)
        return out
