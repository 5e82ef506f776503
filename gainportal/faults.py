"""Test-only fault injection for the fault tests (tests/faults/).

``pause(point)`` holds the current request at a named point, inside its transaction, so a
test can kill the worker there or run a competing request against it. It does nothing
unless the app runs with GAINPORTAL_ENV=test *and* GAINPORTAL_FAULT_DIR names a folder;
even then only when the test has created ``pause-<point>`` in that folder. The first
request to arrive claims that file by renaming it to ``paused-<point>-<pid>`` (so exactly
one request pauses, and the test learns which worker process holds it) and waits until the
test deletes it, for two minutes at most.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from flask import current_app, has_app_context

MAX_PAUSE_S = 120


def pause(point: str) -> None:
    directory = os.environ.get("GAINPORTAL_FAULT_DIR")
    if not directory or not has_app_context() or current_app.config["SETTINGS"].env != "test":
        return
    held = Path(directory) / f"paused-{point}-{os.getpid()}"
    try:
        os.rename(Path(directory) / f"pause-{point}", held)
    except FileNotFoundError:
        return
    deadline = time.monotonic() + MAX_PAUSE_S
    while held.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
