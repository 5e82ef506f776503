"""One import point for every normaliser (names, dates of birth, identifiers).

The implementations live in small modules of one purpose; this module only gathers them.
"""
from gainportal.matching.dates import Dob, age_to_dob, one_edit, parse_dob, swapped
from gainportal.matching.identifiers import (
    address_key,
    business_fingerprint,
    normalise_phone,
    normalise_postcode,
    normalise_vrm,
    postcode_district,
    postcode_sector,
    vrm_lookalike,
)
from gainportal.matching.names import (
    UK_NICKNAMES,
    PersonName,
    fold,
    name_token,
    nickname_group,
    parse_name,
    phonetic,
    surname_key,
    surname_variants,
)

__all__ = [
    "Dob", "age_to_dob", "one_edit", "parse_dob", "swapped",
    "address_key", "business_fingerprint", "normalise_phone", "normalise_postcode",
    "normalise_vrm", "postcode_district", "postcode_sector", "vrm_lookalike",
    "UK_NICKNAMES", "PersonName", "fold", "name_token", "nickname_group", "parse_name",
    "phonetic", "surname_key", "surname_variants",
]
