"""Family links and OCG links in the service layer: one row per tie whichever way it is
entered, "child of" stored as the parent link, no self-links, reasons required; generations
of the family tree from parent links, level for partners and siblings."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import Nominal, Operation, User
from gainportal.models.association import LinkKind, NominalAssociation, OperationLinkKind
from gainportal.services import associations, nominal_register
from gainportal.services.errors import WorkflowError
from gainportal.services.products import _generations, _place
from tests.cycle_factories import Cycle


@pytest.fixture
def people(app, make):
    cycle = Cycle(app, make)
    with app.app_context():
        s = db_session()
        made = [nominal_register.save(s, Nominal(reference=f"U-{i}"), {"forenames": f"P{i}", "surname": "Test"}, None).id
                for i in range(5)]
        s.commit()
    return cycle, made


def _get(s, ids):
    return [s.get(Nominal, i) for i in ids]


def test_one_row_per_tie_whichever_way_round(app, people):
    cycle, ids = people
    with app.app_context():
        s = db_session()
        lro = s.get(User, cycle.lro.id)
        a, b, c = _get(s, ids[:3])
        sibling = associations.record_link(s, b, a, "sibling", by=lro, rationale="r")
        assert (sibling.nominal_id, sibling.other_id) == (min(a.id, b.id), max(a.id, b.id))
        with pytest.raises(WorkflowError, match="already recorded"):
            associations.record_link(s, a, b, "sibling", by=lro, rationale="r")
        child = associations.record_link(s, c, a, "child", by=lro, rationale="r")  # c is a's child
        assert child.kind is LinkKind.PARENT and (child.nominal_id, child.other_id) == (a.id, c.id)
        with pytest.raises(WorkflowError, match="already recorded"):
            associations.record_link(s, a, c, "parent", by=lro, rationale="r")
        with pytest.raises(WorkflowError, match="already recorded"):
            associations.record_link(s, c, a, "parent", by=lro, rationale="r")  # the same tie, reversed
        assert associations.relation_label(child, a.id) == "Parent of"
        assert associations.relation_label(child, c.id) == "Child of"
        # Another kind between the same pair is a separate tie.
        associations.record_link(s, a, b, "business_partner", by=lro, rationale="r")
        for bad, message in (((a, a, "sibling", "r"), "two different"), ((a, b, "nephew", "r"), "how they are linked"),
                             ((a, c, "cousin", "  "), "why")):
            with pytest.raises(WorkflowError, match=message):
                associations.record_link(s, bad[0], bad[1], bad[2], by=lro, rationale=bad[3])
        assert len(s.scalars(select(NominalAssociation)).all()) == 3


def test_ocg_links_are_stored_once_and_need_a_note(app, people, make):
    cycle, _ = people
    with app.app_context():
        s = db_session()
        lro = s.get(User, cycle.lro.id)
        op = s.get(Operation, cycle.operation_id)
        from gainportal.models import Classification
        from gainportal.services import operations
        other = operations.create_operation(s, name="Operation Rook", agency=op.owning_agency, lro=lro, tier=3,
                                            ocgm_band="3C", p_band=None, classification=Classification.OFFICIAL,
                                            summary="x", by=lro)
        with pytest.raises(WorkflowError, match="note"):
            associations.record_ocg_link(s, op, other, OperationLinkKind.RIVAL, by=lro, note="")
        link = associations.record_ocg_link(s, other, op, OperationLinkKind.RIVAL, by=lro, note="Feud")
        assert (link.operation_id, link.other_id) == (min(op.id, other.id), max(op.id, other.id))
        assert link.other_end(op.id).id == other.id
        with pytest.raises(WorkflowError, match="already recorded"):
            associations.record_ocg_link(s, op, other, OperationLinkKind.RIVAL, by=lro, note="Again")
        with pytest.raises(WorkflowError, match="another operation"):
            associations.record_ocg_link(s, op, op, OperationLinkKind.LINKED, by=lro, note="Self")
        associations.record_ocg_link(s, op, other, OperationLinkKind.LINKED, by=lro, note="Also trade")


class _Link:
    def __init__(self, a, b, kind):
        self.nominal_id, self.other_id, self.kind = a, b, kind


def test_generations_follow_parent_links_and_keep_partners_level():
    P, S, R, O = LinkKind.PARENT, LinkKind.SIBLING, LinkKind.PARTNER, LinkKind.OTHER_RELATIVE
    # 1 is parent of 2 and 3; 4 is 2's partner; 5 is the child of 2 and 4; 6 an aunt of unknown level.
    links = [_Link(1, 2, P), _Link(1, 3, P), _Link(2, 3, S), _Link(2, 4, R), _Link(2, 5, P), _Link(4, 5, P),
             _Link(6, 5, O)]
    people = [5, 6, 4, 3, 2, 1]
    gen = _generations(people, links)
    assert gen[1] == 0 and gen[2] == gen[3] == gen[4] == 1 and gen[5] == 2
    assert gen[6] == 0  # placed on its own: "other relative" says nothing about level
    xy = _place(people, links, gen)
    assert {xy[p][1] for p in (2, 3, 4)} == {150} and xy[5][1] == 300 and xy[1][1] == 0
    row = sorted((2, 3, 4), key=lambda p: xy[p][0])
    assert abs(row.index(2) - row.index(4)) == 1  # partners side by side
    assert len({xy[p] for p in people}) == len(people)  # nobody drawn on top of anyone else


def test_an_operation_past_retention_takes_its_ocg_link_notes_with_it(app, people):
    from gainportal.models import Classification
    from gainportal.services import operations, retention

    cycle, _ = people
    with app.app_context():
        s = db_session()
        lro = s.get(User, cycle.lro.id)
        op = s.get(Operation, cycle.operation_id)
        other = operations.create_operation(s, name="Operation Rook", agency=op.owning_agency, lro=lro, tier=3,
                                            ocgm_band="3C", p_band=None, classification=Classification.OFFICIAL,
                                            summary="x", by=lro)
        link = associations.record_ocg_link(s, other, op, OperationLinkKind.RIVAL, by=lro, note="Feud note")
        s.commit()
        retention.shred(s, op)
        s.commit()
        s.expire_all()
        link = s.get(type(link), link.id)
        assert link.note_sealed is None and link.data_key.wrapped is None
