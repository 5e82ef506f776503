import re

import pytest

from gainportal.security.crypto import (
    Keyring,
    blind_index,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    normalise_vrm,
)

KEY = bytes(range(32))


def test_deterministic_and_format():
    a = blind_index(KEY, "vrm", "AB12CDE")
    assert a == blind_index(KEY, "vrm", "AB12CDE")
    assert re.fullmatch(r"[0-9a-f]{32}", a)


def test_known_answer_pins_the_construction():
    # HMAC-SHA256(key, len32("gainportal.blind-index.v1") len32("vrm") len32(value)), first 32 hex.
    # Changing the construction silently would orphan every stored index.
    # Expected value computed independently with `openssl dgst -sha256 -mac HMAC`.
    assert blind_index(KEY, "vrm", "AB12CDE") == "5e5868f534473ed232fdd24c706c9859"


def test_different_values_differ():
    assert blind_index(KEY, "vrm", "AB12CDE") != blind_index(KEY, "vrm", "AB12CDF")


def test_key_separation():
    other = Keyring.generate().blind_index_key
    assert blind_index(KEY, "vrm", "AB12CDE") != blind_index(other, "vrm", "AB12CDE")


def test_kind_separation():
    assert blind_index(KEY, "name", "smith") != blind_index(KEY, "surname", "smith")


def test_kind_and_value_boundary_is_unambiguous():
    assert blind_index(KEY, "ab", "c") != blind_index(KEY, "a", "bc")


def test_plaintext_not_in_index():
    assert "ab12" not in blind_index(KEY, "vrm", "AB12CDE").lower()


@pytest.mark.parametrize("kind", ["", "VRM", "v rm", "1vrm", "vrm\x00"])
def test_bad_kind_rejected(kind):
    with pytest.raises(ValueError):
        blind_index(KEY, kind, "x")


def test_empty_value_rejected():
    with pytest.raises(ValueError):
        blind_index(KEY, "vrm", "")


def test_short_key_rejected():
    with pytest.raises(ValueError):
        blind_index(b"short", "vrm", "x")


@pytest.mark.parametrize("raw", ["AB12 CDE", "ab12cde", " ab-12.cde ", "ＡＢ１２ＣＤＥ", "AB12\tCDE"])
def test_normalise_vrm(raw):
    assert normalise_vrm(raw) == "AB12CDE"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A  1AA", "SW1A 1AA"),
        (" m1 1ae ", "M1 1AE"),
        ("b33-8th", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("dn551pt", "DN55 1PT"),
        ("sw1a", "SW1A"),
        ("", ""),
    ],
)
def test_normalise_postcode(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("+44 (0)7700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("447700900123", "+447700900123"),
        ("(020) 7946-0000", "+442079460000"),
        ("+33 1 23 45 67 89", "+33123456789"),
        ("0033 1 23 45 67 89", "+33123456789"),
        ("999", "999"),
        ("n/a", ""),
    ],
)
def test_normalise_phone(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Zoë   SMITH ", "zoe smith"),
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),
        ("Smith-Jones", "smith jones"),
        ("José Ñúñez", "jose nunez"),
        ("Søren Łukasz", "soren lukasz"),
        ("STRAẞE", "strasse"),
        ("Ａｎｎａ", "anna"),
        ("Anna\u00a0Marie", "anna marie"),
    ],
)
def test_normalise_name(raw, expected):
    assert normalise_name(raw) == expected


def test_equivalent_inputs_share_an_index():
    assert blind_index(KEY, "vrm", normalise_vrm("ab12 cde")) == blind_index(KEY, "vrm", normalise_vrm("AB12CDE"))
    assert blind_index(KEY, "phone", normalise_phone("07700 900123")) == blind_index(
        KEY, "phone", normalise_phone("+44 7700 900123")
    )
