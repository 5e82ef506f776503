"""Matcher: mention -> ranked candidates (strong / possible), free text or structured."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from gainportal.matching.extract import mention_from_fields, mentions_from_text
from gainportal.matching.identifiers import address_key, business_fingerprint, vrm_lookalike
from gainportal.matching.index import (
    CandidateIndex,
    _forename_keys,
    _initials,
    _surname_codes,
    dob_keys,
    person_name_pairs,
)
from gainportal.matching.names import name_token
from gainportal.matching.records import Candidate, Mention, NominalRecord
from gainportal.matching.score import (
    FORENAME_RANK,
    MentionView,
    NAME_AGREE_SURNAME,
    NAME_CAP,
    TIER_ORDER,
    _swapped_ymd,
    bound_level_caches,
    ymd,
    surname_bits,
    score_positions,
    surname_level,
)

from rapidfuzz.distance.JaroWinkler import similarity as _jw
from rapidfuzz.process import extract as _extract

MAX_CANDIDATES = 5
_FAR = frozenset({"mismatch", "missing"})


def _view(m: Mention) -> MentionView:
    # Each Mention field read once, the view built by position (keyword parsing is most of
    # a compiled constructor call).
    dob = m.dob
    exact = dob.exact if dob else None
    vrms, phones, businesses = m.vrms, m.phones, m.businesses
    return MentionView(
        person_name_pairs(m.name),  # pairs
        dob,
        ymd(exact) if exact else "",  # dob_s
        _swapped_ymd(exact) if exact else "",  # dob_sw
        m.postcode,
        address_key(m.address),
        frozenset(vrms) if vrms else _NONE,  # vrms
        frozenset([vrm_lookalike(v) for v in vrms]) if vrms else _NONE,  # vrm_keys
        frozenset(phones) if phones else _NONE,  # phones
        frozenset([business_fingerprint(b) for b in businesses]) if businesses else _NONE,  # businesses
    )


_NONE: frozenset = frozenset()


def _identifier_keys(m: Mention, v: MentionView) -> list[tuple]:
    """The non-name blocking keys of a mention (DOB, postcode, VRM, phone, business)."""
    keys: list[tuple] = []
    if m.dob is not None and m.dob.exact:
        keys.extend(dob_keys(m.dob.exact))
    if m.postcode:
        keys.append(("p", m.postcode))
    # Lists only for a mention that has these (most have none): no generator made per mention.
    if v.vrm_keys:
        keys.extend([("v", k) for k in v.vrm_keys])
    if v.phones:
        keys.extend([("t", p) for p in v.phones])
    if v.businesses:
        keys.extend([("b", b) for b in v.businesses])
    return keys


# Distinct mention names kept per index before the cache starts again (memory bound).
NAME_CACHE_MAX = 200_000


_NO_KEYS: tuple = ((), ())


def _reading_keys(first: str, surname: str) -> tuple[tuple, tuple]:
    """(decisive keys, forename-code keys) of one mention reading: what index.name_keys()
    gives, less the broad surname-only keys when there is a forename to narrow by. Not
    cached: nearly every reading of a re-match is new (its parts are cached in index.py)."""
    if not surname:
        return _NO_KEYS
    codes = _surname_codes(surname)
    if not first:
        return tuple([("s", c) for c in codes]), ()
    inits = _initials(first)
    plain = tuple([("n", c, i) for c in codes for i in inits])
    return plain, (_forename_keys(first, name_token(surname)[:1]) if len(first) > 1 else ())


class _NameEntry:
    """What a mention name gives on this register, kept per distinct name: its blocking keys,
    the register positions they reach (built only when the mention has no exact DOB), the
    register weight of its surname and the best_name() results per position."""
    __slots__ = ("plain", "fkeys", "surnames", "ids", "sur_bits", "best")

    def __init__(self, plain, fkeys, surnames, sur_bits):
        self.plain, self.fkeys, self.surnames, self.sur_bits = plain, fkeys, surnames, sur_bits
        self.ids = None
        self.best: dict = {}


def _name_entry(index: CandidateIndex, direct: list, swapped_pair) -> _NameEntry:
    if len(direct) == 1 and not swapped_pair:
        plain, fkeys = _reading_keys(*direct[0])
    else:
        pk: dict = {}
        fk: dict = {}
        for reading in (*direct, swapped_pair) if swapped_pair else direct:
            p, f = _reading_keys(*reading)
            pk.update(dict.fromkeys(p))
            fk.update(dict.fromkeys(f))
        plain, fkeys = tuple(pk), tuple(fk)
    surnames = {p[1] for p in direct if p[1]}
    if swapped_pair:
        surnames.add(swapped_pair[1])  # "Aldrews Colin": the swapped reading's surname
    m_sur = direct[0][1] if direct else ""
    return _NameEntry(plain, fkeys, tuple(surnames), surname_bits(index, m_sur) if m_sur else NAME_CAP)


def _name_ids(index: CandidateIndex, entry: _NameEntry) -> frozenset[int]:
    """Every register position a mention name reaches through its blocking keys.

    Forename-code hits only matter when the surname is a near miss (a typo that changed its
    phonetic code): each key's surnames are screened in bulk by Jaro-Winkler in C first (every
    level short of "mismatch" needs >= 0.8; a shared double-barrel part is indexed anyway).
    """
    ids: set[int] = set()
    get, fget = index.postings.get, index.fgroup
    for k in entry.plain:
        hit = get(k)
        if hit:
            ids.update(hit)
    screened = index.f_hits  # (key, surname) -> ids: "Jon Smith" and "Jane Smith" share a screen
    for k in entry.fkeys:
        g = fget(k)
        if g:
            names, idl = g
            for s in entry.surnames:
                hit = screened.get((k, s))
                if hit is None:
                    hit = []
                    for n_sur, _, j in _extract(s, names, scorer=_jw, score_cutoff=0.8, limit=None):
                        if surname_level(s, n_sur) not in _FAR:
                            hit.extend(idl[j])
                    if len(screened) >= NAME_CACHE_MAX:
                        screened.clear()
                    screened[(k, s)] = hit
                ids.update(hit)
    return frozenset(ids)


def _name_ids_within(index: CandidateIndex, entry: _NameEntry, allowed) -> set[int]:
    """_name_ids(index, entry) & allowed, without building the whole left side: a mention
    with an exact DOB may only be shown register positions of a near DOB, its postcode or
    address (a few dozen), so each key's postings are intersected with those in C, and the
    forename-code screen is run on the few allowed positions a key reaches, not on the
    key's every surname."""
    out: set[int] = set()
    get = index.postings.get
    for k in entry.plain:
        hit = get(k)
        if hit:
            out.update(allowed.intersection(hit))
    if entry.fkeys:
        fset, views, surnames = index.fset, index.views, entry.surnames
        for k in entry.fkeys:
            fs = fset(k)
            if fs:
                for i in allowed & fs:
                    if i not in out and _f_screen(surnames, views[i].names):
                        out.add(i)
    return out


# Name-side positions up to which each is tested against the mention's DOB on its own
# (dob_allowed_among) rather than intersected with the whole dob_allowed() set.
DIRECT_DOB_MAX = 200


def _name_ids_dob(index: CandidateIndex, entry: _NameEntry, v: MentionView, id_keys) -> set[int]:
    """(_name_ids(index, entry) | the id_keys' positions) & index.dob_allowed(...) for a
    mention with an exact DOB. When the name keys reach few positions, those are tested one
    by one (the same set, tested against the general path) instead of building the DOB side."""
    get = index.postings.get
    d, sw, pc, ak = v.dob_s, v.dob_sw, v.postcode, v.address_key
    plain = [h for h in map(get, entry.plain) if h]
    fsets = []
    if entry.fkeys:
        # After prepare_batch() every forename-code key's set is filed: a dict read per key
        # instead of a method call (fset() builds any other).
        filed = index._fsets.get
        for k in entry.fkeys:
            fs = filed(k)
            if fs is None:
                fs = index.fset(k)
            if fs:
                fsets.append(fs)
    size = 0
    for h in plain:
        size += len(h)
    for fs in fsets:
        size += len(fs)
    if size > DIRECT_DOB_MAX:
        return _name_ids_dob_general(index, entry, v, id_keys)
    hits = [h for h in map(get, id_keys) if h]
    got = index.dob_allowed_among(plain + fsets + hits, d, sw, pc, ak)
    if got is None:  # a register DOB the byte test does not cover
        return _name_ids_dob_general(index, entry, v, id_keys)
    ids: set[int] = set()
    n_plain = len(plain)
    for h in got[:n_plain]:
        ids.update(h)
    if fsets:
        views, surnames = index.views, entry.surnames
        # A position the plain keys reached is in; any other is in if the screen passes
        # (the same test whichever key reached it first).
        for h in got[n_plain:n_plain + len(fsets)]:
            for i in h:
                if i not in ids and _f_screen(surnames, views[i].names):
                    ids.add(i)
    for h in got[n_plain + len(fsets):]:
        ids.update(h)
    return ids


def _name_ids_dob_general(index: CandidateIndex, entry: _NameEntry, v: MentionView, id_keys) -> set[int]:
    allowed = index.dob_allowed(v.dob_s, v.dob_sw, v.postcode, v.address_key)
    ids = _name_ids_within(index, entry, allowed)
    get = index.postings.get
    for k in id_keys:
        hit = get(k)
        if hit:
            ids.update(allowed.intersection(hit))
    return ids


def _f_screen(surnames, names) -> bool:
    """The test _name_ids() applies to a forename-code hit: a register surname of the
    nominal (any name form) near one of the mention's surnames."""
    for _, n_sur in names:
        for s in surnames:
            if _jw(s, n_sur) >= 0.8 and surname_level(s, n_sur) not in _FAR:
                return True
    return False


def _rank(row) -> tuple:
    return row[:3]  # tier, -score, nominal id


class Matcher:
    """Ranks register nominals for a mention. Build once per visible register; reuse."""

    def __init__(self, nominals, ref_date: date | None = None):
        self.index = nominals if isinstance(nominals, CandidateIndex) else CandidateIndex(nominals)
        self.ref_date = ref_date

    def match(self, mention: Mention) -> list[Candidate]:
        """At most five candidates at or above the possible threshold, best first."""
        v = _view(mention)
        index = self.index
        views = index.views
        direct, swapped_pair = v.pairs
        key = (tuple(direct), swapped_pair)
        cache = index.name_cache
        entry = cache.get(key)
        if entry is None:
            entry = _name_entry(index, direct, swapped_pair)
            if len(cache) >= NAME_CACHE_MAX:
                cache.clear()
            cache[key] = entry
            if not len(cache) & 1023:  # every 1,024 new names: best_name adds level pairs
                bound_level_caches()
        v.sur_bits, best = entry.sur_bits, entry.best
        id_keys = _identifier_keys(mention, v)
        get = index.postings.get
        d = v.dob_s
        if d:
            # The DOB disagrees and it is not the address: never shown (score.py tiers). Only
            # the positions such a DOB allows are looked at, before any name comparison.
            ids = _name_ids_dob(index, entry, v, id_keys)
        else:
            ids = entry.ids
            if ids is None:
                ids = entry.ids = _name_ids(index, entry)
            if id_keys:
                ids = set(ids)
                for k in id_keys:
                    hit = get(k)
                    if hit:
                        ids.update(hit)
        # Without an exact DOB every position the name reaches is scored (dozens for a common
        # name): those the forename levels already leave below both tiers are skipped.
        scored = score_positions(ids, v, views, best, index, bool(direct) and not d)
        if len(scored) > 1:
            # Ranked before the household rule too, so the rival it names is the best ranked
            # one, whatever order the candidate set came in.
            scored.sort(key=_rank)
            if any(s[3] == "strong" for s in scored):
                scored = household_competition(scored)
                scored.sort(key=_rank)
        return [Candidate(nid, -neg, tier, feats, rel, mention.span)
                for _, neg, nid, tier, feats, rel, _nv in scored[:MAX_CANDIDATES]]

    def match_fields(self, **fields) -> list[Candidate]:
        return self.match(mention_from_fields(ref=self.ref_date, **fields))

    def match_text(self, text: str, structured: dict | None = None) -> list[Candidate]:
        """Match an answer: its structured subject fields and every person found in the text.

        Candidates from several mentions are merged per nominal (best kept), at most five.
        """
        mentions = []
        if structured:
            g = structured.get
            if g("name") or g("dob") or g("postcode") or g("vrm") or g("phone"):
                # By position (name, dob, address, postcode, vrm, phone, business, ref): no
                # keyword dict to build and parse per answer.
                mentions.append(mention_from_fields(g("name") or "", g("dob") or "", g("address") or "",
                                                    g("postcode") or "", g("vrm") or "", g("phone") or "", "",
                                                    self.ref_date))
        if text:
            mentions.extend(_text_mentions(text, self.ref_date))
        return merge([self.match(m) for m in mentions])

    def match_one(self, m) -> list[Candidate]:
        """A Mention, or a (text, structured dict) pair as found in mentions.jsonl."""
        if isinstance(m, Mention):
            return self.match(m)
        text, structured = m
        return self.match_text(text, structured)

    def match_many(self, mentions, processes: int = 1, chunksize: int = 500) -> list[list]:
        """Batch form of match_one(), in order; processes > 1 forks workers that share the index
        copy-on-write (a re-match of the whole answer store after a register change) and then
        returns each candidate as its as_dict() form rather than a Candidate."""
        if processes <= 1:
            return self._match_many(list(mentions), processes, chunksize)
        import gc

        # The parent's own work (the dedupe keys, then unpickling the workers' results: some
        # 100,000 new lists and dicts) would start cyclic GC passes over a heap of hundreds of
        # thousands of index objects: half the parent's CPU. Nothing here makes cycles.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._match_many(list(mentions), processes, chunksize)
        finally:
            if enabled:
                gc.enable()

    def _match_many(self, mentions: list, processes: int, chunksize: int) -> list[list]:
        # Identical answers (a form letter, a re-sent return) are matched once.
        where: list[int] = []
        first: dict = {}
        unique = []
        for m in mentions:
            k = _batch_key(m)
            j = first.get(k) if k is not None else None
            if j is None:
                j = len(unique)
                unique.append(m)
                if k is not None:
                    first[k] = j
            where.append(j)
        if processes <= 1 or len(unique) < 2 * chunksize:
            results = [self.match_one(m) for m in unique]
        else:
            results = parallel_map(self, unique, processes, chunksize)
        if len(unique) == len(mentions):
            return results
        seen: set[int] = set()
        out = []
        for j in where:
            out.append(list(results[j]) if j in seen else results[j])
            seen.add(j)
        return out


def _batch_key(m):
    """Hashable identity of a (text, structured fields) item; None for anything else."""
    if isinstance(m, tuple) and len(m) == 2 and isinstance(m[0], str):
        structured = m[1]
        try:
            return m[0], tuple(sorted(structured.items())) if structured else None
        except (AttributeError, TypeError):
            return None
    return None


@lru_cache(maxsize=50_000)
def _text_mentions(text: str, ref: date | None) -> tuple[Mention, ...]:
    """Extraction depends on the text alone, never on the register: an answer re-matched after
    a register change (or the same form text sent twice) is extracted once per process.
    The Mentions are shared, so nothing downstream may change them (match() does not)."""
    return tuple(mentions_from_text(text, ref))


_WORKER_MATCHER: "Matcher | None" = None
_WORKER_ITEMS: list = []


def _work(bounds):
    # The items were inherited at fork: only (start, end) crosses the pipe. Results go back as
    # plain dicts, cheaper to pickle than dataclasses.
    match_one = _WORKER_MATCHER.match_one
    return [[c.as_dict() for c in match_one(m)] for m in _WORKER_ITEMS[bounds[0]:bounds[1]]]


def _init_worker():
    import gc

    # The index is hundreds of thousands of long-lived objects; cyclic GC passes over them
    # cost more than the matching and dirty the shared pages.
    gc.disable()


def parallel_map(matcher: Matcher, mentions: list, processes: int, chunksize: int) -> list[list[Candidate]]:
    import multiprocessing as mp

    import gc

    global _WORKER_MATCHER, _WORKER_ITEMS
    _WORKER_MATCHER = matcher  # inherited by forked workers, never pickled
    matcher.index.prepare_batch()  # once here, not once per worker
    _WORKER_ITEMS = mentions
    gc.freeze()  # keep the index out of the workers' collections (copy-on-write friendly)
    ctx = mp.get_context("fork")
    bounds = chunk_bounds(len(mentions), chunksize, processes)
    try:
        with ctx.Pool(processes, initializer=_init_worker) as pool:
            out = []
            for part in pool.imap(_work, bounds):
                out.extend(part)
    finally:
        gc.unfreeze()
        _WORKER_MATCHER, _WORKER_ITEMS = None, []
    return out


def chunk_bounds(n: int, chunksize: int, processes: int) -> list[tuple[int, int]]:
    """(start, end) of each work chunk, in order: chunksize items each, except the last
    processes * chunksize items, in quarter chunks, so that the workers finish nearly together
    (with whole chunks one may still be a chunk, ~0.5 s, from done when the other stops)."""
    tail = min(n, processes * chunksize)
    head = n - tail
    out = [(i, min(i + chunksize, head)) for i in range(0, head, chunksize)]
    small = max(1, chunksize // 4)
    out += [(i, min(i + small, n)) for i in range(head, n, small)]
    return out


def household_competition(scored: list) -> list:
    """A strong candidate resting on the address (no exact DOB, VRM or phone) loses the tier
    when another nominal of the same household agrees with the name at least as closely:
    Hollie Smith at Holly Smith's address, or "J. Smith" where John and Jane both live."""
    out = []
    for row in scored:
        tier, feats = row[3], row[4]
        if tier == "strong" and not _hard(feats):
            nv = row[6]
            rank = FORENAME_RANK.get(feats.get("forename"), 9)
            rival = next((o for o in scored if o is not row and o[5] == "self" and nv.postcode
                          and o[6].postcode == nv.postcode
                          and FORENAME_RANK.get(o[4].get("forename"), 9) <= rank
                          and o[4].get("surname") in NAME_AGREE_SURNAME
                          and o[4].get("dob") not in ("mismatch", "age_outside")), None)
            if rival is not None:
                feats = dict(feats, household_rival=rival[2])
                row = (TIER_ORDER["possible"],) + row[1:3] + ("possible", feats) + row[5:]
        out.append(row)
    return out


def _hard(feats: dict) -> bool:
    return feats.get("dob") in ("exact", "swapped") or "vrm" in feats or "phone" in feats


def merge(lists: list[list[Candidate]]) -> list[Candidate]:
    """Candidates of every person in one answer, at most five, each person given a fair share:
    strong first, then by each person's own ranking (so the case officer named at the foot of
    a letter cannot push the subject's candidates out), then by score."""
    if len(lists) == 1:
        # One person: match() already ranks by tier then score, one row per nominal, at most five.
        return lists[0]
    best: dict[tuple, tuple] = {}
    for cands in lists:
        for rank, c in enumerate(cands):
            key = (c.nominal_id, c.relationship)
            cur = best.get(key)
            order = (TIER_ORDER[c.tier], rank, -c.score)
            if cur is None or order < cur[0]:
                best[key] = (order, c)
    ranked = sorted(best.values(), key=lambda oc: oc[0] + (oc[1].nominal_id,))
    return [c for _, c in ranked[:MAX_CANDIDATES]]


__all__ = ["Matcher", "MentionView", "merge", "NominalRecord", "Mention", "Candidate"]
