"""The web workers' garbage-collection schedule (config/gunicorn.conf.py): full collections
run between requests, every GAINPORTAL_FULL_GC_EVERY of them, never inside one."""
from __future__ import annotations

import gc
import importlib.util
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"


def _config(monkeypatch, every: str | None):
    if every is None:
        monkeypatch.delenv("GAINPORTAL_FULL_GC_EVERY", raising=False)
    else:
        monkeypatch.setenv("GAINPORTAL_FULL_GC_EVERY", every)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", CONFIG)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def gc_state():
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()


def _full_collections_during(action) -> int:
    full = []

    def seen(phase, info):
        if phase == "stop" and info["generation"] == 2:
            full.append(info)

    gc.callbacks.append(seen)
    try:
        action()
    finally:
        gc.callbacks.remove(seen)
    return len(full)


def test_full_collections_wait_for_the_gap_between_requests(monkeypatch, gc_state):
    conf = _config(monkeypatch, "5")
    before = gc.get_threshold()
    conf.post_worker_init(None)
    young, middle, old = gc.get_threshold()
    assert old == conf.FULL_GC_NEVER and (young, middle) == before[:2]  # young ones keep Python's schedule

    def churn():  # enough cyclic garbage for many automatic young collections
        for _ in range(200_000):
            a = []
            a.append(a)

    assert _full_collections_during(churn) == 0
    assert _full_collections_during(lambda: [conf.post_request(None, None, {}, None) for _ in range(4)]) == 0
    assert _full_collections_during(lambda: conf.post_request(None, None, {}, None)) == 1
    assert _full_collections_during(lambda: [conf.post_request(None, None, {}, None) for _ in range(10)]) == 2


def test_zero_leaves_pythons_own_schedule(monkeypatch, gc_state):
    gc.set_threshold(700, 10, 10)
    conf = _config(monkeypatch, "0")
    conf.post_worker_init(None)
    assert gc.get_threshold() == (700, 10, 10)
    assert _full_collections_during(lambda: [conf.post_request(None, None, {}, None) for _ in range(500)]) == 0


def test_the_default_is_every_200_requests(monkeypatch):
    assert _config(monkeypatch, None).full_gc_every == 200
