"""The batch and fast paths give exactly what the plain paths give."""
import random
from datetime import date

from gainportal.matching.identifiers import _PHONE_PUNCT, normalise_phone, normalise_postcode
from gainportal.matching.index import CandidateIndex, name_keys
from gainportal.matching.matcher import Matcher, _one_edit_s, dob_neighbours
from gainportal.matching.records import NominalRecord

REF = date(2026, 11, 22)


def register():
    noms = [
        NominalRecord("N1", "Gary", "Smith", aliases=("Gaz",), dob="1985-04-03",
                      address="14 Acacia Road, Leeds", postcode="LS6 2AB", vrms=("AB12CDE",),
                      phones=("07700900123",)),
        NominalRecord("N2", "Catherine", "O'Neill", dob=date(1992, 2, 2), postcode="M1 1AE"),
        NominalRecord("N3", "Jane", "Smith", dob="1987-06-01", address="14 Acacia Road, Leeds",
                      postcode="LS6 2AB"),
    ]
    for i in range(30):
        noms.append(NominalRecord(f"S{i}", ["John", "David", "Paul"][i % 3], "Smith",
                                  dob=f"{1960 + i}-0{1 + i % 9}-1{i % 9}", postcode=f"B{i + 1} 1AA"))
    return noms


def test_one_edit_matches_the_neighbour_set():
    rng = random.Random(1)
    for _ in range(20_000):
        d = "".join(rng.choice("0123456789") for _ in range(8))
        n = list(d)
        i = rng.randrange(7)
        if rng.random() < 0.5:
            n[i] = rng.choice("0123456789")
        else:
            n[i], n[i + 1] = n[i + 1], n[i]
        if rng.random() < 0.3:
            n[rng.randrange(8)] = rng.choice("0123456789")
        n = "".join(n)
        if n != d:
            assert _one_edit_s(n, d) == (n in dob_neighbours(d, ""))


def test_match_many_equals_match_one_and_dedupes():
    m = Matcher(register(), ref_date=REF)
    items = [
        ("Gaz Smyth (dob 3/4/85) seen at 14 Acacia Road LS6 2AB", None),
        ("", {"name": "Jane Smith", "postcode": "ls62ab"}),
        ("Subject details as held.", {"name": "Catherine O'Neil", "dob": "02/02/1992"}),
        ("Gaz Smyth (dob 3/4/85) seen at 14 Acacia Road LS6 2AB", None),  # a repeat
        ("Nothing known.", None),
    ]
    expected = [[c.as_dict() for c in m.match_one(i)] for i in items]
    fresh = Matcher(register(), ref_date=REF)
    got = [[c.as_dict() for c in r] for r in fresh.match_many(items)]
    assert got == expected
    assert expected[0] and expected[0][0]["nominal_id"] == "N1"


def test_name_cache_does_not_change_answers():
    m = Matcher(register(), ref_date=REF)
    first = [c.as_dict() for c in m.match_fields(name="John Smith", dob="1960-01-10")]
    again = [c.as_dict() for c in m.match_fields(name="John Smith", dob="1960-01-10")]
    other = [c.as_dict() for c in m.match_fields(name="John Smith", postcode="B4 1AA")]
    assert first == again and first[0]["nominal_id"] == "S0"
    assert other[0]["nominal_id"] == "S3"  # the John Smith filed at B4 1AA


def test_rebuilt_index_has_the_same_postings():
    a, b = CandidateIndex(register()), CandidateIndex(register())
    assert {k: sorted(v) for k, v in a.postings.items()} == {k: sorted(v) for k, v in b.postings.items()}
    # Every name key of every nominal is posted (grouped build path included).
    for i, v in enumerate(a.views):
        for first, surname in v.names:
            for k in name_keys(first, surname):
                assert i in a.postings.get(k, []) or k in a.dropped


def test_normaliser_fast_paths():
    for text in ("07700 900123", "+44 (0)7700-900123", "0044 7700 900 123", "07700\t900123"):
        assert normalise_phone(text) == "+447700900123"
        assert _PHONE_PUNCT.sub("", text).isdigit() or text.startswith("+")
    assert normalise_postcode(" ls6  2ab ") == "LS6 2AB"
    assert normalise_postcode("ls6\t2ab") == "LS6 2AB"
    assert normalise_postcode("not a postcode") == ""
