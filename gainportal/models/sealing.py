from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from gainportal.db import Base, UTCDateTime, utcnow


class DataKey(Base):
    """One random 256-bit data key per sealed item, stored only wrapped by a KEK from the
    keyring outside the database. Deleting ``wrapped`` crypto-shreds the item."""

    __tablename__ = "data_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(64), index=True)
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    owner_table: Mapped[str] = mapped_column(String(60))
    owner_uid: Mapped[str] = mapped_column(String(32), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SealedMixin:
    """For models with sealed columns (declared with ``SealedText``/``SealedJSON``).

    ``uid`` is made on first sealing, before the row has an id, so associated data can
    bind a ciphertext to its row from the start."""

    uid: Mapped[str | None] = mapped_column(String(32), unique=True)

    @declared_attr
    def data_key_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("data_key.id"), index=True)

    @declared_attr
    def data_key(cls) -> Mapped[DataKey | None]:
        return relationship(DataKey, lazy="joined")
