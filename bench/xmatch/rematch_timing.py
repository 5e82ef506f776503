"""Cold-process timing of the two throughput targets: index build and a batch re-match.

    .venv/bin/python bench/xmatch/rematch_timing.py [--out bench/out] [--batch 100000] [--processes 2] [--runs 3]

Each run is a fresh process (every normaliser cache empty, nothing extracted yet), so the
figures include extraction. The machine is shared and noisy: the script runs the timing
--runs times and prints every run, then the best and the median of each figure with its
target beside it. Besides elapsed (wall) time it prints CPU time of the run's own process
(time.process_time) and of its forked workers (resource.getrusage(RUSAGE_CHILDREN)), and the
load average before and after; on an otherwise idle 2-core machine the batch would take
about (parent + workers CPU) / 2.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gainportal.matching.bulk import STRUCTURED_FIELDS, read_mentions, read_nominals  # noqa: E402
from gainportal.matching.index import CandidateIndex  # noqa: E402
from gainportal.matching.matcher import Matcher  # noqa: E402

TARGET_BATCH_S = 10.0  # 100,000 mentions on this 2-core machine
TARGET_BUILD_S = 2.0


def load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def children_cpu() -> float:
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return c.ru_utime + c.ru_stime


def once(args) -> dict:
    """One cold run in this process; returns the figures."""
    ref = date.fromisoformat(json.loads((args.out / "meta.json").read_text())["ref_date"])
    nominals = read_nominals(args.out / "nominals.csv")
    mentions = list(read_mentions(args.out / "mentions.jsonl"))
    pairs = [(m.get("text") or "", {k: m[k] for k in STRUCTURED_FIELDS if m.get(k)} or None) for m in mentions]
    batch = (pairs * (args.batch // len(pairs) + 1))[:args.batch]

    fig: dict = {"load_before": load()}
    c0, w0 = time.process_time(), time.perf_counter()
    index = CandidateIndex(nominals)
    fig["build_wall"], fig["build_cpu"] = time.perf_counter() - w0, time.process_time() - c0
    c0, w0 = time.process_time(), time.perf_counter()
    CandidateIndex(nominals)
    fig["rebuild_wall"], fig["rebuild_cpu"] = time.perf_counter() - w0, time.process_time() - c0

    matcher = Matcher(index, ref_date=ref)
    fig["load_before_batch"] = load()
    s0, k0, w0 = time.process_time(), children_cpu(), time.perf_counter()
    out = matcher.match_many(batch, processes=args.processes, chunksize=args.chunksize)
    fig["batch_wall"] = time.perf_counter() - w0
    fig["batch_cpu_parent"], fig["batch_cpu_workers"] = time.process_time() - s0, children_cpu() - k0
    assert len(out) == len(batch)
    fig["batch_cpu"] = fig["batch_cpu_parent"] + fig["batch_cpu_workers"]
    fig["load_after"] = load()
    fig["n"] = len(batch)
    return fig


def show_run(i: int, f: dict, processes: int) -> None:
    print(f"run {i}: load {f['load_before']} | index build {f['build_wall']:.2f} s elapsed, "
          f"{f['build_cpu']:.2f} s CPU; rebuild {f['rebuild_wall']:.2f} s elapsed, {f['rebuild_cpu']:.2f} s CPU")
    print(f"       batch re-match of {f['n']} mentions, {processes} processes: {f['batch_wall']:.2f} s elapsed; "
          f"CPU parent {f['batch_cpu_parent']:.2f} s + workers {f['batch_cpu_workers']:.2f} s = "
          f"{f['batch_cpu']:.2f} s ({f['batch_cpu'] / f['n'] * 1000:.3f} ms CPU per mention); "
          f"load before {f['load_before_batch']}, after {f['load_after']}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--chunksize", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3, help="fresh processes to time (best and median printed)")
    ap.add_argument("--once", action="store_true", help=argparse.SUPPRESS)  # one run, figures as JSON
    args = ap.parse_args()
    if args.once:
        print(json.dumps(once(args)))
        return

    runs = []
    for i in range(1, args.runs + 1):
        cmd = [sys.executable, __file__, "--once", "--out", str(args.out), "--batch", str(args.batch),
               "--processes", str(args.processes), "--chunksize", str(args.chunksize)]
        fig = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        show_run(i, fig, args.processes)
        runs.append(fig)

    scale = 100_000 / runs[0]["n"]
    print(f"\n{'figure':44}{'best':>9}{'median':>9}  target")
    rows = [
        ("index build, cold, elapsed s", "build_wall", f"<= {TARGET_BUILD_S}"),
        ("index build, cold, CPU s", "build_cpu", f"<= {TARGET_BUILD_S}"),
        ("index rebuild, elapsed s", "rebuild_wall", ""),
        ("index rebuild, CPU s", "rebuild_cpu", ""),
        ("batch 100k, elapsed s", "batch_wall", f"<= {TARGET_BATCH_S} (wall, 2 cores)"),
        ("batch 100k, CPU s (parent + workers)", "batch_cpu", ""),
        ("batch 100k, idle 2-core estimate s (CPU / 2)", None, f"<= {TARGET_BATCH_S}"),
    ]
    for label, key, target in rows:
        if key is None:
            vals = [r["batch_cpu"] * scale / 2 for r in runs]
        else:
            vals = [r[key] * (scale if key.startswith("batch") else 1) for r in runs]
        print(f"{label:44}{min(vals):>9.2f}{statistics.median(vals):>9.2f}  {target}")
    print("On this shared machine elapsed time also measures the other jobs (see the load averages); "
          "the CPU figures do not.")


if __name__ == "__main__":
    main()
