from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON, Float, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, event, select, text,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from gainportal.db import Base, UTCDateTime, utcnow
from gainportal.models.operation import Nominal
from gainportal.models.request import Answer, InformationRequest, PartnerResponse
from gainportal.models.sealing import SealedMixin
from gainportal.models.user import User
from gainportal.security.sealing import SealedJSON, SealedText


class NominalKey(Base):
    """Keyed blind index of a nominal's identifiers (DOB, postcode, VRM, phone, name), so
    the register can be searched by value without a clear column."""

    __tablename__ = "nominal_key"
    __table_args__ = (UniqueConstraint("nominal_id", "kind", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nominal_id: Mapped[int] = mapped_column(ForeignKey("nominal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    digest: Mapped[str] = mapped_column(String(32), index=True)


PENDING = "status = 'pending'"


class MatchCandidate(SealedMixin, Base):
    """A nominal proposed for a partner answer. Nothing is linked until an analyst confirms;
    the features (which may quote identifiers) are sealed."""

    __tablename__ = "match_candidate"
    __table_args__ = (UniqueConstraint("answer_id", "nominal_id"),
                      # The review queue: pending candidates, strongest first.
                      Index("ix_match_candidate_status_tier_score", "status", "tier", "score"),
                      # Who may see a candidate follows its answer's request: from the
                      # requests a person may see straight to their candidates.
                      Index("ix_match_candidate_request_id_status", "request_id", "status"),
                      # The review queue's rule: the pending candidates of the operations a
                      # person may see, the queue's columns carried in the index (PostgreSQL).
                      Index("ix_match_candidate_pending_by_request_operation", "request_operation_id",
                            postgresql_include=["tier", "score", "id", "request_id", "response_id"],
                            postgresql_where=text(PENDING), sqlite_where=text(PENDING)))

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"), index=True)
    # The answer's response and request, copied from it when the candidate is made (an
    # answer never moves): the visibility rule reaches candidates from the requests a person
    # may see without walking every response and answer in between (20 -> 6 ms for a
    # supervisor's queue at national size). Filled from the answer as the row is inserted
    # (_copy_answer_source), whoever creates it.
    response_id: Mapped[int] = mapped_column(ForeignKey("partner_response.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_request.id", ondelete="CASCADE"))
    # ...and that request's operation (a request never moves), for the queue's index. Not
    # ``operation_id``, which is the nominal's operation: an answer to one operation's
    # request may name a nominal of another.
    request_operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"))
    nominal_id: Mapped[int] = mapped_column(ForeignKey("nominal.id", ondelete="CASCADE"), index=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(10))
    relationship_kind: Mapped[str] = mapped_column(String(20), default="self")
    span_start: Mapped[int | None] = mapped_column(Integer)
    span_end: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # pending | confirmed | rejected
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    features_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    features = SealedJSON()
    rationale_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    rationale = SealedText()

    answer: Mapped[Answer] = relationship(lazy="joined")
    nominal: Mapped[Nominal] = relationship(lazy="joined")
    decided_by: Mapped[User | None] = relationship()


# session.info key: {answer id: (response id, request id, request's operation id)} that the
# caller has just read from the database in this transaction (a re-match step reads a
# thousand responses' answers at once).
ANSWER_SOURCES = "gainportal_answer_sources"


@event.listens_for(MatchCandidate, "before_insert")
def _copy_answer_source(_mapper, connection, target: MatchCandidate) -> None:
    # Read from the database, not from whatever the caller set: the copy can only ever be
    # the answer's own response and request.
    session = object_session(target)
    known = session.info.get(ANSWER_SOURCES) if session is not None else None
    row = known.get(target.answer_id) if known else None
    if row is None:
        row = connection.execute(select(PartnerResponse.id, PartnerResponse.request_id, InformationRequest.operation_id)
                                 .join(Answer, Answer.response_id == PartnerResponse.id)
                                 .join(InformationRequest, InformationRequest.id == PartnerResponse.request_id)
                                 .where(Answer.id == target.answer_id)).one()
    target.response_id, target.request_id, target.request_operation_id = row
