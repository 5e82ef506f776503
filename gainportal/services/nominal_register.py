"""The nominal register: sealed details, blind-indexed identifiers, CSV import."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gainportal.models import Nominal, NominalKey, NominalLink, NominalRole, Operation, User
from gainportal.security.crypto import normalise_name, normalise_phone, normalise_postcode, normalise_vrm
from gainportal.security.sealing import blind
from gainportal.services import audit

CSV_COLUMNS = ["nominal_id", "forenames", "surname", "aliases", "dob", "address", "postcode", "vrms", "phones",
               "ocg_ref", "role"]


def _split(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(";") if v.strip()]


def keys_for(details: dict) -> set[tuple[str, str]]:
    keys = set()
    names = [f"{details.get('forenames', '')} {details.get('surname', '')}"] + list(details.get("aliases") or [])
    for name in names:
        if normalised := normalise_name(name):
            keys.add(("name", blind("name", normalised)))
    if details.get("dob"):
        keys.add(("dob", blind("dob", details["dob"])))
    if postcode := normalise_postcode(details.get("postcode") or ""):
        keys.add(("postcode", blind("postcode", postcode)))
    for vrm in details.get("vrms") or []:
        if normalised := normalise_vrm(vrm):
            keys.add(("vrm", blind("vrm", normalised)))
    for phone in details.get("phones") or []:
        if normalised := normalise_phone(phone):
            keys.add(("phone", blind("phone", normalised)))
    return keys


def save(s: Session, nominal: Nominal, details: dict, by: User | None) -> Nominal:
    if nominal.id is None:
        s.add(nominal)
        s.flush()
    nominal.details = details
    nominal.revision = (nominal.revision or 0) + 1
    s.execute(delete(NominalKey).where(NominalKey.nominal_id == nominal.id))
    s.add_all(NominalKey(nominal_id=nominal.id, kind=k, digest=d) for k, d in sorted(keys_for(details)))
    s.flush()
    audit.record(s, "nominal_saved", object_type="nominal", object_id=nominal.id, actor=by)
    return nominal


@dataclass
class ImportResult:
    ready: list[dict] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    imported: int = 0


def _row_errors(row: dict, operations: dict[str, Operation]) -> list[str]:
    problems = []
    if not (row.get("nominal_id") or "").strip():
        problems.append("nominal_id is empty")
    if not (row.get("surname") or "").strip():
        problems.append("surname is empty")
    if row.get("dob"):
        try:
            date.fromisoformat(row["dob"].strip())
        except ValueError:
            problems.append(f"dob must be a date like 1985-04-03, not \u201c{row['dob'][:20]}\u201d")
    if row.get("ocg_ref") and row["ocg_ref"].strip() not in operations:
        problems.append(f"ocg_ref \u201c{row['ocg_ref'][:40]}\u201d is not an operation you can see")
    if (row.get("role") or "").strip() and row["role"].strip().lower() not in {r.value for r in NominalRole}:
        problems.append("role must be principal, significant, peripheral or associate")
    return problems


def import_csv(s: Session, text: str, operations: dict[str, Operation], by: User, *, commit: bool) -> ImportResult:
    """Validate every row; with ``commit`` save the good ones (bad rows are reported, never
    half-saved). ``operations`` maps reference → operation the importer may see."""
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("nominal_id", "forenames", "surname") if c not in (reader.fieldnames or [])]
    if missing:
        result.errors.append((1, "the header row needs the columns " + ", ".join(CSV_COLUMNS)))
        return result
    for number, row in enumerate(reader, start=2):
        problems = _row_errors(row, operations)
        if problems:
            result.errors.append((number, "; ".join(problems)))
        else:
            result.ready.append(row)
    if not commit:
        return result
    for row in result.ready:
        reference = row["nominal_id"].strip()
        nominal = s.scalar(select(Nominal).where(Nominal.reference == reference)) or Nominal(reference=reference)
        details = {"forenames": (row.get("forenames") or "").strip(), "surname": row["surname"].strip(),
                   "aliases": _split(row.get("aliases", "")), "dob": (row.get("dob") or "").strip() or None,
                   "address": (row.get("address") or "").strip(), "postcode": (row.get("postcode") or "").strip(),
                   "vrms": _split(row.get("vrms", "")), "phones": _split(row.get("phones", "")),
                   "businesses": _split(row.get("businesses", ""))}
        save(s, nominal, details, by)
        op = operations.get((row.get("ocg_ref") or "").strip())
        if op is not None and not any(link.operation_id == op.id for link in nominal.links):
            s.add(NominalLink(operation_id=op.id, nominal_id=nominal.id,
                              role=NominalRole((row.get("role") or "associate").strip().lower())))
        result.imported += 1
    s.flush()
    audit.record(s, "nominals_imported", object_type="nominal", detail={"rows": result.imported,
                                                                        "rejected": len(result.errors)}, actor=by)
    return result
