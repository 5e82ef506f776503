"""The one access mechanism for items: ``can`` and ``visible_to`` agree, over a grid of role x
agency x clearance x classification; admins see nothing; ``load_or_404`` hides and audits."""
from __future__ import annotations

import contextlib
import itertools

import pytest
from flask import g
from sqlalchemy import func, select

from tests.conftest import app_db, sign_in
from gainportal.db import db_session
from gainportal.models import Agency, AgencyKind, AuditEvent, Classification, Clearance, Operation, Role, User
from gainportal.security import access
from gainportal.security.permissions import Action, can, load_or_404, operation_allows, visible, visible_to
from gainportal.services import indoctrination

# Written out by hand (DESIGN.md section 2), not derived from the code under test.
COVERS = {
    Clearance.BPSS: {Classification.OFFICIAL, Classification.OFFICIAL_SENSITIVE},
    Clearance.SC: {Classification.OFFICIAL, Classification.OFFICIAL_SENSITIVE, Classification.SECRET},
    Clearance.DV: set(Classification),
}
SEES_OPERATIONS = {Role.LRO, Role.ANALYST, Role.GAIN_COORDINATOR, Role.SUPERVISOR}
PLACES = ("owning_force", "other_force", "partner")


def signed_while_cleared(s, op, user, by) -> None:
    """Invite and sign as a DV-cleared person, then restore the user's own clearance: what a
    clearance lowered after signing leaves behind, which the visibility rules must still refuse."""
    own = user.clearance
    user.clearance = Clearance.DV
    indoctrination.invite(s, op, user, by)
    indoctrination.sign(s, op, user, typed_name=user.full_name, confirmed=True)
    user.clearance = own
    s.flush()


@pytest.fixture
def world(app):
    """Two forces and a partner; each force owns one operation of every classification."""
    with app_db(app) as s:
        agencies = {
            "owning_force": Agency(name="West Yorkshire Police", code="WYP", kind=AgencyKind.POLICE_FORCE),
            "other_force": Agency(name="Greater Manchester Police", code="GMP", kind=AgencyKind.POLICE_FORCE),
            "partner": Agency(name="Leeds City Council", code="LCC", kind=AgencyKind.COUNCIL),
        }
        s.add_all(agencies.values())
        s.flush()
        ops = []
        for force in ("owning_force", "other_force"):
            for n, classification in enumerate(Classification):
                ops.append(Operation(reference=f"{agencies[force].code}-{n}", name=f"Op {force} {n}",
                                     owning_agency_id=agencies[force].id, classification=classification))
        s.add_all(ops)
        s.flush()
        users = {}
        for n, (role, place, clearance) in enumerate(itertools.product(Role, PLACES, Clearance)):
            user = User(email=f"grid{n}@example.test", full_name=f"Grid {n}", agency_id=agencies[place].id,
                        role=role, clearance=clearance, password_hash="not-used")
            s.add(user)
            users[(role, place, clearance)] = user
        s.flush()
        # Everyone who could be indoctrinated has signed, so this grid isolates the other
        # rules; the unsigned cases are tested below and in the authorisation matrix.
        author = users[(Role.LRO, "owning_force", Clearance.DV)]
        for op in ops:
            s.refresh(op)
            indoctrination.publish_defaults(s, op, author)
            for user in users.values():
                if indoctrination.eligible(op, user):
                    signed_while_cleared(s, op, user, author)
        ids = {"agencies": {k: a.id for k, a in agencies.items()},
               "ops": {o.id: (o.owning_agency_id, o.classification) for o in ops},
               "users": {k: u.id for k, u in users.items()}}
    return ids


def expected_visible(world, role, place, clearance) -> set[int]:
    """Police roles see their own force's operations within their clearance; nobody else
    sees any (partners see only requests addressed to them, added by the cycle issue)."""
    if role not in SEES_OPERATIONS:
        return set()
    own = world["agencies"][place]
    return {op_id for op_id, (agency_id, cls) in world["ops"].items()
            if agency_id == own and cls in COVERS[clearance]}


@pytest.mark.parametrize("in_request", [False, True], ids=["app-context", "request"])
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_can_and_visible_to_agree_over_the_grid(app, world, role, in_request):
    # In a request the signatures are read once and the filters take them as values; outside
    # one (jobs, CLI) the filter is a subquery: both must give the same answers.
    with app_db(app) as s, (app.test_request_context() if in_request else contextlib.nullcontext()):
        ops = s.scalars(select(Operation)).all()
        assert len(ops) == 8
        for place, clearance in itertools.product(PLACES, Clearance):
            user = s.get(User, world["users"][(role, place, clearance)])
            expected = expected_visible(world, role, place, clearance)
            by_can = {op.id for op in ops if can(user, Action.VIEW, op)}
            # The rule on selected values (the cross-match queue) answers as can() does.
            by_values = {op.id for op in ops
                         if operation_allows(user, Action.VIEW, op.id, op.owning_agency_id, op.classification)}
            assert by_values == by_can, (role.value, place, clearance.value)
            listed = {op.id for op in s.scalars(visible(Operation, user))}
            counted = s.scalar(select(func.count()).select_from(Operation).where(visible_to(user, Operation)))
            # Filter before LIMIT: a page of one is still drawn only from what is visible.
            first = s.scalars(visible(Operation, user).order_by(Operation.id).limit(1)).all()
            case = (role.value, place, clearance.value)
            assert by_can == expected, case
            assert listed == expected, case
            assert counted == len(expected), case
            assert [o.id for o in first] == sorted(expected)[:1], case


def test_the_grid_is_not_vacuous(app, world):
    """Some combinations see everything their clearance allows, some see nothing."""
    assert len(expected_visible(world, Role.LRO, "owning_force", Clearance.DV)) == 4
    assert len(expected_visible(world, Role.LRO, "owning_force", Clearance.BPSS)) == 2
    assert len(expected_visible(world, Role.LRO, "owning_force", Clearance.SC)) == 3
    assert expected_visible(world, Role.LRO, "partner", Clearance.DV) == set()
    assert expected_visible(world, Role.PARTNER_SPOC, "owning_force", Clearance.DV) == set()
    assert not expected_visible(world, Role.LRO, "owning_force", Clearance.DV) & expected_visible(
        world, Role.LRO, "other_force", Clearance.DV)


def test_admin_sees_nothing_even_in_the_owning_force_with_dv(app, world):
    with app_db(app) as s:
        admin = s.get(User, world["users"][(Role.ADMIN, "owning_force", Clearance.DV)])
        assert s.scalars(visible(Operation, admin)).all() == []
        for op in s.scalars(select(Operation)):
            assert not any(can(admin, action, op) for action in Action)


def test_inactive_or_missing_user_sees_nothing(app, world):
    with app_db(app) as s:
        user = s.get(User, world["users"][(Role.LRO, "owning_force", Clearance.DV)])
        op = s.scalars(visible(Operation, user)).first()
        assert op is not None and can(user, Action.VIEW, op)
        user.active = False
        assert not can(user, Action.VIEW, op)
        assert not operation_allows(user, Action.VIEW, op.id, op.owning_agency_id, op.classification)
        assert s.scalars(visible(Operation, user)).all() == []
        assert not can(None, Action.VIEW, op)
        assert s.scalars(visible(Operation, None)).all() == []


def test_a_model_without_rules_is_invisible(app, world):
    with app_db(app) as s:
        user = s.get(User, world["users"][(Role.LRO, "owning_force", Clearance.DV)])
        other = s.get(User, world["users"][(Role.ANALYST, "owning_force", Clearance.DV)])
        assert not can(user, Action.VIEW, other)
        assert s.scalars(select(User).where(visible_to(user, User))).all() == []


def test_actions_follow_the_role(app, world):
    with app_db(app) as s:
        op = s.scalar(select(Operation).where(Operation.owning_agency_id == world["agencies"]["owning_force"],
                                              Operation.classification == Classification.OFFICIAL))
        coordinator = s.get(User, world["users"][(Role.GAIN_COORDINATOR, "owning_force", Clearance.DV)])
        analyst = s.get(User, world["users"][(Role.ANALYST, "owning_force", Clearance.DV)])
        lro = s.get(User, world["users"][(Role.LRO, "owning_force", Clearance.DV)])
        assert can(coordinator, Action.VIEW, op) and not can(coordinator, Action.EDIT, op)
        assert can(analyst, Action.GRADE, op) and not can(analyst, Action.EDIT, op)
        assert can(lro, Action.EDIT, op) and not can(lro, Action.GRADE, op)


@pytest.fixture
def item_route(app):
    def show_operation(op_id):
        op = load_or_404(Operation, op_id)
        return f"operation {op.reference}"
    app.add_url_rule("/test/operations/<op_id>", "test_operation", access.signed_in()(show_operation))
    return app


def test_load_or_404_hides_and_audits(item_route, make, world):
    app = item_route
    with app_db(app) as s:
        wyp = s.get(Agency, world["agencies"]["owning_force"])
        gmp = s.get(Agency, world["agencies"]["other_force"])
        secret_op = s.scalar(select(Operation).where(Operation.owning_agency_id == wyp.id,
                                                     Operation.classification == Classification.SECRET))
        wyp_id, secret_id, ref = wyp.id, secret_op.id, secret_op.reference
    insider = make.user(agency=wyp, role=Role.LRO, clearance=Clearance.SC)
    outsider = make.user(agency=gmp, role=Role.LRO, clearance=Clearance.DV)
    low = make.user(agency=wyp, role=Role.LRO, clearance=Clearance.BPSS)
    with app_db(app) as s:
        op = s.get(Operation, secret_id)
        for user in (insider, low):
            signed_while_cleared(s, op, s.get(User, user.id), None)

    client = app.test_client()
    sign_in(client, insider)
    response = client.get(f"/test/operations/{secret_id}")
    assert response.status_code == 200 and ref in response.get_data(as_text=True)

    for who in (outsider, low):
        client = app.test_client()
        sign_in(client, who)
        refused = client.get(f"/test/operations/{secret_id}")
        missing = client.get("/test/operations/999999")
        junk = client.get("/test/operations/abc")
        huge = client.get("/test/operations/99999999999999999999")
        for response in (refused, missing, junk, huge):
            assert response.status_code == 404
            assert ref not in response.get_data(as_text=True)
        # Refused and missing look the same to the user.
        assert refused.get_data(as_text=True).count("Page not found") == missing.get_data(as_text=True).count(
            "Page not found") >= 1

    with app_db(app) as s:
        refusals = s.scalars(select(AuditEvent).where(AuditEvent.action == "view_refused")).all()
        assert {(e.actor_user_id, e.object_type, e.object_id, e.outcome) for e in refusals} == {
            (outsider.id, "operation", str(secret_id), "denied"), (low.id, "operation", str(secret_id), "denied")}
        # The refusal is audited once, not again as a page view.
        views = s.scalars(select(AuditEvent).where(AuditEvent.action == "page_view",
                                                   AuditEvent.object_id == "test_operation")).all()
        assert all(e.actor_user_id not in (outsider.id, low.id) or "999999" in e.detail or "abc" in e.detail
                   for e in views)


def test_in_a_request_lists_and_item_checks_answer_from_the_same_signatures(app, world):
    """Read once per request: a revocation bites on the next request, for lists and single
    items alike (never one without the other within a page)."""
    def counted(s, user):
        return s.scalar(select(func.count()).select_from(Operation).where(visible_to(user, Operation)))

    user_id, op_id = world["users"][(Role.LRO, "owning_force", Clearance.DV)], next(iter(world["ops"]))
    with app.test_request_context():
        s = db_session()
        user, op = s.get(User, user_id), s.get(Operation, op_id)
        assert counted(s, user) == 4 and can(user, Action.VIEW, op)
        indoctrination.revoke(s, indoctrination.record_for(s, op.id, user), "Left the team", user)
        s.flush()
        assert counted(s, user) == 4 and can(user, Action.VIEW, op)
        s.commit()
    with app.test_request_context():
        s = db_session()
        user, op = s.get(User, user_id), s.get(Operation, op_id)
        assert counted(s, user) == 3 and not can(user, Action.VIEW, op)


def test_without_a_current_signature_nothing_is_visible(app, world):
    with app_db(app) as s:
        user = s.get(User, world["users"][(Role.LRO, "owning_force", Clearance.DV)])
        assert s.scalar(select(func.count()).select_from(Operation).where(visible_to(user, Operation))) == 4
        record = indoctrination.record_for(s, next(iter(world["ops"])), user)
        indoctrination.revoke(s, record, "Left the team", user)
        s.flush()
        assert s.scalar(select(func.count()).select_from(Operation).where(visible_to(user, Operation))) == 3
        assert not can(user, Action.VIEW, s.get(Operation, record.operation_id))
