from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gainportal.db import Base, UTCDateTime


class AuditEvent(Base):
    """Append-only, hash-chained record. Triggers made by the migration refuse UPDATE and
    DELETE; ``hash`` covers every column and the previous row's hash, so a row changed or
    removed behind the triggers' back breaks the chain at that point."""

    __tablename__ = "audit_event"
    # "Who has seen it": the views of one item, in a table that grows with every page view.
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at = mapped_column(UTCDateTime, nullable=False, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(60))
    ip: Mapped[str | None] = mapped_column(String(64))
    # Non-sensitive facts only (ids, states, reasons chosen from lists): never content.
    detail: Mapped[str] = mapped_column(Text, default="{}")
    handling: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
