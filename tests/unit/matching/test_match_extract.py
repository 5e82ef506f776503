"""Extraction from free-text partner answers, with spans."""
from datetime import date

from gainportal.matching.extract import extract_entities, mention_from_fields, mentions_from_text

REF = date(2026, 11, 22)
TEXT = ("The tenant at 14 Acacia Rd, LS6 2AB, a Mr Gaz Smyth (dob 3/4/85) keeps dogs. "
        "Mobile 07700 900123, drives ab12cde.")


def kinds(text):
    return {e.kind: e for e in extract_entities(text, REF)}


def test_entities_and_spans():
    found = kinds(TEXT)
    for kind, expected in [("address", "14 Acacia Rd"), ("postcode", "LS6 2AB"), ("name", "Mr Gaz Smyth"),
                           ("dob", "3/4/85"), ("phone", "07700 900123"), ("vrm", "ab12cde")]:
        e = found[kind]
        assert TEXT[e.start:e.end] == expected == e.text
    assert found["vrm"].value == "AB12CDE"
    assert found["phone"].value == "+447700900123"
    assert found["dob"].value.exact == date(1985, 4, 3)


def test_surname_comma_forename_in_text():
    e = kinds("Known to us: SMITH, John (03/04/1985).")["name"]
    assert (e.value.first, e.value.surname) == ("john", "smith")


def test_quoted_nickname_and_initials():
    names = [e.value for e in extract_entities("John 'Gaz' Smith was with J. Smith.", REF) if e.kind == "name"]
    assert [(n.first, n.surname, n.nickname) for n in names] == [("john", "smith", "gaz"), ("j", "smith", "")]


def test_aged_34_and_lowercase_postcode():
    m = mentions_from_text("Kate O'Neill, aged 34, lives at ls62ab.", REF)[0]
    assert (m.dob.year_lo, m.dob.year_hi) == (1991, 1992)
    assert m.postcode == "LS6 2AB"
    assert m.name.surname == "o'neill"


def test_business_name():
    e = kinds("He runs Smith & Sons Motors Ltd from the yard.")["business"]
    assert e.text == "Smith & Sons Motors Ltd"


def test_dob_goes_to_nearest_person_address_to_all():
    ms = mentions_from_text("John Smith (dob 01/02/1980) and Paul Smith (dob 05/06/1990) at LS6 2AB.", REF)
    assert [(m.name.first, m.dob.exact.year, m.postcode) for m in ms] == [
        ("john", 1980, "LS6 2AB"), ("paul", 1990, "LS6 2AB")]


def test_structured_fields():
    m = mention_from_fields(name="SMITH, John", dob="03/04/1985", postcode="ls62ab", vrm="ab12 cde",
                            phone="07700 900123", ref=REF)
    assert (m.name.first, m.dob.exact, m.postcode, m.vrms, m.phones) == (
        "john", date(1985, 4, 3), "LS6 2AB", ("AB12CDE",), ("+447700900123",))


def test_dates_and_ages_in_any_case_survive_the_literal_prechecks():
    cases = {
        "Kate Smith born 3rd of MARCH 1985.": (date(1985, 3, 3), None),
        "Kate Smith, DOB March 3, 1985.": (date(1985, 3, 3), None),
        "Kate Smith (1985-03-03) known.": (date(1985, 3, 3), None),
        "Kate Smith, AGED 34.": (None, (REF.year - 35, REF.year - 34)),
        "Kate Smith is 34 YEARS OLD.": (None, (REF.year - 35, REF.year - 34)),
    }
    for text, (exact, years) in cases.items():
        m = mentions_from_text(text, REF)[0]
        assert m.dob is not None, text
        if exact:
            assert m.dob.exact == exact, text
        else:
            assert m.dob.exact is None and (m.dob.year_lo, m.dob.year_hi) == years, text
    assert mentions_from_text("Kate Smith, no date given.", REF)[0].dob is None
