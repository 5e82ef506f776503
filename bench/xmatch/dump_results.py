"""Every candidate of every mention, unrounded, one line per mention: run before and after a
speed change and compare the files (`cmp`); identical files mean identical results.

    .venv/bin/python bench/xmatch/dump_results.py OUT.txt [--start 0] [--stop 100000] [--src DIR]

Serial; run two halves in parallel on two cores (--start/--stop) and concatenate them.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dest", type=Path)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--stop", type=int, default=None)
    ap.add_argument("--src", type=Path, default=ROOT)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()
    sys.path.insert(0, str(args.src))
    from gainportal.matching.bulk import STRUCTURED_FIELDS, read_mentions, read_nominals
    from gainportal.matching.matcher import Matcher

    ref = date.fromisoformat(json.loads((args.out / "meta.json").read_text())["ref_date"])
    mentions = list(read_mentions(args.out / "mentions.jsonl"))[args.start:args.stop]
    pairs = [(m.get("text") or "", {k: m[k] for k in STRUCTURED_FIELDS if m.get(k)} or None) for m in mentions]
    matcher = Matcher(read_nominals(args.out / "nominals.csv"), ref_date=ref)
    with open(args.dest, "w", encoding="utf-8") as fh:
        for cands in matcher.match_many(pairs, processes=1):
            fh.write(repr([(c.nominal_id, c.score, c.tier, sorted(c.features.items()), c.relationship, c.span)
                           for c in cands]) + "\n")


if __name__ == "__main__":
    main()
