from __future__ import annotations

from sqlalchemy import Boolean, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from gainportal.db import Base, UTCDateTime, utcnow
from gainportal.models.enums import AgencyKind


class Agency(Base):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(
        Enum(AgencyKind, native_enum=False, create_constraint=True, length=20,
             values_callable=lambda e: [m.value for m in e])
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @property
    def is_police(self) -> bool:
        return self.kind.is_police

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"
