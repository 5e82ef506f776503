"""Bulk matching of a partner spreadsheet return (DESIGN.md section 8 file formats).

nominals.csv -> register; mentions.jsonl -> one result line per mention in results.jsonl.
"""
from __future__ import annotations

import csv
import json
import os
from datetime import date

import click

from gainportal.matching.matcher import Matcher
from gainportal.matching.records import NominalRecord

STRUCTURED_FIELDS = ("name", "dob", "address", "postcode", "vrm", "phone")


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(";") if v.strip())


def read_nominals(path: str | os.PathLike) -> list[NominalRecord]:
    """nominals.csv columns: nominal_id, forenames, surname, aliases (;), dob (ISO), address,
    postcode, vrms (;), phones (;), ocg_ref, role (optional: businesses (;))."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [
            NominalRecord(
                nominal_id=row["nominal_id"], forenames=row.get("forenames") or "",
                surname=row.get("surname") or "", aliases=_split(row.get("aliases")),
                dob=row.get("dob") or None, address=row.get("address") or "",
                postcode=row.get("postcode") or "", vrms=_split(row.get("vrms")),
                phones=_split(row.get("phones")), businesses=_split(row.get("businesses")),
                ocg_ref=row.get("ocg_ref") or "", role=row.get("role") or "",
            )
            for row in csv.DictReader(fh)
        ]


def read_mentions(path: str | os.PathLike):
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def result_line(matcher: Matcher, mention: dict) -> dict:
    structured = {k: mention.get(k) for k in STRUCTURED_FIELDS if mention.get(k)}
    cands = matcher.match_text(mention.get("text") or "", structured or None)
    return {"mention_id": mention["mention_id"], "candidates": [c.as_dict() for c in cands]}


def match_file(nominals_csv_path, mentions_jsonl_path, out_path, ref_date: date | None = None,
               processes: int = 1) -> int:
    """Match every mention line against the register; returns the number of mentions written.

    processes > 1 matches the file with forked workers sharing the register index (Matcher.
    match_many); the output is the same line for line."""
    matcher = Matcher(read_nominals(nominals_csv_path), ref_date=ref_date)
    n = 0
    with open(out_path, "w", encoding="utf-8") as out:
        if processes <= 1:
            for mention in read_mentions(mentions_jsonl_path):
                out.write(json.dumps(result_line(matcher, mention), separators=(",", ":")) + "\n")
                n += 1
            return n
        mentions = list(read_mentions(mentions_jsonl_path))
        items = [(m.get("text") or "", {k: m.get(k) for k in STRUCTURED_FIELDS if m.get(k)} or None)
                 for m in mentions]
        for mention, cands in zip(mentions, matcher.match_many(items, processes=processes)):
            cands = [c if isinstance(c, dict) else c.as_dict() for c in cands]
            out.write(json.dumps({"mention_id": mention["mention_id"], "candidates": cands},
                                 separators=(",", ":")) + "\n")
            n += 1
    return n


@click.command("match-file")
@click.option("--nominals", "nominals", required=True, type=click.Path(exists=True, dir_okay=False),
              help="nominals.csv (DESIGN.md section 8)")
@click.option("--mentions", "mentions", required=True, type=click.Path(exists=True, dir_okay=False),
              help="mentions.jsonl, one mention per line")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="results.jsonl to write")
@click.option("--processes", "processes", default=1, show_default=True, type=click.IntRange(1, 64),
              help="worker processes for a large file (one per core)")
def match_file_command(nominals: str, mentions: str, out: str, processes: int) -> None:
    """Cross-match a file of mentions against a nominal register file."""
    n = match_file(nominals, mentions, out, processes=processes)
    click.echo(f"matched {n} mentions -> {out}")
