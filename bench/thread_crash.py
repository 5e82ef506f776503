"""Reproduce the SIGSEGV seen in multi-threaded gunicorn workers, in one process, no server.

    GAINPORTAL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/gainportal_scale \
    .venv/bin/python bench/thread_crash.py [--seconds 300] [--query-threads 3] [--control late|none]

One thread repeatedly does what building the cross-matching index does (load every nominal
with its links and data key, and open its sealed details: answer_matching._records), while
other threads run ordinary ORM queries, as a gthread worker's other requests would. On
CPython 3.11.7 with the national data this dies with "Fatal Python error: Segmentation fault"
(usually inside the garbage collector, or in a fetch) within a few register loads. Controls:
``--control late`` starts the query threads only after the first load has finished and
``--control none`` runs no query threads. What each run printed is in bench/README.md
("The worker crash"). Use a database nobody else writes to; it only reads.
"""
from __future__ import annotations

import argparse
import faulthandler
import gc
import platform
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from gainportal import create_app  # noqa: E402
from gainportal.db import db_session  # noqa: E402
from gainportal.models import InformationRequest, Operation  # noqa: E402
from gainportal.services import answer_matching  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--query-threads", type=int, default=3)
    parser.add_argument("--control", choices=("late", "none"), default=None)
    args = parser.parse_args()
    faulthandler.enable()
    app = create_app()
    started = time.monotonic()
    stop = started + args.seconds
    first_load = threading.Event()
    counts = {"register loads": 0, "query rounds": 0}
    print(f"Python {platform.python_version()}, {args.query_threads} query thread(s), control: {args.control}",
          flush=True)

    def register_loads() -> None:
        while time.monotonic() < stop:
            with app.app_context():
                s = db_session()
                records, _ = answer_matching._records(s)
                s.close()
            gc.collect()
            counts["register loads"] += 1
            first_load.set()
            print(f"register load {counts['register loads']} ({len(records):,} nominals) "
                  f"at {time.monotonic() - started:.0f} s", flush=True)

    def queries() -> None:
        if args.control == "late":
            first_load.wait()
        rng = random.Random()
        while time.monotonic() < stop:
            with app.app_context():
                s = db_session()
                ids = s.scalars(select(InformationRequest.id).order_by(InformationRequest.id.desc()).limit(200)).all()
                rows = s.scalars(select(InformationRequest).where(InformationRequest.id.in_(rng.sample(ids, 50)))).all()
                names = [o.name for o in s.scalars(select(Operation).limit(100))]
                assert rows and names
                s.close()
            counts["query rounds"] += 1

    threads = [threading.Thread(target=register_loads)]
    if args.control != "none":
        threads += [threading.Thread(target=queries) for _ in range(args.query_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"survived {args.seconds:.0f} s: {counts['register loads']} register loads, "
          f"{counts['query rounds']} query rounds", flush=True)


if __name__ == "__main__":
    main()
