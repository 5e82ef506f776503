from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gainportal.db import Base, UTCDateTime, utcnow
from gainportal.models.agency import Agency
from gainportal.models.enums import Classification, LawfulBasis, enum_column
from gainportal.models.operation import Operation
from gainportal.models.sealing import SealedMixin
from gainportal.models.user import User
from gainportal.security.sealing import SealedText


class Dissemination(SealedMixin, Base):
    """Sharing beyond the operation (an export or a briefing): why, on what basis, to whom.
    C items needing the originator's consent hold it at "awaiting consent" until every
    originating agency has said yes; the register lists every release."""

    __tablename__ = "dissemination"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # export | briefing
    status: Mapped[str] = mapped_column(String(20), index=True)  # awaiting_consent | ready | refused | released
    lawful_basis: Mapped[LawfulBasis] = mapped_column(enum_column(LawfulBasis, 30))
    marking: Mapped[Classification] = mapped_column(enum_column(Classification))
    # Which responses (by id) the export carries; content is read at release time.
    response_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    purpose_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    purpose = SealedText()
    necessity_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    necessity = SealedText()
    recipients_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    recipients = SealedText()

    operation: Mapped[Operation] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined")
    consents: Mapped[list[ConsentRequest]] = relationship(back_populates="dissemination",
                                                          cascade="all, delete-orphan")


class ConsentRequest(SealedMixin, Base):
    """The originating agency's decision on releasing its C-coded answers."""

    __tablename__ = "consent_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    dissemination_id: Mapped[int] = mapped_column(ForeignKey("dissemination.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("partner_response.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # pending | granted | refused
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason = SealedText()

    dissemination: Mapped[Dissemination] = relationship(back_populates="consents")
    agency: Mapped[Agency] = relationship(lazy="joined")


class SanitisedBriefing(SealedMixin, Base):
    """A new item derived from the operation with names, addresses and source detail
    removed and a lower marking; made by one person, approved by another."""

    __tablename__ = "sanitised_briefing"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    marking: Mapped[Classification] = mapped_column(enum_column(Classification))
    status: Mapped[str] = mapped_column(String(20), default="awaiting_approval")  # awaiting_approval | approved | rejected
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    text_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    text = SealedText()

    operation: Mapped[Operation] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
