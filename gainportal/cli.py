"""The ``gainportal`` command."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from gainportal.settings import REPO_ROOT


def _app():
    from gainportal import create_app
    return create_app()


@click.group()
def main() -> None:
    """GAIN Portal administration."""
    # The database, uploads and keyring this process writes are for this service alone.
    os.umask(0o077)


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    from gainportal.migrate import upgrade
    from gainportal.settings import load_settings

    settings = load_settings()
    upgrade(settings.database_url, revision)
    click.echo(f"Database at revision {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    from gainportal.migrate import downgrade
    from gainportal.settings import load_settings

    downgrade(load_settings().database_url, revision)
    click.echo(f"Database at revision {revision}")


@main.command("assets")
def assets() -> None:
    """Copy GOV.UK Frontend from node_modules (npm ci) into the static folder."""
    source = REPO_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
    if not source.exists():
        raise click.ClickException("node_modules/govuk-frontend is missing: run `npm ci` first")
    target = Path(__file__).parent / "static" / "govuk"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("govuk-frontend.min.css", "govuk-frontend.min.js"):
        shutil.copy2(source / name, target / name)
    shutil.copytree(source / "assets", target / "assets")
    click.echo(f"GOV.UK Frontend copied to {target}")
    vendor = Path(__file__).parent / "static" / "vendor"  # gitignored; refreshed from node_modules
    vendor.mkdir(exist_ok=True)
    cytoscape = REPO_ROOT / "node_modules" / "cytoscape" / "dist" / "cytoscape.min.js"
    if not cytoscape.exists():
        raise click.ClickException("node_modules/cytoscape is missing: run `npm ci` first")
    shutil.copy2(cytoscape, vendor / "cytoscape.min.js")
    click.echo(f"Cytoscape.js copied to {vendor}")


@main.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--agency-code", required=True, help="Existing agency code, or a new one to create")
@click.option("--agency-name", default=None, help="Name for a new agency")
@click.password_option()
def create_admin(email: str, full_name: str, agency_code: str, agency_name: str | None, password: str) -> None:
    """Create an administrator (they set up their authenticator at first sign in)."""
    from sqlalchemy import select

    from gainportal.db import db_session
    from gainportal.models import Agency, AgencyKind, Clearance, Role
    from gainportal.services import accounts

    app = _app()
    with app.app_context():
        s = db_session()
        agency = s.scalar(select(Agency).where(Agency.code == agency_code.upper()))
        if agency is None:
            if not agency_name:
                raise click.ClickException("No agency with that code: give --agency-name to create it")
            agency = Agency(name=agency_name, code=agency_code.upper(), kind=AgencyKind.POLICE_FORCE)
            s.add(agency)
            s.flush()
        try:
            accounts.create_user_direct(s, email=email, full_name=full_name, agency=agency, role=Role.ADMIN,
                                        clearance=Clearance.SC, password=password)
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc))
        s.commit()
    click.echo(f"Administrator {email} created")


@main.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even if demo data exists")
def seed_demo(force: bool) -> None:
    """Load a realistic demo: agencies, users of every role, operations."""
    from gainportal.demo import seed

    app = _app()
    with app.app_context():
        seed(echo=click.echo, force=force)


@main.command("notify")
def notify() -> None:
    """Queue deadline reminders and overdue notices, then send the outbox (run from cron)."""
    from gainportal.db import db_session
    from gainportal.services import notifications

    app = _app()
    with app.app_context():
        s = db_session()
        queued = notifications.queue_deadline_reminders(s)
        sent = notifications.send_outbox(s)
        s.commit()
    click.echo(f"{queued} reminders queued, {sent} notifications sent")


@main.group()
def audit() -> None:
    """Audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 1 naming each broken row."""
    from gainportal.db import db_session
    from gainportal.services.audit import verify_chain

    app = _app()
    with app.app_context():
        count, problems = verify_chain(db_session())
    if problems:
        for problem in problems:
            click.echo(f"audit row {problem.seq}: {problem.problem}", err=True)
        click.echo(f"Audit chain BROKEN: {len(problems)} problem(s) in {count} rows", err=True)
        sys.exit(1)
    click.echo(f"Audit chain verified: {count} rows intact")


@main.group()
def keys() -> None:
    """Key-encryption keys (KEKs): create, rotate, retire, status."""


def _keys_context():
    from gainportal.services.keys import KeyAdminError, keyring_path

    app = _app()
    try:
        return app, keyring_path(app.config["SETTINGS"])
    except KeyAdminError as exc:
        raise click.ClickException(str(exc))


@keys.command("init")
@click.option("--path", "path_", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the new keyring (kept outside the database and its backups)")
def keys_init(path_: Path) -> None:
    """Create a new keyring file (0600) with one KEK and a blind-index key."""
    from gainportal.services.keys import KeyAdminError, init_keyring

    try:
        keyring = init_keyring(path_)
    except KeyAdminError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"Keyring created at {path_} with KEK {keyring.primary.id}. Point GAINPORTAL_KEYRING_FILE at it.")


@keys.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1))
@click.option("--force-new-kek", is_flag=True,
              help="Add a new KEK even if an earlier rotation has not finished")
@click.option("--pause-ms", default=0, type=click.IntRange(0), hidden=True)  # lets tests interrupt a run
def keys_rotate(batch_size: int, force_new_kek: bool, pause_ms: int) -> None:
    """Add a KEK and re-wrap every data key under it (resumable; ciphertext is untouched)."""
    from gainportal.db import db_session
    from gainportal.services.keys import rotate

    app, path = _keys_context()
    with app.app_context():
        result = rotate(db_session(), path, batch_size=batch_size, pause_s=pause_ms / 1000,
                        force_new_kek=force_new_kek, echo=lambda m: click.echo(m))
    if result.failed:
        click.echo(f"{len(result.failed)} data key(s) could not be unwrapped and were left as they were "
                   f"(ids: {', '.join(map(str, result.failed[:20]))}). Investigate before retiring their KEK.",
                   err=True)
        sys.exit(1)
    click.echo(f"Done: every live data key is wrapped under {result.primary}")


@keys.command("retire")
@click.argument("kek_id")
def keys_retire(kek_id: str) -> None:
    """Remove a KEK from the keyring once no data key uses it."""
    from gainportal.db import db_session
    from gainportal.services.keys import KeyAdminError, retire

    app, path = _keys_context()
    with app.app_context():
        try:
            retire(db_session(), path, kek_id)
        except KeyAdminError as exc:
            raise click.ClickException(str(exc))
    click.echo(f"KEK {kek_id} retired and removed from {path}")


@keys.command("status")
def keys_status() -> None:
    """Data keys per KEK, and KEKs nothing uses any more."""
    from gainportal.db import db_session
    from gainportal.security.crypto import Keyring
    from gainportal.services.keys import counts_by_kek, shredded_count

    app, path = _keys_context()
    with app.app_context():
        counts, shredded = counts_by_kek(db_session()), shredded_count(db_session())
    keyring = Keyring.load_file(path)
    for kek_id in reversed(keyring.kek_ids):
        tag = " (primary)" if kek_id == keyring.primary.id else ""
        click.echo(f"{kek_id}{tag}: {counts.pop(kek_id, 0)} data key(s)")
    for kek_id, n in sorted(counts.items()):
        click.echo(f"{kek_id} NOT IN KEYRING: {n} data key(s) cannot be opened", err=True)
    click.echo(f"shredded: {shredded} data key(s)")
    if counts:
        sys.exit(1)


@main.group()
def retention() -> None:
    """Retention schedule (run daily from cron or a systemd timer)."""


@retention.command("run")
@click.option("--warn-days", default=30, show_default=True, type=click.IntRange(1))
@click.option("--date", "on", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Treat this as today (for catching up); defaults to today (UTC)")
def retention_run(warn_days: int, on) -> None:
    """Crypto-shred expired operations and requests; queue warnings for those due soon."""
    from gainportal.db import db_session, get_db
    from gainportal.services import retention as service

    if on is not None and on.date() > service.today():
        raise click.ClickException("--date cannot be in the future: that would destroy items before their date")
    app = _app()
    with app.app_context():
        result = service.run(db_session(), on=on.date() if on else None, warn_days=warn_days)
        # End the session's transaction first: a TRUNCATE checkpoint waits out the busy
        # timeout (30 s) for any open transaction, then gives up without truncating.
        db_session().commit()
        engine = get_db().engine
        if engine.dialect.name == "sqlite":
            # Old pages in the WAL may still hold the wrapped keys until a checkpoint.
            raw = engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
    for table, item_id, tally in result.shredded:
        click.echo(f"Shredded {table} {item_id}: {tally.keys} data key(s), {tally.ciphertexts} ciphertext(s), "
                   f"{tally.files} file(s)")
    click.echo(f"{len(result.shredded)} item(s) shredded; {result.warnings_queued} warning(s) queued")
    if result.undated:
        click.echo(f"{result.undated} item(s) have no retention date and will never expire: set one", err=True)


@main.command("rematch")
def rematch() -> None:
    """Re-match every submitted answer against the nominal register (after an import)."""
    from gainportal.db import db_session
    from gainportal.services import answer_matching

    app = _app()
    with app.app_context():
        s = db_session()

        def progress(done: int, total: int) -> None:
            s.commit()  # each step's candidates: an interrupted run keeps what it made
            click.echo(f"\r{done}/{total} responses matched", nl=done == total)

        created = answer_matching.rematch_all(s, progress)
        s.commit()
    click.echo(f"{created} new candidates for analysts to review")


def _register_match_file() -> None:
    # The bulk matcher is a pure library command: it needs no app, database or keyring.
    from gainportal.matching.bulk import match_file_command

    main.add_command(match_file_command)


_register_match_file()


def _register_seed_scale() -> None:
    from gainportal.scale_seed_cli import seed_scale_command

    main.add_command(seed_scale_command)


_register_seed_scale()


def _register_worker() -> None:
    from gainportal.jobs import worker_command

    main.add_command(worker_command)


_register_worker()


def _register_serve() -> None:
    from gainportal.serve_cli import serve_command

    main.add_command(serve_command)


_register_serve()


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Serve the portal (development server; production uses gunicorn)."""
    app = _app()
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


if __name__ == "__main__":
    main()
