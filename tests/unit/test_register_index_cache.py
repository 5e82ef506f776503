"""The per-process candidate index follows the register: an edited nominal is matched on its
new details, a new link is seen, and the index is not rebuilt when nothing changed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import Nominal, NominalLink, NominalRole
from gainportal.services import answer_matching, nominal_register
from tests.cycle_factories import Cycle


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _ids(candidates) -> set[str]:
    return {c.nominal_id for c in candidates if c.tier == "strong"}


def _on_register(s, cycle, reference: str, details: dict) -> Nominal:
    """A nominal saved through the register and linked to the cycle's operation (flushed)."""
    n = nominal_register.save(s, Nominal(reference=reference), details, None)
    s.add(NominalLink(operation_id=cycle.operation_id, nominal_id=n.id, role=NominalRole.PRINCIPAL))
    s.flush()
    return n


def test_an_edited_nominal_is_matched_on_its_new_details(app, cycle):
    answer_matching.forget()
    with app.app_context():
        s = db_session()
        n = _on_register(s, cycle, "N-EDIT", {
            "forenames": "Warren", "surname": "Pickersgill", "dob": "1979-06-02", "postcode": "LS6 2AB"})
        s.commit()
        engine, _ = answer_matching.matcher(s)
        assert str(n.id) in _ids(engine.match_fields(name="Warren Pickersgill", dob="02/06/1979"))
        built = engine

        assert answer_matching.matcher(s)[0] is built  # nothing changed: no rebuild

        nominal = s.scalar(select(Nominal).where(Nominal.reference == "N-EDIT"))
        nominal_register.save(s, nominal, {"forenames": "Warren", "surname": "Haverstock", "dob": "1979-06-02",
                                           "postcode": "LS6 2AB"}, None)
        s.commit()
        engine, _ = answer_matching.matcher(s)
        assert engine is not built
        assert str(n.id) in _ids(engine.match_fields(name="Warren Haverstock", dob="02/06/1979"))
        assert str(n.id) not in _ids(engine.match_fields(name="Warren Pickersgill", dob="02/06/1979"))
    answer_matching.forget()


def test_warming_builds_everything_the_first_match_would(app, cycle):
    answer_matching.forget()
    with app.app_context():
        s = db_session()
        n = _on_register(s, cycle, "N-WARM", {
            "forenames": "Idris", "surname": "Blackwood", "dob": "1984-11-30", "postcode": "LS9 8QT"})
        s.commit()
    assert answer_matching.warm(app) >= 1
    with app.app_context():
        engine, _ = answer_matching.matcher(db_session())
        # The DOB filter's tables exist before any answer is matched.
        assert engine.index.dob_wild is not None
        assert str(n.id) in _ids(engine.match_fields(name="Idris Blackwood", dob="30/11/1984"))


def test_a_shredded_nominal_is_left_out_and_the_rest_still_match(app, cycle):
    answer_matching.forget()
    with app.app_context():
        s = db_session()
        kept, shredded = (_on_register(s, cycle, ref, {
            "forenames": first, "surname": "Oyelaran", "dob": dob, "postcode": "LS7 4HJ"})
            for ref, first, dob in (("N-KEPT", "Tobias", "1990-01-17"), ("N-GONE", "Marcus", "1987-05-09")))
        shredded.data_key.wrapped = None  # as the retention run leaves it
        s.commit()
        records, operation_of = answer_matching._records(s)
        assert str(kept.id) in operation_of and str(shredded.id) not in operation_of
        assert {r.nominal_id for r in records} == set(operation_of)
        engine, _ = answer_matching.matcher(s)
        assert str(kept.id) in _ids(engine.match_fields(name="Tobias Oyelaran", dob="17/01/1990"))
        assert not _ids(engine.match_fields(name="Marcus Oyelaran", dob="09/05/1987")) & {str(shredded.id)}
