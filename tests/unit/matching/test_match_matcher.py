"""Matcher behaviour on the cases analysts care about, and the bulk file round trip."""
import csv
import json
from datetime import date

import pytest
from click.testing import CliRunner

from gainportal.matching.bulk import match_file, match_file_command
from gainportal.matching.matcher import Matcher
from gainportal.matching.records import NominalRecord

REF = date(2026, 11, 22)


def register():
    noms = [
        NominalRecord("N1", "Gary", "Smith", dob="1985-04-03", address="14 Acacia Road, Leeds",
                      postcode="LS6 2AB", vrms=("AB12CDE",), phones=("07700900123",)),
        NominalRecord("N2", "Catherine", "O'Neill", dob="1992-02-02", postcode="M1 1AE"),
    ]
    # A register-sized crowd of Smiths so "Smith" carries its real, low weight.
    for i in range(40):
        noms.append(NominalRecord(f"S{i}", ["John", "David", "Paul", "Mark"][i % 4], "Smith",
                                  dob=f"{1960 + i}-0{1 + i % 9}-1{i % 9}", postcode=f"B{i + 1} 1AA"))
    return noms


@pytest.fixture(scope="module")
def matcher():
    return Matcher(register(), ref_date=REF)


def test_nickname_misspelt_surname_and_dob_is_strong(matcher):
    top = matcher.match_fields(name="Gaz Smyth", dob="3/4/85")[0]
    assert (top.nominal_id, top.tier) == ("N1", "strong")
    assert top.features["forename"] == "nickname" and top.features["dob"] == "exact"


def test_free_text_strong_carries_span(matcher):
    text = "The tenant at 14 Acacia Rd, LS6 2AB, a Mr Gaz Smyth (dob 3/4/85) keeps dogs."
    top = matcher.match_text(text)[0]
    assert (top.nominal_id, top.tier) == ("N1", "strong")
    assert text[top.span[0]:top.span[1]] == "Mr Gaz Smyth"


def test_common_name_only_is_possible_not_strong(matcher):
    cands = matcher.match_fields(name="John Smith")
    assert cands and all(c.tier == "possible" for c in cands)
    assert len(cands) <= 5


def test_same_name_different_dob_is_not_strong(matcher):
    cands = matcher.match_fields(name="Gary Smith", dob="12/12/1990")
    assert not any(c.nominal_id == "N1" and c.tier == "strong" for c in cands)


def test_relative_at_address_is_possible_associate(matcher):
    cands = matcher.match_fields(name="Jane Smith", address="14 Acacia Road", postcode="LS6 2AB")
    rel = [c for c in cands if c.nominal_id == "N1"]
    assert rel and rel[0].relationship == "possible_associate" and rel[0].tier == "possible"


def test_swapped_dob_and_kate_for_catherine(matcher):
    top = matcher.match_fields(name="Kate O'Neill", dob="02/02/1992")[0]
    assert (top.nominal_id, top.tier) == ("N2", "strong")
    top = matcher.match_fields(name="Gary Smith", dob="04/03/1985")[0]
    assert (top.nominal_id, top.tier, top.features["dob"]) == ("N1", "strong", "swapped")


def test_vrm_lookalike_supports(matcher):
    top = matcher.match_fields(name="Gary Smith", vrm="A812 CDE")[0]
    assert (top.nominal_id, top.tier, top.features["vrm"]) == ("N1", "strong", "lookalike")


def test_match_many_keeps_order(matcher):
    out = matcher.match_many([("", {"name": "Gaz Smyth", "dob": "3/4/85"}), ("Nothing known.", None)])
    assert out[0][0].nominal_id == "N1" and out[1] == []


def _write_files(tmp_path):
    cols = ["nominal_id", "forenames", "surname", "aliases", "dob", "address", "postcode", "vrms",
            "phones", "ocg_ref", "role"]
    with open(tmp_path / "nominals.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerow({"nominal_id": "N1", "forenames": "Gary", "surname": "Smith", "aliases": "Gaz;Gazza",
                    "dob": "1985-04-03", "address": "14 Acacia Road", "postcode": "LS6 2AB",
                    "vrms": "AB12CDE", "phones": "07700900123", "ocg_ref": "OCG1", "role": "principal"})
    lines = [
        {"mention_id": "m1", "agency": "rspca", "text": "A Mr Gaz Smyth (dob 3/4/85) keeps dogs."},
        {"mention_id": "m2", "agency": "council", "text": "", "name": "SMITH, Gary", "phone": "+44 7700 900123"},
        {"mention_id": "m3", "agency": "health", "text": "No trace."},
    ]
    (tmp_path / "mentions.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))


def test_bulk_round_trip(tmp_path):
    _write_files(tmp_path)
    n = match_file(tmp_path / "nominals.csv", tmp_path / "mentions.jsonl", tmp_path / "out.jsonl", ref_date=REF)
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert n == 3 and [r["mention_id"] for r in rows] == ["m1", "m2", "m3"]
    for r in rows[:2]:
        c = r["candidates"][0]
        assert (c["nominal_id"], c["tier"]) == ("N1", "strong")
        assert set(c) >= {"nominal_id", "score", "tier", "features"}
    assert rows[2]["candidates"] == []


def test_click_command(tmp_path):
    _write_files(tmp_path)
    res = CliRunner().invoke(match_file_command, ["--nominals", str(tmp_path / "nominals.csv"),
                                                  "--mentions", str(tmp_path / "mentions.jsonl"),
                                                  "--out", str(tmp_path / "r.jsonl")])
    assert res.exit_code == 0, res.output
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 3


def test_match_file_with_workers_writes_the_same_lines(tmp_path):
    _write_files(tmp_path)
    extra = [{"mention_id": f"x{i}", "text": f"Gary Smith seen at LS6 2AB on day {i}.",
              **({"name": "Gaz Smyth", "dob": "3/4/85"} if i % 2 else {})} for i in range(1200)]
    with open(tmp_path / "mentions.jsonl", "a") as fh:
        fh.write("".join(json.dumps(x) + "\n" for x in extra))
    serial = match_file(tmp_path / "nominals.csv", tmp_path / "mentions.jsonl", tmp_path / "s.jsonl", ref_date=REF)
    forked = match_file(tmp_path / "nominals.csv", tmp_path / "mentions.jsonl", tmp_path / "p.jsonl", ref_date=REF,
                        processes=2)
    assert serial == forked == 1203
    assert (tmp_path / "s.jsonl").read_text() == (tmp_path / "p.jsonl").read_text()
    assert '"tier":"strong"' in (tmp_path / "p.jsonl").read_text()
