"""The batch and fast paths give exactly what the plain paths give."""
import random
from datetime import date

from gainportal.matching.identifiers import _PHONE_PUNCT, normalise_phone, normalise_postcode
from gainportal.matching.index import CandidateIndex, name_keys
from gainportal.matching.matcher import Matcher
from gainportal.matching.score import dob_level_s
from gainportal.matching.dates import Dob
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


def test_dob_prefilter_lets_through_exactly_what_is_not_a_dob_mismatch():
    # The index's wildcard DOB maps against the plain rule: a register DOB the score would
    # not call "mismatch" (exact, swapped, one digit or one adjacent transposition), or the
    # same postcode or address key, or no register DOB at all.
    rng = random.Random(1)
    noms = []
    for i in range(3000):
        y, m, d = rng.randint(1980, 1989), rng.randint(1, 12), rng.randint(1, 28)
        noms.append(NominalRecord(f"R{i}", "A", "B", dob=f"{y}-{m:02d}-{d:02d}" if i % 50 else None,
                                  address=f"{i % 40} Mill Lane", postcode=f"LS{i % 30 + 1} 1AA"))
    index = CandidateIndex(noms)
    for _ in range(300):
        # Mention years one digit from the register's century too (2985, 1085, 0985): the
        # first two digits are only made wild when another century is that near.
        y = rng.choice([rng.randint(1980, 1989)] * 4 + [2985, 1085, 985, 1185, 1980 + 1000])
        m, d = rng.randint(1, 12), rng.randint(1, 28)
        exact = date(y, m, d)
        ds = f"{y:04d}{m:02d}{d:02d}"
        sw = f"{y:04d}{d:02d}{m:02d}" if d <= 12 and d != m else ""
        pc = rng.choice(["", "LS3 1AA", "M1 1AE"])
        ak = rng.choice(["", "7 mill", "99 mill"])
        dob = Dob.from_date(exact)
        want = {i for i, v in enumerate(index.views)
                if not v.dob_s or dob_level_s(dob, v.dob_s, ds, sw) != "mismatch"
                or (pc and v.postcode == pc) or (ak and v.address_key == ak)}
        assert set(index.dob_allowed(ds, sw, pc, ak)) == want


def test_dob_path_reaches_what_the_name_keys_reach_within_the_allowed_positions():
    # A mention with an exact DOB intersects each key's postings with dob_allowed() and runs
    # the forename-code screen only on allowed positions: the same set as every position the
    # name reaches (_name_ids) filtered afterwards.
    from gainportal.matching import matcher as mm
    from gainportal.matching.index import person_name_pairs
    from gainportal.matching.names import parse_name

    rng = random.Random(3)
    forenames = ["John", "Jon", "Jonathan", "Gary", "Gaz", "Catherine", "Kate", "Paul", "J."]
    surnames = ["Smith", "Smyth", "Smithe", "Jones", "O'Neill", "ONeil", "Wright-Jones", "Wright"]
    noms = []
    for i in range(2000):
        y, m, d = rng.randint(1980, 1983), rng.randint(1, 12), rng.randint(1, 28)
        noms.append(NominalRecord(
            f"R{i}", rng.choice(forenames).strip("."), rng.choice(surnames),
            aliases=(f"{rng.choice(forenames).strip('.')} {rng.choice(surnames)}",) if i % 7 == 0 else (),
            dob=f"{y}-{m:02d}-{d:02d}" if i % 40 else None, address=f"{i % 30} Mill Lane",
            postcode=f"LS{i % 25 + 1} 1AA"))
    index = CandidateIndex(noms, max_postings=300)  # some name keys dropped, as at national size
    assert any(k[0] in "nsf" for k in index.dropped)
    reached = 0
    for _ in range(400):
        text = f"{rng.choice(forenames)} {rng.choice(surnames)}"
        if rng.random() < 0.2:
            text = f"{rng.choice(surnames).upper()} {rng.choice(forenames)}"
        direct, swapped_pair = person_name_pairs(parse_name(text))
        entry = mm._name_entry(index, direct, swapped_pair)
        y, m, d = rng.randint(1980, 1983), rng.randint(1, 12), rng.randint(1, 28)
        ds, sw = f"{y}{m:02d}{d:02d}", (f"{y}{d:02d}{m:02d}" if d <= 12 and d != m else "")
        pc, ak = rng.choice(["", "LS3 1AA"]), rng.choice(["", "7 mill"])
        allowed = index.dob_allowed(ds, sw, pc, ak)
        got = mm._name_ids_within(index, entry, allowed)
        assert got == set(mm._name_ids(index, entry)) & set(allowed), text
        reached += len(got)
    assert reached > 400


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


def test_parallel_batch_equals_serial():
    items = [
        ("Gaz Smyth (dob 3/4/85) seen at 14 Acacia Road LS6 2AB", None),
        ("", {"name": "Jane Smith", "postcode": "ls62ab"}),
        ("Subject details as held.", {"name": "Catherine O'Neil", "dob": "02/02/1992"}),
        ("Nothing known.", None),
    ]
    items += [("", {"name": f"{['John', 'Jon', 'David', 'Paul', 'J.'][i % 5]} Smith",
                    "dob": f"{1960 + i % 30}-0{1 + i % 9}-1{i % 9}"}) for i in range(60)]
    items += [(f"Mr {['John', 'David', 'Paul'][i % 3]} SMITH aged {40 + i % 20} lives at B{i % 30 + 1} 1AA.", None)
              for i in range(40)]
    serial = [[c.as_dict() for c in r] for r in Matcher(register(), ref_date=REF).match_many(items)]
    parallel = Matcher(register(), ref_date=REF).match_many(items, processes=2, chunksize=7)
    assert parallel == serial
    assert sum(1 for r in serial if r) > 40  # the set exercises real candidates, not empty lists


def test_best_name_equals_the_plain_maximum():
    """The inlined best_name() is the first best name_weight_bits() over readings x forms."""
    from gainportal.matching.index import person_name_pairs
    from gainportal.matching.names import parse_name
    from gainportal.matching.score import (
        NAME_AGREE_SURNAME, SWAPPED_PENALTY, best_name, name_bits, name_weight_bits)

    index = CandidateIndex(register() + [
        NominalRecord("A1", "Elizabeth", "Smith-Jones", aliases=("Beth Jones", "Lizzie")),
        NominalRecord("A2", "Smith", "John"),
    ])
    names = ["Gaz Smyth", "SMITH John", "J. Smith", "Beth Jones", "Smith", "John 'Gaz' Smith",
             "Catherine O'Neil", "Jones Elizabeth", "Lizzie Smith", "Davd Smith", "John Smith-Jones"]
    checked = 0
    for text in names:
        pairs = person_name_pairs(parse_name(text))
        direct, swapped_pair = pairs
        m_sur_bits = name_bits(index, "", direct[0][1])[0] if direct[0][1] else 12.0
        for view in index.views:
            expected = (-99.0, "missing", "missing", False, 0)
            for form, (nf, ns) in enumerate(view.names):
                sb, fb = name_bits(index, nf, ns)
                sb = min(sb, m_sur_bits)
                for first, surname in direct:
                    w, sl, fl = name_weight_bits(first, surname, nf, ns, sb, fb)
                    if w > expected[0]:
                        expected = (w, sl, fl, False, form)
                if swapped_pair:
                    w, sl, fl = name_weight_bits(*swapped_pair, nf, ns, sb, fb)
                    w += SWAPPED_PENALTY
                    if w > expected[0] and sl in NAME_AGREE_SURNAME and fl in ("exact", "nickname", "typo"):
                        expected = (w, sl, fl, True, form)
            assert best_name(pairs, view, index, m_sur_bits) == expected, (text, view.names)
            checked += 1
    assert checked == len(names) * len(index.views)


def test_rebuild_after_an_edit_uses_the_new_fields():
    noms = register()
    before = CandidateIndex(noms)
    assert before.views[0].dob_s == "19850403"
    noms[0] = NominalRecord("N1", "Gary", "Smith", aliases=("Gaz",), dob="1985-04-30",
                            address="2 Mill Lane, Leeds", postcode="LS7 1AA", vrms=("AB12CDE",))
    after = CandidateIndex(noms)
    v = after.views[0]
    assert (v.dob_s, v.postcode, v.address_key, v.phones) == ("19850430", "LS7 1AA", "2 mill", frozenset())
    assert after.postcodes[0] == "LS7 1AA" and after.dob_s[0] == "19850430"
    assert 0 in after.postings[("p", "LS7 1AA")] and ("p", "LS6 2AB") not in after.postings or \
        0 not in after.postings[("p", "LS6 2AB")]
    # Unchanged records come back equal to a fresh normalisation.
    for old, new in zip(before.views[1:], after.views[1:]):
        assert (old.names, old.dob_s, old.postcode, old.vrms) == (new.names, new.dob_s, new.postcode, new.vrms)


def test_candidates_below_every_tier_carry_no_features():
    from gainportal.matching.matcher import _view
    from gainportal.matching.extract import mention_from_fields
    from gainportal.matching.score import score_candidate

    index = CandidateIndex(register())
    shown = hidden = 0
    for fields in ({"name": "Gary Smith", "dob": "3/4/85"}, {"name": "John Smith"},
                   {"name": "Paul Smith", "postcode": "B3 1AA"},
                   {"name": "Jane Smith", "postcode": "LS6 2AB", "address": "14 Acacia Road"}):
        mv = _view(mention_from_fields(ref=REF, **fields))
        mv.sur_bits = None
        for view in index.views:
            score, features, tier, rel = score_candidate(mv, view, index)
            if tier:
                shown += 1
                assert features and ("surname" in features) and rel in ("self", "possible_associate")
            else:
                hidden += 1
                assert features == {} and rel == "self"
    assert shown and hidden


def test_fold_and_caps_word_fast_paths_equal_the_general_rule():
    import re

    from anyascii import anyascii

    from gainportal.matching import names

    def plain_fold(text):
        text = anyascii(text).lower().replace("`", "'").replace("\u2019", "'")
        return re.sub(r"\s+", " ", re.sub(r"[^a-z' \-]", " ", text)).strip()

    def plain_caps(word):
        letters = [c for c in word if c.isalpha()]
        return len(letters) > 1 and all(c.isupper() for c in letters)

    rng = random.Random(5)
    alphabet = "abcdeXYZ'-. ëŁ\u017f1"
    for _ in range(20_000):
        w = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        assert names.fold(w) == plain_fold(w), w
        assert names._is_caps_word(w) == plain_caps(w), w
    assert names.fold("Zoë") == "zoe" and names.fold("SMITH") == "smith"
    assert names._is_caps_word("O'NEILL") and not names._is_caps_word("J.") and not names._is_caps_word("Smith")


def test_level_caches_stay_bounded(monkeypatch):
    from gainportal.matching import score

    monkeypatch.setattr(score, "LEVEL_CACHE_MAX", 3)
    score.clear_level_caches()
    for other in ("smyth", "smithe", "jones", "brown"):
        score.surname_level("smith", other)
    score.forename_level("john", "jon")
    assert score.level_cache_pairs() == (4, 1)
    score.bound_level_caches()
    assert score.level_cache_pairs() == (0, 1)
    assert score.surname_level("smith", "smyth") in ("typo", "phonetic")  # still answers after clearing
    assert score.level_cache_pairs() == (1, 1)


def test_name_memos_of_the_levels_equal_the_names_functions_and_are_bounded(monkeypatch):
    from gainportal.matching import score
    from gainportal.matching.names import nickname_group, surname_variants

    score.clear_level_caches()
    assert score._NICKNAME_GROUPS == {} and score._SURNAME_VARIANTS == {}
    words = ["gaz", "gary", "kate", "j", "smith-jones", "macdonald", "o'neill", "de la cruz", "", "zoë"]
    for w in words:
        assert score._nick_group(w) == nickname_group(w)
        assert score._variants(w) == surname_variants(w)
        assert score._nick_group(w) is score._nick_group(w)  # the second from the memo
    assert len(score._NICKNAME_GROUPS) == len(words) == len(score._SURNAME_VARIANTS)
    monkeypatch.setattr(score, "NAME_MEMO_MAX", len(words))
    score.bound_level_caches()
    assert len(score._NICKNAME_GROUPS) == len(words)  # not past the bound yet
    score._nick_group("tez")
    score._variants("tez")
    score.bound_level_caches()
    assert score._NICKNAME_GROUPS == {} and score._SURNAME_VARIANTS == {}


def test_level_memo_equals_the_plain_levels():
    from gainportal.matching import score

    rng = random.Random(7)
    words = ["smith", "smyth", "smithe", "jones", "macdonald", "mcdonald", "smith jones", "o neill", "oneil",
             "j", "john", "jon", "gaz", "gary", "kate", "catherine", "beth", "lisa", "", "fnwler", "fowler"]
    score.clear_level_caches()
    for _ in range(2000):
        a, b = rng.choice(words), rng.choice(words)
        assert score.surname_level(a, b) == score._surname_level(a, b)
        assert score.forename_level(a, b) == score._forename_level(a, b)


def test_literal_first_patterns_match_what_the_boundary_first_forms_match():
    import re

    from gainportal.matching import extract
    from gainportal.matching.names import TITLES

    plain_phone = re.compile(r"(?<![\d/.])(?:\+44\s?\(?0?\)?\s?|0044\s?|\b0)\d(?:[\s\-]?\d){8,9}\b")
    titles = "|".join(sorted((t.capitalize() for t in TITLES), key=len, reverse=True))
    plain_titled = re.compile(r"\b(?:" + titles + r")\.?\s+((?:" + extract._NAME_WORD + r"|" + extract._NICK
                              + r")(?:\s+(?:" + extract._NAME_WORD + r"|" + extract._NICK + r")){0,3})")
    rng = random.Random(9)
    pieces = ["0", "+44", "0044", "7700", "900123", " ", "-", "/", ".", "(0)", "x", "Mr", "Mrs", "Dr", "Ms",
              "Sgt", "Smith", "John", " 'Gaz' ", "O'Neill", "é", "Revd", "Cllr", "A."]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        for fast, plain in ((extract.PHONE, plain_phone), (extract.TITLED, plain_titled)):
            assert [(m.span(), m.groups()) for m in fast.finditer(text)] == \
                [(m.span(), m.groups()) for m in plain.finditer(text)], text
    assert extract.PHONE.search("call 07700 900123 now").group(0) == "07700 900123"
    assert extract.TITLED.search("seen with Mrs Jane Smith").group(1) == "Jane Smith"


def test_plain_name_fast_path_equals_the_general_parse():
    from gainportal.matching import names

    rng = random.Random(11)
    pieces = ["John", "Paul", "smith", "SMITH", "McDONALD", "de", "la", "Cruz", "van", "Mr", "Jnr", "J",
              "J.", "O'Neill", "Smith-Jones", "'Gaz'", "(Gaz)", "Zoë", ",", "Lee", "Dr", "iii", "Sr", "MAC"]
    seps = [" ", "  ", "\t", "\n", " , "]
    checked = 0
    for _ in range(20_000):
        text = rng.choice(["", " "]) + "".join(rng.choice(pieces) + rng.choice(seps)
                                              for _ in range(rng.randint(1, 5))).rstrip(rng.choice(["", " "]))
        if not text.strip():
            continue
        got, want = names.parse_name.__wrapped__(text), names._parse_name_general(text)
        assert (got, got.raw) == (want, want.raw), text
        checked += 1
    assert checked > 15_000
    assert names.parse_name("John Paul Smith") == names.PersonName(("john", "paul"), "smith")
    assert names.parse_name("Maria de la Cruz").surname == "de la cruz"


def test_digit_patterns_scanned_from_near_the_first_digit_find_what_a_whole_scan_finds():
    # extract_entities() scans these patterns from a few characters before the first digit
    # and skips all of them (and the loose plates and addresses) in a text without digits.
    import re

    from gainportal.matching import dates, extract
    from gainportal.matching.identifiers import POSTCODE

    offsets = ((dates.ISO, 0), (dates.WORD_DMY, 0), (dates.NUMERIC_DMY, 0), (POSTCODE, 2), (extract.VRM, 4))
    needs_digit = (dates.WORD_MDY, dates.AGE, extract.PHONE, extract.ADDRESS)
    rng = random.Random(13)
    pieces = ["AB", "12", "CDE", "LS6", "2AB", "ls62ab", " ", "  ", "-", "/", ".", "ABC", "123D", "A1", "x",
              "Smith", "Road", "aged", "1985", "3", "March", "mar", "1st", "of", "07700", "0", "_", "é", "٣"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        digit = re.search(r"\d", text)
        for rx, back in offsets:
            whole = [(m.span(), m.groups()) for m in rx.finditer(text)]
            if digit is None:
                assert whole == [], (rx.pattern, text)
            else:
                assert [(m.span(), m.groups()) for m in rx.finditer(text, max(0, digit.start() - back))] == whole, text
        if digit is None:
            for rx in needs_digit:
                assert rx.search(text) is None, text
            assert not any(extract._loose_plate(m.group(0)) for m in extract.VRM_LOOSE.finditer(text)), text
    assert [e.kind for e in extract.extract_entities("Gaz Smith seen in AB12 CDE, LS6 2AB", REF)] == \
        ["name", "vrm", "postcode"]
    # The surname-first patterns scan from the first pair of capitals.
    words = ["SMITH", "O'NEILL", "Jo", "John", "J.", ",", " ", "  ", "DOB", "x", "Ł", "ÉMILE", "é", "-"]
    for _ in range(20_000):
        text = "".join(rng.choice(words) for _ in range(rng.randint(1, 8)))
        pair = extract._CAPS_PAIR.search(text)
        for rx in (extract.SURNAME_COMMA, extract.CAPS_FIRST):
            whole = [(m.span(), m.groups()) for m in rx.finditer(text)]
            assert whole == ([(m.span(), m.groups()) for m in rx.finditer(text, pair.start())] if pair else []), text


def test_month_first_dates_scanned_from_the_first_month_stem_of_an_ascii_text():
    # extract_entities() starts WORD_MDY at the month-stem gate's first hit when the text is
    # ASCII (lower() keeps positions); other texts are scanned whole.
    from gainportal.matching import dates, extract

    rng = random.Random(29)
    pieces = ["March", "MAR", "mar", "Mark", "May", "may", "june", "Jul", "Sept", "sep", "SEPTEMBER", "dec.",
              "Decker", "3", "31st", "1985", "85", ",", " ", "  ", "x", "of", "remarks", "ſep", "İ", "é",
              " March 3, 1985", " may 31st 1990", "Dec. 2 2001", "sEp 9th, 1977", "ſep 9 1977"]
    scanned = 0
    for _ in range(30_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        whole = [(m.span(), m.groups()) for m in dates.WORD_MDY.finditer(text)]
        month = extract._ANY_MONTH_STEM(text.lower())
        if month is None:
            assert whole == [] or "\u017f" in text, text
        elif text.isascii():
            assert [(m.span(), m.groups()) for m in dates.WORD_MDY.finditer(text, month.start())] == whole, text
            scanned += month.start() > 0 and bool(whole)
    assert scanned > 1000
    assert [(e.kind, e.text) for e in extract.extract_entities("Seen by Mark Jones, born March 3, 1985", REF)] == [
        ("name", "Mark Jones"), ("dob", "March 3, 1985")]


def test_capital_lookahead_patterns_match_what_the_plain_forms_match():
    import re

    from gainportal.matching import extract

    plain = {rx: re.compile(rx.pattern.removeprefix(extract._UP_FIRST).removeprefix(r"(?=[\dFA])"))
             for rx in (extract.ADDRESS, extract.SURNAME_COMMA, extract.CAPS_FIRST, extract.CAPS_LAST,
                        extract.CAP_SEQ)}
    assert all(p.pattern != rx.pattern for rx, p in plain.items())
    rng = random.Random(17)
    pieces = ["Flat", "Apartment", "Apt", "3", "14", "Acacia", "Road", "Rd", "Leeds", "LS6", ", ", " ", "\n",
              "SMITH", "Smith", "John", "J.", "McDonald", "O'Neill", "Mac", "'Gaz'", "ÉMILE", "Łukasz", "٣",
              "the", "and", "x", "-", "ZIĘCIK", "Zięcik"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        for rx, p in plain.items():
            assert [(m.span(), m.groups()) for m in rx.finditer(text)] == \
                [(m.span(), m.groups()) for m in p.finditer(text)], (rx.pattern[:20], text)
    assert extract.ADDRESS.search("seen at Flat 2, 14 Acacia Road LS6").group(0) == "Flat 2, 14 Acacia Road"


def test_reading_keys_are_the_name_keys_less_surname_only_keys_when_a_forename_narrows():
    from gainportal.matching.matcher import _reading_keys

    forenames = ["", "j", "john", "gaz", "kate", "catherine", "lukasz", "o"]
    surnames = ["", "smith", "smith-jones", "o'neill", "macdonald", "de la cruz", "x"]
    for first in forenames:
        for surname in surnames:
            plain, fkeys = _reading_keys(first, surname)
            want = {k for k in name_keys(first, surname) if k[0] != "s" or not first}
            assert len(plain) + len(fkeys) == len(set(plain) | set(fkeys))
            assert set(plain) | set(fkeys) == want, (first, surname)
            assert all(k[0] == "f" for k in fkeys) and all(k[0] != "f" for k in plain)


def test_caps_and_address_scans_start_where_a_match_can_start():
    import re

    from gainportal.matching import extract

    rng = random.Random(19)
    pieces = ["SMITH", "O'NEILL", "Jo", "John", "J.", ",", " ", "\n", "DOB", "AB", "x", "ÉMILE", "-", "Flat",
              "Apt", "Apartment", "Ap", "3", "14", "Acacia", "Road", "Leeds", "LS6", "٣", "ZIĘCIK"]
    for _ in range(30_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))

        def scan(rx, pos=0):
            return [(m.span(), m.groups()) for m in rx.finditer(text, pos)]

        digit = re.search(r"\d", text)
        if digit is not None and "Flat" not in text and "Ap" not in text:
            assert scan(extract.ADDRESS, digit.start()) == scan(extract.ADDRESS), text
        triple = extract._CAPS_TRIPLE(text)
        if triple:
            assert scan(extract.CAPS_FIRST, triple.start()) == scan(extract.CAPS_FIRST), text
        else:
            assert scan(extract.CAPS_FIRST) == [] and scan(extract.CAPS_LAST) == [], text
        if not extract._SPACE_CAPS_TRIPLE(text):
            assert scan(extract.CAPS_LAST) == [], text


def test_pairs_skipped_as_below_every_tier_are_never_shown():
    from gainportal.matching.extract import mention_from_fields
    from gainportal.matching.matcher import _name_entry, _view
    from gainportal.matching.score import below_every_tier, score_candidate

    index = CandidateIndex(register() + [
        NominalRecord("A1", "Elizabeth", "Smith-Jones", aliases=("Beth Jones", "Lizzie"), postcode="LS6 2AB"),
        NominalRecord("A2", "Smith", "John", dob="1990-01-01", phones=("07700900555",)),
    ])
    rng = random.Random(23)
    names = ["John Smith", "Jon Smyth", "J. Smith", "SMITH John", "Gaz Smith", "Beth Jones", "Lizzie Smith",
             "Catherine O'Neil", "Jane Smith", "David Smithe", "Paul Smith", "Smith", "John 'Gaz' Smith"]
    skipped = shown = 0
    for _ in range(300):
        fields = {"name": rng.choice(names)}
        if rng.random() < 0.5:
            fields["postcode"] = rng.choice(["LS6 2AB", "LS6 2AD", "LS7 1AA", "B4 1AA", "B4 2ZZ"])
        if rng.random() < 0.3:
            fields["dob"] = rng.choice(["aged 40", "aged 62", "1985"])
        if rng.random() < 0.2:
            fields["phone"] = "07700900555"
        if rng.random() < 0.2:
            fields["address"] = rng.choice(["14 Acacia Road", "2 Mill Lane"])
        mv = _view(mention_from_fields(ref=REF, **fields))
        direct, swapped_pair = mv.pairs
        mv.sur_bits = _name_entry(index, direct, swapped_pair).sur_bits
        for view in index.views:
            score, features, tier, rel = score_candidate(mv, view, index)
            if below_every_tier(mv, view, mv.sur_bits):
                skipped += 1
                assert tier == "", (fields, view.names)
            shown += bool(tier)
    assert skipped > 1000 and shown > 100


def test_parallel_batch_restores_the_gc_state():
    """The parent pauses cyclic GC for a forked batch and restores what it found."""
    import gc

    items = [("", {"name": "John Smith", "dob": f"19{60 + i % 30}-01-1{i % 9}"}) for i in range(30)]
    m = Matcher(register(), ref_date=REF)
    assert gc.isenabled()
    out = m.match_many(items, processes=2, chunksize=5)
    assert gc.isenabled() and len(out) == len(items)
    gc.disable()
    try:
        m.match_many(items, processes=2, chunksize=5)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_loose_plates_scanned_from_seven_before_the_first_digit():
    """extract_entities() scans VRM_LOOSE from 7 characters before the first digit: the same
    matches as the whole scan from there on, and none before it that _loose_plate() keeps."""
    import re

    from gainportal.matching import extract

    rng = random.Random(17)
    pieces = ["FR6O", "STG", "G051", "NCJ", "AB12", "CDE", "GOOD", "OS", "SO", "BIZ", "12", "1", "O", "S",
              "ab", "x", " ", "  ", "-", "_", ".", "ı", "ſ", "K", "é", "٣", "Road"]
    kept = 0
    for _ in range(30_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        digit = re.search(r"\d", text)
        if digit is None:
            continue
        p = max(0, digit.start() - 7)
        whole = [m for m in extract.VRM_LOOSE.finditer(text)]
        assert [m.span() for m in extract.VRM_LOOSE.finditer(text, p)] == [m.span() for m in whole if m.start() >= p], text
        assert not any(extract._loose_plate(m.group(0)) for m in whole if m.start() < p), text
        kept += sum(1 for m in whole if extract._loose_plate(m.group(0)))
    assert kept > 300


def _plain_one_slip(a, b):
    from rapidfuzz.distance import OSA

    return len(a) >= 4 and len(b) >= 4 and a[0] == b[0] and OSA.distance(a, b, score_cutoff=1) <= 1


def _plain_surname_level(a, b):
    """score.surname_level() as it was before the Jaro-Winkler pre-test (reference)."""
    from rapidfuzz.distance import JaroWinkler

    from gainportal.matching.names import phonetic, surname_variants
    from gainportal.matching.score import _mc

    _one_slip = _plain_one_slip
    if not a or not b:
        return "missing"
    va, vb = surname_variants(a), surname_variants(b)
    a0, b0 = va[0], vb[0]
    jw = JaroWinkler.similarity(a0, b0)
    if jw < 0.8 and a0[:1] != b0[:1] and (len(va) == 1 == len(vb) or not set(va) & set(vb)):
        return "mismatch"
    if _mc(a0) == _mc(b0):
        return "exact"
    if set(va) & set(vb):
        return "part"
    if jw >= 0.92 or _one_slip(a0, b0):
        return "typo"
    if set(phonetic(a0)) & set(phonetic(b0)) and jw >= 0.8:
        return "phonetic"
    if jw >= 0.85:
        return "fuzzy"
    return "mismatch"


def _plain_forename_level(a, b):
    """score.forename_level() as it was before the Jaro-Winkler pre-test (reference)."""
    from rapidfuzz.distance import JaroWinkler

    from gainportal.matching.names import nickname_group, phonetic

    _one_slip = _plain_one_slip
    if not a or not b:
        return "missing"
    if a == b:
        return "exact"
    if len(a) == 1 or len(b) == 1:
        full = b if len(a) == 1 else a
        init = a if len(a) == 1 else b
        return "initial" if init == full[0] or any(g[0] == init for g in nickname_group(full)) else "mismatch"
    ga, gb = nickname_group(a), nickname_group(b)
    if a in gb or b in ga:
        return "nickname"
    jw = JaroWinkler.similarity(a, b)
    if jw >= 0.9 or (jw >= 0.8 and set(phonetic(a)) & set(phonetic(b))) or (a[0] == b[0] and _one_slip(a, b)):
        return "typo"
    if ga & gb:
        return "sibling"
    return "mismatch"


def test_jaro_winkler_pre_test_is_only_sure_below_the_cut():
    """_jw_below() says 'below' only when rapidfuzz's Jaro-Winkler is below the cut, and the
    levels that use it (and the length test before the OSA call) equal the plain ones."""
    from rapidfuzz.distance import JaroWinkler

    from gainportal.matching import score

    rng = random.Random(23)
    sure = 0
    for _ in range(60_000):
        alphabet = rng.choice(["ab", "abc", "abcde", "aeiounrst", "abcdefghijklmnopqrstuvwxyz", "aéłz'-"])
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        if rng.random() < 0.5:
            b = a[:rng.randint(0, 4)] + b  # a common prefix: the Winkler boost
        for cut in (0.8, 0.85, 0.9):
            if score._jw_below(a, b, cut):
                sure += 1
                assert JaroWinkler.similarity(a, b) < cut, (a, b, cut)
    assert sure > 20_000
    for _ in range(20_000):
        a = "".join(rng.choice("abcdeo") for _ in range(rng.randint(1, 9)))
        b = "".join(rng.choice("abcdeo") for _ in range(rng.randint(1, 9)))
        assert score._one_slip(a, b) == _plain_one_slip(a, b), (a, b)
    names = ["smith", "smyth", "schmidt", "jones", "johns", "macdonald", "mcdonald", "smith-jones", "o'neill",
             "oneil", "neill", "kowalski", "kowalsky", "nowak", "khan", "kahn", "ahmed", "ahmad", "patel", "fowler",
             "fnwler", "uppal", "upppal", "de la cruz", "cruz", "wright", "wright jones", "brown", "browne",
             "john", "jon", "jonathan", "gary", "gaz", "gareth", "kate", "catherine", "katherine", "beth", "lisa",
             "elizabeth", "mary", "maria", "molly", "derek", "denek", "anne", "anse", "j", "k", "l", "sean", "shaun",
             "lukasz", "luke", "mohammed", "muhammad", "mo", "darren", "daz", "", "x", "xavier", "zoe", "chloe"]
    score.clear_level_caches()
    for a in names:
        for b in names:
            assert score.surname_level(a, b) == _plain_surname_level(a, b), (a, b)
            assert score.forename_level(a, b) == _plain_forename_level(a, b), (a, b)


def test_plate_pattern_look_ahead_matches_what_the_plain_pattern_matches():
    import re

    from gainportal.matching import extract

    plain = re.compile(r"\b(?:[A-Z]{2}[0-9]{2}[ \-]?[A-Z]{3}|[A-Z][0-9]{1,3}[ \-]?[A-Z]{3}|[A-Z]{3}[ \-]?[0-9]{1,3}[A-Z])\b",
                       re.I)
    rng = random.Random(29)
    pieces = ["AB", "ab", "12", "1", "123", "CDE", "A", "ABC", "D", " ", "-", "_", ".", "ı", "ſ", "K", "é", "٣", "x"]
    found = 0
    for _ in range(30_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        got = [(m.span(), m.group(0)) for m in extract.VRM.finditer(text)]
        assert got == [(m.span(), m.group(0)) for m in plain.finditer(text)], text
        found += len(got)
    assert found > 150


def test_chunk_bounds_cover_the_batch_in_order():
    from gainportal.matching.matcher import chunk_bounds

    for n in (0, 1, 7, 999, 1000, 1001, 4000, 4001, 100_000):
        for chunksize, processes in ((500, 2), (2000, 2), (7, 3), (1, 2), (3, 1)):
            b = chunk_bounds(n, chunksize, processes)
            assert [i for s, e in b for i in range(s, e)] == list(range(n)), (n, chunksize, processes)
            assert all(0 < e - s <= chunksize for s, e in b)
            if n >= 2 * processes * chunksize:
                assert b[0] == (0, chunksize) and b[-1][1] - b[-1][0] <= max(1, chunksize // 4)
