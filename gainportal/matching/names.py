"""Person-name normalisation: folding, parsing, nickname groups and phonetic keys.

Everything here is pure and cached, because the same few thousand name tokens recur
across hundreds of thousands of mentions in a re-match run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from anyascii import anyascii
from doublemetaphone import doublemetaphone
from nicknames import NickNamer

TITLES = frozenset(
    "mr mrs ms miss mx master dr doctor prof professor sir dame lady lord rev revd reverend "
    "cllr councillor sgt pc dc ds di insp".split()
)
SUFFIXES = frozenset("jr jnr junior sr snr senior ii iii iv esq phd bsc msc".split())
# Surname particles that belong to the surname ("de la Cruz", "van Dijk").
PARTICLES = frozenset("de da di del della la le van von der den du st".split())

# UK street nicknames the `nicknames` package (US-centred) lacks. Values are canonical
# forenames; a nickname may point at several.
UK_NICKNAMES: dict[str, tuple[str, ...]] = {
    "gaz": ("gary", "gareth"), "gazza": ("gary", "gareth"), "gal": ("gary",),
    "daz": ("darren", "darryl"), "dazza": ("darren",), "dazzer": ("darren",),
    "shaz": ("sharon",), "shazza": ("sharon",),
    "kel": ("kelly", "kelvin"), "kez": ("kerry", "kelly"), "kezza": ("kerry",),
    "tel": ("terry", "terence"), "tez": ("terry",), "tezza": ("terry",),
    "baz": ("barry",), "bazza": ("barry",),
    "macca": ("mcdonald", "mccartney", "michael"),
    "jonno": ("jonathan", "john"), "jono": ("jonathan", "john"),
    "stevie": ("steven", "stephen"), "steve": ("steven", "stephen"), "stevo": ("steven", "stephen"),
    "del": ("derek",), "dels": ("derek",), "delboy": ("derek",),
    "kate": ("catherine", "katherine", "kathryn"), "katie": ("catherine", "katherine"),
    "kath": ("catherine", "katherine"), "cath": ("catherine",), "cathy": ("catherine",),
    "kaz": ("karen",), "kazza": ("karen",), "caz": ("caroline", "carol"),
    "chaz": ("charles",), "chas": ("charles",), "chaz.": ("charles",),
    "bex": ("rebecca",), "becky": ("rebecca",), "becca": ("rebecca",),
    "jen": ("jennifer",), "jenny": ("jennifer",), "jess": ("jessica",),
    "mick": ("michael",), "micky": ("michael",), "mikey": ("michael",), "mike": ("michael",),
    "tone": ("anthony",), "tony": ("anthony",), "ant": ("anthony",),
    "dave": ("david",), "davey": ("david",), "dai": ("david",),
    "rob": ("robert",), "robbie": ("robert",), "bob": ("robert",), "bobby": ("robert",),
    "jim": ("james",), "jimmy": ("james",), "jamie": ("james",),
    "chris": ("christopher", "christine", "christina"), "kit": ("christopher",),
    "nick": ("nicholas",), "nicky": ("nicholas", "nicola"), "nikki": ("nicola",),
    "liz": ("elizabeth",), "lizzie": ("elizabeth",), "beth": ("elizabeth", "bethany"),
    "sam": ("samuel", "samantha"), "sammy": ("samuel", "samantha"),
    "tom": ("thomas",), "tommy": ("thomas",), "lee": ("leigh",),
    "wayne": ("dwayne",), "ste": ("steven", "stephen"), "scouse": (),
    "si": ("simon",), "pete": ("peter",), "andy": ("andrew",), "drew": ("andrew",),
    "matt": ("matthew",), "danny": ("daniel",), "dan": ("daniel",), "ben": ("benjamin",),
    "alf": ("alfred",), "alfie": ("alfred",), "ollie": ("oliver",), "charlie": ("charles", "charlotte"),
    "jack": ("john",), "johnny": ("john",), "jonny": ("jonathan", "john"),
    "paddy": ("patrick",), "pat": ("patrick", "patricia"), "rich": ("richard",), "rick": ("richard",),
    "ricky": ("richard",), "dick": ("richard",), "billy": ("william",), "bill": ("william",),
    "will": ("william",), "wills": ("william",), "len": ("leonard",), "lenny": ("leonard",),
    "reg": ("reginald",), "ron": ("ronald",), "ronnie": ("ronald",), "vic": ("victor", "victoria"),
    "vicky": ("victoria",), "jo": ("joanne", "joanna", "josephine"), "jojo": ("joanne",),
    "mandy": ("amanda",), "mand": ("amanda",), "sue": ("susan",), "suzy": ("susan",),
    "trish": ("patricia",), "tricia": ("patricia",), "deb": ("deborah",), "debbie": ("deborah",),
    "mo": ("mohammed", "maureen"), "mohammad": ("mohammed",), "muhammad": ("mohammed",),
}

_NICKNAMER = NickNamer()
_setattr = object.__setattr__  # what a frozen dataclass's __init__ stores its fields with
_NON_NAME = re.compile(r"[^a-z' \-]")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """ASCII, lower case, letters/space/hyphen/apostrophe only (Zoë -> zoe, Łukasz -> lukasz)."""
    if text.isascii() and text.isalpha():
        return text.lower()  # one plain word (most name tokens): nothing below would change it
    text = anyascii(text).lower().replace("`", "'").replace("\u2019", "'")
    return _SPACES.sub(" ", _NON_NAME.sub(" ", text)).strip()


@lru_cache(maxsize=200_000)
def name_token(token: str) -> str:
    """Comparison form of one name token: no apostrophes or hyphens (O'Neill -> oneill)."""
    return fold(token).replace("'", "").replace("-", "").replace(" ", "")


@lru_cache(maxsize=200_000)
def surname_variants(surname: str) -> tuple[str, ...]:
    """Whole surname first, then its parts: Smith-Jones -> (smithjones, smith, jones).

    Mac/Mc are treated as one prefix (MacDonald = McDonald) by adding the Mc spelling.
    """
    folded = fold(surname)
    parts = [name_token(p) for p in re.split(r"[\s\-]+", folded) if name_token(p)]
    parts = [p for p in parts if p not in PARTICLES] or parts
    whole = name_token(folded)
    out = [whole] + [p for p in parts if p != whole]
    for v in list(out):
        if v.startswith("mac") and len(v) > 5:
            out.append("mc" + v[3:])
    return tuple(dict.fromkeys(o for o in out if o))


@lru_cache(maxsize=200_000)
def nickname_group(forename: str) -> frozenset[str]:
    """The forename plus every canonical form it may stand for (Gaz -> {gaz, gary, gareth})."""
    name = name_token(forename)
    if not name:
        return frozenset()
    group = {name}
    group.update(_NICKNAMER.canonicals_of(name))
    group.update(UK_NICKNAMES.get(name, ()))
    return frozenset(g for g in group if g)


@lru_cache(maxsize=200_000)
def phonetic(token: str) -> tuple[str, ...]:
    """Double Metaphone codes of one token (primary, then secondary if different)."""
    token = name_token(token)
    if not token:
        return ()
    primary, secondary = doublemetaphone(token)
    return tuple(c for c in dict.fromkeys((primary, secondary)) if c)


@dataclass(frozen=True)
class PersonName:
    """A parsed person name in comparison form.

    forenames: folded tokens in order (may hold initials, e.g. "j").
    surname: folded whole surname (may be "" if only a forename was given).
    nickname: a quoted street name ("John 'Gaz' Smith" -> "gaz"), if any.
    """
    forenames: tuple[str, ...]
    surname: str
    nickname: str = ""
    raw: str = field(default="", compare=False)

    def __init__(self, forenames, surname, nickname="", raw=""):
        # The dataclass's own __init__ (the same four stores) would be generated code that
        # runs interpreted; this one Cython compiles. One PersonName per new mention name.
        _setattr(self, "forenames", forenames)
        _setattr(self, "surname", surname)
        _setattr(self, "nickname", nickname)
        _setattr(self, "raw", raw)

    @property
    def first(self) -> str:
        return self.forenames[0] if self.forenames else ""

    @property
    def first_is_initial(self) -> bool:
        return len(self.first) == 1

    def first_names(self) -> tuple[str, ...]:
        """Forename plus street nickname, the forms a partner may use for this person."""
        out = [self.first] if self.first else []
        if self.nickname:
            out.append(self.nickname)
        return tuple(out)

    def __bool__(self) -> bool:
        return bool(self.surname or self.forenames)


_QUOTED = re.compile(r"""["'\u2018\u2019\u201c\u201d(]\s*([A-Za-z\u00c0-\u024f][^"'\u2018\u2019\u201c\u201d()]{0,20}?)\s*["'\u2018\u2019\u201c\u201d)]""")


def _is_caps_word(word: str) -> bool:
    if word.isascii():
        # ASCII: no lower-case letter and at least one letter is exactly str.isupper().
        return word.isupper() and sum(map(str.isalpha, word)) > 1
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)


@lru_cache(maxsize=200_000)
def parse_name(text: str) -> PersonName:
    """Parse a free-form person name, UK conventions.

    Handles "SMITH, John", "SMITH John Paul" (police style: ALL-CAPS surname first),
    "John 'Gaz' Smith", "Mr J. Smith Jnr", "Smith-Jones", "O'Neill", "de la Cruz".
    """
    if not text or not text.strip():
        return PersonName((), "", "", text or "")
    if text.isascii():
        words = text.split()
        for w in words:
            if not w.isalpha() or w.isupper():
                break
            lw = w.lower()
            if lw in TITLES or lw in SUFFIXES:
                break
        else:
            # Plain words only ("John Paul Smith", most names a re-match sees): no quotes,
            # commas, initials, titles or capitalised surnames, so what follows reduces to
            # splitting the lower-cased words (tested against the general path).
            return _split_forenames_surname([w.lower() for w in words], "", text)
    return _parse_name_general(text)


def _parse_name_general(text: str) -> PersonName:
    raw = text
    nickname = ""
    quoted = _QUOTED.search(text)
    if quoted and quoted.start() > 0:
        nickname = name_token(quoted.group(1))
        text = text[: quoted.start()] + " " + text[quoted.end():]
    text = anyascii(text)

    if "," in text:
        # "SMITH, John" is surname first. A trailing suffix after a comma ("John Smith, Jnr") is not.
        head, _, tail = text.partition(",")
        tail_tokens = [t for t in re.split(r"[\s.]+", tail) if t]
        if tail_tokens and not all(fold(t) in SUFFIXES for t in tail_tokens):
            return _finish(_tokens(tail), _tokens(head), nickname, raw)
        text = head

    tokens = _tokens(text)
    words = text.split()
    if len(tokens) >= 2:
        named = [w for w in words if (f := fold(w)) and f not in TITLES]
        # "SMITH John": exactly the leading word(s) capitalised while the rest are not.
        caps = [_is_caps_word(w) for w in named] if named and _is_caps_word(named[0]) else ()
        if caps and not all(caps):
            n_caps = 0
            for c in caps:
                if not c:
                    break
                n_caps += 1
            return _finish(tokens[n_caps:], tokens[:n_caps], nickname, raw)
    return _split_forenames_surname(tokens, nickname, raw)


def _tokens(text: str) -> list[str]:
    """Folded tokens with titles and suffixes removed; initials "J." -> "j"."""
    out = []
    for piece in fold(text.replace(".", " ")).split():
        if piece in TITLES or piece in SUFFIXES:
            continue
        out.append(piece)
    return out


def _split_forenames_surname(tokens: list[str], nickname: str, raw: str) -> PersonName:
    if not tokens:
        return PersonName((), "", nickname, raw)
    if len(tokens) == 1:
        # A single word after a title ("Mr Smith") is a surname; alone it is ambiguous,
        # and a surname is the safer reading for matching.
        return PersonName((), tokens[0], nickname, raw)
    # Surname particles join the surname: "Maria de la Cruz".
    cut = len(tokens) - 1
    while cut > 1 and tokens[cut - 1] in PARTICLES:
        cut -= 1
    return _finish(tokens[:cut], tokens[cut:], nickname, raw)


def _finish(fore: list[str], sur: list[str], nickname: str, raw: str) -> PersonName:
    forenames = tuple([t for t in map(name_token, fore) if t])
    surname = " ".join(s for s in sur if s)
    return PersonName(forenames, surname, nickname, raw)


def surname_key(surname: str) -> str:
    """Whole-surname comparison key (hyphens, spaces, apostrophes removed)."""
    return surname_variants(surname)[0] if surname else ""
