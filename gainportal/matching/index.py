"""In-memory candidate index over the nominal register.

Each nominal is normalised once into a `NominalView`; blocking keys point at views. A key
shared by too many nominals (a very common surname + initial, a hostel postcode) is dropped
because it would only add comparisons, never decide a match.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from gainportal.matching.dates import parse_dob, swapped
from gainportal.matching.identifiers import (
    address_key,
    business_fingerprint,
    normalise_phone,
    normalise_postcode,
    normalise_vrm,
    vrm_lookalike,
)
from gainportal.matching.names import (
    PersonName,
    fold,
    name_token,
    nickname_group,
    parse_name,
    phonetic,
    surname_variants,
)
from gainportal.matching.records import NominalRecord

__all__ = ["NominalRecord", "NominalView", "CandidateIndex", "name_keys", "initials"]

# Postings above this are not worth walking: the key cannot narrow anything down.
MAX_POSTINGS = 1500


@dataclass(slots=True)
class NominalView:
    """A nominal in comparison form. names: (first, surname) pairs for the name and aliases."""
    nominal_id: str
    names: tuple[tuple[str, str], ...]
    dob: date | None
    dob_s: str  # "YYYYMMDD": string compares are far cheaper than date arithmetic per pair
    postcode: str
    address_key: str
    vrms: frozenset[str]
    vrm_keys: frozenset[str]
    phones: frozenset[str]
    businesses: frozenset[str]
    record: NominalRecord
    bits: tuple = ()  # per name form: (surname bits, forename bits) on this register


def initials(first: str) -> set[str]:
    """Initials a forename may be filed under: its own and those of its canonical forms."""
    if not first:
        return set()
    return {first[0]} | {g[0] for g in nickname_group(first)}


def name_keys(first: str, surname: str) -> set[tuple]:
    """Blocking keys of one (first, surname) pair.

    ("n", surname code, initial) survives forename nicknames and surname spelling;
    ("f", forename code, surname letter) survives a surname typo that changes its code;
    ("s", surname code) serves surname-only mentions ("Mr Smyth").
    """
    keys: set[tuple] = set()
    inits = initials(first) if first else set()
    for variant in surname_variants(surname) if surname else ():
        for code in phonetic(variant):
            keys.add(("s", code))
            for i in inits:
                keys.add(("n", code, i))
    if first and len(first) > 1 and surname:
        s0 = name_token(surname)[:1]
        for g in nickname_group(first):
            for code in phonetic(g):
                keys.add(("f", code, s0))
    return keys


def _view(rec: NominalRecord) -> NominalView:
    fore = [name_token(t) for t in fold(rec.forenames).split()]
    fore = [t for t in fore if t]
    names = [(fore[0] if fore else "", fold(rec.surname))]
    for alias in rec.aliases:
        p = parse_name(alias)
        if p and (p.first or p.surname):
            # A one-word alias is a street name for the forename ("Gaz"), not a surname.
            if not p.forenames and p.surname and " " not in p.surname:
                names.append((name_token(p.surname), names[0][1]))
            else:
                names.append((p.first, p.surname or names[0][1]))
    dob = _dob(rec.dob)
    vrms = frozenset(v for v in (normalise_vrm(x) for x in rec.vrms) if v) if rec.vrms else _EMPTY
    return NominalView(
        nominal_id=str(rec.nominal_id),
        names=tuple(dict.fromkeys(names)),
        dob=dob,
        dob_s=f"{dob.year:04d}{dob.month:02d}{dob.day:02d}" if dob else "",
        postcode=normalise_postcode(rec.postcode),
        address_key=address_key(rec.address),
        vrms=vrms,
        vrm_keys=frozenset(vrm_lookalike(v) for v in vrms) if vrms else _EMPTY,
        phones=frozenset(p for p in (normalise_phone(x) for x in rec.phones) if p) if rec.phones else _EMPTY,
        businesses=(frozenset(b for b in (business_fingerprint(x) for x in rec.businesses) if b)
                    if rec.businesses else _EMPTY),
        record=rec,
    )


_EMPTY: frozenset = frozenset()


def _dob(value) -> date | None:
    if isinstance(value, date):
        return value
    if not value:
        return None
    if len(value) == 10 and value[4] == "-":  # ISO, as the register export writes it
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    parsed = parse_dob(value)
    return parsed.exact if parsed else None


class CandidateIndex:
    """Inverted index from blocking keys to nominal views, plus register term frequencies."""

    def __init__(self, nominals, max_postings: int = MAX_POSTINGS):
        import gc

        # Hundreds of thousands of small long-lived objects: cyclic GC passes during the build
        # cost more than the build itself and find nothing.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._build(nominals, max_postings)
        finally:
            if enabled:
                gc.enable()

    def _build(self, nominals, max_postings: int) -> None:
        self.views: list[NominalView] = [_view(r) for r in nominals]
        postings: dict[tuple, list[int]] = defaultdict(list)
        surnames: Counter[str] = Counter()
        forenames: Counter[str] = Counter()
        fullnames: Counter[tuple[str, str]] = Counter()
        for i, v in enumerate(self.views):
            keys: set[tuple] = set()
            for first, surname in v.names:
                keys |= name_keys(first, surname)
            if v.names[0][1]:
                surnames[surname_variants(v.names[0][1])[0]] += 1
            if v.names[0][0]:
                forenames[v.names[0][0]] += 1
                if v.names[0][1]:
                    fullnames[(v.names[0][0], surname_variants(v.names[0][1])[0])] += 1
            if v.dob:
                keys.add(("d", v.dob))
            if v.postcode:
                keys.add(("p", v.postcode))
            keys.update(("v", k) for k in v.vrm_keys)
            keys.update(("t", p) for p in v.phones)
            keys.update(("b", b) for b in v.businesses)
            for k in keys:
                postings[k].append(i)
        self.dropped = {k for k, ids in postings.items() if len(ids) > max_postings}
        self.postings = {k: ids for k, ids in postings.items() if len(ids) <= max_postings}
        # Forename-code keys ("f", code, surname letter) are broad and only screened on the
        # surname, so keep them grouped by surname: the screen runs once per surname.
        grouped: dict[tuple, dict[str, list[int]]] = {}
        for k, ids in self.postings.items():
            if k[0] == "f":
                g = grouped[k] = {}
                for i in ids:
                    for n in self.views[i].names:
                        g.setdefault(n[1], []).append(i)
        self.fgroups = grouped
        self.n = max(len(self.views), 1)
        self.surname_counts = surnames
        self.forename_counts = forenames
        self.fullname_counts = fullnames
        from gainportal.matching.score import name_bits

        for v in self.views:
            v.bits = tuple(name_bits(self, f, s) for f, s in v.names)

    def __len__(self) -> int:
        return len(self.views)

    # Frequencies are smoothed towards a typical UK share so a small register (a test, one
    # OCG) does not make "Smith" look common just because two of four nominals are Smiths.
    SURNAME_PRIOR, SURNAME_PSEUDO = 1 / 2000, 2000
    FORENAME_PRIOR, FORENAME_PSEUDO = 1 / 300, 3000

    def surname_freq(self, key: str) -> float:
        """Smoothed share of the register with this surname."""
        return (self.surname_counts.get(key, 0) + self.SURNAME_PRIOR * self.SURNAME_PSEUDO) / (
            self.n + self.SURNAME_PSEUDO)

    def fullname_count(self, first: str, surname: str) -> int:
        """Nominals filed under exactly this first forename and whole surname."""
        return self.fullname_counts.get((first, surname_variants(surname)[0] if surname else ""), 0)

    def forename_freq(self, first: str) -> float:
        return (self.forename_counts.get(first, 0) + self.FORENAME_PRIOR * self.FORENAME_PSEUDO) / (
            self.n + self.FORENAME_PSEUDO)

    def lookup_grouped(self, keys) -> tuple[set[int], dict[str, list[int]]]:
        """(ids hit by a decisive key, {surname: ids} hit only by forename-code keys)."""
        out: set[int] = set()
        weak: dict[str, list[int]] = {}
        get, fget = self.postings.get, self.fgroups.get
        for k in keys:
            if k[0] == "f":
                g = fget(k)
                if g:
                    for sur, ids in g.items():
                        weak.setdefault(sur, []).extend(ids)
            else:
                ids = get(k)
                if ids:
                    out.update(ids)
        return out, weak

    def lookup(self, keys) -> tuple[set[int], set[int]]:
        """(ids hit by a decisive key, ids hit only by a forename+surname-letter key).

        The second set is large and mostly noise; the matcher screens it on surname first.
        """
        out: set[int] = set()
        weak: set[int] = set()
        get = self.postings.get
        for k in keys:
            ids = get(k)
            if ids:
                (weak if k[0] == "f" else out).update(ids)
        weak -= out
        return out, weak


def dob_keys(d: date | None) -> list[tuple]:
    if not d:
        return []
    keys = [("d", d)]
    s = swapped(d)
    if s:
        keys.append(("d", s))
    return keys


def person_name_pairs(name: PersonName | None) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
    """(first, surname) readings of a mention name (forename, street nickname), plus the
    swapped reading for a name written the wrong way round ("Smith John"), if plausible."""
    if not name:
        return [], None
    direct = [(first, name.surname) for first in name.first_names() or ("",)]
    swapped_pair = None
    if name.first and name.surname and len(name.first) > 1:
        swapped_pair = (name.surname.replace(" ", ""), name.first)
    return direct, swapped_pair
