from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gainportal.db import Base, UTCDateTime, utcnow
from gainportal.models.agency import Agency
from gainportal.models.enums import (
    CollectionMethod, InternalSource, LawfulBasis, Pillar, Priority, RequirementState, enum_column,
)
from gainportal.models.operation import Operation
from gainportal.models.sealing import SealedMixin
from gainportal.models.user import User
from gainportal.security.sealing import SealedText


class Requirement(SealedMixin, Base):
    """What the LRO needs to know, and the intervention it will drive (need, not nice, to know)."""

    __tablename__ = "requirement"
    __table_args__ = (UniqueConstraint("operation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    pillar: Mapped[Pillar] = mapped_column(enum_column(Pillar))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.MEDIUM)
    state: Mapped[RequirementState] = mapped_column(enum_column(RequirementState), default=RequirementState.DRAFT,
                                                    index=True)
    review_date: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    gap_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    gap = SealedText()
    intent_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    intent = SealedText()

    operation: Mapped[Operation] = relationship(lazy="joined")
    plan_items: Mapped[list[CollectionPlanItem]] = relationship(back_populates="requirement",
                                                                order_by="CollectionPlanItem.id")

    @property
    def reference(self) -> str:
        return f"{self.operation.reference}/R{self.number}"


class CollectionPlanItem(SealedMixin, Base):
    """From whom (a partner agency or an internal source), how, on what lawful basis, by when."""

    __tablename__ = "collection_plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id", ondelete="CASCADE"), index=True)
    source_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    internal_source: Mapped[InternalSource | None] = mapped_column(enum_column(InternalSource, 30))
    method: Mapped[CollectionMethod] = mapped_column(enum_column(CollectionMethod))
    lawful_basis: Mapped[LawfulBasis] = mapped_column(enum_column(LawfulBasis, 30))
    isa_reference: Mapped[str | None] = mapped_column(String(80))
    due_date: Mapped[date] = mapped_column(Date)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    notes_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    notes = SealedText()

    requirement: Mapped[Requirement] = relationship(back_populates="plan_items", lazy="joined")
    source_agency: Mapped[Agency | None] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(lazy="joined")

    @property
    def source_label(self) -> str:
        if self.source_agency is not None:
            return self.source_agency.name
        return self.internal_source.label if self.internal_source else "Not set"
