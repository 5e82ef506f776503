"""Entity extraction from partner answers (free text) and from structured subject fields.

Rule-based on purpose: answers are short, written in a handful of house styles, and every
entity must keep its character span so an analyst sees exactly where it came from.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from gainportal.matching import dates
from gainportal.matching.identifiers import (
    BUSINESS_SUFFIXES,
    POSTCODE,
    normalise_phone,
    normalise_postcode,
    normalise_vrm,
)
from gainportal.matching.names import TITLES, PersonName, parse_name
from gainportal.matching.records import Mention


@dataclass(frozen=True)
class Entity:
    kind: str  # name | dob | age | postcode | address | vrm | phone | business
    text: str
    start: int
    end: int
    value: object  # PersonName, dates.Dob or a normalised string

    def __init__(self, kind, text, start, end, value):
        # Compiled by Cython, unlike the dataclass's generated __init__ (the same stores).
        _setattr(self, "kind", kind)
        _setattr(self, "text", text)
        _setattr(self, "start", start)
        _setattr(self, "end", end)
        _setattr(self, "value", value)


_setattr = object.__setattr__  # what a frozen dataclass's __init__ stores its fields with


# Plates: current (AB12 CDE), prefix (A123 BCD), suffix (ABC 123D); loose spacing/hyphens.
# Every branch starts with a letter: the look-ahead for one (the same class under re.I) lets
# the regex engine leave other positions before the boundary test and the three branches
# (~20% less scanning; the same matches, tested against the pattern without it).
VRM = re.compile(
    r"(?=[A-Z])\b(?:[A-Z]{2}[0-9]{2}[ \-]?[A-Z]{3}|[A-Z][0-9]{1,3}[ \-]?[A-Z]{3}|[A-Z]{3}[ \-]?[0-9]{1,3}[A-Z])\b",
    re.I,
)
# Not after a digit, slash or dot. Each branch consumes its first character before looking
# behind it, so the pattern starts with a literal and the regex engine scans for "+"/"0"
# instead of trying a match at every position (the same matches as a leading lookbehind).
PHONE = re.compile(r"(?:\+(?<![\d/.]\+)44\s?\(?0?\)?\s?|0(?<![\d/.]0)044\s?|0(?<![\d/.\w]0))\d(?:[\s\-]?\d){8,9}\b")
# A current-format plate with a look-alike slip in it ("FR6O STG", "G051 NCJ"): letters where
# digits belong or the reverse. Matched on the look-alike key only.
VRM_LOOSE = re.compile(r"\b[A-Z0-9]{2}[0-9OISBZGQD][0-9OISBZGQD][ \-]?[A-Z0-9]{3}\b", re.I)


def _loose_plate(token: str) -> bool:
    """A 7-character current-format plate once look-alikes are read as what the position
    needs: letters, letters, digits, digits, letters x3."""
    t = normalise_vrm(token)
    if len(t) != 7 or not any(c.isdigit() for c in t):
        return False
    to_letter = str.maketrans("0125868", "OIZSBBG")
    to_digit = str.maketrans("OQDIZSBG", "00012586")
    head, mid, tail = t[:2].translate(to_letter), t[2:4].translate(to_digit), t[4:].translate(to_letter)
    return head.isalpha() and mid.isdigit() and tail.isalpha()


_STREET = (r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Cl|Drive|Dr|Way|Court|Ct|Crescent|Cres|"
           r"Place|Pl|Terrace|Tce|Grove|Gardens|Gdns|Walk|Row|Hill|View|Park|Green|Mews|Square|Sq|Rise|"
           r"Parade|Vale|Fold|Croft|Gate|Wharf|Yard)")
# A look-ahead for the character class every match starts with, in front of patterns with no
# literal first character: the regex engine gives up on other positions sooner (CAP_SEQ costs
# 40% less; the same matches, tested against the patterns without it).
ADDRESS = re.compile(
    r"(?=[\dFA])\b(?:(?:Flat|Apartment|Apt)\s+\w+,?\s+)?\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][a-z']+\s+){1,3}" + _STREET
    + r"\b\.?(?:,?\s+(?:[A-Z][a-z']+)(?:\s+[A-Z][a-z']+)?(?=,?\s+[A-Z]{1,2}\d))?"
)
BUSINESS = re.compile(
    r"\b((?:[A-Z][\w'&]*\s+(?:&\s+)?){1,4}(?:"
    + "|".join(s.title().replace(" ", r"\s+") for s in BUSINESS_SUFFIXES) + r"))\b"
)
# A business match ends in a suffix whose first word, title-cased, is in the text: a
# substring test per suffix is far cheaper than the pattern's scan of every capital.
_BUSINESS_WORDS = tuple(dict.fromkeys(s.split()[0].title() for s in BUSINESS_SUFFIXES))
# "Is any of these substrings in the text" as one search: the alternation of literals lets the
# regex engine skip to their first letters, a quarter of the cost of a test per word.
_ANY_BUSINESS_WORD = re.compile("|".join(map(re.escape, _BUSINESS_WORDS))).search
# Letters of Polish, Irish, French... names, not only ASCII: "Łukasz", "Zięcik", "Seán".
_UP = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0104\u0106\u0118\u0141\u0143\u015a\u0179\u017b\u0160\u017d\u010c"
_LO = "a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u017f"
_NAME_WORD = (r"(?:(?:Ma?c|O'?)?[" + _UP + r"][" + _LO + r"]+(?:[\-'](?:Ma?c|O'?)?[" + _UP + r"]?[" + _LO
              + r"]+)*|[A-Z]\.?)")
_NICK = r"""(?:['"\u2018\u201c][A-Za-z]+['"\u2019\u201d])"""
# Titles grouped by first letter, the word boundary asserted behind that letter: a pattern
# that starts with a literal lets the regex engine skip to candidate letters (same matches;
# titles sharing a letter keep their longest-first order).
_TITLE_GROUPS: dict[str, list[str]] = {}
for _t in sorted((t.capitalize() for t in TITLES), key=len, reverse=True):
    _TITLE_GROUPS.setdefault(_t[0], []).append(_t[1:])
_TITLE_RE = "|".join(f"{c}(?<!\\w{c})(?:{'|'.join(rest)})" for c, rest in _TITLE_GROUPS.items())
TITLED = re.compile(
    r"(?:" + _TITLE_RE + r")\.?\s+((?:" + _NAME_WORD + r"|" + _NICK + r")(?:\s+(?:" + _NAME_WORD
    + r"|" + _NICK + r")){0,3})"
)
_CAPS = r"[" + _UP + r"][" + _UP + r"'\-]{1,}"
_FORE = r"[" + _UP + r"][" + _LO + r"'\-]+"
_INITIAL = r"[A-Z]\.(?!\w)"
_UP_FIRST = r"(?=[" + _UP + r"])"  # see ADDRESS
SURNAME_COMMA = re.compile(_UP_FIRST + r"\b(" + _CAPS + r"),\s*(" + _FORE + r"(?:\s+" + _FORE + r")?|" + _INITIAL + r")")
CAPS_FIRST = re.compile(_UP_FIRST + r"\b([" + _UP + r"][" + _UP + r"'\-]{2,})\s+(" + _FORE + r"(?:\s+" + _FORE + r")?|"
                        + _INITIAL + r")")
CAPS_LAST = re.compile(_UP_FIRST + r"\b(" + _FORE + r"(?:\s+" + _FORE + r")?)\s+([" + _UP + r"][" + _UP + r"'\-]{2,})\b")
_CAPS_PAIR = re.compile(r"[" + _UP + r"][" + _UP + r"'\-]")  # a prefix of _CAPS, in each of the three
_CAPS_TRIPLE = re.compile(r"[" + _UP + r"][" + _UP + r"'\-]{2}").search  # in CAPS_FIRST and CAPS_LAST
_SPACE_CAPS_TRIPLE = re.compile(r"\s[" + _UP + r"][" + _UP + r"'\-]{2}").search  # in CAPS_LAST
# Month and day names are forenames too (June, May, April) right after a capitalised surname.
_FORENAME_OK = frozenset("january february march april may june july august september october "
                         "november december".split())
CAP_SEQ = re.compile(
    _UP_FIRST + r"(?:" + _NAME_WORD + r")(?:\s+(?:" + _NAME_WORD + r"|" + _NICK + r")){1,3}"
)

# Capitalised words that start sentences or name places and roles, never people.
STOPWORDS = frozenset("""
a an the he she they his her hers him them their our we i it its this that these those there
here and or but if on in at of to for by with from as is was were be been has have had not no
yes known nothing none unknown subject tenant tenants client owner resident occupant occupier
council housing police rspca nhs gp school team officer officers records record address dob
vrm tel mobile phone number email re please kind regards thanks thank date birth born aged age
flat house road street vehicle car van registered dog dogs cat we've i've they're she's he's
monday tuesday wednesday thursday friday saturday sunday january february march april may june
july august september october november december mother father son daughter brother sister partner
wife husband friend neighbour neighbours visitor associate our ref reference case also believed
reported noted seen checks check trace traces result results no-one nobody services ltd limited
""".split())


_FIRST_DIGIT = re.compile(r"\d").search
_MONTH_STEMS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ANY_MONTH_STEM = re.compile("|".join(_MONTH_STEMS)).search  # as _ANY_BUSINESS_WORD


def _sentence_bounds(text: str) -> list[int]:
    return [m.end() for m in re.finditer(r"[.!?;\n]\s", text)]


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    for s, e in taken:  # a plain loop: a generator in any() costs more than the test
        if start < e and s < end:
            return True
    return False


def extract_entities(text: str, ref: date | None = None) -> list[Entity]:
    """Every entity found in the text, each with its (start, end) span, in text order."""
    ref = ref or date.today()
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int, value: object) -> None:
        found.append(Entity(kind, text[start:end], start, end, value))
        taken.append((start, end))

    digit = _FIRST_DIGIT(text)
    if digit is None:
        # Every pattern below up to the business names needs a digit (a plate without one
        # is dropped): a text without digits holds none of those entities.
        _extract_words(text, add, taken)
        return _in_order(found)
    low = text.lower()
    # Patterns whose every match has a digit within a few characters of its start scan from
    # there (the boundary and look-behind assertions still see the characters before it).
    d0 = digit.start()
    # A pattern is only run when a literal it cannot match without is in the text: a
    # substring test costs a fraction of a regex scan, and most answers have no ISO date,
    # month name or age.
    date_rxs = [(dates.ISO, d0)] if "-" in text else []
    month = _ANY_MONTH_STEM(low)
    if month or "\u017f" in text:  # re.I folds a long s into s
        # A WORD_MDY match starts with its month, so at or after the first month stem; in an
        # ASCII text lower() keeps every position, so the scan can start there.
        date_rxs += [(dates.WORD_DMY, d0), (dates.WORD_MDY, month.start() if month and text.isascii() else 0)]
    date_rxs.append((dates.NUMERIC_DMY, d0))
    for rx, pos in date_rxs:
        for m in rx.finditer(text, pos):
            if _overlaps(m.start(), m.end(), taken):
                continue
            dob = dates.parse_dob(m.group(0), ref)
            if dob:
                add("dob", m.start(), m.end(), dob)
    for m in (dates.AGE.finditer(text) if ("age" in low or "old" in low) else ()):
        dob = dates.age_to_dob(int(m.group(1) or m.group(2)), ref)
        if dob and not _overlaps(m.start(), m.end(), taken):
            add("age", m.start(), m.end(), dob)
    for m in POSTCODE.finditer(text, max(0, d0 - 2)):  # area letters, then a digit
        pc = normalise_postcode(m.group(0))
        if pc and not _overlaps(m.start(), m.end(), taken):
            add("postcode", m.start(), m.end(), pc)
    for m in PHONE.finditer(text):
        phone = normalise_phone(m.group(0))
        if phone and not _overlaps(m.start(), m.end(), taken):
            add("phone", m.start(), m.end(), phone)
    for m in VRM.finditer(text, max(0, d0 - 4)):  # at most three letters and a space first
        if not _overlaps(m.start(), m.end(), taken) and any(c.isdigit() for c in m.group(0)):
            add("vrm", m.start(), m.end(), normalise_vrm(m.group(0)))
    # A look-alike plate is only kept with a digit in it (_loose_plate), and a match is at most
    # 8 characters: one starting 8 or more before the first digit has none. Every match starts
    # a word and none can start inside another (its second word is 3 characters, a match's
    # first needs 4), so a scan from there finds exactly the whole scan's later matches.
    for m in VRM_LOOSE.finditer(text, max(0, d0 - 7)):
        if not _overlaps(m.start(), m.end(), taken) and _loose_plate(m.group(0)):
            add("vrm", m.start(), m.end(), normalise_vrm(m.group(0)))
    # An address starts with its house number unless a flat or apartment comes first.
    for m in ADDRESS.finditer(text, 0 if ("Flat" in text or "Ap" in text) else d0):
        if not _overlaps(m.start(), m.end(), taken):
            add("address", m.start(), m.end(), m.group(0))
    _extract_words(text, add, taken)
    return _in_order(found)


def _in_order(found: list[Entity]) -> list[Entity]:
    found.sort(key=lambda e: e.start)
    return found


def _extract_words(text, add, taken) -> None:
    """Business names, then person names."""
    for m in (BUSINESS.finditer(text) if _ANY_BUSINESS_WORD(text) else ()):
        start = m.start(1)
        words = m.group(1).split()
        # Trim leading sentence words ("The", "At") so "At Smith Motors" -> "Smith Motors".
        while len(words) > 2 and words[0].lower() in STOPWORDS:
            start = text.index(words[1], start + len(words[0]))
            words = words[1:]
        if not _overlaps(start, m.end(1), taken):
            add("business", start, m.end(1), text[start:m.end(1)])
    _extract_names(text, add, taken)


def _extract_names(text, add, taken) -> None:
    def emit(start: int, end: int, name: PersonName) -> None:
        if name and name.surname and not _overlaps(start, end, taken):
            add("name", start, end, name)

    for m in TITLED.finditer(text):
        words = m.group(1).split()
        # "Mr Smith The tenant" -> stop at the first stop word.
        keep = []
        for w in words:
            if w.strip(".").lower() in STOPWORDS:
                break
            keep.append(w)
        if keep:
            end = m.start(1) + len(" ".join(keep))
            if _overlaps(m.start(), end, taken):
                continue
            segment = text[m.start(1):end]
            name = parse_name(segment)
            if len(keep) == 1:  # "Mr Smith": surname only
                name = PersonName((), name.surname or (name.forenames[0] if name.forenames else ""), name.nickname, segment)
            emit(m.start(), end, name)
    # All three need two capitals in a row, which most answers lack: one quick scan first.
    # Each pattern then scans from the first place its capitals can start (SURNAME_COMMA: a
    # pair; CAPS_FIRST: three), or not at all (CAPS_LAST: three after a space).
    pair = _CAPS_PAIR.search(text)
    caps_rxs = ()
    if pair:
        triple = _CAPS_TRIPLE(text, pair.start())
        caps_rxs = [(SURNAME_COMMA, True, pair.start())]
        if triple:
            caps_rxs.append((CAPS_FIRST, True, triple.start()))
            if _SPACE_CAPS_TRIPLE(text):
                caps_rxs.append((CAPS_LAST, False, 0))
    for rx, surname_first, pos in caps_rxs:
        for m in rx.finditer(text, pos):
            sur, fore = (m.group(1), m.group(2)) if surname_first else (m.group(2), m.group(1))
            f0 = fore.split()[0].strip(".").lower()
            if sur.lower() in STOPWORDS or (f0 in STOPWORDS and f0 not in _FORENAME_OK and len(f0) > 1):
                continue
            if len(sur) <= 3 and sur.isupper() and sur.lower() in {"dob", "vrm", "tel", "gp", "nhs", "uk"}:
                continue
            if not _overlaps(m.start(), m.end(), taken):  # before parsing: emit() would drop it
                emit(m.start(), m.end(), parse_name(f"{sur}, {fore}"))
    for m in CAP_SEQ.finditer(text):
        words = m.group(0).split()
        offset = m.start()
        # Split the run at stop words and keep runs of 2+ name words.
        run: list[tuple[int, str]] = []
        pos = offset
        runs = []
        for w in words:
            pos = text.index(w, pos)
            lw = w.strip(".").lower()
            if lw in STOPWORDS and not (len(w) == 2 and w.endswith(".")) and lw not in _FORENAME_OK:
                runs.append(run)
                run = []
            else:
                run.append((pos, w))
            pos += len(w)
        runs.append(run)
        for run in runs:
            if len(run) < 2:
                continue
            for _, w in run:
                if len(w.strip(".")) != 1:
                    break
            else:
                continue  # initials only
            start, end = run[0][0], run[-1][0] + len(run[-1][1])
            # A trailing initial ("John S.") is not a surname we can match on.
            if not _overlaps(start, end, taken):
                emit(start, end, parse_name(text[start:end]))


def mentions_from_text(text: str, ref: date | None = None) -> list[Mention]:
    """Group extracted entities into person mentions.

    DOBs, ages, phones, VRMs and businesses go to the nearest name (preceding names are
    preferred: "Gaz Smith (dob 3/4/85)"); addresses and postcodes are shared by every name
    in the answer, because partners describe households. Identifiers with no name at all
    form one name-less mention so a phone or plate can still be looked up.
    """
    entities = extract_entities(text, ref)
    names = [e for e in entities if e.kind == "name"]
    # Sentence ends only matter when an identifier has more than one name to go to.
    ends = [m.end() for m in _SENTENCE_END.finditer(text)] if len(names) > 1 else ()
    mentions = [Mention(name=e.value, span=(e.start, e.end), spans={"name": (e.start, e.end)}, source="text")
                for e in names]
    shared = [e for e in entities if e.kind in ("postcode", "address")]
    personal = [e for e in entities if e.kind in ("dob", "age", "phone", "vrm", "business")]
    if not mentions:
        if not (shared or personal):
            return []
        mentions = [Mention(source="text")]
    for e in personal:
        target = _nearest(mentions, names, e, ends)
        _attach(target, e)
    for m in mentions:
        for e in shared:
            _attach(m, e)
    return mentions


_SENTENCE_END = re.compile(r"[.!?;]\s")


def _nearest(mentions: list[Mention], names: list[Entity], e: Entity, ends=()) -> Mention:
    if not names:
        return mentions[0]
    best, best_d = 0, None
    for i, n in enumerate(names):
        # Following a name is the usual style; a name after the identifier costs double.
        d = e.start - n.end if n.end <= e.start else 2 * (n.start - e.end) + 1
        if n.start >= e.end and any(e.end <= x <= n.start for x in ends):
            d += 10_000  # a name in a later sentence ("Reported by neighbour ...") is not its owner
        if best_d is None or d < best_d:
            best, best_d = i, d
    return mentions[best]


def _attach(m: Mention, e: Entity) -> None:
    if e.kind in ("dob", "age"):
        # An exact DOB beats an age; the first exact one wins.
        if m.dob is None or (m.dob.exact is None and e.value.exact is not None):
            m.dob = e.value
            m.spans["dob"] = (e.start, e.end)
    elif e.kind == "postcode" and not m.postcode:
        m.postcode = e.value
        m.spans["postcode"] = (e.start, e.end)
    elif e.kind == "address" and not m.address:
        m.address = e.value
        m.spans["address"] = (e.start, e.end)
    elif e.kind == "phone":
        m.phones += (e.value,)
        m.spans.setdefault("phone", (e.start, e.end))
    elif e.kind == "vrm":
        m.vrms += (e.value,)
        m.spans.setdefault("vrm", (e.start, e.end))
    elif e.kind == "business":
        m.businesses += (e.value,)
        m.spans.setdefault("business", (e.start, e.end))


def mention_from_fields(name: str = "", dob: str = "", address: str = "", postcode: str = "",
                        vrm: str = "", phone: str = "", business: str = "",
                        ref: date | None = None) -> Mention:
    """A mention from structured subject fields (no spans: they were typed, not extracted)."""
    pc = normalise_postcode(postcode)
    if not pc and address:
        m = POSTCODE.search(address)
        pc = normalise_postcode(m.group(0)) if m else ""
    ph = normalise_phone(phone) if phone else ""
    v = normalise_vrm(vrm) if vrm else ""
    return Mention(
        name=parse_name(name) if name else None,
        dob=dates.parse_dob(str(dob), ref) if dob else None,
        postcode=pc,
        address=address or "",
        vrms=(v,) if v else (),
        phones=(ph,) if ph else (),
        businesses=(business,) if business else (),
        source="structured",
    )
