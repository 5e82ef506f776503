"""Per-page timings at scale, through the Flask test client (no network, no server).

Run after `gainportal seed-scale` against the same database (see bench/README.md):

    GAINPORTAL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/gainportal_scale \
    .venv/bin/python bench/pages_at_scale.py [--runs 5] [--json out.json] [--before old.json]

Signs in one account of each role from the credentials file seed-scale wrote, then requests
each main page of that role `--runs` times after one warm-up, and prints the median and worst
time, the median time spent in SQL (on a busy machine the least noisy figure for query shapes)
and the number of SQL statements per page. Save two runs with --json and compare them
with --before old.json to print before/after side by side.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import pyotp
from sqlalchemy import event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gainportal import create_app  # noqa: E402
from gainportal.db import db_session, get_db  # noqa: E402
from gainportal.models import InformationRequest, Operation, Role, User  # noqa: E402
from gainportal.models.circulation import Circulation  # noqa: E402
from gainportal.security.permissions import Action, can, visible_to  # noqa: E402

CSRF_MARK = 'name="csrf_token"'


def _csrf(html: str) -> str:
    at = html.index(CSRF_MARK)
    window = html[max(0, at - 300):at + 300]
    value = window.split('value="', 1)[1] if 'value="' in window else ""
    return value.split('"', 1)[0]


def _post(client, url, data):
    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": _csrf(page.get_data(as_text=True))})


def sign_in(client, email: str, password: str, secret: str) -> None:
    """Through the real forms: password, then the TOTP code (the load bench's way)."""
    r = _post(client, "/sign-in", {"email": email, "password": password})
    if r.status_code != 302:
        raise SystemExit(f"sign-in failed for {email}: {r.status_code}")
    r = _post(client, "/sign-in/security-code", {"code": pyotp.TOTP(secret).now()})
    if r.status_code != 302:  # this step's code was used by a run moments ago: the next one is accepted
        r = _post(client, "/sign-in/security-code", {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    if r.status_code != 302:
        raise SystemExit(f"security code refused for {email}: {r.status_code}")


def _print_planning(engine, statements, at_least_ms: float, chars: int) -> None:
    """The last run's statements that cost the planner at least ``at_least_ms``: a join of
    many tables can take longer to plan than to run, and execution timings hide it."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        seen = set()
        for _ms, statement, parameters in statements:
            if statement in seen or not statement.lstrip().upper().startswith("SELECT"):
                continue
            seen.add(statement)
            best = None
            for _ in range(3):
                cur.execute("EXPLAIN (SUMMARY, FORMAT JSON) " + statement, parameters)
                planning = cur.fetchone()[0][0]["Planning Time"]
                best = planning if best is None else min(best, planning)
            if best >= at_least_ms:
                print(f"    planning {best:6.2f} ms  {' '.join(statement.split())[:chars]}")
        raw.rollback()
    finally:
        raw.close()


def open_seeded(credentials: str | None):
    """The app on the configured (seeded) database, its engine, and the seed's users file
    (``credentials``, or scale-users.json in the instance folder); prints which database."""
    app = create_app()
    creds = json.loads(Path(credentials or Path(app.config["SETTINGS"].instance_path) / "scale-users.json")
                       .read_text())
    with app.app_context():
        engine = get_db().engine
        print(f"database: {engine.url.render_as_string(hide_password=True)}")
    return app, engine, creds


def start_session_for(app, client, email: str) -> None:
    """A signed-in session made in process, as the sign-in form would make it. Several people
    timing pages at once as the same account would otherwise race for the one TOTP code each
    30-second step accepts, and the refused codes lock the account."""
    with app.test_request_context():
        from flask import session as flask_session
        from gainportal.security.sessions import start_session
        s = db_session()
        user = s.scalar(select(User).where(User.email == email))
        start_session(user)
        s.commit()
        cookie_values = dict(flask_session)
    with client.session_transaction() as browser_session:
        browser_session.update(cookie_values)


def pages_for(app, email: str) -> list[tuple[str, str]]:
    """The main pages of this person's role, with item ids they may see."""
    with app.test_request_context():
        s = db_session()
        user = s.scalar(select(User).where(User.email == email))
        from flask_login import login_user
        login_user(user)
        role = user.role
        if role is Role.ADMIN:
            return [("admin users", "/admin/users"), ("admin agencies", "/admin/agencies")]
        if role.is_partner:
            # A request they have signed for (the first few hundred they may list).
            listed = s.scalars(select(InformationRequest).where(visible_to(user, InformationRequest))
                               .order_by(InformationRequest.id).limit(300)).all()
            req_id = next((r.id for r in listed if can(user, Action.VIEW, r)), None)
            pages = [("dashboard", "/"), ("inbox", "/partner/requests"),
                     ("inbox overdue", "/partner/requests?due=overdue"), ("inbox page 5", "/partner/requests?page=5"),
                     ]
            if role is Role.PARTNER_SPOC:
                pages += [("checks", "/partner/checks"), ("consents", "/partner/consents")]
            if req_id:
                pages.append(("request", f"/partner/requests/{req_id}"))
            return pages
        counts = (select(InformationRequest.operation_id, func.count().label("n"))
                  .where(visible_to(user, InformationRequest)).group_by(InformationRequest.operation_id)
                  .order_by(func.count().desc()).limit(1))
        busiest = s.execute(counts).first()
        op_id = busiest.operation_id if busiest else s.scalar(
            select(Operation.id).where(visible_to(user, Operation)).limit(1))
        req_id = s.scalar(select(InformationRequest.id).where(visible_to(user, InformationRequest),
                                                             InformationRequest.operation_id == op_id).limit(1))
        pages = [("dashboard", "/"), ("operations", "/operations"), ("operations page 3", "/operations?page=3")]
        if role is Role.GAIN_COORDINATOR:
            circ = s.scalar(select(Circulation.id).where(visible_to(user, Circulation)).order_by(Circulation.id).limit(1))
            return pages + [("gain", "/gain")] + ([("circulation", f"/gain/circulations/{circ}")] if circ else [])
        if role in (Role.ANALYST, Role.SUPERVISOR):
            pages.append(("matches", "/matches"))
        if op_id:
            pages += [("operation", f"/operations/{op_id}"), ("decisions", f"/operations/{op_id}/decisions"),
                      ("operation gain", f"/operations/{op_id}/gain"), ("products", f"/operations/{op_id}/products"),
                      ("performance", f"/operations/{op_id}/products/performance"),
                      ("ocg on a page", f"/operations/{op_id}/products/ocg-on-a-page")]
        if req_id:
            pages.append(("request", f"/requests/{req_id}"))
        return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--credentials", default=None)
    parser.add_argument("--json", default=None, help="write the figures here")
    parser.add_argument("--before", default=None, help="a previous --json file to compare with")
    parser.add_argument("--slowest", type=float, default=0,
                        help="for pages at or above this many ms, print their two slowest SQL statements")
    parser.add_argument("--sql-chars", type=int, default=400)
    parser.add_argument("--explain", action="store_true", help="with --slowest: EXPLAIN ANALYZE them (PostgreSQL)")
    parser.add_argument("--planning", type=float, default=0,
                        help="PostgreSQL: list each page's statements whose planning takes at least this many ms "
                             "(EXPLAIN, warm connection, best of 3)")
    parser.add_argument("--only", default=None, help="only pages whose role and label contain this text")
    parser.add_argument("--forms", action="store_true",
                        help="sign in through the password and TOTP forms (one run at a time per account)")
    parser.add_argument("--profile", default=None,
                        help="cProfile the timed runs of every page into this file (pstats format)")
    args = parser.parse_args()
    app, engine, creds = open_seeded(args.credentials)
    statements = [0]

    with app.app_context():
        with engine.connect() as conn:
            n_req = conn.scalar(select(func.count()).select_from(InformationRequest))
            n_ops = conn.scalar(select(func.count()).select_from(Operation))
        print(f"operations: {n_ops}, requests: {n_req}, runs per page: {args.runs} (after one warm-up)")

    slow: list[tuple[float, str]] = []
    rendering = {"ms": 0.0, "t0": []}

    # Template time: from the first render signal of a page to the response, per render.
    from flask import before_render_template, template_rendered

    def _render_start(sender, **extra):
        rendering["t0"].append(time.process_time())

    def _render_end(sender, **extra):
        if rendering["t0"]:
            rendering["ms"] += (time.process_time() - rendering["t0"].pop()) * 1000

    before_render_template.connect(_render_start, app)
    template_rendered.connect(_render_end, app)
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile(time.process_time)

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        statements[0] += 1
        conn.info["bench_t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _timed(conn, cursor, statement, parameters, context, executemany):
        slow.append(((time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())) * 1000, statement,
                     parameters))

    before = json.loads(Path(args.before).read_text()) if args.before else {}
    results = {}
    seen_roles = set()
    header = (f"{'role':17} {'page':22} {'median ms':>10} {'max ms':>8} {'CPU ms':>7} {'render':>7} {'SQL ms':>7}"
              f" {'SQL':>5} {'status':>6}")
    if before:
        header += f" {'before ms':>10} {'before SQL ms':>13}"
    print(header)
    for entry in creds["users"]:
        role = entry["role"]
        if role in seen_roles:
            continue
        seen_roles.add(role)
        pages = [(label, url) for label, url in pages_for(app, entry["email"])
                 if not args.only or args.only in f"{role} {label}"]
        if not pages:
            continue
        client = app.test_client()
        if args.forms:
            sign_in(client, entry["email"], creds["password"], entry["totp_secret"])
        else:
            start_session_for(app, client, entry["email"])
        for label, url in pages:
            client.get(url)  # warm-up: template compile, plan caches
            times, sql_times, cpu_times, render_times, status = [], [], [], [], None
            for _ in range(args.runs):
                statements[0] = 0
                slow.clear()
                rendering["ms"] = 0.0
                t0, c0 = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                r = client.get(url)
                if profiler:
                    profiler.disable()
                times.append((time.perf_counter() - t0) * 1000)
                cpu_times.append((time.process_time() - c0) * 1000)
                render_times.append(rendering["ms"])
                sql_times.append(sum(ms for ms, _s, _p in slow))
                status = r.status_code
            key = f"{role} {label}"
            results[key] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
                            "sql_ms": round(statistics.median(sql_times), 1),
                            "cpu_ms": round(statistics.median(cpu_times), 1),
                            "render_ms": round(statistics.median(render_times), 1),
                            "sql": statements[0], "status": status, "url": url}
            line = (f"{role:17} {label:22} {results[key]['median_ms']:10.1f} {results[key]['max_ms']:8.1f} "
                    f"{results[key]['cpu_ms']:7.1f} {results[key]['render_ms']:7.1f} "
                    f"{results[key]['sql_ms']:7.1f} {statements[0]:5d} {status:6d}")
            if before:
                old = before.get(key, {})
                line += f" {old['median_ms']:10.1f}" if "median_ms" in old else f" {'-':>10}"
                line += f" {old['sql_ms']:13.1f}" if "sql_ms" in old else f" {'-':>13}"
            print(line, flush=True)
            if args.slowest and results[key]["median_ms"] >= args.slowest:
                for ms, statement, parameters in sorted(slow, key=lambda x: -x[0])[:2]:
                    print(f"    {ms:8.1f} ms  {' '.join(statement.split())[:args.sql_chars]}")
                    if args.explain and engine.dialect.name == "postgresql" and statement.lstrip().upper().startswith("SELECT"):
                        raw = engine.raw_connection()
                        try:
                            cur = raw.cursor()
                            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                            for (plan_line,) in cur.fetchall():
                                print("        " + plan_line)
                        finally:
                            raw.close()
            if args.planning and engine.dialect.name == "postgresql":
                _print_planning(engine, slow, args.planning, args.sql_chars)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if profiler:
        profiler.dump_stats(args.profile)
        print(f"profile: {args.profile} (python -m pstats {args.profile})")


if __name__ == "__main__":
    main()
