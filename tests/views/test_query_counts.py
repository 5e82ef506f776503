"""No N+1 queries: the number of SQL statements a page runs must not grow with the number of
items it lists. The same people open the same pages in a small world and in one with three
times the operations and nine times the nominals and requests (made by seed-scale), so that
lists of operations grow threefold and so does what each operation holds (an operation's
pages list its own requests and nominals); a page whose statement count grows is printed with
both counts and fails the test."""
from __future__ import annotations

import shutil
from collections import Counter
from contextlib import contextmanager

import pyotp
import pytest
from flask_login import login_user
from sqlalchemy import event, func, select

from tests.conftest import TEST_SECRET_KEY, _empty_postgres, post_form
from gainportal import create_app, scale_seed
from gainportal.db import db_session
from gainportal.models import Agency, InformationRequest, Operation, Role, User
from gainportal.models.circulation import Circulation, CirculationTarget
from gainportal.scale_seed import Sizes, World
from gainportal.security.permissions import Action, can, visible_to
from gainportal.settings import load_settings

SMALL = Sizes(forces=2, partners=8, users=60, operations=6, nominals=40, requests=60)
LARGE = Sizes(forces=2, partners=8, users=60, operations=18, nominals=360, requests=540)
SEED = 11
# A page may run a couple more statements when, say, a list gains a second page; an N+1 adds
# one or more per extra item, many more than this.
SLACK = 2
# Dashboards: every statement in all, sign-in session and audit included. SQLite runs two more
# per page than PostgreSQL, and one more again for the co-ordinator's medians (PostgreSQL takes
# them in the table's own query). Every dashboard reads once the operations the person holds
# a current signature for, which every panel's filter then takes as values and the "agreements
# to sign" banner subtracts from the person's register (a second, index-only read: as one
# statement PostgreSQL joined every current agreement of the audience, 3-6 ms for a partner).
# Each panel is one query with its counts, so a statement over these is a new panel or a
# regression.
DASHBOARD_CEILING = {"sqlite": {"lro": 9, "analyst": 9, "supervisor": 9, "gain_coordinator": 9,
                                "partner_spoc": 7, "partner_user": 7},
                     "postgresql": {"lro": 7, "analyst": 6, "supervisor": 6, "gain_coordinator": 6,
                                    "partner_spoc": 5, "partner_user": 5}}


def _world_app(backend, schema_url, tmp_path, name, sizes):
    if backend == "sqlite":
        path = tmp_path / f"{name}.db"
        shutil.copyfile(schema_url.removeprefix("sqlite:///"), path)
        url = f"sqlite:///{path}"
    else:
        _empty_postgres(schema_url)
        url = schema_url
    app = create_app(load_settings("test", database_url=url, instance_path=tmp_path / name,
                                   secret_key=TEST_SECRET_KEY))
    app.config["SERVER_NAME"] = "localhost"
    with app.app_context():
        scale_seed.run(db_session(), sizes, seed=SEED, progress=False)
    return app


def _people(small_app) -> dict[str, tuple[str, str]]:
    """One person per role (the same accounts in both worlds): email and TOTP secret. The
    first partner agency is asked by many operations, so its people have plenty to list; the
    co-ordinator is one whose force has circulations already in the small world, so that the
    comparison is between a short list and a longer one, not between none and some."""
    world = World(SMALL, SEED)
    with small_app.app_context():
        s = db_session()
        busiest = s.scalar(select(Agency.code).join(Circulation, Circulation.gain_agency_id == Agency.id)
                           .group_by(Agency.code).order_by(func.count().desc(), Agency.code).limit(1))
    people = {}
    for user in world.users:
        if user.role.is_partner and user.agency != world.partners[0].index:
            continue
        if user.role is Role.GAIN_COORDINATOR and world.agencies[user.agency].code != busiest:
            continue
        people.setdefault(user.role.value, (user.email, user.totp_secret))
    return people


def _pages(app, email: str) -> list[tuple[str, str]]:
    """The main lists and dashboards of the person's role, and the busiest items they may see."""
    with app.test_request_context():
        s = db_session()
        user = s.scalar(select(User).where(User.email == email))
        login_user(user)
        if user.role is Role.ADMIN:
            return [("admin users", "/admin/users"), ("admin agencies", "/admin/agencies")]
        if user.role.is_partner:
            pages = [("dashboard", "/"), ("inbox", "/partner/requests"), ("inbox answered", "/partner/requests?status=answered")]
            if user.role is Role.PARTNER_SPOC:
                pages += [("checks", "/partner/checks"), ("consents", "/partner/consents")]
            readable = [r for r in s.scalars(select(InformationRequest).where(visible_to(user, InformationRequest))
                                             .order_by(InformationRequest.id)) if can(user, Action.VIEW, r)]
            if readable:
                busiest = max(readable, key=lambda r: (len(r.questions), -r.id))
                pages.append(("request", f"/partner/requests/{busiest.id}"))
            targets = [t for t in s.scalars(select(CirculationTarget).where(visible_to(user, CirculationTarget))
                                            .order_by(CirculationTarget.id)) if can(user, Action.VIEW, t)]
            if targets:
                pages.append(("check", f"/partner/checks/{targets[0].id}"))
            return pages
        pages = [("dashboard", "/"), ("operations", "/operations")]
        if user.role is Role.GAIN_COORDINATOR:
            pages.append(("gain", "/gain"))
            circ = s.scalar(select(Circulation.id).where(visible_to(user, Circulation)).order_by(Circulation.id).limit(1))
            if circ:
                pages.append(("circulation", f"/gain/circulations/{circ}"))
            return pages
        if user.role in (Role.ANALYST, Role.SUPERVISOR):
            pages.append(("matches", "/matches"))
        busiest = s.execute(select(InformationRequest.operation_id).where(visible_to(user, InformationRequest))
                            .group_by(InformationRequest.operation_id)
                            .order_by(func.count().desc(), InformationRequest.operation_id).limit(1)).scalar()
        if busiest is None:
            busiest = s.scalar(select(Operation.id).where(visible_to(user, Operation)).order_by(Operation.id).limit(1))
        if busiest is not None:
            pages += [("operation", f"/operations/{busiest}"), ("decisions", f"/operations/{busiest}/decisions"),
                      ("operation gain", f"/operations/{busiest}/gain"), ("products", f"/operations/{busiest}/products"),
                      ("ocg on a page", f"/operations/{busiest}/products/ocg-on-a-page"),
                      ("performance", f"/operations/{busiest}/products/performance")]
            req = s.scalar(select(InformationRequest.id).where(visible_to(user, InformationRequest),
                                                              InformationRequest.operation_id == busiest)
                           .order_by(InformationRequest.id.desc()).limit(1))
            if req:
                pages.append(("request", f"/requests/{req}"))
        return pages


def _signed_in(app, role: str, email: str, secret: str):
    """A test client signed in with the seed's password and a current security code."""
    client = app.test_client()
    r = post_form(client, "/sign-in", {"email": email, "password": scale_seed.DEMO_PASSWORD})
    assert r.status_code == 302, role
    r = post_form(client, "/sign-in/security-code", {"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 302, role
    return client


@contextmanager
def _statements(engine):
    """The statements the engine runs inside the block, each as its first 110 characters."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args, **_kwargs):
        seen.append(" ".join(statement.split())[:110])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _measure(app, people) -> dict[tuple[str, str], tuple[int, int, Counter]]:
    """(statements, HTTP status, how often each statement ran) per (role, page)."""
    out = {}
    with _statements(app.extensions["gainportal_db"].engine) as seen:
        for role, (email, secret) in people.items():
            client = _signed_in(app, role, email, secret)
            for label, url in _pages(app, email):
                client.get(url)  # first visit: one-off lookups (agreements to sign, caches)
                seen.clear()
                response = client.get(url)
                out[(role, label)] = (len(seen), response.status_code, Counter(seen))
    return out


def test_statements_per_page_do_not_grow_with_items(backend, schema_url, tmp_path):
    small_app = _world_app(backend, schema_url, tmp_path, "small", SMALL)
    try:
        people = _people(small_app)
        assert set(people) == {r.value for r in Role}
        small = _measure(small_app, people)
    finally:
        small_app.extensions["gainportal_db"].engine.dispose()
    large_app = _world_app(backend, schema_url, tmp_path, "large", LARGE)
    try:
        large = _measure(large_app, people)
    finally:
        large_app.extensions["gainportal_db"].engine.dispose()

    print(f"\n{'role':17} {'page':16} {'small':>6} {'large':>6}")
    offending, broken = [], []
    for key in sorted(set(small) & set(large)):
        (a, status_a, seen_a), (b, status_b, seen_b) = small[key], large[key]
        print(f"{key[0]:17} {key[1]:16} {a:6d} {b:6d}{'  <-- grows' if b > a + SLACK else ''}")
        if status_a != 200 or status_b != 200:
            broken.append(f"{key}: HTTP {status_a} / {status_b}")
        elif b > a + SLACK:
            # The statements run more often with more items: where the N+1 is.
            more = seen_b - seen_a
            offending.append(f"{key[0]} {key[1]}: {a} statements with the small world, {b} with the large world; "
                             f"more often: {dict(more.most_common(3))}")
    assert not broken, "pages did not open: " + "; ".join(broken)
    # Enough pages were compared to mean something: every role's dashboard and lists.
    assert {("partner_spoc", "inbox"), ("lro", "dashboard"), ("analyst", "matches"), ("admin", "admin users"),
            ("gain_coordinator", "gain"), ("lro", "operation")} <= set(small) & set(large)
    assert not offending, "N+1 queries:\n" + "\n".join(offending)
    over = {role: large[(role, "dashboard")][0] for role, ceiling in DASHBOARD_CEILING[backend].items()
            if large[(role, "dashboard")][0] > ceiling}
    assert not over, f"dashboards run more statements than {DASHBOARD_CEILING[backend]}: {over}"


def _request_pair(app, email: str) -> tuple[str, str] | None:
    """Two requests the person may open, in the same state, one with the fewest questions and
    one with the most (1 and 4 in the seed): the page of each, police or partner."""
    with app.test_request_context():
        s = db_session()
        user = s.scalar(select(User).where(User.email == email))
        login_user(user)
        readable = [r for r in s.scalars(select(InformationRequest).where(visible_to(user, InformationRequest))
                                         .order_by(InformationRequest.id)) if can(user, Action.VIEW, r)]
        by_state: dict = {}
        for r in readable:
            by_state.setdefault(r.state, []).append((len(r.questions), r.id))
        spread = max(by_state.values(), key=lambda rows: max(rows)[0] - min(rows)[0], default=[])
        if not spread:
            return None
        few, many = min(spread), max(spread)
        if many[0] - few[0] < 2:
            return None  # too few requests to compare (the test requires the main roles)
        prefix = "/partner/requests" if user.role.is_partner else "/requests"
        return f"{prefix}/{few[1]}", f"{prefix}/{many[1]}"


def test_a_request_page_runs_as_many_statements_for_four_questions_as_for_one(backend, schema_url, tmp_path):
    """The worlds above hold requests of one to four questions alike; here the same person
    opens one with the fewest and one with the most (and their answers), so a statement per
    question, answer or response would show."""
    app = _world_app(backend, schema_url, tmp_path, "pair", LARGE)
    engine = app.extensions["gainportal_db"].engine
    try:
        people = _people(app)
        compared, offending = [], []
        for role in ("lro", "analyst", "partner_spoc", "partner_user"):
            email, secret = people[role]
            pair = _request_pair(app, email)
            if pair is None:
                continue
            client = _signed_in(app, role, email, secret)
            counts = []
            with _statements(engine) as seen:
                for url in pair:
                    client.get(url)
                    seen.clear()
                    assert client.get(url).status_code == 200, url
                    counts.append(len(seen))
            compared.append(role)
            if counts[1] > counts[0] + SLACK:
                offending.append(f"{role}: {counts[0]} statements for {pair[0]}, {counts[1]} for {pair[1]}")
        assert {"lro", "partner_spoc"} <= set(compared)
        assert not offending, "N+1 queries:\n" + "\n".join(offending)
    finally:
        engine.dispose()
