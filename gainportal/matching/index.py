"""In-memory candidate index over the nominal register.

Each nominal is normalised once into a `NominalView`; blocking keys point at views. A key
shared by too many nominals (a very common surname + initial, a hostel postcode) is dropped
because it would only add comparisons, never decide a match.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from functools import lru_cache

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
from gainportal.matching.score import NominalView  # defined there: score.pxd types its reads

__all__ = ["NominalRecord", "NominalView", "CandidateIndex", "name_keys", "initials"]

# Postings above this are not worth walking: the key cannot narrow anything down.
MAX_POSTINGS = 1500
# Mention DOBs whose near register positions are kept per index (memory bound).
NEAR_CACHE_MAX = 100_000


def initials(first: str) -> set[str]:
    """Initials a forename may be filed under: its own and those of its canonical forms."""
    return set(_initials(first)) if first else set()


@lru_cache(maxsize=100_000)
def _initials(first: str) -> tuple[str, ...]:
    return tuple({first[0]} | {g[0] for g in nickname_group(first)})


@lru_cache(maxsize=100_000)
def _surname_codes(surname: str) -> tuple[str, ...]:
    """Double Metaphone codes of a surname and of each of its parts."""
    return tuple(dict.fromkeys(code for variant in surname_variants(surname) for code in phonetic(variant)))


@lru_cache(maxsize=100_000)
def _forename_codes(first: str) -> tuple[str, ...]:
    """Double Metaphone codes of a forename and of every canonical form it may stand for."""
    return tuple(dict.fromkeys(code for g in nickname_group(first) for code in phonetic(g)))


def name_keys(first: str, surname: str) -> set[tuple]:
    """Blocking keys of one (first, surname) pair.

    ("n", surname code, initial) survives forename nicknames and surname spelling;
    ("f", forename code, surname letter) survives a surname typo that changes its code;
    ("s", surname code) serves surname-only mentions ("Mr Smyth").
    """
    return set(_name_keys(first, surname))


@lru_cache(maxsize=200_000)
def _name_keys(first: str, surname: str) -> tuple[tuple, ...]:
    """name_keys() as a tuple without repeats (surname keys, then forename-code keys)."""
    keys = _surname_keys(surname, _initials(first) if first else ()) if surname else ()
    if first and len(first) > 1 and surname:
        return keys + _forename_keys(first, name_token(surname)[:1])
    return keys


@lru_cache(maxsize=200_000)
def _surname_keys(surname: str, inits: tuple[str, ...]) -> tuple[tuple, ...]:
    keys: list[tuple] = []
    for code in _surname_codes(surname):
        keys.append(("s", code))
        keys.extend(("n", code, i) for i in inits)
    return tuple(keys)


@lru_cache(maxsize=100_000)
def _forename_keys(first: str, s0: str) -> tuple[tuple, ...]:
    return tuple(("f", code, s0) for code in _forename_codes(first))


# Comparison forms of register records already seen, keyed by the raw fields: a rebuild after
# a register change (an import, one edited nominal) normalises only what changed.
_FORMS: dict[tuple, tuple] = {}
FORMS_MAX = 500_000


def _view(rec: NominalRecord) -> NominalView:
    key = (rec.forenames, rec.surname, tuple(rec.aliases), rec.dob, rec.address, rec.postcode,
           tuple(rec.vrms), tuple(rec.phones), tuple(rec.businesses))
    try:
        forms = _FORMS.get(key)
    except TypeError:  # an unhashable field (a list inside aliases): normalise afresh
        return _new_view(rec)
    if forms is None:
        v = _new_view(rec)
        if len(_FORMS) >= FORMS_MAX:
            _FORMS.clear()
        _FORMS[key] = (v.names, v.dob, v.dob_s, v.postcode, v.address_key, v.vrms, v.vrm_keys, v.phones,
                       v.businesses)
        return v
    return NominalView(str(rec.nominal_id), *forms, rec)


def _new_view(rec: NominalRecord) -> NominalView:
    names = _names(rec.forenames, rec.surname, rec.aliases)
    value = rec.dob
    dob, dob_s = None, ""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        # ISO, as the register export writes it: the compact form is a slice, not a format.
        try:
            dob = date.fromisoformat(value)
            dob_s = value[:4] + value[5:7] + value[8:]
        except ValueError:
            dob = None
    if dob is None and value:
        dob = _dob(value)
        dob_s = f"{dob.year:04d}{dob.month:02d}{dob.day:02d}" if dob else ""
    if rec.vrms:
        vrms = frozenset([v for v in map(normalise_vrm, rec.vrms) if v])
        vrm_keys = frozenset(map(vrm_lookalike, vrms))
    else:
        vrms = vrm_keys = _EMPTY
    return NominalView(
        str(rec.nominal_id), names, dob, dob_s, normalise_postcode(rec.postcode),
        address_key(rec.address), vrms, vrm_keys,
        frozenset([p for p in map(normalise_phone, rec.phones) if p]) if rec.phones else _EMPTY,
        frozenset([b for b in map(business_fingerprint, rec.businesses) if b]) if rec.businesses else _EMPTY,
        rec,
    )


@lru_cache(maxsize=100_000)
def _first_forename(forenames: str) -> str:
    fore = [t for t in map(name_token, fold(forenames).split()) if t]
    return fore[0] if fore else ""


def _names(forenames: str, surname: str, aliases) -> tuple[tuple[str, str], ...]:
    """(first forename, surname) of the name and of each alias, in comparison form."""
    main = (_first_forename(forenames), fold(surname))
    if not aliases:
        return (main,)
    names = [main]
    for alias in aliases:
        p = parse_name(alias)
        if p and (p.first or p.surname):
            # A one-word alias is a street name for the forename ("Gaz"), not a surname.
            if not p.forenames and p.surname and " " not in p.surname:
                names.append((name_token(p.surname), main[1]))
            else:
                names.append((p.first, p.surname or main[1]))
    return tuple(dict.fromkeys(names))


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
        # One pass over the views; everything derivable later (surname groups of forename-code
        # keys, per-view name weights) is computed on first use instead (fgroup(), best_name).
        views: list[NominalView] = [_view(r) for r in nominals]
        self.views = views
        postings: dict[tuple, list[int]] = defaultdict(list)
        sur_l: list[str] = []
        fore_l: list[str] = []
        full_l: list[tuple[str, str]] = []
        # Name keys come as cached tuples shared by every nominal of one surname and initials
        # (and one forename and surname letter): group nominals by tuple, extend once per key.
        groups: dict[int, tuple[tuple, list[int]]] = {}
        for i, v in enumerate(views):
            names = v.names
            first, surname = names[0]
            if len(names) == 1:
                if surname:
                    t = _surname_keys(surname, _initials(first) if first else ())
                    g = groups.get(id(t))
                    if g is None:
                        g = groups[id(t)] = (t, [])
                    g[1].append(i)
                    if first and len(first) > 1:
                        t = _forename_keys(first, name_token(surname)[:1])
                        g = groups.get(id(t))
                        if g is None:
                            g = groups[id(t)] = (t, [])
                        g[1].append(i)
            else:
                keys: set[tuple] = set()
                for f, s in names:
                    keys.update(_name_keys(f, s))
                for k in keys:
                    postings[k].append(i)
            if surname:
                sk = surname_variants(surname)[0]
                sur_l.append(sk)
                if first:
                    full_l.append((first, sk))
            if first:
                fore_l.append(first)
            if v.dob:
                postings[("d", v.dob)].append(i)
            if v.postcode:
                postings[("p", v.postcode)].append(i)
            for k in v.vrm_keys:
                postings[("v", k)].append(i)
            for k in v.phones:
                postings[("t", k)].append(i)
            for k in v.businesses:
                postings[("b", k)].append(i)
        for t, ids in groups.values():
            for k in t:
                postings[k].extend(ids)
        self.dropped = {k for k, ids in postings.items() if len(ids) > max_postings}
        for k in self.dropped:
            del postings[k]
        self.postings = dict(postings)
        # Register DOBs by position, for the matcher's DOB pre-filter (one list index per id).
        self.dob_s = [v.dob_s for v in views]
        self.postcodes = [v.postcode for v in views]
        self.address_keys = [v.address_key for v in views]
        self.dob_wild = None  # built on first use (dob_near)
        self.dob_b = None  # the same time (dob_allowed_among)
        self._near: dict[tuple[str, str], frozenset[int]] = {}
        # Forename-code keys ("f", code, surname letter) are broad and only screened on the
        # surname: fgroup() groups a key's nominals by surname on first use.
        self._fscreen: dict[tuple, tuple] = {}
        self._fsets: dict[tuple, frozenset[int]] = {}  # the same keys' positions as sets (fset())
        # Name-derived candidate sets and name scores, per distinct mention name (matcher.py):
        # names recur across a re-match of the answer store. Tied to this index, so a rebuild
        # after a register change starts empty.
        self.name_cache: dict = {}
        self.f_hits: dict = {}  # forename-code key screens per mention surname (matcher.py)
        self.n = max(len(views), 1)
        self.surname_counts = Counter(sur_l)
        self.forename_counts = Counter(fore_l)
        self.fullname_counts = Counter(full_l)
        self._set_bits(views)

    def _set_bits(self, views) -> None:
        # Name weights of every view's name forms, once here rather than in each forked
        # re-match worker; memoised per surname and forename (most recur on a register).
        from gainportal.matching.score import forename_bits, surname_bits

        sur: dict[str, float] = {}
        fore: dict[str, float] = {}
        for v in views:
            bits = []
            for f, s in v.names:
                sb = sur.get(s)
                if sb is None:
                    sb = sur[s] = surname_bits(self, s)
                fb = fore.get(f)
                if fb is None:
                    fb = fore[f] = forename_bits(self, f)
                bits.append((sb, fb))
            v.bits = tuple(bits)

    def prepare_batch(self) -> None:
        """Build what the matcher builds on first use, before forked workers would each build
        it (a re-match); the index build itself stays lean for the single-answer path."""
        if self.dob_wild is None:
            self._build_dob_filter(self.views)

    def _build_dob_filter(self, views) -> None:
        import gc

        enabled = gc.isenabled()
        gc.disable()  # as in __init__: 130,000 new lists and keys, nothing cyclic to find
        try:
            self._build_dob_maps(views)
        finally:
            if enabled:
                gc.enable()

    def _build_dob_maps(self, views) -> None:
        """Register DOBs for dob_near(): every DOB string filed whole and with each digit
        wild ("1985?304"), since a DOB one digit out shares one of those: 17 lookups find
        every register DOB near a mention's instead of a test per candidate. With them, the
        positions per postcode and address key and those without a DOB (dob_allowed()), and
        the forename-code keys' positions as sets (fset())."""
        by_dob: dict[str, list[int]] = {}
        for i, v in enumerate(views):
            if v.dob_s:
                by_dob.setdefault(v.dob_s, []).append(i)
        wild: dict[str, list[int]] = {}
        for d, ids in by_dob.items():
            for p in range(len(d)):
                k = d[:p] + "?" + d[p + 1:]
                got = wild.get(k)
                if got is None:
                    wild[k] = ids  # shared until a second DOB needs the key: copy then
                else:
                    wild[k] = got + ids
        self.by_dob, self.dob_wild = by_dob, wild
        self._centuries = frozenset(d[:2] for d in by_dob)  # "19", "20": see _wild_positions()
        self._wild_pos: dict[str, tuple[int, ...]] = {}
        by_postcode: dict[str, list[int]] = {}
        by_address: dict[str, list[int]] = {}
        for i, v in enumerate(views):
            if v.postcode:
                by_postcode.setdefault(v.postcode, []).append(i)
            if v.address_key:
                by_address.setdefault(v.address_key, []).append(i)
        self.by_postcode, self.by_address = by_postcode, by_address
        self.no_dob = [i for i, v in enumerate(views) if not v.dob_s]
        # Every position's DOB as 8 bytes in one buffer (zeros: none), for _dob_allowed_among():
        # compact, where the DOB strings are scattered objects. Only for 8-digit DOB strings.
        none = "\0" * 8
        items = [v.dob_s or none for v in views]
        joined = "".join(items)
        digits = joined.replace(none[0], "")
        if (set(map(len, items)) <= {8} and len(digits) == 8 * (len(views) - len(self.no_dob))
                and digits.isascii() and digits.isdigit()):
            self.dob_b = bytearray(joined, "ascii")
        fsets = self._fsets
        for k, ids in self.postings.items():
            if k[0] == "f" and k not in fsets:
                fsets[k] = frozenset(ids)

    def dob_near(self, d: str, sw: str) -> frozenset[int]:
        """Positions whose register DOB a mention DOB d ("YYYYMMDD", sw its day/month swap
        or "") does not contradict: equal, swapped, one digit or one adjacent transposition
        away (score.py's levels short of "mismatch"). Kept per DOB: DOBs recur in a re-match."""
        key = (d, sw)
        got = self._near.get(key)
        if got is not None:
            return got
        if self.dob_wild is None:
            self._build_dob_filter(self.views)
        out: set[int] = set()
        # The keys first, then the lookups through map(): fewer bytecodes per key. A
        # transposition of two equal digits is d itself, already among the wild hits.
        for hit in map(self.dob_wild.get, [d[:p] + "?" + d[p + 1:] for p in self._wild_positions(d[:2])]):
            if hit:
                out.update(hit)
        by_dob = self.by_dob.get
        for hit in map(by_dob, [d[:p] + d[p + 1] + d[p] + d[p + 2:] for p in range(7) if d[p] != d[p + 1]]):
            if hit:
                out.update(hit)
        if sw:
            hit = by_dob(sw)
            if hit:
                out.update(hit)
        if len(self._near) >= NEAR_CACHE_MAX:
            self._near.clear()
        got = self._near[key] = frozenset(out)
        return got

    def _wild_positions(self, prefix: str) -> tuple[int, ...]:
        """The digit positions worth a wildcard lookup for a DOB starting with prefix. Every
        wildcard key of d holds d's own positions, so a first or second digit need only be
        made wild when the register holds another century one digit away ("1985" -> "2985"
        does not exist on a register of 19xx and 20xx births: two lookups fewer)."""
        got = self._wild_pos.get(prefix)
        if got is None:
            cents = self._centuries
            digits = "0123456789"
            first = any(c + prefix[1:] in cents for c in digits if c != prefix[:1])
            second = any(prefix[:1] + c in cents for c in digits if c != prefix[1:])
            got = self._wild_pos[prefix] = tuple(p for p, need in ((0, first), (1, second)) if need) + (2, 3, 4, 5, 6, 7)
        return got

    def dob_allowed(self, d: str, sw: str, postcode: str, address_key: str):
        """The register positions a mention with DOB d may be shown (score.py never shows a
        DOB mismatch away from the address): a register DOB dob_near() lets through or none
        at all, the same postcode or the same address key. A set; do not change it."""
        near = self.dob_near(d, sw)
        extra = []
        if postcode:
            hit = self.by_postcode.get(postcode)
            if hit:
                extra.append(hit)
        if address_key:
            hit = self.by_address.get(address_key)
            if hit:
                extra.append(hit)
        if self.no_dob:
            extra.append(self.no_dob)
        return near.union(*extra) if extra else near

    def dob_allowed_among(self, lists, d: str, sw: str, postcode: str, address_key: str) -> list[list[int]]:
        """For each list of positions, those dob_allowed(d, sw, postcode, address_key) holds,
        each tested on its own register fields: cheaper than building dob_allowed()'s set (a
        dozen dict probes and ~60 inserts per new DOB) when the lists are a few dozen name hits.
        None if d or a register DOB is not 8 ASCII digits (then use dob_allowed())."""
        if self.dob_wild is None:
            self._build_dob_filter(self.views)
        if self.dob_b is None or len(d) != 8:
            return None
        return _dob_allowed_among(lists, self.dob_b, bytearray(d, "ascii"), bytearray(sw, "ascii"),
                                  postcode, self.postcodes, address_key, self.address_keys)

    def fset(self, key: tuple) -> frozenset[int]:
        """A forename-code key's positions as a set (for intersecting with dob_allowed())."""
        got = self._fsets.get(key)
        if got is None:
            ids = self.postings.get(key)
            got = self._fsets[key] = frozenset(ids) if ids else _EMPTY
        return got

    def fgroup(self, key: tuple) -> tuple[list[str], list[list[int]]] | None:
        """(surnames, ids per surname) of a forename-code key's nominals, as parallel lists
        for a bulk Jaro-Winkler screen in C; None if the key is not indexed."""
        g = self._fscreen.get(key)
        if g is None:
            ids = self.postings.get(key)
            if not ids:
                return None
            by_surname: dict[str, list[int]] = {}
            views = self.views
            for i in ids:
                for n in views[i].names:
                    by_surname.setdefault(n[1], []).append(i)
            g = self._fscreen[key] = (list(by_surname), list(by_surname.values()))
        return g

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
        get = self.postings.get
        for k in keys:
            if k[0] == "f":
                g = self.fgroup(k)
                if g:
                    for sur, ids in zip(*g):
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


def _dob_allowed_among(lists, db, dk, sk, postcode, postcodes, address_key, address_keys) -> list[list[int]]:
    """CandidateIndex.dob_allowed_among() on the DOB buffer db (8 bytes a position, zeros for
    none) and the mention's DOB dk and its swap sk (bytes; sk empty if none): a position is
    kept if it has no DOB, a DOB equal to dk or sk, one digit or one adjacent transposition
    from dk (dob_near()), the mention's postcode or its address key (dob_allowed())."""
    has_sw = len(sk) == 8
    b, dp, sp = db, dk, sk  # raw byte pointers when compiled (index.pxd)
    result = []
    for ids in lists:
        out = []
        for i in ids:
            j = i  # a C integer when compiled (index.pxd): o and the list reads make no Python int
            o = j * 8
            if b[o] == 0:
                out.append(i)
                continue
            diff = 0
            p = q = 0
            for k in range(8):
                if b[o + k] != dp[k]:
                    diff += 1
                    if diff == 1:
                        p = k
                    elif diff == 2:
                        q = k
                    else:
                        break
            if diff <= 1 or (diff == 2 and q == p + 1 and b[o + p] == dp[q] and b[o + q] == dp[p]):
                out.append(i)
                continue
            if has_sw:
                same = True
                for k in range(8):
                    if b[o + k] != sp[k]:
                        same = False
                        break
                if same:
                    out.append(i)
                    continue
            if (postcode and postcodes[j] == postcode) or (address_key and address_keys[j] == address_key):
                out.append(i)
        result.append(out)
    return result


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
    surname, first = name.surname, name.first  # read once: first is a property
    direct = [(f, surname) for f in name.first_names() or ("",)]
    swapped_pair = None
    if first and surname and len(first) > 1:
        swapped_pair = (surname.replace(" ", ""), first)
    return direct, swapped_pair
