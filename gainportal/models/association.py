"""Links between nominals (family and associations) and between operations (linked and
rival OCGs), as the guidance's association charts and family trees need them.

A link carries its own marking (like a nominal): it is shown only to someone cleared for
it who may see both ends. Why it was recorded (rationale, note) may name people or sources,
so it is sealed; the kind of source is a short vocabulary and stays clear for reporting.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gainportal.db import Base, UTCDateTime, utcnow
from gainportal.models.enums import Classification, LabelledEnum, enum_column
from gainportal.models.operation import Nominal, Operation
from gainportal.models.sealing import SealedMixin
from gainportal.models.user import User
from gainportal.security.sealing import SealedText


class LinkKind(LabelledEnum):
    """How two nominals are tied. ``PARENT`` is directed (the first nominal is the parent of
    the second); every other kind reads the same both ways."""

    PARENT = "parent"
    SIBLING = "sibling"
    PARTNER = "partner"
    COUSIN = "cousin"
    OTHER_RELATIVE = "other_relative"
    ASSOCIATE = "associate"
    BUSINESS_PARTNER = "business_partner"
    RIVAL = "rival"

    @property
    def is_family(self) -> bool:
        return self in FAMILY_KINDS

    @property
    def directed(self) -> bool:
        return self is LinkKind.PARENT

    @property
    def label(self) -> str:
        return LINK_LABELS[self]


FAMILY_KINDS = frozenset({LinkKind.PARENT, LinkKind.SIBLING, LinkKind.PARTNER, LinkKind.COUSIN,
                          LinkKind.OTHER_RELATIVE})
LINK_LABELS = {
    LinkKind.PARENT: "Parent of",
    LinkKind.SIBLING: "Sibling",
    LinkKind.PARTNER: "Partner or spouse",
    LinkKind.COUSIN: "Cousin",
    LinkKind.OTHER_RELATIVE: "Other relative",
    LinkKind.ASSOCIATE: "Associate",
    LinkKind.BUSINESS_PARTNER: "Business partner",
    LinkKind.RIVAL: "Rival",
}


class LinkSource(LabelledEnum):
    POLICE_RECORD = "police_record"
    PARTNER_ANSWER = "partner_answer"
    INTELLIGENCE_REPORT = "intelligence_report"
    OPEN_SOURCE = "open_source"
    PUBLIC_RECORD = "public_record"  # births, marriages, Companies House
    OTHER = "other"


class OperationLinkKind(LabelledEnum):
    LINKED = "linked"
    RIVAL = "rival"

    @property
    def label(self) -> str:
        return {"linked": "Linked OCG", "rival": "Rival OCG"}[self.value]


class NominalAssociation(SealedMixin, Base):
    """A family link or association between two nominals. Undirected kinds are stored with
    the lower nominal id first so the same pair cannot be recorded twice."""

    __tablename__ = "nominal_association"
    __table_args__ = (
        UniqueConstraint("nominal_id", "other_id", "kind"),
        CheckConstraint("nominal_id <> other_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nominal_id: Mapped[int] = mapped_column(ForeignKey("nominal.id", ondelete="CASCADE"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("nominal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LinkKind] = mapped_column(enum_column(LinkKind))
    classification: Mapped[Classification] = mapped_column(
        enum_column(Classification), default=Classification.OFFICIAL_SENSITIVE)
    source: Mapped[LinkSource] = mapped_column(enum_column(LinkSource), default=LinkSource.POLICE_RECORD)
    # Set when the link was recorded from a confirmed cross-match ("possible relative").
    match_candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("match_candidate.id", ondelete="SET NULL"), index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    rationale_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    rationale = SealedText()

    nominal: Mapped[Nominal] = relationship(foreign_keys=[nominal_id], lazy="joined")
    other: Mapped[Nominal] = relationship(foreign_keys=[other_id], lazy="joined")
    recorded_by: Mapped[User] = relationship(lazy="joined")

    def other_end(self, nominal_id: int) -> Nominal:
        return self.other if self.nominal_id == nominal_id else self.nominal


class OperationAssociation(SealedMixin, Base):
    """Two OCGs (operations) that work together or are rivals (feuds, turf disputes). Stored
    with the lower operation id first; the note is sealed."""

    __tablename__ = "operation_association"
    __table_args__ = (
        UniqueConstraint("operation_id", "other_id", "kind"),
        CheckConstraint("operation_id <> other_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[OperationLinkKind] = mapped_column(enum_column(OperationLinkKind))
    classification: Mapped[Classification] = mapped_column(
        enum_column(Classification), default=Classification.OFFICIAL_SENSITIVE)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    note = SealedText()

    operation: Mapped[Operation] = relationship(foreign_keys=[operation_id], lazy="joined")
    other: Mapped[Operation] = relationship(foreign_keys=[other_id], lazy="joined")
    recorded_by: Mapped[User] = relationship(lazy="joined")

    def other_end(self, operation_id: int) -> Operation:
        return self.other if self.operation_id == operation_id else self.operation
