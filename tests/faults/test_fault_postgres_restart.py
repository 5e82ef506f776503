"""PostgreSQL goes away under load and comes back: requests in the gap get a proper error
page and nothing else, the same gunicorn workers recover on their own, and every
submission, retried with its idempotency token, lands exactly once.

The shared server on 5432 is never touched: the test makes a private cluster on a free
port, owned by the postgres user, and stops and starts that."""
from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from gainportal import create_app
from gainportal.db import db_session
from gainportal.migrate import upgrade
from gainportal.models import AnswerOutcome, InformationRequest, PartnerResponse, RequestState, ResponseState
from gainportal.services import responses
from gainportal.services.responses import AnswerInput
from gainportal.settings import load_settings
from tests.conftest import TEST_SECRET_KEY, Factory
from tests.cycle_factories import Cycle
from tests.processes import (
    RELAXED_LIMITS, Browser, PrivateCluster, assert_audit_chain_intact, free_port, gunicorn_children, pg_binaries,
    start_gunicorn, wait_for, wait_until_serving,
)

pytestmark = pytest.mark.processes

REQUESTS = 6
ERROR_TITLES = ("Sorry, the service is unavailable", "Sorry, there is a problem with the service")


@pytest.fixture
def cluster():
    if pg_binaries() is None:
        pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
    # Not under pytest's tmp folder: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="gainportal-pg-"))
    cluster = PrivateCluster(root)
    try:
        cluster.init()
        import psycopg
        with psycopg.connect(cluster.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE DATABASE gainportal")
        yield cluster
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)


def test_postgres_restart_under_load(cluster, tmp_path):
    url = cluster.url("gainportal")
    upgrade(url)
    settings = load_settings("test", database_url=url, instance_path=tmp_path / "instance", secret_key=TEST_SECRET_KEY)
    app = create_app(settings)
    try:
        _run(app, settings, cluster, tmp_path)
    finally:
        app.extensions["gainportal_db"].engine.dispose()


def _run(app, settings, cluster, tmp_path):
    cycle = Cycle(app, Factory(app))
    request_ids = [cycle.draft(issue=True) for _ in range(REQUESTS)]
    texts = {}
    with app.app_context():
        s = db_session()
        for request_id in request_ids:
            req = s.get(InformationRequest, request_id)
            texts[request_id] = [f"Answer {n} to request {request_id}" for n in range(len(req.questions))]
            responses.save_draft(s, req, [AnswerInput(q.id, AnswerOutcome.ANSWERED, t)
                                          for q, t in zip(req.questions, texts[request_id])], cycle.spoc)
        s.commit()
        questions = {rid: [q.id for q in s.get(InformationRequest, rid).questions] for rid in request_ids}

    port = free_port()
    server = start_gunicorn(settings, tmp_path / "gunicorn.log", port, **RELAXED_LIMITS)
    try:
        wait_until_serving(port, server)
        _drive(port, server, cluster, cycle, request_ids, questions, texts)
    except BaseException:
        print(server.output()[-5000:])
        raise
    finally:
        server.stop()

    with app.app_context():
        s = db_session()
        for request_id in request_ids:
            rows = s.scalars(select(PartnerResponse).where(PartnerResponse.request_id == request_id)).all()
            assert [(r.state, r.idempotency_key) for r in rows] == [(ResponseState.SUBMITTED, f"k-{request_id}")]
            assert sorted(a.text for a in rows[0].answers) == sorted(texts[request_id])
            assert s.get(InformationRequest, request_id).state is RequestState.ANSWERED
    assert_audit_chain_intact(app)


def _drive(port, server, cluster, cycle, request_ids, questions, texts):
    partner, reader = Browser(port, timeout=60), Browser(port, timeout=60)
    partner.sign_in(cycle.spoc)
    reader.sign_in(cycle.lro)
    forms = {}
    for request_id in request_ids:
        fields = [("csrf_token", partner.csrf(f"/partner/requests/{request_id}")),
                  ("idempotency_key", f"k-{request_id}"), ("action", "submit")]
        for qid, text in zip(questions[request_id], texts[request_id]):
            fields += [(f"outcome-{qid}", "answered"), (f"answer-{qid}", text)]
        forms[request_id] = fields
    workers_before = sorted(gunicorn_children(server.pid))
    assert len(workers_before) == 2

    stop = threading.Event()
    seen: list[tuple[str, int, str, float]] = []  # (who, status, body, when) of every answer
    failures: list[str] = []
    submitted: set[int] = set()

    def read_loop(browser, paths):
        while not stop.is_set():
            for path in paths:
                try:
                    page = browser.get(path)
                    seen.append(("read", page.status, page.text, time.monotonic()))
                except OSError as exc:
                    failures.append(f"GET {path}: {exc!r}")
                time.sleep(0.02)

    def submit_loop():
        for request_id in request_ids:
            while not stop.is_set():
                try:
                    page = partner.post(f"/partner/requests/{request_id}/answers", forms[request_id])
                except OSError as exc:
                    failures.append(f"POST {request_id}: {exc!r}")
                    continue
                seen.append(("submit", page.status, page.text, time.monotonic()))
                if page.status == 302 and page.location.endswith(f"/partner/requests/{request_id}/sent"):
                    submitted.add(request_id)
                    break
                time.sleep(0.1)  # the partner presses the button again: same form, same token
            time.sleep(0.3)

    threads = [threading.Thread(target=read_loop, args=(reader, ["/", f"/requests/{request_ids[0]}"])),
               threading.Thread(target=read_loop, args=(partner, ["/partner/requests"])),
               threading.Thread(target=submit_loop)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: len(submitted) >= 2, timeout=60, what="the first submissions")
        cluster.stop(mode="immediate")  # as abrupt as a crash: no goodbye to the clients
        outage_started, stopped_at = len(seen), time.monotonic()
        time.sleep(3)
        cluster.start()
        started_at = time.monotonic()
        wait_for(lambda: len(submitted) == len(request_ids), timeout=120, interval=0.2,
                 what="every submission to land after the restart")
        recovered = len(seen)
        time.sleep(1)  # and pages keep being served normally
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)

    assert not failures, failures[:5]  # every request got an HTTP answer, even in the gap
    during = seen[outage_started:recovered]
    errors = [(who, status, text) for who, status, text, _ in during if status >= 500]
    assert errors, "no request reached the portal while PostgreSQL was down"
    for who, status, text in errors:
        assert status in (500, 503), status
        assert any(title in text for title in ERROR_TITLES), text[:1000]
        assert "Traceback" not in text and "psycopg" not in text and "sqlalchemy" not in text.lower()
        assert "Heron Walk" not in text and "Answer 0" not in text  # no content on an error page
    assert {status for _, status, _, _ in seen} <= {200, 302, 500, 503}
    after = seen[recovered:]
    assert after and all(status < 500 for _, status, _, _ in after), [s for _, s, _, _ in after]
    first_ok = min(when for _, status, _, when in seen if status < 500 and when > started_at)
    print(f"\nPostgreSQL down {started_at - stopped_at:.1f}s: {len(errors)} requests answered "
          f"{sorted({s for _, s, _ in errors})}; first page served {1000 * (first_ok - started_at):.0f} ms "
          f"after pg_ctl start returned; {len(seen)} requests in all, {len(request_ids)} submissions each landed once")
    # Recovered without a restart: the same master and the same two workers.
    assert server.proc.poll() is None
    assert sorted(gunicorn_children(server.pid)) == workers_before
