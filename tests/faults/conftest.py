"""Fault tests run the portal under real gunicorn (2 sync workers) against PostgreSQL.

One server for the whole run: each test still gets an emptied database (the usual ``database_url``
fixture), and the server shares the module's instance folder and so its keyring."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from gainportal.security import sealing
from gainportal.settings import load_settings
from tests.conftest import TEST_SECRET_KEY
from tests.processes import RELAXED_LIMITS, Child, free_port, start_gunicorn, wait_until_serving



@dataclass
class Portal:
    port: int
    server: Child
    fault_dir: Path

    @property
    def master_pid(self) -> int:
        return self.server.pid

    def hold(self, point: str) -> None:
        """The next request to reach ``point`` waits there (see gainportal/faults.py)."""
        (self.fault_dir / f"pause-{point}").touch()

    def held(self, point: str) -> list[Path]:
        return list(self.fault_dir.glob(f"paused-{point}-*"))

    def release(self, point: str) -> None:
        (self.fault_dir / f"pause-{point}").unlink(missing_ok=True)
        for path in self.held(point):
            path.unlink(missing_ok=True)


def _settings(database_url: str, instance: Path):
    return load_settings("test", database_url=database_url, instance_path=instance, secret_key=TEST_SECRET_KEY)


@pytest.fixture(scope="session")
def fault_instance(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fault-instance")


@pytest.fixture
def settings(database_url, fault_instance):
    return _settings(database_url, fault_instance)


def pytest_collection_modifyitems(config, items):
    """The SQLite pass is skipped at collection, before any fixture builds a database."""
    here = Path(__file__).parent
    for item in items:
        callspec = getattr(item, "callspec", None)
        if (callspec and callspec.params.get("backend") == "sqlite"
                and here in Path(str(item.fspath)).parents):
            item.add_marker(pytest.mark.skip(
                reason="fault tests run gunicorn against PostgreSQL; the SQLite runs cover the same code in-process"))


@pytest.fixture(scope="session")
def portal(backend, schema_url, fault_instance, tmp_path_factory):
    settings = _settings(schema_url, fault_instance)
    sealing.load_keyring(settings)  # made once here, before two workers could race to make it
    fault_dir = tmp_path_factory.mktemp("faults")
    port = free_port()
    server = start_gunicorn(settings, fault_dir / "gunicorn.log", port, GAINPORTAL_FAULT_DIR=fault_dir,
                            **RELAXED_LIMITS)
    try:
        wait_until_serving(port, server)
        yield Portal(port, server, fault_dir)
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _no_pause_left(request):
    yield
    if "portal" in request.fixturenames:
        portal = request.getfixturevalue("portal")
        for path in portal.fault_dir.glob("pause*"):
            path.unlink(missing_ok=True)
