"""Authorisation matrix (issue 5): every role x agency relation x indoctrination state x
clearance x classification x handling x action over every item type, checked against an
oracle written by hand from DESIGN.md section 3 (tests/security/authz_world.py), through
``can`` for single items and through ``visible_to`` in a list, a COUNT and a LIMIT 1 search.
Then a sample over HTTP (single-item routes, dashboards and lists), and revocation and new
agreement versions cutting access on the very next request of a signed-in client."""
from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from gainportal.db import db_session, utcnow
from gainportal.models import Clearance, Heading, InformationRequest, Operation, RequestQuestion, Role
from gainportal.models.indoctrination import Indoctrination, IndoctrinationAgreement
from gainportal.security.permissions import Action, can, visible_to
from gainportal.services import indoctrination
from gainportal.views.partner import PAGE_SIZE
from tests.conftest import app_db, sign_in
from tests.cycle_factories import Cycle
from tests.security.authz_world import (
    ACTIONS, ADDRESSEE, CURRENT, EXPIRED, LISTING, NONE, OLD_VERSION, OTHER_FORCE, OTHER_PARTNER, OWNER_FORCE,
    REVOKED, SINGLE, UserSpec, build_world, expected, load,
)

# 420 users x 98 items x 9 actions = 370,440 today; the floor stops the matrix shrinking silently.
MATRIX_FLOOR = 360_000


def _search_filter(model, outer):
    """What a search box would match: the reference where the model stores one, else the id."""
    if "reference" in model.__table__.c:
        return model.reference == outer.reference
    return model.id == outer.id


def test_authorisation_matrix(app, backend):
    started = time.perf_counter()
    with app_db(app) as s:
        world = build_world(s)
    built = time.perf_counter() - started
    checked = 0
    wrong: list[str] = []
    with app.test_request_context("/"):
        s = db_session()
        users, rows = load(s, world)
        models = {}
        for item in world.items:
            models.setdefault(item.model, []).append(item)

        def record(u: UserSpec, item, action: str, got: bool) -> None:
            nonlocal checked
            checked += 1
            want = expected(u, item, action)
            if got != want:
                kind = "LEAK" if got else "over-strict"
                wrong.append(f"{kind}: {action} {item.type} {item.label} (op {item.op_cls.value}, item "
                             f"{item.cls.value}, handling {item.handling}) by {u.role.value} / {u.relation} / "
                             f"{u.clearance.value} / {u.indoc}: got {got}, expected {want}")

        for u in world.users:
            user = users[u.id]
            for model, items in models.items():
                predicate = visible_to(user, model)
                want_ids = sorted(i.id for i in items if expected(u, i, "list"))
                # List: the rows of select(Model).where(visible_to(...)).
                listed = set(s.scalars(select(model.id).where(predicate)))
                # One more round trip for the rest: per item (the outer row) a COUNT and a
                # search (by reference where the item has one) with LIMIT 1 applied after the
                # predicate; and on every row the COUNT of all and the first row under LIMIT 1.
                outer = aliased(model)
                result = s.execute(select(
                    outer.id,
                    select(func.count()).select_from(model).where(predicate, model.id == outer.id).scalar_subquery(),
                    select(model.id).where(predicate, _search_filter(model, outer)).order_by(model.id).limit(1)
                    .scalar_subquery(),
                    select(func.count()).select_from(model).where(predicate).scalar_subquery(),
                    select(model.id).where(predicate).order_by(model.id).limit(1).scalar_subquery())).all()
                per_item = {row_id: (n, found) for row_id, n, found, _total, _first in result}
                total, first = result[0][3:]
                if total != len(want_ids):
                    wrong.append(f"COUNT of {model.__name__} for {u}: {total}, expected {len(want_ids)}")
                if first != (want_ids[0] if want_ids else None):
                    wrong.append(f"LIMIT 1 of {model.__name__} for {u}: {first}, expected "
                                 f"{want_ids[0] if want_ids else None}")
                for item in items:
                    row = rows[(model, item.id)]
                    n, found = per_item[item.id]
                    record(u, item, "list", item.id in listed)
                    record(u, item, "count", n == 1)
                    record(u, item, "search", found == item.id)
                    if item.type in ("operation", "requirement", "request"):
                        # The single-item rule agrees with the list rule.
                        if can(user, Action.LIST, row) != expected(u, item, "list"):
                            wrong.append(f"can(list) disagrees with the oracle: {item.type} {item.label} for {u}")
                    for action in SINGLE:
                        record(u, item, action, can(user, Action(action), row))
    elapsed = time.perf_counter() - started
    combinations = {(i.type, i.cls, i.handling[0], tuple(sorted(i.handling[1]))) for i in world.items}
    print(f"\nauthorisation matrix [{backend}]: {checked} combinations checked "
          f"({len(world.users)} users x {len(world.items)} items ({len(combinations)} type/classification/handling "
          f"kinds) x {len(ACTIONS)} actions), {sum(w.startswith('LEAK') for w in wrong)} leaks, "
          f"{len(wrong)} disagreements; world built in {built:.1f}s, total {elapsed:.1f}s")
    kinds: dict[str, int] = {}
    for w in wrong:
        key = " ".join(w.split(" ")[:3]) if w.startswith(("LEAK", "over")) else w.split(" for ")[0]
        kinds[key] = kinds.get(key, 0) + 1
    assert not wrong, (f"{len(wrong)} disagreements with the oracle; by kind:\n"
                       + "\n".join(f"{n:6} {k}" for k, n in sorted(kinds.items()))
                       + "\nfirst 40:\n" + "\n".join(wrong[:40]))
    assert checked >= MATRIX_FLOOR, f"the matrix shrank to {checked} combinations"


# --- HTTP sample ------------------------------------------------------------------------------
SAMPLE = [  # (role, relation, clearance, indoctrination)
    (Role.LRO, OWNER_FORCE, Clearance.SC, CURRENT),
    (Role.ANALYST, OWNER_FORCE, Clearance.DV, CURRENT),
    (Role.GAIN_COORDINATOR, OWNER_FORCE, Clearance.BPSS, CURRENT),
    (Role.SUPERVISOR, OWNER_FORCE, Clearance.DV, EXPIRED),
    (Role.ANALYST, OWNER_FORCE, Clearance.DV, REVOKED),
    (Role.LRO, OTHER_FORCE, Clearance.DV, CURRENT),
    (Role.PARTNER_SPOC, ADDRESSEE, Clearance.BPSS, CURRENT),
    (Role.PARTNER_SPOC, ADDRESSEE, Clearance.SC, NONE),
    (Role.PARTNER_SPOC, ADDRESSEE, Clearance.DV, OLD_VERSION),
    (Role.PARTNER_USER, ADDRESSEE, Clearance.SC, CURRENT),
    (Role.PARTNER_SPOC, OTHER_PARTNER, Clearance.DV, CURRENT),
    (Role.ADMIN, OWNER_FORCE, Clearance.DV, CURRENT),
]
POLICE_ROUTES = {"operation": "/operations/{}", "requirement": "/requirements/{}", "request": "/requests/{}",
                 "export": "/exports/{}", "briefing": "/briefings/{}"}
PARTNER_ROUTES = {"request": "/partner/requests/{}", "consent": "/partner/consents/{}"}
ROUTE_ROLES = {"/exports/{}": {Role.LRO, Role.SUPERVISOR, Role.ANALYST}, "/partner/consents/{}": {Role.PARTNER_SPOC}}


def _add_sample_users(app, make, world):
    """Real accounts (password and second factor) for the sample, put on the register in the
    state each needs, and given a question on every request that assigns any."""
    people = []
    with app_db(app) as s:
        agreements = {(a.operation_id, a.audience, a.version): a.id for a in s.scalars(select(IndoctrinationAgreement))}
    for role, relation, clearance, indoc in SAMPLE:
        user = make.user(agency=SimpleNamespace(id=world.agencies[relation]), role=role, clearance=clearance)
        people.append((UserSpec(role, relation, clearance, indoc, user.id), user))
        with app_db(app) as s:
            audience = "partner" if role.is_partner else "police"
            now = utcnow()
            for op_id in world.operation_ids.values():
                if indoc == NONE:
                    continue
                rec = Indoctrination(operation_id=op_id, user_id=user.id, signed_at=now,
                                     agreement_id=agreements[(op_id, audience, 1 if indoc == OLD_VERSION else 2)],
                                     expires_at=now + timedelta(days=-1 if indoc == EXPIRED else 30))
                if indoc == REVOKED:
                    rec.revoked_at, rec.revoked_by_id, rec.revocation_reason = now, world.builder_id, "sample"
                s.add(rec)
            if role is Role.PARTNER_USER:
                for item in world.items:
                    if item.type in ("request", "response") and item.assigned_user_ids:
                        item.assigned_user_ids = item.assigned_user_ids | {user.id}
                        if item.type == "request":
                            question = RequestQuestion(request_id=item.id, position=900 + user.id,
                                                       heading=Heading.BEHAVIOUR, assigned_to_id=user.id)
                            s.add(question)
                            s.flush()
                            question.text = "Have you had complaints about noise?"
    return people


def _expected_status(u: UserSpec, item) -> tuple[int, bool]:
    """(status, allowed): 200 where the oracle allows; where the only thing missing is a
    current signature and the person is on the register, a redirect to sign; else 404."""
    if expected(u, item, "view" if item.type != "export" else "export"):
        return 200, True
    # A consent request has no operation_id of its own (it hangs off the export), so
    # load_or_404 cannot offer the signing page and answers a plain 404: stricter, no leak.
    if u.indoc in (EXPIRED, OLD_VERSION) and item.type != "consent":
        as_current = UserSpec(u.role, u.relation, u.clearance, CURRENT, u.id)
        if expected(as_current, item, "view" if item.type != "export" else "export"):
            return 302, False
    return 404, False


def test_http_sample_single_items_dashboards_and_lists(app, make):
    with app_db(app) as s:
        world = build_world(s)
    people = _add_sample_users(app, make, world)
    checked = 0
    for n, (spec, user) in enumerate(people):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.77.0.{n + 1}"  # one address each: sign-in rate limits
        sign_in(client, user)
        for item in world.items:
            routes = PARTNER_ROUTES if spec.role.is_partner else POLICE_ROUTES
            route = routes.get(item.type)
            if route is None:
                continue
            status, allowed = _expected_status(spec, item)
            if spec.role not in ROUTE_ROLES.get(route, {spec.role}) or spec.role is Role.ADMIN:
                status, allowed = 404, False
            response = client.get(route.format(item.id))
            body = response.get_data(as_text=True)
            checked += 1
            where = f"{route.format(item.id)} ({item.type} {item.label}) for {spec}"
            assert response.status_code == status, f"{where}: {response.status_code}, expected {status}"
            if status == 302:
                assert "/agreements/" in response.headers["Location"], where
            if not allowed:
                assert item.label not in body, where
        # Dashboards and lists: no reference or name of an item the oracle hides.
        pages = ["/"] + (["/partner/requests"] if spec.role.is_partner else ["/operations"])
        for page in pages:
            response = client.get(page, follow_redirects=page == "/")  # an administrator's "/" is /admin
            if spec.role is Role.ADMIN and page == "/operations":
                assert response.status_code == 404
                continue
            assert response.status_code == 200, (page, spec)
            body = response.get_data(as_text=True)
            listable = [i for i in world.items if i.type == ("operation" if page == "/operations" else "request")]
            fits = sum(expected(spec, i, "list") for i in listable) <= PAGE_SIZE  # else paged: absence only
            for item in world.items:
                if item.type not in ("operation", "request"):
                    continue
                names = [item.label] + ([f"Opname {item.label.split('-')[1]}zq"] if item.type == "operation" else [])
                shown = any(n in body for n in names)
                if not expected(spec, item, "list"):
                    assert not shown, f"{page} shows {item.label} to {spec}"
                elif fits and page in ("/operations", "/partner/requests") and item.type == (
                        "operation" if page == "/operations" else "request"):
                    assert shown, f"{page} hides {item.label} from {spec}"
            checked += 1
    print(f"\nHTTP sample: {checked} pages checked for {len(people)} people")
    assert checked > 300


# --- revocation and new versions bite on the very next request ------------------------------
def test_revocation_and_new_version_cut_access_on_the_next_request(app, make):
    cycle = Cycle(app, make)
    analyst = make.user(agency=cycle.force, role=Role.ANALYST)
    cycle.indoctrinate(analyst)
    request_id = cycle.draft(issue=True)
    op_id = cycle.operation_id
    with app_db(app) as s:
        reference = s.get(InformationRequest, request_id).reference
    lro_client, analyst_client, spoc_client = app.test_client(), app.test_client(), app.test_client()
    sign_in(lro_client, cycle.lro)
    sign_in(analyst_client, analyst)
    sign_in(spoc_client, cycle.spoc)
    assert analyst_client.get(f"/operations/{op_id}").status_code == 200
    assert analyst_client.get(f"/requests/{request_id}").status_code == 200
    assert spoc_client.get(f"/partner/requests/{request_id}").status_code == 200
    assert lro_client.get(f"/operations/{op_id}").status_code == 200

    # Revocation: the analyst is off the register, so the very next request is a plain 404.
    with app_db(app) as s:
        record = indoctrination.record_for(s, op_id, analyst)
        indoctrination.revoke(s, record, "Left the team", s.get(type(cycle.lro), cycle.lro.id))
    assert analyst_client.get(f"/operations/{op_id}").status_code == 404
    assert analyst_client.get(f"/requests/{request_id}").status_code == 404
    assert reference not in analyst_client.get("/").get_data(as_text=True)
    assert "Opname" not in analyst_client.get("/operations").get_data(as_text=True)

    # A new partner version: the SPOC, still on the register, is sent to sign on the next request.
    with app_db(app) as s:
        op = s.get(Operation, op_id)
        indoctrination.publish(s, op, "partner", "Version 2 of the partner agreement", s.get(type(cycle.lro), cycle.lro.id))
    response = spoc_client.get(f"/partner/requests/{request_id}")
    assert response.status_code == 302 and f"/agreements/{op_id}/sign" in response.headers["Location"]
    # A new police version does the same to the LRO.
    with app_db(app) as s:
        op = s.get(Operation, op_id)
        indoctrination.publish(s, op, "police", "Version 2 of the police agreement", s.get(type(cycle.lro), cycle.lro.id))
    response = lro_client.get(f"/operations/{op_id}")
    assert response.status_code == 302 and f"/agreements/{op_id}/sign" in response.headers["Location"]
    assert lro_client.get(f"/requests/{request_id}").status_code == 302

    # Revoking the SPOC: the next request is a 404 and the inbox no longer lists the request.
    with app_db(app) as s:
        spoc_record = indoctrination.record_for(s, op_id, cycle.spoc)
        indoctrination.revoke(s, spoc_record, "Conflict of interest", s.get(type(cycle.lro), cycle.lro.id))
    assert spoc_client.get(f"/partner/requests/{request_id}").status_code == 404
    assert reference not in spoc_client.get("/partner/requests").get_data(as_text=True)
    assert reference not in spoc_client.get("/").get_data(as_text=True)

    # Signing the new version restores access at once.
    with app_db(app) as s:
        op = s.get(Operation, op_id)
        indoctrination.sign(s, op, s.get(type(cycle.lro), cycle.lro.id), typed_name=cycle.lro.full_name, confirmed=True)
    assert lro_client.get(f"/operations/{op_id}").status_code == 200
