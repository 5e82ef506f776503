"""Background jobs on huey: cross-matching each submission, re-matching every answer,
notifications and retention runs.

The queue lives in SQLite under the instance folder by default and in Redis when
``GAINPORTAL_REDIS_URL`` is set, so web processes on any host enqueue and one or more
``gainportal worker`` processes run the jobs. A job reports its progress under a key in
huey's own storage, which is what the matching page reads; nothing about a job's content
(answers, names) is ever put there: a job carries ids only.

A partner's submission is matched against the nominal register by the worker, queued once
the submission has committed; the worker holds the matching index, web processes never do.
A job lost with its worker (or with Redis) is caught by a sweep every few minutes that
matches submitted responses still without ``matched_at``.

Notifications run every 15 minutes, the matching sweep every 5 and retention once a day
(02:30 UTC) from the worker started with periodic tasks; run the others with
``--no-periodic``. All are safe to run twice (reminders are de-duplicated, a matched
response is skipped, shredding skips what is already shredded).
"""
from __future__ import annotations

import gc
import logging
import os
import threading
import time
from datetime import datetime, timedelta, timezone

import click
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.exceptions import TaskLockedException
from sqlalchemy import select

log = logging.getLogger("gainportal.jobs")

REMATCH_STATUS = "gainportal:rematch:status"
REMATCH_LOCK = "gainportal-rematch"
# A run whose status has not moved for this long died with its worker: a new one may start.
STALE_AFTER = timedelta(minutes=10)
# The sweep leaves a response alone this long after it was submitted: its own job is
# normally done within seconds, and the two would otherwise race for it.
SWEEP_GRACE = timedelta(minutes=1)
# Responses one sweep matches at most (oldest first), so a backlog drains over a few runs
# instead of occupying the worker for one long one.
SWEEP_BATCH = 500
SWEEP_LOCK = "gainportal-match-sweep"
SWEEP_SCHEDULE = crontab(minute="*/5")
NOTIFY_SCHEDULE = crontab(minute="*/15")
RETENTION_SCHEDULE = crontab(hour="2", minute="30")

_hueys: dict[tuple, Huey] = {}
_apps: dict = {}
_lock = threading.Lock()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def huey_for(settings) -> Huey:
    """The queue these settings point at, with the portal's tasks registered on it."""
    key = (settings.redis_url, str(settings.instance_path), settings.jobs_name, settings.jobs_immediate)
    with _lock:
        huey = _hueys.get(key)
        if huey is None:
            # Results are not kept: a job's outcome is in its status key and the audit trail.
            if settings.redis_url:
                huey = RedisHuey(settings.jobs_name, url=settings.redis_url, results=False,
                                 immediate=settings.jobs_immediate)
            else:
                settings.instance_path.mkdir(parents=True, exist_ok=True)
                huey = SqliteHuey(settings.jobs_name, filename=str(settings.instance_path / "jobs.db"),
                                  results=False, immediate=settings.jobs_immediate)
            huey.gainportal_tasks = _register(huey, settings)
            _hueys[key] = huey
        return huey


def _app(settings):
    """One app per settings per process: a job needs the database, keyring and config."""
    from flask import current_app, has_app_context

    from gainportal import create_app

    if has_app_context() and current_app.config["SETTINGS"] == settings:
        # Immediate mode inside a request: the job gets an app context (and so a database
        # session) of its own on the same app.
        return current_app._get_current_object()
    with _lock:
        app = _apps.get(settings)
        if app is None:
            app = _apps[settings] = create_app(settings)
        return app


def _register(huey: Huey, settings) -> dict:
    @huey.task(name="rematch_all")
    def rematch_all(by_user_id: int | None = None) -> int | None:
        try:
            with huey.lock_task(REMATCH_LOCK):
                return _rematch(huey, settings, by_user_id)
        except TaskLockedException:
            log.info("a re-match is already running; this request is covered by it")
            return None

    @huey.task(name="match_response")
    def match_response(response_id: int) -> int:
        return _match_one(settings, response_id)

    @huey.periodic_task(SWEEP_SCHEDULE, name="match_sweep")
    def match_sweep() -> int | None:
        try:
            with huey.lock_task(SWEEP_LOCK):
                return _sweep(settings)
        except TaskLockedException:
            log.info("a matching sweep is already running")
            return None

    @huey.task(name="notify")
    def notify() -> tuple[int, int]:
        return _notify(huey, settings)

    @huey.task(name="retention_run")
    def retention_run() -> int:
        return _retention(huey, settings)

    @huey.periodic_task(NOTIFY_SCHEDULE, name="notify_periodic")
    def notify_periodic():
        return _notify(huey, settings)

    @huey.periodic_task(RETENTION_SCHEDULE, name="retention_periodic")
    def retention_periodic():
        return _retention(huey, settings)

    return {"rematch_all": rematch_all, "match_response": match_response, "match_sweep": match_sweep,
            "notify": notify, "retention_run": retention_run}


# --- matching on arrival ------------------------------------------------------------------------
def enqueue_match(settings, response_id: int) -> None:
    """Queue the cross-match of a committed submission (in immediate mode: run it now, in a
    session of its own). A queue that cannot be reached loses nothing: the sweep finds the
    response later."""
    try:
        huey_for(settings).gainportal_tasks["match_response"](response_id)
    except Exception as exc:  # noqa: BLE001 - the submission has committed and stands
        log.warning("could not queue the cross-match of response %s (%s); the matching sweep will pick it up",
                    response_id, type(exc).__name__)


def _match_one(settings, response_id: int) -> int:
    """Match one submitted response unless that has been done; the number of candidates made."""
    from gainportal.db import db_session
    from gainportal.models import PartnerResponse
    from gainportal.services import answer_matching

    with _app(settings).app_context():
        s = db_session()
        # The index first, in a transaction of its own: on SQLite a transaction holds the
        # write lock, and building the index at national size takes seconds.
        answer_matching.matcher(s)
        s.commit()
        # The row is locked until the commit, so the job and a sweep (or a second delivery of
        # the job) never match the same response at once; the loser then sees it matched.
        state = s.execute(select(PartnerResponse.submitted_at, PartnerResponse.matched_at)
                          .where(PartnerResponse.id == response_id).with_for_update()).first()
        if state is None or state.submitted_at is None or state.matched_at is not None:
            s.rollback()
            return 0
        created = answer_matching.match_response(s, s.get(PartnerResponse, response_id))
        s.commit()
    return created


def unmatched_responses(s, limit: int | None = None, older_than: timedelta | None = None):
    """Ids of submitted responses not yet matched, oldest first."""

    from gainportal.models import PartnerResponse

    query = (select(PartnerResponse.id)
             .where(PartnerResponse.matched_at.is_(None), PartnerResponse.submitted_at.is_not(None))
             .order_by(PartnerResponse.submitted_at).limit(limit))  # the partial index's order
    if older_than is not None:
        query = query.where(PartnerResponse.submitted_at < datetime.now(timezone.utc) - older_than)
    return list(s.scalars(query))


def _sweep(settings) -> int:
    """Match the submitted responses whose job never ran (lost with a dead worker or a Redis
    restart, or never queued because the queue was down); the number matched."""
    from gainportal.db import db_session

    with _app(settings).app_context():
        s = db_session()
        ids = unmatched_responses(s, limit=SWEEP_BATCH, older_than=SWEEP_GRACE)
        s.rollback()
    matched = 0
    for response_id in ids:
        try:
            _match_one(settings, response_id)
            matched += 1
        except Exception:  # noqa: BLE001 - one bad response must not stop the rest; next sweep retries it
            log.exception("matching sweep: response %s could not be matched", response_id)
    if ids:
        log.info("matching sweep: %d of %d unmatched responses matched", matched, len(ids))
    return matched


# --- re-matching ---------------------------------------------------------------------------
def rematch_status(huey: Huey) -> dict | None:
    """The latest re-match's state (queued, running, done or failed) and its counts."""
    status = huey.get(REMATCH_STATUS, peek=True)
    if status and status["state"] in ("queued", "running"):
        updated = datetime.fromisoformat(status["updated_at"])
        if datetime.now(timezone.utc) - updated > STALE_AFTER:
            status = {**status, "state": "failed", "stale": True, "was": status["state"]}
    return status


def _put_status(huey: Huey, **fields) -> None:
    huey.put(REMATCH_STATUS, {**fields, "updated_at": _now()})


def start_rematch(settings, by_user_id: int | None) -> tuple[bool, dict]:
    """Queue a re-match unless one is queued or running; (started, status)."""
    huey = huey_for(settings)
    status = rematch_status(huey)
    if status and status["state"] in ("queued", "running"):
        return False, status
    if status and status.get("stale"):
        # Its worker died holding the lock; nothing else can be running it after this long.
        huey.lock_task(REMATCH_LOCK).clear()
    _put_status(huey, state="queued", done=0, total=None, created=None, requested_at=_now(), by=by_user_id)
    huey.gainportal_tasks["rematch_all"](by_user_id)
    return True, rematch_status(huey)


def _rematch(huey: Huey, settings, by_user_id: int | None) -> int:
    from gainportal.db import db_session
    from gainportal.models import User
    from gainportal.services import answer_matching, audit

    started = _now()
    _put_status(huey, state="running", done=0, total=None, created=None, started_at=started, by=by_user_id)
    with _app(settings).app_context():
        s = db_session()
        last_report = [0.0]

        def progress(done: int, total: int) -> None:
            s.commit()  # each step's candidates: a killed run keeps its work
            now = time.monotonic()
            if done == total or now - last_report[0] >= 0.5:
                last_report[0] = now
                _put_status(huey, state="running", done=done, total=total, created=None, started_at=started,
                            by=by_user_id)

        try:
            created = answer_matching.rematch_all(s, progress)
            actor = s.get(User, by_user_id) if by_user_id else None
            audit.record(s, "rematch_run", detail={"candidates": created}, actor=actor)
            s.commit()
        except BaseException:
            s.rollback()
            _put_status(huey, state="failed", done=0, total=None, created=None, started_at=started, by=by_user_id)
            log.exception("re-match failed")
            raise
    status = huey.get(REMATCH_STATUS, peek=True) or {}
    total = status.get("total") or 0
    _put_status(huey, state="done", done=total, total=total, created=created, started_at=started,
                finished_at=_now(), by=by_user_id)
    return created


# --- notifications and retention ----------------------------------------------------------
def _notify(huey: Huey, settings) -> tuple[int, int]:
    from gainportal.db import db_session
    from gainportal.services import notifications

    with _app(settings).app_context():
        s = db_session()
        queued = notifications.queue_deadline_reminders(s)
        sent = notifications.send_outbox(s)
        s.commit()
    huey.put("gainportal:notify:last", {"at": _now(), "queued": queued, "sent": sent})
    return queued, sent


def _retention(huey: Huey, settings) -> int:
    from gainportal.db import db_session, get_db
    from gainportal.services import files, retention

    with _app(settings).app_context():
        s = db_session()
        result = retention.run(s)
        # Ends the session's transaction: a checkpoint waits for every open transaction.
        s.commit()
        engine = get_db().engine
        if engine.dialect.name == "sqlite":
            # Old pages in the WAL may still hold the wrapped keys until a checkpoint.
            raw = engine.raw_connection()
            try:
                busy = raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            finally:
                raw.close()
            if busy:
                log.warning("WAL checkpoint incomplete: shredded keys may linger in the WAL until the next one")
        swept = files.sweep_abandoned_uploads(db_session())
    huey.put("gainportal:retention:last", {"at": _now(), "shredded": len(result.shredded), "parts_swept": swept})
    return len(result.shredded)


# --- the worker command ----------------------------------------------------------------------
@click.command("worker")
# One job at a time by default: whole-register ORM loads crashed CPython 3.11 (SIGSEGV,
# bench/thread_crash.py); the index now loads without the ORM and has not crashed, but until
# the cause is known, run more worker processes rather than more threads to go faster.
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 32),
              help="Jobs run at once in this process (threads); see docs/deployment.md before raising it")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the notification and retention schedules (one worker per deployment is enough)")
@click.option("--nice", "niceness", default=10, show_default=True, type=click.IntRange(0, 19),
              envvar="GAINPORTAL_WORKER_NICE",
              help="Lower this process's CPU priority by this much (0 keeps it) [env GAINPORTAL_WORKER_NICE]")
def worker_command(workers: int, periodic: bool, niceness: int) -> None:
    """Run background jobs: re-matching, notifications and retention (huey consumer)."""
    from gainportal.settings import load_settings

    # Where the worker shares a host with the web processes, a match (60-120 ms of CPU) or a
    # re-match must wait for the page someone is looking at, not the other way round; the
    # jobs' own latency is not what people wait on.
    if niceness:
        os.nice(niceness)

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # A consumer in immediate mode would have no queue to read.
    settings = load_settings(jobs_immediate=False)
    huey = huey_for(settings)
    app = _app(settings)  # fail now, not on the first job, if the database or keyring is wrong
    where = "Redis" if settings.redis_url else f"SQLite at {settings.instance_path / 'jobs.db'}"
    click.echo(f"Worker for queue {settings.jobs_name!r} on {where}, {workers} thread(s)"
               f"{', with schedules' if periodic else ''}")
    _warm_matching(app)
    # An idle SQLite queue is polled with back-off; 2 s at most keeps a started re-match
    # from waiting long before its progress first moves (Redis blocks instead of polling).
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic,
                                    check_worker_health=True, max_delay=2.0)
    consumer.run()


def _warm_matching(app) -> None:
    """Build the cross-matching index before taking jobs, so the first submission's match
    does not wait for it (7 s of CPU at national size). Only the worker holds the index."""
    from gainportal.services import answer_matching

    started = time.process_time()
    try:
        count = answer_matching.warm(app)
    except Exception:  # noqa: BLE001 - the first matching job builds it instead
        log.exception("could not build the cross-matching index ahead of jobs")
        return
    click.echo(f"Cross-matching index of {count:,} nominals built in {time.process_time() - started:.1f} s of CPU")
    # The index is 1.5 million long-lived objects at national size: a full collection walked
    # them all, 0.3-1.6 s of CPU inside whichever job triggered it; frozen, it skips them.
    gc.collect()
    gc.freeze()
