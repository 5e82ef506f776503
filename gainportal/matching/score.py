"""Field-level agreement levels, their weights, and the tier rules.

Weights are log2 likelihood ratios in the Fellegi-Sunter spirit, set by hand from what a
chance agreement costs on a register of ~37k people (a shared exact DOB is ~1 in 20,000;
a shared "Smith" ~1 in 100). Name weights scale with the register's own term frequency,
so a rare surname says more than a common one.
"""
from __future__ import annotations

import math
from datetime import date
from functools import lru_cache

from rapidfuzz.distance import OSA, JaroWinkler

from gainportal.matching.dates import Dob, one_edit, swapped
from gainportal.matching.names import nickname_group, phonetic, surname_variants


# --- comparison forms ----------------------------------------------------------------------
# The two sides of every comparison. Plain classes with __slots__; when Cython compiles this
# module, score.pxd makes them extension types whose fields the functions below read as C
# struct members (the generic attribute lookup was ~6% of a re-match's instructions). Both
# compare and print as the dataclasses they replace did.

def _postcode_parts(postcode) -> tuple:
    """(sector, district) strings of a postcode as the postcode levels compare them
    (postcode[:-2], the part before the space), made once per view instead of per pair; set
    at construction (a view's postcode is never reassigned) and left out of ==/repr."""
    if not postcode:
        return "", ""
    return postcode[:-2], postcode.split(" ")[0]


class NominalView:
    """A nominal in comparison form. names: (first, surname) pairs for the name and aliases;
    dob_s: "YYYYMMDD" (string compares are far cheaper than date arithmetic per pair); bits:
    per name form, (surname bits, forename bits) on this register (index.py sets them)."""
    __slots__ = ("nominal_id", "names", "dob", "dob_s", "postcode", "address_key", "vrms", "vrm_keys",
                 "phones", "businesses", "record", "bits", "sector", "district")

    def __init__(self, nominal_id, names, dob, dob_s, postcode, address_key, vrms, vrm_keys, phones,
                 businesses, record, bits=()):
        self.nominal_id = nominal_id
        self.names = names
        self.dob = dob
        self.dob_s = dob_s
        self.postcode = postcode
        self.address_key = address_key
        self.vrms = vrms
        self.vrm_keys = vrm_keys
        self.phones = phones
        self.businesses = businesses
        self.record = record
        self.bits = bits
        self.sector, self.district = _postcode_parts(postcode)

    def _fields(self) -> tuple:
        return (self.nominal_id, self.names, self.dob, self.dob_s, self.postcode, self.address_key, self.vrms,
                self.vrm_keys, self.phones, self.businesses, self.record, self.bits)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # as the (mutable) dataclass it replaces

    def __repr__(self) -> str:
        return "NominalView(" + ", ".join(f"{n}={v!r}" for n, v in zip(NominalView.__slots__, self._fields())) + ")"


class MentionView:
    """A mention in comparison form, computed once and compared with every candidate (matcher.py).
    pairs: (direct readings, swapped reading or None); sur_bits: register weight of the
    mention's own surname; dob_near: "YYYYMMDD" strings that are not a DOB mismatch."""
    __slots__ = ("pairs", "dob", "dob_s", "dob_sw", "postcode", "address_key", "vrms", "vrm_keys", "phones",
                 "businesses", "sur_bits", "dob_near", "sector", "district")

    def __init__(self, pairs, dob, dob_s, dob_sw, postcode, address_key, vrms, vrm_keys, phones, businesses,
                 sur_bits=None, dob_near=frozenset()):
        self.pairs = pairs
        self.dob = dob
        self.dob_s = dob_s
        self.dob_sw = dob_sw
        self.postcode = postcode
        self.address_key = address_key
        self.vrms = vrms
        self.vrm_keys = vrm_keys
        self.phones = phones
        self.businesses = businesses
        self.sur_bits = sur_bits
        self.dob_near = dob_near
        self.sector, self.district = _postcode_parts(postcode)

    def _fields(self) -> tuple:
        return (self.pairs, self.dob, self.dob_s, self.dob_sw, self.postcode, self.address_key, self.vrms,
                self.vrm_keys, self.phones, self.businesses, self.sur_bits, self.dob_near)

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None

    def __repr__(self) -> str:
        return "MentionView(" + ", ".join(f"{n}={v!r}" for n, v in zip(MentionView.__slots__, self._fields())) + ")"


# --- levels -----------------------------------------------------------------------------

SURNAME_W = {"exact": 0.0, "part": -1.0, "phonetic": -2.0, "typo": -2.5, "fuzzy": -6.0}
SURNAME_MISMATCH = -6.0
FORENAME_W = {"exact": 0.0, "nickname": -1.0, "typo": -2.0, "sibling": -4.0}
FORENAME_INITIAL = 2.5
FORENAME_MISMATCH = -5.0
SWAPPED_PENALTY = -1.0

DOB_W = {"exact": 12.0, "swapped": 9.0, "one_edit": 6.0, "year": 1.5, "age_outside": -4.0,
         "mismatch": -12.0}
POSTCODE_W = {"full": 7.0, "sector": 2.5, "district": 1.0, "other": -1.0}
ADDRESS_W = 2.0
VRM_W = {"exact": 10.0, "lookalike": 7.0}
PHONE_W = 10.0
BUSINESS_W = 6.0

# Name weights: log2(1/frequency) capped, so "Smith" ~ 6.5 bits and a unique name ~ 12.
NAME_CAP = 12.0
FORENAME_CAP = 9.0

POSSIBLE_MIN = 8.0
STRONG_MIN = 18.0

NAME_AGREE_SURNAME = frozenset({"exact", "part", "phonetic", "typo"})
NAME_AGREE_FORENAME = frozenset({"exact", "nickname", "typo", "initial", "sibling"})
# Forename levels from closest to loosest (household competition compares them).
FORENAME_RANK = {"exact": 0, "nickname": 1, "typo": 2, "initial": 3, "sibling": 4}
HARD_DOB = frozenset({"exact", "swapped"})


def _mc(s: str) -> str:
    return "mc" + s[3:] if s.startswith("mac") and len(s) > 5 else s


def _one_slip(a: str, b: str) -> bool:
    """One keyed slip (substitution, dropped or doubled letter, adjacent swap) after an
    agreeing first letter: "Fnwler"/"Fowler", "Upppal"/"Uppal", "Denek"/"Derek"."""
    # One edit changes the length by at most one: a longer gap needs no OSA call.
    return (len(a) >= 4 and len(b) >= 4 and a[0] == b[0] and -1 <= len(a) - len(b) <= 1
            and OSA.distance(a, b, score_cutoff=1) <= 1)


# Level caches: one dict per first argument, holding the level per second argument (no key
# tuple to build, hash and free per lookup, as an lru_cache makes; nine in ten level lookups
# of a re-match are misses). bound_level_caches() keeps the memory bound.
LEVEL_CACHE_MAX = 500_000
_SURNAME_LEVELS: dict = {}
_FORENAME_LEVELS: dict = {}


def level_cache_pairs() -> tuple[int, int]:
    """(surname pairs, forename pairs) held by the level caches."""
    return sum(map(len, _SURNAME_LEVELS.values())), sum(map(len, _FORENAME_LEVELS.values()))


def clear_level_caches() -> None:
    _SURNAME_LEVELS.clear()
    _FORENAME_LEVELS.clear()
    _NICKNAME_GROUPS.clear()
    _SURNAME_VARIANTS.clear()


def bound_level_caches() -> None:
    """Empty the level caches once either holds more than LEVEL_CACHE_MAX pairs."""
    for memo in (_SURNAME_LEVELS, _FORENAME_LEVELS):
        if sum(map(len, memo.values())) > LEVEL_CACHE_MAX:
            memo.clear()
    for memo in (_NICKNAME_GROUPS, _SURNAME_VARIANTS):
        if len(memo) > NAME_MEMO_MAX:
            memo.clear()


# names.nickname_group() and surname_variants() as first-time levels ask for them: a call of
# an lru_cache from compiled code (argument tuple, key, list relinking) costs several times a
# lookup in a dict typed in score.pxd. The same values; bound_level_caches() bounds them.
NAME_MEMO_MAX = 200_000
_NICKNAME_GROUPS: dict = {}
_SURNAME_VARIANTS: dict = {}


def _nick_group(name: str) -> frozenset:
    groups = _NICKNAME_GROUPS
    g = groups.get(name)
    if g is None:
        g = groups[name] = nickname_group(name)
    return g


def _variants(surname: str) -> tuple:
    variants = _SURNAME_VARIANTS
    v = variants.get(surname)
    if v is None:
        v = variants[surname] = surname_variants(surname)
    return v


def surname_level(a: str, b: str) -> str:
    """Agreement of two surnames in comparison form ("" on either side: "missing"); memoised."""
    levels = _SURNAME_LEVELS  # typed in score.pxd: its .get is a C call, not an attribute lookup
    memo = levels.get(a)
    if memo is None:
        memo = levels[a] = {}
    else:
        level = memo.get(b)
        if level is not None:
            return level
    level = memo[b] = _surname_level(a, b)
    return level


def forename_level(a: str, b: str) -> str:
    """Agreement of two first forenames (either may be an initial or a nickname); memoised."""
    levels = _FORENAME_LEVELS  # as in surname_level()
    memo = levels.get(a)
    if memo is None:
        memo = levels[a] = {}
    else:
        level = memo.get(b)
        if level is not None:
            return level
    level = memo[b] = _forename_level(a, b)
    return level


def _jw_below(a: str, b: str, cut: float) -> bool:
    """True if JaroWinkler.similarity(a, b) < cut for certain; False if it cannot tell.
    Jaro is (m/|a| + m/|b| + (m - t)/m) / 3 for m matching characters, t transpositions; a
    matching character of a is in b and one of b in a, so m is at most either count, and the
    third term at most 1. Winkler adds p * 0.1 * (1 - jaro) for a common prefix of p <= 4
    characters (when jaro > 0.7), which grows with jaro: the bound gets it in full. A margin
    far above any difference in rounding order. A few dozen C steps instead of a rapidfuzz
    call (~2,300 instructions): most name pairs a re-match asks about share few letters."""
    la = len(a)
    lb = len(b)
    if la == 0 or lb == 0:
        return False
    # Letters as bits (code point mod 64) instead of a scan of the other name per letter:
    # letters that share a bit count as found, which can only loosen the bound.
    one = 1
    ma = mb = 0
    for c in a:
        ma |= one << (ord(c) & 63)
    for c in b:
        mb |= one << (ord(c) & 63)
    na = 0
    for c in a:
        if (mb >> (ord(c) & 63)) & 1:
            na += 1
    nb = 0
    for c in b:
        if (ma >> (ord(c) & 63)) & 1:
            nb += 1
    m = na if na < nb else nb
    ub = (m / la + m / lb + 1.0) / 3.0
    lim = la if la < lb else lb
    if lim > 4:
        lim = 4
    p = 0
    while p < lim and a[p] == b[p]:
        p += 1
    if p:
        ub = ub + p * 0.1 * (1.0 - ub)
    return ub < cut - 1e-9


def _surname_level(a: str, b: str) -> str:
    """surname_level() without the memo."""
    if not a or not b:
        return "missing"
    va, vb = _variants(a), _variants(b)
    a0, b0 = va[0], vb[0]
    if _jw_below(a0, b0, 0.8):
        # Jaro-Winkler under 0.8 for certain: the tests below, without the rapidfuzz call.
        if a0[:1] != b0[:1] and (len(va) == 1 == len(vb) or set(va).isdisjoint(vb)):
            return "mismatch"
        if _mc(a0) == _mc(b0):
            return "exact"
        if not set(va).isdisjoint(vb):
            return "part"
        return "typo" if _one_slip(a0, b0) else "mismatch"
    jw = JaroWinkler.similarity(a0, b0)
    if jw < 0.8 and a0[:1] != b0[:1] and (len(va) == 1 == len(vb) or set(va).isdisjoint(vb)):
        # Nine in ten pairs a re-match asks about: no level below needs less than
        # Jaro-Winkler 0.8 except "exact" (Mc/Mac keeps the first letter), a one-letter slip
        # (same first letter) and "part" (a shared variant; none if each is one word).
        return "mismatch"
    if _mc(a0) == _mc(b0):
        return "exact"  # MacDonald = McDonald
    if not set(va).isdisjoint(vb):
        return "part"  # one half of a double-barrelled surname
    if jw >= 0.92 or _one_slip(a0, b0):
        return "typo"
    if set(phonetic(a0)) & set(phonetic(b0)) and jw >= 0.8:
        return "phonetic"
    if jw >= 0.85:
        return "fuzzy"
    return "mismatch"


def _forename_level(a: str, b: str) -> str:
    """forename_level() without the memo."""
    if not a or not b:
        return "missing"
    if a == b:
        return "exact"
    if len(a) == 1 or len(b) == 1:
        full = b if len(a) == 1 else a
        init = a if len(a) == 1 else b
        if init == full[0]:
            return "initial"
        for g in _nick_group(full):  # a loop, not any(): no closure in a cpdef (score.pxd)
            if g[0] == init:
                return "initial"
        return "mismatch"
    ga, gb = _nick_group(a), _nick_group(b)
    if a in gb or b in ga:
        return "nickname"  # one is a short or canonical form of the other (Gaz/Gary, Kate/Catherine)
    if _jw_below(a, b, 0.8):
        # Jaro-Winkler under 0.8 for certain: the tests below, without the rapidfuzz call.
        if a[0] == b[0] and _one_slip(a, b):
            return "typo"
        # isdisjoint: no intersection set made to be tested and freed (most pairs end here).
        return "mismatch" if ga.isdisjoint(gb) else "sibling"
    jw = JaroWinkler.similarity(a, b)
    if jw >= 0.9 or (jw >= 0.8 and set(phonetic(a)) & set(phonetic(b))) or (a[0] == b[0] and _one_slip(a, b)):
        return "typo"
    if not ga.isdisjoint(gb):
        # Two short forms of one name (Beth/Lisa via Elizabeth, Maria/Molly via Mary): weak.
        return "sibling"
    return "mismatch"


def dob_level(m: Dob | None, n: date | None) -> str:
    """Agreement of a mention DOB (exact or an age range) with a register date."""
    if m is None or n is None:
        return "missing"
    return dob_level_s(m, n.strftime("%Y%m%d"), m.exact.strftime("%Y%m%d") if m.exact else "",
                       _swapped_s(m))


def _swapped_s(m: Dob) -> str:
    return _swapped_ymd(m.exact) if m.exact else ""


@lru_cache(maxsize=100_000)
def ymd(d: date) -> str:
    """"YYYYMMDD" of a date (strftime is slow enough to show in a batch profile)."""
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


@lru_cache(maxsize=100_000)
def _swapped_ymd(d: date) -> str:
    s = swapped(d)
    return ymd(s) if s else ""


def dob_level_s(m: Dob, n_s: str, m_s: str, m_sw: str) -> str:
    """dob_level on "YYYYMMDD" strings (the hot path)."""
    if not m_s:
        return "year" if m.year_lo <= int(n_s[:4]) <= m.year_hi else "age_outside"
    if m_s == n_s:
        return "exact"
    if m_sw == n_s:
        return "swapped"
    diff = [i for i in range(8) if m_s[i] != n_s[i]]
    if len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                          and m_s[diff[0]] == n_s[diff[1]] and m_s[diff[1]] == n_s[diff[0]]):
        return "one_edit"
    return "mismatch"


def name_bits(index, first: str, surname: str) -> tuple[float, float]:
    """(surname bits, forename bits): capped log2(1 / register frequency) of a name form."""
    return surname_bits(index, surname), forename_bits(index, first)


def surname_bits(index, surname: str) -> float:
    return min(NAME_CAP, -math.log2(index.surname_freq(surname_variants(surname)[0]))) if surname else 0.0


def forename_bits(index, first: str) -> float:
    return min(FORENAME_CAP, -math.log2(index.forename_freq(first)))


def name_weight(first: str, surname: str, n_first: str, n_surname: str, sur_freq: float,
                fore_freq: float) -> tuple[float, str, str]:
    """Weight of one mention reading against one register name form."""
    return name_weight_bits(first, surname, n_first, n_surname,
                            min(NAME_CAP, math.log2(1 / sur_freq)), min(FORENAME_CAP, math.log2(1 / fore_freq)))


def name_weight_bits(first, surname, n_first, n_surname, sur_bits, fore_bits) -> tuple[float, str, str]:
    sl = surname_level(surname, n_surname)
    fl = forename_level(first, n_first)
    if sl == "missing":
        w = 0.0
    elif sl == "mismatch":
        w = SURNAME_MISMATCH
    else:
        w = sur_bits + SURNAME_W[sl]
    if fl in FORENAME_W:
        w += fore_bits + FORENAME_W[fl]
    elif fl == "initial":
        w += FORENAME_INITIAL
    elif fl == "mismatch":
        w += FORENAME_MISMATCH
    return w, sl, fl


# Each level as (coefficient of the register bits, constant): coef * bits + const is exactly
# what name_weight_bits() adds (0.0 * bits is 0.0), for one dict lookup per level in the hot loop.
_SUR_LIN = {**{sl: (1.0, w) for sl, w in SURNAME_W.items()},
            "mismatch": (0.0, SURNAME_MISMATCH), "missing": (0.0, 0.0)}
_FORE_LIN = {**{fl: (1.0, w) for fl, w in FORENAME_W.items()},
             "initial": (0.0, FORENAME_INITIAL), "mismatch": (0.0, FORENAME_MISMATCH), "missing": (0.0, 0.0)}
_SWAP_FORE_OK = frozenset({"exact", "nickname", "typo"})


def best_name(pairs, view, index, m_sur_bits: float | None = None) -> tuple[float, str, str, bool, int]:
    """Best (weight, surname level, forename level, swapped, form) over readings x name forms.

    pairs: the mention's (direct readings, swapped reading or None). A shared part of a
    double-barrelled surname ("Wright" in "Wright-Jones") says as little as the mention's own
    surname does, so the surname counts for the commoner of the two (m_sur_bits).
    Equal to the best name_weight_bits() result (first best on ties, direct readings before
    the swapped one), written out inline: it runs for every blocked candidate of a re-match.
    """
    if view is None:  # compiled, the typed argument lets None through (score.pxd)
        raise TypeError("best_name() needs a NominalView")
    best = (-99.0, "missing", "missing", False, 0)
    best_w = -99.0
    direct, swapped_pair = pairs
    if m_sur_bits is None:
        m_sur = direct[0][1] if direct else ""
        m_sur_bits = name_bits(index, "", m_sur)[0] if m_sur else NAME_CAP
    bits = view.bits  # index.py computes them at build
    if not bits:  # a view made outside an index build
        bits = view.bits = tuple([name_bits(index, f, s) for f, s in view.names])
    names = view.names
    if len(names) == 1 and len(direct) == 1:
        # One name form, one direct reading (most pairs of a re-match): the loops below, unrolled.
        (n_first, n_surname), = names
        (first, surname), = direct
        sur_bits, fore_bits = bits[0]
        if m_sur_bits < sur_bits:
            sur_bits = m_sur_bits
        sl = surname_level(surname, n_surname)
        fl = forename_level(first, n_first)
        a, b = _SUR_LIN[sl]
        c, d = _FORE_LIN[fl]
        w = (a * sur_bits + b) + (c * fore_bits + d)
        if w > -99.0:
            best_w = w
            best = (w, sl, fl, False, 0)
        if swapped_pair and best_w < sur_bits + fore_bits + SWAPPED_PENALTY:
            first, surname = swapped_pair
            sl = surname_level(surname, n_surname)
            if sl in NAME_AGREE_SURNAME:
                fl = forename_level(first, n_first)
                if fl in _SWAP_FORE_OK:
                    a, b = _SUR_LIN[sl]
                    c, d = _FORE_LIN[fl]
                    w = (a * sur_bits + b) + (c * fore_bits + d) + SWAPPED_PENALTY
                    if w > best_w:
                        best = (w, sl, fl, True, 0)
        return best
    sur_lin, fore_lin = _SUR_LIN, _FORE_LIN
    for form, (n_first, n_surname) in enumerate(names):
        sur_bits, fore_bits = bits[form]
        if m_sur_bits < sur_bits:
            sur_bits = m_sur_bits
        for first, surname in direct:
            sl = surname_level(surname, n_surname)
            fl = forename_level(first, n_first)
            a, b = sur_lin[sl]
            c, d = fore_lin[fl]
            w = (a * sur_bits + b) + (c * fore_bits + d)
            if w > best_w:
                best_w = w
                best = (w, sl, fl, False, form)
        if swapped_pair and best_w < sur_bits + fore_bits + SWAPPED_PENALTY:
            # A swapped reading scores at most full agreement less the penalty: nothing to
            # gain once a direct reading of this or an earlier form has reached that.
            first, surname = swapped_pair
            sl = surname_level(surname, n_surname)
            if sl in NAME_AGREE_SURNAME:
                fl = forename_level(first, n_first)
                if fl in _SWAP_FORE_OK:
                    a, b = sur_lin[sl]
                    c, d = fore_lin[fl]
                    w = (a * sur_bits + b) + (c * fore_bits + d) + SWAPPED_PENALTY
                    if w > best_w:
                        best_w = w
                        best = (w, sl, fl, True, form)
    return best


def below_every_tier(m, view, m_sur_bits: float) -> bool:
    """True if score_candidate() is sure to leave this pair below both tiers, decided from the
    forename levels (mostly repeat pairs, cached) before any surname comparison: the name can
    add at most the register weight of an agreeing surname to its forename's part, and the
    other fields add what they add. Never True at the nominal's address (the family rule)
    or for a mention with an exact DOB; the caller has names on both sides (m.pairs[0])."""
    if m is None or view is None:  # compiled, the typed arguments let None through (score.pxd)
        raise TypeError("below_every_tier() needs a MentionView and a NominalView")
    if m.dob_s:
        return False
    direct, swapped_pair = m.pairs
    bits = view.bits
    if not bits:
        return False  # a view made outside an index build
    fore_lin = _FORE_LIN
    w_ub = -99.0
    for form, (n_first, n_surname) in enumerate(view.names):
        sur_bits, fore_bits = bits[form]
        if m_sur_bits < sur_bits:
            sur_bits = m_sur_bits
        if sur_bits < 0.0:
            sur_bits = 0.0  # a missing surname scores 0
        for first, _ in direct:
            c, d = fore_lin[forename_level(first, n_first)]
            w = sur_bits + (c * fore_bits + d)
            if w > w_ub:
                w_ub = w
        if swapped_pair:
            fl = forename_level(swapped_pair[0], n_first)
            if fl in _SWAP_FORE_OK:
                c, d = fore_lin[fl]
                w = sur_bits + (c * fore_bits + d) + SWAPPED_PENALTY
                if w > w_ub:
                    w_ub = w
    other = 0.0
    if m.dob and view.dob_s:
        other += DOB_W[dob_level_s(m.dob, view.dob_s, "", "")]
    if m.postcode and view.postcode:
        if m.postcode == view.postcode:
            return False
        if m.sector == view.sector:
            other += POSTCODE_W["sector"]
        elif m.district == view.district:
            other += POSTCODE_W["district"]
        else:
            other += POSTCODE_W["other"]
    if m.address_key and m.address_key == view.address_key:
        return False
    if m.vrms and view.vrms:
        if m.vrms & view.vrms:
            other += VRM_W["exact"]
        elif m.vrm_keys & view.vrm_keys:
            other += VRM_W["lookalike"]
    if m.phones and m.phones & view.phones:
        other += PHONE_W
    if m.businesses and m.businesses & view.businesses:
        other += BUSINESS_W
    # A margin for rounding: the bound adds in another order than score_candidate() does.
    return w_ub + other < POSSIBLE_MIN - 1e-6


def score_candidate(m, view, index, name=None) -> tuple[float, dict, str, str]:
    """Score one (mention, nominal) pair -> (score, features, tier, relationship).

    m is a matcher.MentionView. Every level that contributed is in the features dict so an
    analyst can see why; tier is "strong", "possible" or "" (below threshold). name: the
    best_name() result for this pair if the caller already has it (the batch path caches it
    per distinct mention name and nominal). A pair below every tier gets an empty features
    dict: nine in ten blocked candidates are never shown, and the dict is most of their cost.
    """
    if m is None or view is None:  # compiled, the typed arguments let None through (score.pxd)
        raise TypeError("score_candidate() needs a MentionView and a NominalView")
    score = 0.0
    has_name = bool(m.pairs[0])
    sl = fl = "missing"
    w = 0.0
    was_swapped = False
    form = 0
    if has_name:
        w, sl, fl, was_swapped, form = name if name is not None else best_name(m.pairs, view, index, m.sur_bits)
        score += w

    dl = dob_level_s(m.dob, view.dob_s, m.dob_s, m.dob_sw) if (m.dob and view.dob_s) else "missing"
    if dl != "missing":
        score += DOB_W[dl]

    pl = "missing"
    if m.postcode and view.postcode:
        if m.postcode == view.postcode:
            pl = "full"
        elif m.sector == view.sector:
            pl = "sector"
        elif m.district == view.district:
            pl = "district"
        else:
            pl = "other"
        score += POSTCODE_W[pl]
    same_address = bool(m.address_key and m.address_key == view.address_key)
    if same_address:
        score += ADDRESS_W

    vl = "missing"
    if m.vrms and view.vrms:
        if m.vrms & view.vrms:
            vl = "exact"
        elif m.vrm_keys & view.vrm_keys:
            vl = "lookalike"
        if vl != "missing":
            score += VRM_W[vl]
    phone = bool(m.phones and m.phones & view.phones)
    if phone:
        score += PHONE_W
    business = bool(m.businesses and m.businesses & view.businesses)
    if business:
        score += BUSINESS_W

    # A full forename that disagrees, with the nominal's surname at the nominal's address, is
    # most likely family: offer the link, never the identity.
    at_address = pl == "full" or same_address
    if sl in NAME_AGREE_SURNAME and fl == "mismatch" and at_address and dl not in HARD_DOB:
        features = _features(view, has_name, w, sl, fl, was_swapped, form, dl, pl, same_address, vl, phone,
                             business)
        features["relationship"] = "possible_associate"
        return max(score, POSSIBLE_MIN), features, "possible", "possible_associate"
    if score < POSSIBLE_MIN or dl == "mismatch":
        return score, {}, "", "self"  # below both tiers (strong needs STRONG_MIN >= POSSIBLE_MIN)

    features = _features(view, has_name, w, sl, fl, was_swapped, form, dl, pl, same_address, vl, phone, business)
    name_agrees = sl in NAME_AGREE_SURNAME and fl in NAME_AGREE_FORENAME
    hard = dl in HARD_DOB or vl != "missing" or phone
    strong = False
    if name_agrees and dl != "age_outside" and score >= STRONG_MIN:
        if hard:
            strong = True
        elif fl == "sibling":
            strong = False  # two short forms of one name: only a hard identifier will do
        elif pl == "full" and dl == "one_edit":
            strong = True
        elif dl == "one_edit":
            # A DOB one digit out is what a stranger of the same name has by chance about
            # once in 500: enough with a closely agreeing name that is rare on the register
            # and no address that points elsewhere.
            strong = (fl in ("exact", "nickname", "typo") and pl == "missing"
                      and not common_name(view, index, form))
        elif pl == "full":
            # The postcode alone: not for a name the register already holds more than once
            # (strangers in a big block), nor for a bare initial unless the house matches too.
            # With the house number and street too (or an age that fits) a common name will do;
            # household_competition() then guards against two of that name at one address.
            strong = ((same_address or dl == "year" or not common_name(view, index, form))
                      and (fl != "initial" or same_address))
            if strong and fl in ("typo", "nickname") and near_identical_known(m, view, index, form):
                # "Jon" at John's address: a near-identical forename that is a name in its
                # own right is as likely a relative as a slip; offer the family link.
                features["relationship"] = "possible_associate"
                features["near_identical_forename"] = True
                return max(score, POSSIBLE_MIN), features, "possible", "possible_associate"
    return score, features, "strong" if strong else "possible", "self"


TIER_ORDER = {"strong": 0, "possible": 1}


def score_positions(ids, m, views, best, index, skip_hopeless) -> list:
    """matcher.match()'s loop over the register positions of one mention: a row (tier rank,
    -score, nominal id, tier, features, relationship, view) per position at or above a tier.
    Here, not in matcher.py, because compiled this module calls best_name(),
    below_every_tier() and score_candidate() directly with typed views (score.pxd); from
    matcher.py each is a Python call. best: best_name() results per position of the mention's
    name (filled here); skip_hopeless: drop first what below_every_tier() rules out."""
    if m is None:  # compiled, the typed argument lets None through (score.pxd)
        raise TypeError("score_positions() needs a MentionView")
    scored = []
    pairs, sur_bits = m.pairs, m.sur_bits
    direct = pairs[0]
    for i in ids:
        j = i  # a C index when compiled: the view read is a list read, no generic item lookup
        nv = views[j]
        if direct:
            bn = best.get(i)
            if bn is None:
                if skip_hopeless and below_every_tier(m, nv, sur_bits):
                    continue
                bn = best[i] = best_name(pairs, nv, index, sur_bits)
        else:
            bn = None
        score, features, tier, rel = score_candidate(m, nv, index, bn)
        if tier:
            scored.append((TIER_ORDER[tier], -score, nv.nominal_id, tier, features, rel, nv))
    return scored


def _features(view, has_name, w, sl, fl, was_swapped, form, dl, pl, same_address, vl, phone, business) -> dict:
    """Every level that contributed to a shown candidate's score, for the analyst."""
    features: dict = {}
    if has_name:
        features["surname"] = sl
        features["forename"] = fl
        if was_swapped:
            features["order"] = "swapped"
        if form:
            features["alias"] = " ".join(view.names[form]).strip()
        features["name_weight"] = w
    if dl != "missing":
        features["dob"] = dl
    if pl != "missing":
        features["postcode"] = pl
    if same_address:
        features["address"] = "same"
    if vl != "missing":
        features["vrm"] = vl
    if phone:
        features["phone"] = "exact"
    if business:
        features["business"] = "same"
    return features


def common_name(view, index, form: int = 0) -> bool:
    """True if the register probably holds more than one person of this full name."""
    first, surname = view.names[form]
    if not surname:
        return True
    expected = index.n * index.surname_freq(surname_variants(surname)[0]) * index.forename_freq(first)
    return expected >= COMMON_NAME_EXPECTED or index.fullname_count(first, surname) >= 2


COMMON_NAME_EXPECTED = 1.0


def near_identical_known(m, view, index, form: int = 0) -> bool:
    """The mention's forename is a different, real forename within a letter or two of the
    nominal's (Jon/John, Hollie/Holly), not a slip (Denek/Derek) or a street name (Gaz/Gary)."""
    n_first = view.names[form][0]
    for first, _ in m.pairs[0]:
        if not first or first == n_first or len(first) < 2:
            continue
        known = index.forename_counts.get(first, 0) > 0 or len(nickname_group(first)) > 1
        if known and JaroWinkler.similarity(first, n_first) >= 0.88:
            return True
    return False
