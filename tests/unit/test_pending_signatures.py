"""The "agreements to sign" banner lists exactly the register entries without a current
signature: not yet signed, or signed to a version since replaced; never current or revoked."""
from __future__ import annotations

from gainportal.db import db_session
from gainportal.models import AgencyKind, Classification, Role, User
from gainportal.security.permissions import signed_operation_ids
from gainportal.services import indoctrination, operations


def test_pending_for_lists_unsigned_and_superseded_only(app, make):
    force = make.agency(AgencyKind.POLICE_FORCE)
    lro = make.user(agency=force, role=Role.LRO)
    analyst = make.user(agency=force, role=Role.ANALYST)
    newcomer = make.user(agency=force, role=Role.ANALYST)
    with app.app_context():
        s = db_session()
        by, who = s.get(User, lro.id), s.get(User, analyst.id)
        ops = [operations.create_operation(s, name=f"Operation {n}", agency=s.get(type(by.agency), force.id), lro=by,
                                           tier=3, ocgm_band=None, p_band=None,
                                           classification=Classification.OFFICIAL_SENSITIVE, summary=None, by=by)
               for n in ("Signed", "Unsigned", "Revoked", "Replaced")]
        for op in ops:
            indoctrination.invite(s, op, who, by)
        signed, unsigned, revoked, replaced = ops
        for op in (signed, revoked, replaced):
            indoctrination.sign(s, op, who, typed_name=who.full_name, confirmed=True)
        indoctrination.revoke(s, indoctrination.record_for(s, revoked.id, who), "Left the team", by)
        indoctrination.publish(s, replaced, "police", "Version 2 of the agreement", by)
        s.commit()
        pending = indoctrination.pending_for(s, who)
        assert pending == sorted([unsigned.id, replaced.id])
        for op in ops:
            indoctrination.invite(s, op, s.get(User, newcomer.id), by)
        s.commit()
        expected = {who.id: sorted([unsigned.id, replaced.id]), newcomer.id: sorted(op.id for op in ops)}
    # The dashboard's form: given the request's signed set (none signed for the newcomer).
    for user_id, operation_ids in expected.items():
        with app.test_request_context():
            s = db_session()
            person = s.get(User, user_id)
            assert indoctrination.pending_for(s, person, signed_operation_ids(person)) == operation_ids


def test_invite_refuses_someone_not_cleared_for_the_operation(app, make):
    import pytest

    from gainportal.models import Clearance
    from gainportal.models.indoctrination import Indoctrination
    from gainportal.services.errors import WorkflowError

    force = make.agency(AgencyKind.POLICE_FORCE)
    lro = make.user(agency=force, role=Role.LRO, clearance=Clearance.DV)
    sc_analyst = make.user(agency=force, role=Role.ANALYST, clearance=Clearance.SC)
    dv_analyst = make.user(agency=force, role=Role.ANALYST, clearance=Clearance.DV)
    with app.app_context():
        s = db_session()
        by = s.get(User, lro.id)
        op = operations.create_operation(s, name="Operation Heron", agency=s.get(type(by.agency), force.id), lro=by,
                                         tier=1, ocgm_band=None, p_band=None,
                                         classification=Classification.TOP_SECRET, summary=None, by=by)
        with pytest.raises(WorkflowError, match="not cleared for TOP SECRET"):
            indoctrination.invite(s, op, s.get(User, sc_analyst.id), by)
        assert indoctrination.invite(s, op, s.get(User, dv_analyst.id), by) is not None
        s.commit()
        invited = {r.user_id for r in s.query(Indoctrination).filter_by(operation_id=op.id)}
        assert sc_analyst.id not in invited and dv_analyst.id in invited
