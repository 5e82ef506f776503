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


def start_gunicorn(settings, log_path: Path, port: int, workers: int = 2, timeout: int = 60, **env) -> Child:
    # Explicit options rather than a config file: the tests must not depend on how the
    # deployment config is tuned.
    return Child([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                  "--worker-class", "sync", "--timeout", str(timeout), "--graceful-timeout", "5",
                  "--access-logfile", "-", "gainportal:create_app()"],
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
        return subprocess.run(command, check=check, timeout=timeout, capture_output=True, text=True)

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
