"""Driver for an instruction count that load cannot blur (README "Speed figures").

    PYTHONHASHSEED=0 valgrind --tool=cachegrind --cache-sim=no \
        .venv/bin/python bench/xmatch/instr_count.py 5000 [--prepare] [--src DIR]
    (then the same with 0 mentions; the difference is the matching)

Reads the register and the first N mentions, builds the index cold, then matches the N
mentions serially with cyclic GC off (as a forked re-match worker does). --prepare builds
what the matcher otherwise builds on first use (CandidateIndex.prepare_batch) during setup,
as a forked re-match does in the parent; --src imports gainportal from another checkout
(e.g. a `git archive` of the code before a change).
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--prepare", action="store_true")
    ap.add_argument("--src", type=Path, default=ROOT)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = ap.parse_args()
    sys.path.insert(0, str(args.src))
    from gainportal.matching.bulk import STRUCTURED_FIELDS, read_mentions, read_nominals
    from gainportal.matching.matcher import Matcher

    ref = date.fromisoformat(json.loads((args.out / "meta.json").read_text())["ref_date"])
    nominals = read_nominals(args.out / "nominals.csv")
    mentions = []
    for m in read_mentions(args.out / "mentions.jsonl"):
        if len(mentions) >= args.n:
            break
        mentions.append(m)
    pairs = [(m.get("text") or "", {k: m[k] for k in STRUCTURED_FIELDS if m.get(k)} or None) for m in mentions]
    matcher = Matcher(nominals, ref_date=ref)
    if args.prepare and hasattr(matcher.index, "prepare_batch"):
        matcher.index.prepare_batch()
    gc.disable()
    for p in pairs:
        matcher.match_one(p)


if __name__ == "__main__":
    main()
