from __future__ import annotations

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gainportal.db import Base, UTCDateTime, utcnow
from gainportal.models.agency import Agency
from gainportal.models.enums import Classification
from gainportal.models.user import User


class Operation(Base):
    """One operation per organised crime group, owned by a force and led by an LRO."""

    __tablename__ = "operation"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    owning_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    lro_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    classification: Mapped[Classification] = mapped_column(
        Enum(Classification, native_enum=False, create_constraint=True, length=20,
             values_callable=lambda e: [m.value for m in e]),
        default=Classification.OFFICIAL_SENSITIVE,
    )
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    owning_agency: Mapped[Agency] = relationship(lazy="joined")
    lro: Mapped[User | None] = relationship()
