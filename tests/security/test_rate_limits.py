"""Sign-in rate limits: per IP, per account, and shared by several app processes via Redis."""
from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import TEST_PASSWORD, TEST_SECRET_KEY, csrf_from, post_form

REDIS_URL = "redis://127.0.0.1:6379/15"
TOO_MANY = "Too many attempts"


def limit_count(setting: str) -> int:
    return int(re.match(r"\s*(\d+)", setting).group(1))


def test_per_ip_sign_in_limit(app, make):
    limit = limit_count(app.config["SETTINGS"].sign_in_rate_limit)
    client = app.test_client()
    # Different (unknown) accounts each time, so only the per-IP limit can be what bites.
    for n in range(limit):
        response = post_form(client, "/sign-in", {"email": f"guess{n}@example.test", "password": "wrong-password"})
        assert response.status_code == 200, n
    response = post_form(client, "/sign-in", {"email": "another@example.test", "password": "wrong-password"})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert TOO_MANY in page and "Wait a few minutes" in page and "OFFICIAL-SENSITIVE" in page
    # Another address is not affected.
    other = app.test_client()
    response = post_form(other, "/sign-in", {"email": "guess0@example.test", "password": "wrong-password"},
                         environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 200
    # GETs are not limited: the page itself still loads.
    assert client.get("/sign-in").status_code == 200


def test_per_account_sign_in_limit_across_addresses(app, make):
    settings = app.config["SETTINGS"]
    per_account = limit_count(settings.sign_in_account_rate_limit)
    per_ip = limit_count(settings.sign_in_rate_limit)
    assert per_account > per_ip  # otherwise this test could not tell the two apart
    user = make.user()
    client = app.test_client()
    for n in range(per_account):
        ip = f"10.0.{n // 4}.{n % 4 + 1}"  # a handful of tries per address: never the per-IP limit
        response = post_form(client, "/sign-in", {"email": user.email, "password": "wrong-password"},
                             environ_base={"REMOTE_ADDR": ip})
        assert response.status_code == 200, n
    # Even the right password from a fresh address is now refused for this account ...
    response = post_form(client, "/sign-in", {"email": user.email.upper(), "password": TEST_PASSWORD},
                         environ_base={"REMOTE_ADDR": "10.200.0.1"})
    assert response.status_code == 429 and TOO_MANY in response.get_data(as_text=True)
    # ... while another account from that address is not.
    response = post_form(client, "/sign-in", {"email": "someone.else@example.test", "password": "x" * 12},
                         environ_base={"REMOTE_ADDR": "10.200.0.1"})
    assert response.status_code == 200


# --- two real processes sharing Redis -----------------------------------------------------
def _redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis at 127.0.0.1:6379 is required under CI=true and is not reachable")
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    return client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Just enough of a browser for a form post: cookies, no redirects followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect())

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        encoded = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=encoded, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in_attempt(self, n: int) -> int:
        _, page = self.request("/sign-in")
        status, _ = self.request("/sign-in", {"email": f"shared{n}@example.test", "password": "wrong-password",
                                              "csrf_token": csrf_from(page)})
        return status


@pytest.fixture
def two_processes(backend, schema_url, tmp_path):
    if backend != "sqlite":
        pytest.skip("the shared-limit test needs one run only; it serves the SQLite template")
    redis_client = _redis_client()
    redis_client.flushdb()
    db_file = tmp_path / "shared.db"
    shutil.copyfile(schema_url.removeprefix("sqlite:///"), db_file)
    env = {
        **os.environ,
        "GAINPORTAL_ENV": "test",
        "GAINPORTAL_DATABASE_URL": f"sqlite:///{db_file}",
        "GAINPORTAL_REDIS_URL": REDIS_URL,
        "GAINPORTAL_SECRET_KEY": TEST_SECRET_KEY,
        "GAINPORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    executable = Path(sys.executable).with_name("gainportal")
    processes, bases = [], []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = (tmp_path / f"{name}.log").open("w")
            processes.append(subprocess.Popen([str(executable), "run", "--port", str(port)], env=env,
                                              stdout=log, stderr=subprocess.STDOUT))
            bases.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        for process, base in zip(processes, bases):
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"app process at {base} did not start:\n"
                                + "\n".join(p.read_text()[-3000:] for p in tmp_path.glob("*.log")))
                time.sleep(0.2)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        redis_client.flushdb()


def test_limit_is_shared_across_processes_through_redis(two_processes, settings):
    base_a, base_b = two_processes
    limit = limit_count(settings.sign_in_rate_limit)
    a, b = Browser(base_a), Browser(base_b)
    first = limit // 2 + 1
    statuses_a = [a.sign_in_attempt(n) for n in range(first)]
    assert statuses_a == [200] * first
    statuses_b = [b.sign_in_attempt(first + n) for n in range(limit - first + 1)]
    # Process B has seen fewer than ``limit`` attempts itself, yet refuses the (limit+1)th overall.
    assert statuses_b == [200] * (limit - first) + [429], statuses_b
    # And process A now refuses too: one shared counter.
    assert a.sign_in_attempt(99) == 429
    status, page = b.request("/sign-in")
    assert status == 200  # the page still loads; only attempts are limited


def test_each_process_alone_would_not_have_limited(two_processes, settings):
    """Control for the test above: the same number of attempts split the other way round
    still hits the limit, and the limit is not reached before (limit) attempts."""
    base_a, base_b = two_processes
    limit = limit_count(settings.sign_in_rate_limit)
    a, b = Browser(base_a), Browser(base_b)
    statuses = [(a if n % 2 else b).sign_in_attempt(n) for n in range(limit + 1)]
    assert statuses == [200] * limit + [429]
