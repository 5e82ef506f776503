from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gainportal.db import Base, UTCDateTime, utcnow
from gainportal.models.operation import Operation
from gainportal.models.sealing import SealedMixin
from gainportal.models.user import User
from gainportal.security.sealing import SealedText

AUDIENCES = ("police", "partner")


class IndoctrinationAgreement(SealedMixin, Base):
    """One version of an operation's agreement for one audience. Publishing a new version
    supersedes the old one: everyone must sign again before seeing anything more."""

    __tablename__ = "indoctrination_agreement"
    __table_args__ = (UniqueConstraint("operation_id", "audience", "version"),
                      # The current versions' ids, read by every visibility check without
                      # touching the rows (which carry the sealed agreement text).
                      Index("ix_indoctrination_agreement_current", "audience", "id",
                            postgresql_where=text("superseded_at IS NULL"),
                            sqlite_where=text("superseded_at IS NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    valid_months: Mapped[int] = mapped_column(Integer, default=12)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    published_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    text_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    text = SealedText()

    operation: Mapped[Operation] = relationship()
    published_by: Mapped[User] = relationship()


class Indoctrination(Base):
    """A person's place on an operation's indoctrination register: invited, then signed
    (which version, when, from where), possibly revoked (by whom, why)."""

    __tablename__ = "indoctrination"
    __table_args__ = (UniqueConstraint("operation_id", "user_id"),
                      # Every visibility check asks for one person's current or revoked entries.
                      Index("ix_indoctrination_user_revoked", "user_id", "revoked_at"),
                      # ... and the current ones' operations: answered from the index alone
                      # (a partner on 600 registers: 600 scattered rows read on every page).
                      Index("ix_indoctrination_user_current", "user_id", "agreement_id", "expires_at", "operation_id",
                            postgresql_where=text("revoked_at IS NULL"), sqlite_where=text("revoked_at IS NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    invited_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("indoctrination_agreement.id"), index=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_name: Mapped[str | None] = mapped_column(String(200))
    signed_ip: Mapped[str | None] = mapped_column(String(64))
    signed_user_agent: Mapped[str | None] = mapped_column(String(300))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revocation_reason: Mapped[str | None] = mapped_column(String(500))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    agreement: Mapped[IndoctrinationAgreement | None] = relationship(lazy="joined")
