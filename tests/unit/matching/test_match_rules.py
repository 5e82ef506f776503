"""Tier rules that keep common names, relatives and chance DOB collisions out of "strong"."""
from datetime import date

import pytest

from gainportal.matching.extract import extract_entities, mentions_from_text
from gainportal.matching.matcher import Matcher
from gainportal.matching.records import NominalRecord
from gainportal.matching.score import forename_level, surname_level

REF = date(2026, 11, 22)


def register():
    noms = [
        NominalRecord("J1", "John", "Smith", dob="1980-05-17", address="14 Acacia Road, Leeds", postcode="LS6 2AB"),
        NominalRecord("J2", "John", "Smith", dob="1971-02-03", address="3 Low Lane, Hull", postcode="HU1 1AA"),
        NominalRecord("H1", "Holly", "Jones", dob="1990-01-01", address="7 Elm Street, York", postcode="YO1 7AB"),
        NominalRecord("H2", "Hollie", "Jones", dob="1993-03-03", address="7 Elm Street, York", postcode="YO1 7AB"),
        NominalRecord("R1", "Zbigniew", "Wolanczyk", dob="1975-06-14", postcode="M1 1AE"),
        NominalRecord("L1", "Lisa", "Brown", dob="1984-08-21", address="9 Park View, Derby", postcode="DE1 1AA"),
        NominalRecord("W1", "Sam", "Wright", dob="1966-01-09", postcode="B1 1AA"),
        NominalRecord("W2", "Sam", "Wright-Okonkwo", dob="1996-11-11", postcode="B2 2BB"),
        NominalRecord("P1", "Paula", "Roberts", dob="1970-12-26", address="77 Leach Crescent, Oldham", postcode="OL1 1AB"),
    ]
    # A crowd so Smith, Jones, Brown, Wright and Roberts carry their real, low weights.
    for i in range(60):
        noms.append(NominalRecord(f"C{i}", ["John", "David", "Sarah", "Emma"][i % 4],
                                  ["Smith", "Jones", "Brown", "Wright", "Roberts"][i % 5],
                                  dob=f"{1950 + i}-0{1 + i % 9}-1{i % 9}", postcode=f"S{i + 1} 1AA"))
    return noms


@pytest.fixture(scope="module")
def matcher():
    return Matcher(register(), ref_date=REF)


def tier_of(cands, nid, rel="self"):
    return next((c.tier for c in cands if c.nominal_id == nid and c.relationship == rel), None)


def test_common_name_with_postcode_alone_is_not_strong(matcher):
    cands = matcher.match_fields(name="John Smith", postcode="LS6 2AB")
    assert tier_of(cands, "J1") == "possible"


def test_common_name_at_the_nominals_house_is_strong(matcher):
    cands = matcher.match_fields(name="John Smith", address="14 Acacia Road", postcode="LS6 2AB")
    assert tier_of(cands, "J1") == "strong"


def test_jon_at_johns_address_is_a_possible_associate(matcher):
    cands = matcher.match_fields(name="Jon Smith", address="14 Acacia Road", postcode="LS6 2AB")
    assert not any(c.tier == "strong" for c in cands)
    assert tier_of(cands, "J1", "possible_associate") == "possible"


def test_household_rival_with_near_identical_forename(matcher):
    cands = matcher.match_fields(name="Hollie Jones", address="7 Elm Street", postcode="YO1 7AB")
    assert tier_of(cands, "H2") == "strong"
    assert not any(c.nominal_id == "H1" and c.tier == "strong" for c in cands)


def test_dob_one_digit_out_alone_is_not_strong_for_a_common_name(matcher):
    cands = matcher.match_fields(name="John Smith", dob="17/05/1981")
    assert not any(c.tier == "strong" for c in cands)


def test_dob_one_digit_out_alone_is_strong_for_a_rare_name(matcher):
    cands = matcher.match_fields(name="Zbigniew Wolanczyk", dob="14/06/1976")
    assert tier_of(cands, "R1") == "strong"


def test_dob_one_digit_out_with_an_address_elsewhere_is_not_strong(matcher):
    cands = matcher.match_fields(name="Zbigniew Wolanczyk", dob="14/06/1976", postcode="SW1A 1AA")
    assert tier_of(cands, "R1") == "possible"


def test_two_short_forms_of_one_name_need_a_hard_identifier(matcher):
    assert forename_level("beth", "lisa") == "sibling"
    cands = matcher.match_fields(name="Beth Brown", address="9 Park View", postcode="DE1 1AA")
    assert not any(c.tier == "strong" for c in cands)
    cands = matcher.match_fields(name="Beth Brown", dob="21/08/1984")
    assert tier_of(cands, "L1") == "strong"


def test_initial_needs_the_house_not_just_the_postcode(matcher):
    assert tier_of(matcher.match_fields(name="P. Roberts", postcode="OL1 1AB"), "P1") == "possible"
    cands = matcher.match_fields(name="P. Roberts", address="77 Leach Crescent", postcode="OL1 1AB")
    assert tier_of(cands, "P1") == "strong"


def test_shared_double_barrel_part_does_not_outrank_the_whole_surname(matcher):
    cands = matcher.match_fields(name="Sam Wright")
    ids = [c.nominal_id for c in cands]
    assert "W1" in ids and "W2" in ids and ids.index("W1") < ids.index("W2")


def test_one_keyed_slip_is_a_typo():
    assert forename_level("denek", "derek") == "typo"
    assert forename_level("anse", "anne") == "typo"
    assert surname_level("fnwler", "fowler") == "typo"
    assert surname_level("upppal", "uppal") == "typo"


def _names(text):
    return [(e.value.forenames, e.value.surname) for e in extract_entities(text, REF) if e.kind == "name"]


def test_extract_caps_surname_with_initial_month_forename_and_non_ascii():
    assert _names("Re your request: HALL G. is a client.") == [(("g",), "hall")]
    assert _names("LEONARD, June, born 21st August 1980, is known.") == [(("june",), "leonard")]
    assert _names("Occupant gave name as Paweł Senator, DOB 19th February 1956.") == [(("pawel",), "senator")]
    assert _names("Our records show A. Prashad registered with the practice.") == [(("a",), "prashad")]


def test_extract_lookalike_plate():
    vrms = [e.value for e in extract_entities("Vehicle on drive FR6OSTG.", REF) if e.kind == "vrm"]
    assert vrms == ["FR6OSTG"]


def test_identifier_never_attaches_to_a_name_in_a_later_sentence():
    ms = mentions_from_text("MEENAGHAN T. (59 years old) is a client of this service. Contact number "
                            "given as +44 7436 301832. Reported by neighbour Mrs Lynne Porter.", REF)
    by_surname = {m.name.surname: m for m in ms}
    assert by_surname["meenaghan"].phones == ("+447436301832",)
    assert by_surname["porter"].phones == ()
