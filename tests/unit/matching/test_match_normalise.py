"""Normalisers on the awkward cases partners actually send."""
from datetime import date

import pytest

from gainportal.matching.normalise import (
    business_fingerprint,
    nickname_group,
    normalise_phone,
    normalise_postcode,
    normalise_vrm,
    parse_dob,
    parse_name,
    phonetic,
    postcode_district,
    postcode_sector,
    surname_key,
    surname_variants,
    vrm_lookalike,
)

REF = date(2026, 11, 22)


def test_oneill_apostrophe_is_ignored_for_comparison():
    assert surname_key(parse_name("Sean O'Neill").surname) == "oneill"
    assert surname_key(parse_name("Sean ONEILL").surname) == "oneill"


def test_mcdonald_and_macdonald_share_a_variant():
    assert "mcdonald" in surname_variants("MacDonald")
    assert surname_variants("McDonald")[0] == "mcdonald"


def test_double_barrelled_kept_whole_and_split():
    assert surname_variants("Smith-Jones") == ("smithjones", "smith", "jones")


def test_surname_comma_forename():
    p = parse_name("SMITH, John")
    assert (p.forenames, p.surname) == (("john",), "smith")


def test_all_caps_surname_first():
    p = parse_name("SMITH John Paul")
    assert (p.forenames, p.surname) == (("john", "paul"), "smith")


def test_title_suffix_and_initial():
    p = parse_name("Mr J. Smith Jnr")
    assert (p.forenames, p.surname, p.first_is_initial) == (("j",), "smith", True)


def test_quoted_street_name_kept_as_nickname():
    p = parse_name("John 'Gaz' Smith")
    assert (p.first, p.surname, p.nickname) == ("john", "smith", "gaz")


def test_zoe_with_diaeresis_folds():
    assert parse_name("Zoë Ball").first == parse_name("Zoe Ball").first == "zoe"


@pytest.mark.parametrize("nick,canon", [("Gaz", "gary"), ("Gazza", "gary"), ("Daz", "darren"),
                                        ("Shaz", "sharon"), ("Tel", "terry"), ("Baz", "barry"),
                                        ("Del", "derek"), ("Dels", "derek"), ("Kate", "catherine"),
                                        ("Stevie", "steven"), ("Jonno", "jonathan")])
def test_uk_nicknames(nick, canon):
    assert canon in nickname_group(nick)


def test_phonetic_smith_smyth():
    assert set(phonetic("Smith")) & set(phonetic("Smyth"))
    assert not set(phonetic("Smith")) & set(phonetic("Jones"))


def test_dob_is_day_first():
    assert parse_dob("03/04/1985", REF).exact == date(1985, 4, 3)
    assert parse_dob("04/03/1985", REF).exact == date(1985, 3, 4)


@pytest.mark.parametrize("text", ["3.4.85", "3rd April 1985", "1985-04-03", "3 Apr 1985", "April 3rd, 1985"])
def test_dob_forms(text):
    assert parse_dob(text, REF).exact == date(1985, 4, 3)


def test_invalid_dob_rejected():
    assert parse_dob("31/02/1985", REF) is None


def test_aged_34_is_a_two_year_range():
    d = parse_dob("aged 34", REF)
    assert d.exact is None and (d.year_lo, d.year_hi) == (1991, 1992)


def test_postcode_respaced_and_parts():
    assert normalise_postcode("ls62ab") == "LS6 2AB"
    assert postcode_sector("LS6 2AB") == "LS6 2"
    assert postcode_district("LS6 2AB") == "LS6"


def test_postcode_rejects_non_postcodes():
    assert normalise_postcode("hello") == ""
    assert normalise_postcode("LS6 2CI") == ""  # C and I never appear in the inward unit


def test_vrm_and_lookalike():
    assert normalise_vrm("ab12cde") == "AB12CDE"
    assert normalise_vrm("AB-12 CDE") == "AB12CDE"
    assert vrm_lookalike("AB12CDE") == vrm_lookalike("A812CDE")
    assert vrm_lookalike("AB12CDE") != vrm_lookalike("AB12CDF")


@pytest.mark.parametrize("text", ["+44 7700 900123", "07700 900123", "07700-900-123", "+44 (0)7700 900123"])
def test_phones_to_e164(text):
    assert normalise_phone(text) == "+447700900123"


def test_non_phone():
    assert normalise_phone("12345") == ""


def test_business_fingerprint_ignores_legal_form_and_order():
    assert business_fingerprint("The Smith & Sons Motors Ltd") == business_fingerprint("Smith and Sons Motors")
