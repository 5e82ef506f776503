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


_FRESH = object()  # Mention's spans default: a new dict per Mention, as default_factory=dict gives


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

    def __init__(self, name=None, dob=None, postcode="", address="", vrms=(), phones=(), businesses=(),
                 span=None, spans=_FRESH, source="structured"):
        # The dataclass's generated __init__ (the same stores) would run interpreted; this one
        # Cython compiles (COMPILED). One Mention per structured answer and per name in a text.
        self.name = name
        self.dob = dob
        self.postcode = postcode
        self.address = address
        self.vrms = vrms
        self.phones = phones
        self.businesses = businesses
        self.span = span
        self.spans = {} if spans is _FRESH else spans
        self.source = source


@dataclass
class Candidate:
    """A nominal proposed for a mention; nothing is a link until an analyst confirms it."""
    nominal_id: str
    score: float
    tier: str  # "strong" or "possible"
    features: dict
    relationship: str = "self"  # or "possible_associate" (family link via surname + address)
    span: tuple[int, int] | None = None

    def __init__(self, nominal_id, score, tier, features, relationship="self", span=None):
        # Compiled, as Mention's.
        self.nominal_id = nominal_id
        self.score = score
        self.tier = tier
        self.features = features
        self.relationship = relationship
        self.span = span

    def as_dict(self) -> dict:
        out = {"nominal_id": self.nominal_id, "score": round(self.score, 2), "tier": self.tier,
               "features": self.features}
        if self.relationship != "self":
            out["relationship"] = self.relationship
        if self.span is not None:
            out["span"] = list(self.span)
        return out
