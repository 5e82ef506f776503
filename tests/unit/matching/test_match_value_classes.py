"""The value classes whose __init__ is written out (so Cython compiles it instead of the
dataclass's generated one) keep their dataclass behaviour: field order, defaults, equality,
hashing, repr and frozenness; the two comparison views (extension types when compiled, see
score.pxd) compare, print and refuse hashing as the dataclasses they replaced did."""
import dataclasses
from datetime import date

import pytest

from gainportal.matching.dates import Dob
from gainportal.matching.extract import Entity
from gainportal.matching.matcher import MentionView
from gainportal.matching.names import PersonName


def test_person_name():
    a = PersonName(("john", "paul"), "smith", "gaz", "John 'Gaz' Paul Smith")
    assert (a.forenames, a.surname, a.nickname, a.raw) == (("john", "paul"), "smith", "gaz", "John 'Gaz' Paul Smith")
    b = PersonName(forenames=("john", "paul"), surname="smith", nickname="gaz")
    assert b.raw == "" and a == b and hash(a) == hash(b)  # raw is compare=False
    assert PersonName((), "smith").nickname == "" and PersonName((), "smith") != PersonName((), "smyth")
    assert [f.name for f in dataclasses.fields(PersonName)] == ["forenames", "surname", "nickname", "raw"]
    assert repr(b) == "PersonName(forenames=('john', 'paul'), surname='smith', nickname='gaz', raw='')"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.surname = "jones"
    assert not PersonName((), "") and a.first == "john" and a.first_names() == ("john", "gaz")


def test_dob():
    d = Dob(date(1985, 4, 3), 1985, 1985)
    assert d == Dob.from_date(date(1985, 4, 3)) and hash(d) == hash(Dob(exact=date(1985, 4, 3), year_lo=1985, year_hi=1985))
    assert d != Dob(None, 1985, 1985) and d.iso == "1985-04-03"
    assert repr(Dob(None, 1990, 1991)) == "Dob(exact=None, year_lo=1990, year_hi=1991)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.year_lo = 1


def test_entity():
    e = Entity("name", "John Smith", 3, 13, PersonName(("john",), "smith"))
    assert e == Entity(kind="name", text="John Smith", start=3, end=13, value=PersonName(("john",), "smith"))
    assert hash(e) == hash(Entity("name", "John Smith", 3, 13, PersonName(("john",), "smith")))
    assert [f.name for f in dataclasses.fields(Entity)] == ["kind", "text", "start", "end", "value"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.start = 0


def test_mention_view():
    v = MentionView(([("john", "smith")], None), None, "19850403", "", "LS6 2AB", "14acacia", frozenset(),
                    frozenset(), frozenset(), frozenset())
    assert v.sur_bits is None and v.dob_near == frozenset() and v.postcode == "LS6 2AB"
    v.sur_bits = 6.5  # set by the matcher after the view is made
    w = MentionView(pairs=([("john", "smith")], None), dob=None, dob_s="19850403", dob_sw="", postcode="LS6 2AB",
                    address_key="14acacia", vrms=frozenset(), vrm_keys=frozenset(), phones=frozenset(),
                    businesses=frozenset(), sur_bits=6.5)
    assert v == w and not hasattr(v, "__dict__")
    w.dob_near = frozenset({"19850403"})
    assert v != w and v != "MentionView"
    assert MentionView.__slots__[10:12] == ("sur_bits", "dob_near")
    assert repr(v).startswith("MentionView(pairs=([('john', 'smith')], None), dob=None, dob_s='19850403', ")
    assert repr(v).endswith("sur_bits=6.5, dob_near=frozenset())")
    with pytest.raises(TypeError):
        hash(v)  # as the mutable dataclass it replaced


def test_nominal_view():
    from gainportal.matching.index import CandidateIndex, NominalView
    from gainportal.matching.records import NominalRecord

    rec = NominalRecord("N1", "Gary", "Smith", aliases=("Gaz",), dob="1985-04-03", postcode="LS6 2AB")
    a, b = CandidateIndex([rec]).views[0], CandidateIndex([rec]).views[0]
    assert isinstance(a, NominalView) and a == b and a is not b
    assert (a.nominal_id, a.names, a.dob_s, a.postcode) == ("N1", (("gary", "smith"), ("gaz", "smith")), "19850403",
                                                            "LS6 2AB")
    assert a.bits and len(a.bits) == 2  # the register weights, set by the index build
    c = NominalView(a.nominal_id, a.names, a.dob, a.dob_s, a.postcode, a.address_key, a.vrms, a.vrm_keys,
                    a.phones, a.businesses, a.record)
    assert c.bits == () and c != a
    c.bits = a.bits
    assert c == a and repr(c) == repr(a) and repr(a).startswith("NominalView(nominal_id='N1', names=((")
    assert not hasattr(a, "__dict__") and NominalView.__slots__[0] == "nominal_id"


def test_views_carry_the_postcode_parts_the_levels_compare():
    from gainportal.matching.index import NominalView

    for pc, sector, district in (("LS6 2AB", "LS6 2", "LS6"), ("M1 1AE", "M1 1", "M1"), ("", "", ""), ("B4", "", "B4")):
        v = NominalView("N1", (("john", "smith"),), None, "", pc, "", frozenset(), frozenset(), frozenset(),
                        frozenset(), None)
        m = MentionView(([("john", "smith")], None), None, "", "", pc, "", frozenset(), frozenset(), frozenset(),
                        frozenset())
        for x in (v, m):
            assert (x.sector, x.district) == ((pc[:-2], pc.split(" ")[0]) if pc else ("", ""))
            assert (x.sector, x.district) == (sector, district)
    assert "sector" not in repr(v) and "district" not in repr(m)


def test_mention_and_candidate_inits_are_the_dataclass_ones():
    from gainportal.matching.records import Candidate, Mention

    a, b = Mention(), Mention()
    assert a == b and a.spans == {} and a.spans is not b.spans  # a fresh dict each, as default_factory
    assert (a.name, a.dob, a.postcode, a.address, a.vrms, a.phones, a.businesses, a.span, a.source) == (
        None, None, "", "", (), (), (), None, "structured")
    assert Mention(spans=None).spans is None  # an explicit value is kept, None included
    m = Mention(PersonName((), "smith"), None, "LS6 2AB", "14 Acacia Road", ("AB12CDE",), (), (), (0, 5),
                {"name": (0, 5)}, "text")
    assert m == Mention(name=PersonName((), "smith"), postcode="LS6 2AB", address="14 Acacia Road",
                        vrms=("AB12CDE",), span=(0, 5), spans={"name": (0, 5)}, source="text")
    assert [f.name for f in dataclasses.fields(Mention)] == [
        "name", "dob", "postcode", "address", "vrms", "phones", "businesses", "span", "spans", "source"]
    assert repr(Mention()) == ("Mention(name=None, dob=None, postcode='', address='', vrms=(), phones=(), "
                               "businesses=(), span=None, spans={}, source='structured')")
    c = Candidate("N1", 20.5, "strong", {"dob": "exact"})
    assert (c.relationship, c.span) == ("self", None)
    assert c == Candidate(nominal_id="N1", score=20.5, tier="strong", features={"dob": "exact"}, relationship="self")
    assert [f.name for f in dataclasses.fields(Candidate)] == [
        "nominal_id", "score", "tier", "features", "relationship", "span"]
    assert c.as_dict() == {"nominal_id": "N1", "score": 20.5, "tier": "strong", "features": {"dob": "exact"}}
