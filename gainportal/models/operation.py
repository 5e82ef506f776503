from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gainportal.db import Base, UTCDateTime, utcnow
from gainportal.models.agency import Agency
from gainportal.models.enums import (
    Classification, NominalRole, OperationStatus, Pillar, enum_column,
)
from gainportal.models.sealing import SealedMixin
from gainportal.models.user import User
from gainportal.security.sealing import SealedJSON, SealedText

OCGM_BANDS = [f"{n}{l}" for n in range(1, 6) for l in "ABC"]
P_BANDS = ["P1", "P2", "P3", "P4"]
# Tier → months between reviews (LRO guidance, Part 1 Section C).
REVIEW_MONTHS = {1: 1, 2: 3, 3: 3, 4: 6}
TIER_LABELS = {
    1: "Tier 1: comprehensive operational or investigative intervention",
    2: "Tier 2: limited plan or action that prevents or disrupts",
    3: "Tier 3: proactive intelligence development",
    4: "Tier 4: developing opportunities for action",
}


class Operation(SealedMixin, Base):
    """One operation per organised crime group, owned by a force and led by an LRO."""

    __tablename__ = "operation"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    owning_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    lro_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    classification: Mapped[Classification] = mapped_column(
        enum_column(Classification), default=Classification.OFFICIAL_SENSITIVE)
    ocgm_band: Mapped[str | None] = mapped_column(String(2))
    tier: Mapped[int] = mapped_column(Integer, default=3)
    p_band: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[OperationStatus] = mapped_column(enum_column(OperationStatus), default=OperationStatus.ACTIVE)
    last_review_at: Mapped[date | None] = mapped_column(Date)
    next_review_due: Mapped[date | None] = mapped_column(Date, index=True)
    retention_until: Mapped[date | None] = mapped_column(Date, index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Criminality summary, in the LRO's words: sealed, it may name people.
    summary_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    summary = SealedText()

    owning_agency: Mapped[Agency] = relationship(lazy="joined")
    lro: Mapped[User | None] = relationship()
    p_leads: Mapped[list[OperationPLead]] = relationship(back_populates="operation", cascade="all, delete-orphan")
    nominal_links: Mapped[list[NominalLink]] = relationship(back_populates="operation", cascade="all, delete-orphan")

    @property
    def review_months(self) -> int:
        return REVIEW_MONTHS[self.tier]

    def review_overdue(self, today: date) -> bool:
        return self.next_review_due is not None and self.next_review_due < today


class OperationPLead(Base):
    __tablename__ = "operation_p_lead"
    __table_args__ = (UniqueConstraint("operation_id", "pillar"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    pillar: Mapped[Pillar] = mapped_column(enum_column(Pillar))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    operation: Mapped[Operation] = relationship(back_populates="p_leads")
    user: Mapped[User] = relationship(lazy="joined")


class OperationReview(SealedMixin, Base):
    __tablename__ = "operation_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # scheduled | trigger
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    next_review_due: Mapped[date] = mapped_column(Date)
    notes_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    notes = SealedText()

    reviewed_by: Mapped[User] = relationship(lazy="joined")


class Nominal(SealedMixin, Base):
    """A person known to police. Everything that identifies them is sealed; the nominal
    register (cross-matching issue) adds blind indexes for lookup."""

    __tablename__ = "nominal"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    classification: Mapped[Classification] = mapped_column(
        enum_column(Classification), default=Classification.OFFICIAL_SENSITIVE)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # {"forenames", "surname", "aliases": [], "dob", "address", "postcode", "vrms": [], "phones": [], "businesses": []}
    details_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    details = SealedJSON()
    # Bumped on every save of the details: the matching index of each process compares the
    # register's total against the one it was built from (ids alone miss edits).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)

    links: Mapped[list[NominalLink]] = relationship(back_populates="nominal", cascade="all, delete-orphan")

    @property
    def display_name(self) -> str:
        return nominal_display_name(self.details)


def nominal_display_name(details: dict | None) -> str:
    """"SURNAME, Forenames", from a nominal's opened details (lists that read the sealed
    details without loading the Nominal use it too)."""
    d = details or {}
    return f"{(d.get('surname') or '').upper()}, {d.get('forenames') or ''}".strip(", ")


class NominalLink(Base):
    __tablename__ = "nominal_link"
    __table_args__ = (UniqueConstraint("operation_id", "nominal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    nominal_id: Mapped[int] = mapped_column(ForeignKey("nominal.id", ondelete="CASCADE"), index=True)
    role: Mapped[NominalRole] = mapped_column(enum_column(NominalRole))
    linked_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    operation: Mapped[Operation] = relationship(back_populates="nominal_links")
    nominal: Mapped[Nominal] = relationship(back_populates="links", lazy="joined")


class DecisionLogEntry(SealedMixin, Base):
    """CPIA decision log: every decision with its rationale, including what is not done."""

    __tablename__ = "decision_log_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(80))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    # The subject's marking when the decision was logged, where the subject carries its own:
    # the rationale may quote it, and it stays hidden from people not cleared for it after
    # the subject itself is gone (a link removed). None: the operation's rules alone.
    classification: Mapped[Classification | None] = mapped_column(enum_column(Classification), nullable=True)
    rationale_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    rationale = SealedText()

    decided_by: Mapped[User] = relationship(lazy="joined")
