"""Cold-process timing of the two throughput targets: index build and a batch re-match.

    .venv/bin/python bench/xmatch/rematch_timing.py [--out bench/out] [--batch 100000] [--processes 2]

Runs in a fresh process (every normaliser cache empty, nothing extracted yet), so the figures
include extraction. The machine is shared: besides elapsed time it prints CPU time of this
process and of the forked workers (getrusage), and the load average before and after; on an
otherwise idle 2-core machine the batch would take about (parent + children CPU) / 2.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gainportal.matching.bulk import STRUCTURED_FIELDS, read_mentions, read_nominals  # noqa: E402
from gainportal.matching.index import CandidateIndex  # noqa: E402
from gainportal.matching.matcher import Matcher  # noqa: E402


def load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def cpu() -> tuple[float, float]:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime, c.ru_utime + c.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--chunksize", type=int, default=2000)
    args = ap.parse_args()
    ref = date.fromisoformat(json.loads((args.out / "meta.json").read_text())["ref_date"])
    nominals = read_nominals(args.out / "nominals.csv")
    mentions = list(read_mentions(args.out / "mentions.jsonl"))
    pairs = [(m.get("text") or "", {k: m[k] for k in STRUCTURED_FIELDS if m.get(k)} or None) for m in mentions]
    batch = (pairs * (args.batch // len(pairs) + 1))[:args.batch]

    print(f"load before build: {load()}")
    c0, w0 = time.process_time(), time.perf_counter()
    index = CandidateIndex(nominals)
    print(f"index build (cold) of {len(nominals)} nominals: {time.perf_counter() - w0:.2f} s elapsed, "
          f"{time.process_time() - c0:.2f} s CPU; load {load()}")
    c0, w0 = time.process_time(), time.perf_counter()
    CandidateIndex(nominals)
    print(f"index rebuild: {time.perf_counter() - w0:.2f} s elapsed, {time.process_time() - c0:.2f} s CPU")

    matcher = Matcher(index, ref_date=ref)
    print(f"load before batch: {load()}")
    (s0, k0), w0 = cpu(), time.perf_counter()
    out = matcher.match_many(batch, processes=args.processes, chunksize=args.chunksize)
    wall = time.perf_counter() - w0
    s1, k1 = cpu()
    assert len(out) == len(batch)
    total = (s1 - s0) + (k1 - k0)
    print(f"batch re-match of {len(batch)} mentions, {args.processes} processes: {wall:.2f} s elapsed; "
          f"CPU parent {s1 - s0:.2f} s + workers {k1 - k0:.2f} s = {total:.2f} s "
          f"({total / len(batch) * 1000:.3f} ms CPU per mention); load after {load()}")
    print(f"idle 2-core estimate: {total / 2:.1f} s for {len(batch)} mentions "
          f"({total / 2 * 100_000 / len(batch):.1f} s per 100k)")


if __name__ == "__main__":
    main()
