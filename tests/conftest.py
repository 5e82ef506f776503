"""Test harness: every test runs against SQLite and, when reachable (always under CI=true),
against a throwaway PostgreSQL database. Schemas are made by the Alembic migrations only."""
from __future__ import annotations

import os
import re
import shutil
import uuid

import psycopg
import pyotp
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from gainportal import create_app
from gainportal.db import Base, db_session
from gainportal.migrate import upgrade
from gainportal.models import Agency, AgencyKind, Clearance, Role
from gainportal.services import accounts
from gainportal.settings import load_settings

PG_ADMIN_DSN = os.environ.get("GAINPORTAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_PASSWORD = "orchard-compass-meadow"
TEST_SECRET_KEY = "test-secret-key-" + "x" * 48


def _pg_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _sqlalchemy_pg_url(dbname: str) -> str:
    return re.sub(r"^postgresql://", "postgresql+psycopg://", PG_ADMIN_DSN).rsplit("/", 1)[0] + "/" + dbname


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request):
    if request.param == "postgresql" and not _pg_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is required under CI=true and is not reachable")
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432")
    return request.param


@pytest.fixture(scope="session")
def schema_url(backend, tmp_path_factory):
    """A database migrated to head once per backend per run."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("schema") / "template.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    dbname = f"gainportal_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    url = _sqlalchemy_pg_url(dbname)
    upgrade(url)
    yield url
    create_engine(url).dispose()
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


_reset_engines: dict = {}


def _empty_postgres(url: str) -> None:
    """Empty every table and restart the sequences that were used. DELETE with triggers and
    foreign keys switched off (session_replication_role) is ~50x faster than TRUNCATE of
    the whole schema, which dominated the suite's time on PostgreSQL."""
    engine = _reset_engines.get(url) or _reset_engines.setdefault(url, create_engine(url, poolclass=NullPool))
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f'DELETE FROM "{table.name}"'))
        used = conn.execute(text("SELECT sequencename FROM pg_sequences "
                                 "WHERE schemaname = 'public' AND last_value IS NOT NULL")).scalars().all()
        for sequence in used:
            conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture
def database_url(backend, schema_url, tmp_path):
    """A clean database for one test: a copy of the migrated SQLite file, or the PostgreSQL
    database emptied (the audit table's row triggers do not fire in replica mode)."""
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(schema_url.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    _empty_postgres(schema_url)
    return schema_url


@pytest.fixture
def settings(database_url, tmp_path):
    return load_settings("test", database_url=database_url, instance_path=tmp_path / "instance",
                         secret_key=TEST_SECRET_KEY)


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config["SERVER_NAME"] = "localhost"
    yield app
    app.extensions["gainportal_db"].engine.dispose()


@pytest.fixture(autouse=True)
def _push_request_context():
    """Overrides pytest-flask's fixture of the same name: a request context held open for the
    whole test would make every test-client request share one ``g`` (and so one database
    session and one CSP nonce), which is not how a browser meets the app."""
    yield


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


# --- factories ---------------------------------------------------------------------------
class Factory:
    def __init__(self, app):
        self.app = app
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def agency(self, kind: AgencyKind = AgencyKind.POLICE_FORCE, name: str | None = None) -> Agency:
        n = self._next()
        with self.app.app_context():
            s = db_session()
            agency = Agency(name=name or f"{kind.label} {n}", code=f"{kind.value[:6].upper()}{n}", kind=kind)
            s.add(agency)
            s.commit()
            return agency

    def user(self, agency: Agency | None = None, role: Role = Role.LRO, clearance: Clearance = Clearance.SC,
             mfa: bool = True, email: str | None = None):
        if agency is None:
            agency = self.agency(AgencyKind.COUNCIL if role.is_partner else AgencyKind.POLICE_FORCE)
        n = self._next()
        secret = pyotp.random_base32() if mfa else None
        with self.app.app_context():
            s = db_session()
            user = accounts.create_user_direct(
                s, email=email or f"user{n}.{role.value}@example.test", full_name=f"Test User {n}",
                agency=agency, role=role, clearance=clearance, password=TEST_PASSWORD, totp_secret=secret)
            s.commit()
        user.totp_secret = secret
        return user


@pytest.fixture
def make(app):
    return Factory(app)


# --- browser-like helpers ------------------------------------------------------------------
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def post_form(client, url: str, data: dict, form_page: str | None = None, **kwargs):
    """Load the form page (or ``form_page``) for its CSRF token, then post like a browser."""
    page = client.get(form_page or url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))}, **kwargs)


def totp_code(user, offset_steps: int = 0) -> str:
    totp = pyotp.TOTP(user.totp_secret)
    import time
    return totp.at(time.time() + 30 * offset_steps)


def sign_in(client, user, password: str = TEST_PASSWORD):
    response = post_form(client, "/sign-in", {"email": user.email, "password": password})
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in/security-code"), \
        response.get_data(as_text=True)[:500]
    response = post_form(client, "/sign-in/security-code", {"code": totp_code(user)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


@pytest.fixture
def signed_in_client(app, make):
    """A client and a function that signs it in as a fresh user of the given role."""
    def _make(role: Role = Role.LRO, **kwargs):
        user = make.user(role=role, **kwargs)
        client = app.test_client()
        sign_in(client, user)
        return client, user
    return _make


# --- request isolation -------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _push_request_context():
    """Overrides pytest-flask's autouse fixture of the same name. That one pushes a request
    context (and so an app context) around every test, and Flask then reuses that app context
    for every test-client request: ``g`` (Flask-Login's cached user, Flask-WTF's CSRF token,
    the per-request db session) would leak from one request into the next, unlike a real
    server. Tests that need a context use ``ctx`` or ``app.app_context()`` explicitly."""
    yield


# --- helpers for the security, view and audit suites -------------------------------------
from contextlib import contextmanager  # noqa: E402


@contextmanager
def app_db(app):
    """A database session in a fresh app context, committed on the way out."""
    with app.app_context():
        s = db_session()
        yield s
        s.commit()


def full_sign_in(client, user, password: str = TEST_PASSWORD, step_offset: int = 0):
    """Like ``sign_in`` but with a TOTP code ``step_offset`` steps away, so the same user can
    sign in twice within one 30-second step (codes may not be replayed)."""
    response = post_form(client, "/sign-in", {"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    response = post_form(client, "/sign-in/security-code", {"code": totp_code(user, step_offset)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


@pytest.fixture
def admin_client(app, make):
    """A client signed in as an administrator of a police force, and that administrator."""
    admin = make.user(role=Role.ADMIN)
    client = app.test_client()
    sign_in(client, admin)
    return client, admin


# --- speed: share compiled templates between the many short-lived test apps --------------
import jinja2  # noqa: E402


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    def __init__(self):
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if (code := self._store.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self._store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CACHE = _MemoryBytecodeCache()


@pytest.fixture(autouse=True)
def _share_compiled_templates(request):
    """Each test builds its own app; compiling the GOV.UK templates again for each one
    would dominate the run. Bytecode is keyed by template source, so edits still show."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").jinja_env.bytecode_cache = _TEMPLATE_CACHE
