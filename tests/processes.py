"""Real processes for the job and fault tests: a `gainportal worker`, gunicorn, and a
private PostgreSQL cluster. Every wait polls for readiness with a generous ceiling, since
these tests share a loaded 2-core machine."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import TEST_SECRET_KEY

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 60, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def portal_env(settings, **extra) -> dict:
    """Environment that makes a child process load the same settings as the test's app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAINPORTAL_")}
    env.update(GAINPORTAL_ENV="test", GAINPORTAL_DATABASE_URL=settings.database_url,
               GAINPORTAL_INSTANCE_PATH=str(settings.instance_path), GAINPORTAL_SECRET_KEY=TEST_SECRET_KEY,
               GAINPORTAL_JOBS_NAME=settings.jobs_name, PYTHONPATH=str(REPO))
    if settings.redis_url:
        env["GAINPORTAL_REDIS_URL"] = settings.redis_url
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Child:
    """A child process in its own process group, its output kept in a file for failures."""

    def __init__(self, args: list[str], env: dict, log_path: Path):
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


def start_worker(settings, log_path: Path) -> Child:
    return Child([str(BIN / "gainportal"), "worker", "--workers", "1", "--no-periodic"],
                 portal_env(settings), log_path)


def gunicorn_children(master_pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


# Many sign-ins from one address within a minute: the limits themselves are tested elsewhere.
RELAXED_LIMITS = {"GAINPORTAL_SIGN_IN_RATE_LIMIT": "1000 per minute", "GAINPORTAL_MFA_RATE_LIMIT": "1000 per minute"}


def start_gunicorn(settings, log_path: Path, port: int, workers: int = 2, timeout: int = 60, **env) -> Child:
    # Explicit options rather than a config file: the tests must not depend on how the
    # deployment config is tuned.
    return Child([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                  "--worker-class", "sync", "--timeout", str(timeout), "--graceful-timeout", "5",
                  "--access-logfile", "-", "--no-control-socket", "gainportal:create_app()"],
                 portal_env(settings, **env), log_path)


def pg_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


class PrivateCluster:
    """A throwaway PostgreSQL cluster on a free port, owned by the postgres user, so a test
    can stop and start it without touching the shared server."""

    def __init__(self, root: Path):
        self.bin = pg_binaries()
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.log = root / "postgres.log"

    def _as_postgres(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        result = subprocess.run(command, timeout=timeout, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed: {result.stdout}{result.stderr}")
        return result

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                          "--no-sync", "-E", "UTF8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.root}'\nfsync = off\nmax_connections = 60\n"
                       "shared_buffers = 32MB\n")
        self.start()

    def pg_ctl(self, *args: str, timeout: float = 120) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                          "-t", str(int(timeout)), *args, timeout=timeout + 10)

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("stop", "-m", mode)

    def destroy(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "stop", "-m", "immediate", check=False)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"


# --- a small browser over http.client (no extra test dependency) ---------------------------
import http.client  # noqa: E402
import secrets  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from tests.conftest import TEST_PASSWORD, csrf_from, totp_code  # noqa: E402


@dataclass
class Page:
    status: int
    headers: object
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes, str]] = ()) -> tuple[bytes, str]:
    boundary = "----gainportal" + secrets.token_hex(12)
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data, ctype in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: {ctype}\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Browser:
    """Keeps the session cookie like a browser; never follows redirects by itself."""

    def __init__(self, port: int, timeout: float = 90):
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Page:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers={**self.cookie_header(), **(headers or {})})
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            conn.close()
        for raw in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Max-Age=0" not in raw and "1970" not in raw:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return Page(response.status, response.headers, text)

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def csrf(self, path: str) -> str:
        page = self.get(path)
        assert page.status == 200, (path, page.status, page.text[:300])
        return csrf_from(page.text)

    def post(self, path: str, fields: list[tuple[str, str]], files=()) -> Page:
        body, ctype = multipart(fields, files)
        return self.request("POST", path, body, {"Content-Type": ctype})

    def post_form(self, path: str, fields: dict, form_page: str | None = None) -> Page:
        return self.post(path, [("csrf_token", self.csrf(form_page or path)), *fields.items()])

    def sign_in(self, user, step_offset: int = 0) -> None:
        page = self.post_form("/sign-in", {"email": user.email, "password": TEST_PASSWORD})
        assert page.status == 302 and page.location.endswith("/sign-in/security-code"), (page.status, page.text[:500])
        page = self.post_form("/sign-in/security-code", {"code": totp_code(user, step_offset)})
        assert page.status == 302, (page.status, page.text[:500])


def wait_until_serving(port: int, child: Child, timeout: float = 90) -> None:
    def up():
        if child.proc.poll() is not None:
            raise AssertionError(f"server exited: {child.output()[-3000:]}")
        try:
            return Browser(port, timeout=5).get("/sign-in").status == 200
        except OSError:
            return False
    wait_for(up, timeout=timeout, interval=0.2, what="the server to answer")


def assert_audit_chain_intact(app) -> None:
    """What `gainportal audit verify` checks, run in this process."""
    from gainportal.db import db_session
    from gainportal.services.audit import verify_chain

    with app.app_context():
        count, problems = verify_chain(db_session())
    assert count > 0 and not problems, problems
