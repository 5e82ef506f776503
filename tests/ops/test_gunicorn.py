"""Real gunicorn with config/gunicorn.conf.py (2 workers) against the test database: health
endpoints, a sign-in session that keeps working when the worker that created it is killed
(so every later page is served by another process), JSON logs on stderr without the
canary typed into the sign-in form, and a clean shutdown on SIGTERM."""
from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from gainportal.settings import REPO_ROOT
from tests.conftest import TEST_PASSWORD, TEST_SECRET_KEY, csrf_from, totp_code
from tests.security.test_canaries import assert_absent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Cookies, no redirects followed, a new connection per request (so gunicorn's accept
    decides which worker serves each one)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect())

    def request(self, path: str, data: dict | None = None) -> tuple[int, dict, str]:
        encoded = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=encoded, timeout=20) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def post_form(self, path: str, data: dict) -> tuple[int, dict, str]:
        _, _, page = self.request(path)
        return self.request(path, {**data, "csrf_token": csrf_from(page)})


def _log_lines(path: Path) -> list[dict]:
    lines = []
    for raw in path.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            pass
    return lines


def _request_line(log: Path, request_id: str, deadline: float = 10) -> dict:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for line in _log_lines(log):
            if line.get("request_id") == request_id and line.get("logger") == "gainportal.request":
                return line
        time.sleep(0.1)
    raise AssertionError(f"no request line for {request_id} in the server log")


@pytest.fixture
def gunicorn(app, settings, tmp_path):
    """gunicorn serving the test database with the test app's keyring and secret."""
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "GAINPORTAL_ENV": "test",
        "GAINPORTAL_DATABASE_URL": settings.database_url,
        "GAINPORTAL_INSTANCE_PATH": str(settings.instance_path),
        "GAINPORTAL_SECRET_KEY": TEST_SECRET_KEY,
        "GAINPORTAL_BIND": f"127.0.0.1:{port}",
        "GAINPORTAL_WORKERS": "2",
        "GAINPORTAL_THREADS": "2",
        "GAINPORTAL_LOG_FORMAT": "json",
    }
    env.pop("GAINPORTAL_REDIS_URL", None)
    executable = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as out:
        process = subprocess.Popen([str(executable), "--config", str(REPO_ROOT / "config" / "gunicorn.conf.py")],
                                   env=env, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/livez", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("gunicorn did not start:\n" + log.read_text()[-4000:])
        time.sleep(0.2)

    class Server:
        pass

    server = Server()
    server.base, server.log, server.process = base, log, process
    yield server
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()


def test_gunicorn_health_sessions_across_workers_and_logs(gunicorn, make):
    user = make.user()
    canary = f"CANARY-{uuid.uuid4().hex}"
    browser = Browser(gunicorn.base)

    status, headers, body = browser.request("/livez")
    assert status == 200 and body == "ok\n"
    status, _, body = browser.request("/readyz")
    assert status == 200 and json.loads(body)["status"] == "ok"

    # A failed attempt with the canary typed in, then a real sign-in.
    status, _, page = browser.post_form("/sign-in", {"email": f"{canary.lower()}@example.test", "password": canary})
    assert status == 200 and "Enter a correct email address and password" in page
    status, headers, _ = browser.post_form("/sign-in", {"email": user.email, "password": TEST_PASSWORD})
    assert status == 302 and headers["Location"].endswith("/sign-in/security-code")
    status, headers, _ = browser.post_form("/sign-in/security-code", {"code": totp_code(user)})
    assert status == 302
    creator = _request_line(gunicorn.log, headers["X-Request-ID"])
    assert creator["route"] == "/sign-in/security-code" and creator["user_id"] == user.id
    workers_before = _worker_pids(gunicorn.process.pid)
    assert len(workers_before) == 2 and creator["pid"] in workers_before

    # The process that made the session is gone: every later page comes from another one.
    os.kill(creator["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while len(_worker_pids(gunicorn.process.pid) - {creator["pid"]}) < 2:
        assert time.monotonic() < deadline, "gunicorn did not replace the killed worker"
        time.sleep(0.2)
    served_by = set()
    for _ in range(6):
        status, headers, page = browser.request("/")
        assert status == 200, (status, headers.get("Location"))
        assert "Sign out" in page
        line = _request_line(gunicorn.log, headers["X-Request-ID"])
        assert line["user_id"] == user.id and line["status"] == 200 and line["route"] == "/"
        served_by.add(line["pid"])
    assert creator["pid"] not in served_by

    # Signing out on one worker ends the session on all of them, even for a copy of the
    # cookie kept from before.
    kept = Browser(gunicorn.base)
    for cookie in browser.jar:
        kept.jar.set_cookie(cookie)
    _, _, page = browser.request("/")
    status, _, page = browser.request("/sign-out", {"csrf_token": csrf_from(page)})
    assert status == 200 and "Sign out" not in page
    for _ in range(4):
        status, headers, _ = kept.request("/")
        assert status == 302 and headers["Location"].endswith("/sign-in")

    gunicorn.process.send_signal(signal.SIGTERM)
    assert gunicorn.process.wait(timeout=40) == 0
    log = gunicorn.log.read_bytes()
    assert_absent(canary, "gunicorn log", log)
    assert user.email.encode() not in log
    lines = _log_lines(gunicorn.log)
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line.get("message") == "Shutting down: Master" for line in lines)
    # Web workers never build the cross-matching index: only `gainportal worker` holds it.
    assert not any("cross-matching index" in str(line.get("message", "")) for line in lines)
