"""Retention: every operation and request has a date after which its content is destroyed.

Destruction is crypto-shredding: the wrapped data key of the item and of every sealed row
under it is deleted first, which alone makes the ciphertext (in the database, its backups
and the upload store) unreadable even to someone holding every KEK; then the ciphertext
columns are cleared and the sealed files deleted. Rows themselves stay, content-free, so
references, audit records and statistics still resolve. The audit record of each item
proves what was destroyed by counts, never by content.

An item counts as shredded once its own data key is; an item that never sealed anything
gets a tombstone key (kek "shredded", nothing wrapped) so it is not processed again.
"""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gainportal.db import utcnow
from gainportal.models.operation import DecisionLogEntry, NominalLink, Operation, OperationReview
from gainportal.models.request import (
    Attachment, InformationRequest, Intervention, PartnerResponse, RequestSubject,
)
from gainportal.models.requirement import CollectionPlanItem, Requirement
from gainportal.models.sealing import DataKey
from gainportal.security.sealing import SealedText, forget_plain_key
from gainportal.services import audit, files, notifications
# One definition of the default date, shared with the cycle services that set it on creation.
from gainportal.services.dates import default_retention_date, today  # noqa: F401

TOMBSTONE_KEK = "shredded"
_BLIND_INDEX_COLUMNS = ("vrm_index", "postcode_index", "phone_index", "name_index")


class RetentionError(ValueError):
    """A refused retention change; ``message`` is written for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- shredding -----------------------------------------------------------------------------
@dataclass
class ShredTally:
    keys: int = 0
    ciphertexts: int = 0
    files: int = 0
    rows: Counter = field(default_factory=Counter)
    links_deleted: int = 0
    attachments: list[Attachment] = field(default_factory=list)

    def detail(self) -> dict:
        return {"data_keys_shredded": self.keys, "ciphertexts_cleared": self.ciphertexts,
                "files_deleted": self.files, "rows_by_table": dict(sorted(self.rows.items())),
                "nominal_links_deleted": self.links_deleted}


def _sealed_columns(cls) -> list[str]:
    seen = {}
    for klass in reversed(cls.__mro__):
        for value in vars(klass).values():
            if isinstance(value, SealedText):
                seen[value.column] = True
    return list(seen)


def _shred_row(obj, now: datetime, tally: ShredTally) -> None:
    key: DataKey | None = obj.data_key
    if key is not None and key.wrapped is not None:
        key.wrapped = None  # the step that makes everything below unrecoverable
        key.shredded_at = now
        tally.keys += 1
    for column in _sealed_columns(type(obj)):
        if getattr(obj, column) is not None:
            setattr(obj, column, None)
            tally.ciphertexts += 1
    if isinstance(obj, RequestSubject):
        for column in _BLIND_INDEX_COLUMNS:  # derived from the content: equality would outlive it
            setattr(obj, column, None)
    forget_plain_key(obj)
    tally.rows[obj.__tablename__] += 1


def _mark_item_shredded(obj, now: datetime) -> None:
    if obj.data_key is None:
        if not obj.uid:
            obj.uid = uuid.uuid4().hex
        obj.data_key = DataKey(kek_id=TOMBSTONE_KEK, wrapped=None, owner_table=obj.__tablename__,
                               owner_uid=obj.uid, shredded_at=now)
    elif obj.data_key.shredded_at is None:
        obj.data_key.shredded_at = now


def _shred_request_rows(session: Session, req: InformationRequest, now: datetime, tally: ShredTally) -> None:
    responses = session.scalars(select(PartnerResponse).where(PartnerResponse.request_id == req.id)).all()
    attachments = session.scalars(
        select(Attachment).join(PartnerResponse).where(PartnerResponse.request_id == req.id)).all()
    rows = [req, *req.questions, *req.subjects, *req.messages, *responses,
            *(a for r in responses for a in r.answers), *attachments]
    for obj in rows:
        _shred_row(obj, now, tally)
    tally.attachments.extend(attachments)
    _mark_item_shredded(req, now)


def _shred_operation_rows(session: Session, op: Operation, now: datetime, tally: ShredTally) -> None:
    requirements = session.scalars(select(Requirement).where(Requirement.operation_id == op.id)).all()
    plan_items = session.scalars(
        select(CollectionPlanItem).join(Requirement).where(Requirement.operation_id == op.id)).all()
    others = [session.scalars(select(model).where(model.operation_id == op.id)).all()
              for model in (OperationReview, DecisionLogEntry, Intervention)]
    # Notes on links to other OCGs describe this group, so they expire with it (either end).
    from gainportal.models.association import OperationAssociation
    ocg_links = session.scalars(select(OperationAssociation).where(
        (OperationAssociation.operation_id == op.id) | (OperationAssociation.other_id == op.id))).all()
    for obj in [op, *requirements, *plan_items, *(o for group in others for o in group), *ocg_links]:
        _shred_row(obj, now, tally)
    for req in session.scalars(select(InformationRequest).where(InformationRequest.operation_id == op.id)):
        _shred_request_rows(session, req, now, tally)
    # Nominals are a shared register with their own review; what expires here is this
    # operation's record that a person was linked to it.
    tally.links_deleted = session.execute(
        delete(NominalLink).where(NominalLink.operation_id == op.id)
        .execution_options(synchronize_session="fetch")).rowcount
    _mark_item_shredded(op, now)


def shred(session: Session, item: Operation | InformationRequest) -> ShredTally:
    """Crypto-shred one item and everything sealed under it, delete its files and audit it.
    The caller commits. Files are deleted before the commit: if the commit then fails, the
    keys survive but the files are gone, which for expired content errs the right way."""
    now, tally = utcnow(), ShredTally()
    if isinstance(item, Operation):
        _shred_operation_rows(session, item, now, tally)
    else:
        _shred_request_rows(session, item, now, tally)
    session.flush()
    tally.files = sum(files.delete_upload(a) for a in tally.attachments)
    audit.record(session, "retention_shredded", object_type=item.__tablename__, object_id=item.id,
                 detail={"reference": item.reference, "retention_until": item.retention_until.isoformat()
                         if item.retention_until else None, **tally.detail()})
    return tally


def _not_shredded(model):
    return (select(model).outerjoin(DataKey, model.data_key_id == DataKey.id)
            .where(DataKey.shredded_at.is_(None)))


def expired(session: Session, on: date, model) -> list:
    return session.scalars(_not_shredded(model).where(model.retention_until < on).order_by(model.id)).unique().all()


@dataclass
class RunResult:
    shredded: list[tuple[str, int, ShredTally]] = field(default_factory=list)
    warnings_queued: int = 0
    undated: int = 0


def run(session: Session, on: date | None = None, warn_days: int = 30) -> RunResult:
    """Shred every expired operation, then every expired request, committing per item;
    then queue expiry warnings."""
    on = on or today()
    result = RunResult()
    for model in (Operation, InformationRequest):
        for item_id in [item.id for item in expired(session, on, model)]:
            item = session.get(model, item_id)
            if item.data_key is not None and item.data_key.shredded_at is not None:
                continue  # already shredded with its operation in this run
            result.shredded.append((model.__tablename__, item.id, shred(session, item)))
            session.commit()
    result.warnings_queued = retention_warnings(session, days=warn_days, on=on)
    session.commit()
    result.undated = sum(len(session.scalars(_not_shredded(m).where(m.retention_until.is_(None))).unique().all())
                         for m in (Operation, InformationRequest))
    return result


# --- warnings ------------------------------------------------------------------------------
def _owner(item):
    return item.lro if isinstance(item, Operation) else item.created_by


def retention_warnings(session: Session, days: int = 30, on: date | None = None) -> int:
    """Queue a warning to the owner of each item due within ``days``. The message is the
    outbox's content-free text (no reference or name); deduplicated per item and date, so an
    extended item is warned again before its new date."""
    on = on or today()
    queued = 0
    for model in (Operation, InformationRequest):
        due = session.scalars(_not_shredded(model).where(
            model.retention_until >= on, model.retention_until <= on + timedelta(days=days))).unique().all()
        for item in due:
            owner = _owner(item)
            if owner is None:
                continue
            key = f"retention:{item.__tablename__}:{item.id}:{item.retention_until.isoformat()}"
            if notifications.queue(session, owner, "retention_warning", dedupe_key=key):
                queued += 1
    return queued


# --- extension -----------------------------------------------------------------------------
def extend_retention(session: Session, item: Operation | InformationRequest, new_date: date, reason: str,
                     by) -> DecisionLogEntry:
    """Move the retention date later, with a reason kept sealed in the operation's decision
    log; the audit record names the log entry, not the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise RetentionError("Enter a reason for keeping this item longer")
    if item.data_key is not None and item.data_key.shredded_at is not None:
        raise RetentionError("This item has already been deleted under the retention schedule")
    current = item.retention_until
    if new_date <= max(current or today(), today()):
        raise RetentionError("The new retention date must be later than the current one")
    if isinstance(item, InformationRequest):
        op_date = item.operation.retention_until
        if op_date is not None and new_date > op_date:
            raise RetentionError(
                f"The new retention date cannot be after the operation's ({op_date.day} {op_date:%B %Y}): "
                "extend the operation first")
        operation_id = item.operation_id
    else:
        operation_id = item.id
    entry = DecisionLogEntry(operation_id=operation_id, subject_type=item.__tablename__, subject_id=item.id,
                             decision="retention_extended", decided_by_id=by.id)
    entry.rationale = reason
    session.add(entry)
    item.retention_until = new_date
    session.flush()
    audit.record(session, "retention_extended", object_type=item.__tablename__, object_id=item.id, actor=by,
                 detail={"from": current.isoformat() if current else None, "to": new_date.isoformat(),
                         "decision_log_entry_id": entry.id})
    return entry
