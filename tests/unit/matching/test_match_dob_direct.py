"""The per-position DOB test (dob_close / dob_allowed_among / the matcher's direct path) gives
exactly what the general path gives: dob_near()'s wildcard sets and dob_allowed()'s union."""
import random
from datetime import date

import gainportal.matching.matcher as matcher_mod
from gainportal.matching.index import CandidateIndex, _dob_allowed_among
from gainportal.matching.matcher import _identifier_keys, _name_ids_dob, _view
from gainportal.matching.dates import Dob
from gainportal.matching.extract import mention_from_fields
from gainportal.matching.records import NominalRecord
from gainportal.matching.score import dob_level_s

REF = date(2026, 11, 22)
FORENAMES = ["John", "Jon", "Jane", "Gary", "Garry", "Paul", "Mark", "Marc", "Kate", "Catherine", "Ali", "Mo"]
SURNAMES = ["Smith", "Smyth", "Smithe", "Jones", "Johns", "Brown", "Browne", "Khan", "Kahn", "Oneill", "Neill"]
POSTCODES = ["LS6 2AB", "M1 1AE", "B1 1AA", "B2 1AA", ""]
ADDRESSES = ["14 Acacia Road, Leeds", "2 High Street", "7 Mill Lane", ""]


def _near_variants(rng: random.Random, s: str) -> str:
    """A DOB string near s, or on the edge of near: one digit, a transposition, a swap, two
    digits, equal digits transposed."""
    k = rng.randrange(6)
    if k == 0:
        return s
    if k == 1:
        p = rng.randrange(8)
        return s[:p] + rng.choice("0123456789") + s[p + 1:]
    if k == 2:
        p = rng.randrange(7)
        return s[:p] + s[p + 1] + s[p] + s[p + 2:]
    if k == 3:
        return s[:4] + s[6:] + s[4:6]
    if k == 4:
        p, q = rng.sample(range(8), 2)
        t = list(s)
        t[p], t[q] = rng.choice("0123456789"), rng.choice("0123456789")
        return "".join(t)
    p = rng.randrange(6)
    return s[:p] + s[p + 2] + s[p + 1] + s[p] + s[p + 3:]  # a transposition two apart


def _rand_dob(rng: random.Random) -> str:
    return f"{rng.choice([19, 20, 18, 29])}{rng.randrange(100):02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"


def _swap(s: str) -> str:
    return s[:4] + s[6:] + s[4:6] if int(s[6:]) <= 12 and s[4:6] != s[6:] else ""


def test_byte_dob_test_is_dob_level_short_of_mismatch():
    rng = random.Random(6)
    m = Dob(date(1985, 4, 3), 1985, 1985)
    near = 0
    for _ in range(100_000):
        d = _rand_dob(rng)
        n = _near_variants(rng, d)
        sw = _swap(d)
        buf = bytearray(("00000000" if rng.random() < 0.5 else d) + n, "ascii")
        got = _dob_allowed_among([[1]], buf, bytearray(d, "ascii"), bytearray(sw, "ascii"), "", [], "", []) == [[1]]
        assert got == (dob_level_s(m, n, d, sw) != "mismatch"), (d, sw, n)
        near += got
    assert 30_000 < near < 70_000  # both answers well covered


def _register(rng: random.Random, size: int) -> list[NominalRecord]:
    # Plausible births (1930-2009), a few to a DOB and many one edit apart, across centuries.
    base = [f"{rng.randrange(1930, 2010)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}" for _ in range(40)]
    noms = []
    for i in range(size):
        if rng.random() < 0.08:
            dob = None
        else:
            s = _near_variants(rng, rng.choice(base))
            try:
                dob = date(int(s[:4]), int(s[4:6]), int(s[6:]))
            except ValueError:
                dob = date(int(base[0][:4]), 1, 1 + i % 28)
        noms.append(NominalRecord(f"N{i}", rng.choice(FORENAMES), rng.choice(SURNAMES), dob=dob,
                                  address=rng.choice(ADDRESSES), postcode=rng.choice(POSTCODES),
                                  vrms=("AB12CDE",) if rng.random() < 0.1 else ()))
    return noms, base


def test_dob_allowed_among_and_direct_path_equal_the_general_path(monkeypatch):
    rng = random.Random(60)
    noms, base = _register(rng, 1500)
    index = CandidateIndex(noms)
    index.prepare_batch()
    ids = list(range(len(index)))
    checked = direct_sets = 0
    for _ in range(1000):
        s = _near_variants(rng, rng.choice(base))
        try:
            dob = date(int(s[:4]), int(s[4:6]), int(s[6:]))
        except ValueError:
            continue
        m = mention_from_fields(name=f"{rng.choice(FORENAMES)} {rng.choice(SURNAMES)}", dob=dob.isoformat(),
                                postcode=rng.choice(POSTCODES), address=rng.choice(ADDRESSES),
                                vrm="AB12CDE" if rng.random() < 0.2 else "", ref=REF)
        if not (m.dob and m.dob.exact):
            continue  # an implausible DOB (a future or 18xx birth) is not an exact one
        v = _view(m)
        args = (v.dob_s, v.dob_sw, v.postcode, v.address_key)
        allowed = index.dob_allowed(*args)
        sample = rng.sample(ids, 300)
        assert index.dob_allowed_among([sample, list(allowed), []], *args) == [
            [i for i in sample if i in allowed], list(allowed), []]
        # The matcher's candidate set, direct and general, for the same mention.
        entry = matcher_mod._name_entry(index, *v.pairs)
        id_keys = _identifier_keys(m, v)
        monkeypatch.setattr(matcher_mod, "DIRECT_DOB_MAX", 10**9)
        got = _name_ids_dob(index, entry, v, id_keys)
        monkeypatch.setattr(matcher_mod, "DIRECT_DOB_MAX", -1)
        want = _name_ids_dob(index, entry, v, id_keys)
        assert got == want
        checked += 1
        direct_sets += bool(got)
    assert checked > 300 and direct_sets > 100


def test_a_register_dob_of_another_form_takes_the_general_path():
    index = CandidateIndex([NominalRecord("N1", "John", "Smith", dob="1985-04-13"),
                            NominalRecord("N2", "John", "Smith", dob="1985-04-03")])
    index.views[0].dob_s = index.dob_s[0] = "1985043"  # no register build makes one today
    assert index.dob_allowed_among([[0, 1]], "19850403", "19850304", "", "") is None
    m = mention_from_fields(name="John Smith", dob="1985-04-03", ref=REF)
    v = _view(m)
    entry = matcher_mod._name_entry(index, *v.pairs)
    assert _name_ids_dob(index, entry, v, _identifier_keys(m, v)) == {1}
