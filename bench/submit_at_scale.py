"""A partner's draft save and submission timed in process, on a seeded national database.

    GAINPORTAL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/COPY GAINPORTAL_ENV=production ... \\
        .venv/bin/python bench/submit_at_scale.py [--submissions 30] [--profile FILE] [--show-sql]

It changes the database (drafts saved, responses submitted, audit rows, match jobs queued
on the configured Redis queue): point it at a copy of the seeded database. Each SPOC of the
seed's credentials file opens requests addressed to their agency that are still open to
answers (as the partner inbox lists them), saves a draft of every question, then submits:
the POSTs are timed as bench/load.py's "partner draft save" and "partner submit" are (every
other submission changes the saved answers first, as the load bench's always do), with
the statements each ran and the process's CPU time, but with no server or network between
(compare with the load bench's server-side times). --profile writes a cProfile of the
submissions (process time, pstats format).
"""
from __future__ import annotations

import argparse
import cProfile
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import IDEM_RE, OUTCOME_RE, csrf  # noqa: E402
from bench.pages_at_scale import open_seeded, start_session_for  # noqa: E402
from gainportal.db import db_session  # noqa: E402
from gainportal.models import InformationRequest, RequestState, User  # noqa: E402
from gainportal.security.permissions import visible_to  # noqa: E402

OPEN = (RequestState.ISSUED, RequestState.ACKNOWLEDGED)


def open_requests(app, email: str, limit: int) -> list[int]:
    with app.test_request_context():
        s = db_session()
        user = s.scalar(select(User).where(User.email == email))
        from flask_login import login_user
        login_user(user)
        return list(s.scalars(select(InformationRequest.id)
                              .where(visible_to(user, InformationRequest), InformationRequest.state.in_(OPEN))
                              .order_by(InformationRequest.id).limit(limit)))


def summary(name: str, rows: list[tuple[float, float, int]]) -> str:
    if not rows:
        return f"{name:26} none"
    ms = sorted(r[0] for r in rows)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (f"{name:26} {len(rows):4d} {statistics.median(ms):9.1f} {p95:8.1f} {max(ms):8.1f} "
            f"{statistics.median(r[1] for r in rows):8.1f} {statistics.median(r[2] for r in rows):6.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=30)
    parser.add_argument("--credentials", default=None)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--show-sql", action="store_true", help="print the first submission's statements")
    args = parser.parse_args()
    app, engine, creds = open_seeded(args.credentials)
    statements = [0]
    shown: list[str] = []
    edited: list[tuple[float, float, int]] = []  # submissions whose form changes the saved draft

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn, _cursor, sql, *_args):
        statements[0] += 1
        if args.show_sql and len(submits) + len(edited) < 2:
            shown.append(" ".join(sql.split())[:160])

    profiler = cProfile.Profile(time.process_time) if args.profile else None
    saves: list[tuple[float, float, int]] = []
    submits: list[tuple[float, float, int]] = []
    spocs = [u for u in creds["users"] if u["role"] == "partner_spoc"]

    def timed(client, path: str, form: dict, into: list, profile: bool) -> int:
        statements[0] = 0
        t0, c0 = time.perf_counter(), time.process_time()
        if profile:
            profiler.enable()
        response = client.post(path, data=form)
        if profile:
            profiler.disable()
        into.append(((time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000, statements[0]))
        return response.status_code

    for spoc in spocs:
        if len(submits) + len(edited) >= args.submissions:
            break
        client = app.test_client()
        start_session_for(app, client, spoc["email"])
        for request_id in open_requests(app, spoc["email"], 10):
            if len(submits) + len(edited) >= args.submissions:
                break
            path = f"/partner/requests/{request_id}"
            page = client.get(path)
            html = page.get_data(as_text=True)
            key, questions = IDEM_RE.search(html), sorted(set(OUTCOME_RE.findall(html)))
            if page.status_code != 200 or not key or not questions:
                continue  # an agreement to sign first, or nothing to answer
            form = {"csrf_token": csrf(html), "idempotency_key": key.group(1)}
            for n, qid in enumerate(questions):
                form[f"outcome-{qid}"] = "no_trace" if n % 3 == 2 else "answered"
                form[f"answer-{qid}"] = (f"Answer {n}: tenancy records show two adults at the address since "
                                         "March, rent paid in cash.") if n % 3 != 2 else ""
            if timed(client, path + "/answers", {**form, "action": "save"}, saves, False) != 302:
                print(f"draft save refused on request {request_id}", file=sys.stderr)
                continue
            page = client.get(path)  # the form again, with the draft's own key and token
            html = page.get_data(as_text=True)
            form.update(csrf_token=csrf(html), idempotency_key=IDEM_RE.search(html).group(1))
            shown.clear()
            if (len(submits) + len(edited)) % 2:
                # As bench/load.py's "partner submit": the form changes what was saved, so the
                # POST saves the draft, commits it, then submits.
                form = {k: (v + " Checked again before sending." if k.startswith("answer-") and v else v)
                        for k, v in form.items()}
                into = edited
            else:
                into = submits
            status = timed(client, path + "/answers", {**form, "action": "submit"}, into, profiler is not None)
            if args.show_sql and len(submits) + len(edited) <= 2 and shown:
                print(f"statements of a submission ({'edited' if into is edited else 'as saved'}):", *shown, sep="\n  ")
            if status != 302:
                print(f"submission of request {request_id} answered {status}", file=sys.stderr)
    print(f"{'':26} {'n':>4} {'median ms':>9} {'p95 ms':>8} {'max ms':>8} {'CPU ms':>8} {'SQL':>6}")
    print(summary("partner draft save", saves))
    print(summary("partner submit (as saved)", submits))
    print(summary("partner submit (edited)", edited))
    if profiler:
        profiler.dump_stats(args.profile)
        print(f"profile: {args.profile}")


if __name__ == "__main__":
    main()
