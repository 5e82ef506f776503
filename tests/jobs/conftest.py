"""Queues for the job tests: SQLite in the test's instance folder, or Redis under a key
prefix of its own (skipped when Redis is not running), each with a unique queue name."""
from __future__ import annotations

import uuid

import pytest
import redis

from gainportal.settings import load_settings
from tests.conftest import TEST_SECRET_KEY

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue(request):
    if request.param == "redis-queue" and not redis_up():
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    name = f"gainportal-test-{uuid.uuid4().hex[:10]}"
    yield request.param, name
    if request.param == "redis-queue":
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{name}*"):
            client.delete(key)


@pytest.fixture
def settings(database_url, tmp_path, queue):
    """Jobs go to the queue and wait for a `gainportal worker` (nothing runs inline)."""
    kind, name = queue
    return load_settings("test", database_url=database_url, instance_path=tmp_path / "instance",
                         secret_key=TEST_SECRET_KEY, jobs_name=name, jobs_immediate=False,
                         redis_url=REDIS_URL if kind == "redis-queue" else "",
                         # Redis also holds the sign-in limits, shared with every other test
                         # using it from this address, and with every earlier run: the factories
                         # make the same e-mail addresses each run, so the per-account hourly
                         # limit filled up after a few runs in an hour. They are tested elsewhere.
                         sign_in_rate_limit="1000 per minute", mfa_rate_limit="1000 per minute",
                         sign_in_account_rate_limit="1000 per hour")
