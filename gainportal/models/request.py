from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gainportal.db import Base, UTCDateTime, utcnow
from gainportal.models.agency import Agency
from gainportal.models.enums import (
    AnswerOutcome, Classification, HandlingCode, Heading, RequestState, ResponseState, enum_column,
)
from gainportal.models.operation import Operation
from gainportal.models.requirement import CollectionPlanItem
from gainportal.models.sealing import SealedMixin
from gainportal.models.user import User
from gainportal.security.sealing import SealedJSON, SealedText

OPEN_STATES = (RequestState.ISSUED, RequestState.ACKNOWLEDGED)


class InformationRequest(SealedMixin, Base):
    """Specific, plain-language questions to one partner agency."""

    __tablename__ = "information_request"
    __table_args__ = (
        # What waits for a partner, soonest deadline first (their dashboard). Partial: with the
        # state in the key, two open states would need a sort, and the planner then prefers
        # walking the global deadline index past ~60,000 other agencies' requests.
        Index("ix_information_request_open_agency_deadline", "agency_id", "deadline",
              postgresql_where=text("state IN ('issued', 'acknowledged')"),
              sqlite_where=text("state IN ('issued', 'acknowledged')")),
        # The requests of the operations a person may see, with the marking the rule also
        # reads: on PostgreSQL an index-only walk (the cross-match queue's rule goes through
        # ~2,000 of an analyst's requests; from the table that was a heap page each).
        Index("ix_information_request_operation_id", "operation_id",
              postgresql_include=["classification", "id"]),
        # An operation's requests by state (LRO dashboard counts, the operation page).
        Index("ix_information_request_operation_state", "operation_id", "state"),
        # An operation's requests issued in a period (the co-ordinator's agency table).
        Index("ix_information_request_operation_id_issued_at", "operation_id", "issued_at"),
        # A partner's inbox page and its total from the index alone (PostgreSQL carries the two
        # columns the visibility check reads).
        Index("ix_information_request_agency_id_state_deadline_id", "agency_id", "state", "deadline", "id",
              postgresql_include=["classification", "operation_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"))
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("collection_plan_item.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    state: Mapped[RequestState] = mapped_column(enum_column(RequestState), default=RequestState.DRAFT, index=True)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    classification: Mapped[Classification] = mapped_column(
        enum_column(Classification), default=Classification.OFFICIAL_SENSITIVE)
    handling_code: Mapped[HandlingCode] = mapped_column(enum_column(HandlingCode, 1), default=HandlingCode.P)
    handling_conditions: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retention_until: Mapped[date | None] = mapped_column(Date, index=True)
    # Set when a Freedom of Information or subject access request touches this request.
    disclosure_flag: Mapped[str | None] = mapped_column(String(20))
    # Bumped on every state change: a second writer with a stale copy loses cleanly.
    lock_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    # The plain-language purpose a partner reads; and a reason when the jargon check was overridden.
    purpose_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    purpose = SealedText()
    jargon_override_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    jargon_override = SealedText()
    state_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    state_reason = SealedText()

    __mapper_args__ = {"version_id_col": lock_version}

    operation: Mapped[Operation] = relationship(lazy="joined")
    plan_item: Mapped[CollectionPlanItem | None] = relationship()
    agency: Mapped[Agency] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship()
    questions: Mapped[list[RequestQuestion]] = relationship(
        back_populates="request", order_by="RequestQuestion.position", cascade="all, delete-orphan")
    subjects: Mapped[list[RequestSubject]] = relationship(
        back_populates="request", order_by="RequestSubject.id", cascade="all, delete-orphan")
    messages: Mapped[list[RequestMessage]] = relationship(
        back_populates="request", order_by="RequestMessage.id", cascade="all, delete-orphan")

    def is_overdue(self, today: date) -> bool:
        return self.state in OPEN_STATES and self.deadline < today


class RequestQuestion(SealedMixin, Base):
    __tablename__ = "request_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_request.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[Heading] = mapped_column(enum_column(Heading))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    text_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    text = SealedText()

    request: Mapped[InformationRequest] = relationship(back_populates="questions")
    assigned_to: Mapped[User | None] = relationship(lazy="joined")


class RequestSubject(SealedMixin, Base):
    """Someone or something the partner is asked to check. Looked up by blind index only."""

    __tablename__ = "request_subject"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_request.id", ondelete="CASCADE"), index=True)
    # {"name", "dob", "address", "postcode", "vrm", "phone"}
    details_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    details = SealedJSON()
    vrm_index: Mapped[str | None] = mapped_column(String(32), index=True)
    postcode_index: Mapped[str | None] = mapped_column(String(32), index=True)
    phone_index: Mapped[str | None] = mapped_column(String(32), index=True)
    name_index: Mapped[str | None] = mapped_column(String(32), index=True)

    request: Mapped[InformationRequest] = relationship(back_populates="subjects")


class RequestMessage(SealedMixin, Base):
    """Clarification messages, both ways, while a request is open."""

    __tablename__ = "request_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_request.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    from_partner: Mapped[bool] = mapped_column()
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    body_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    body = SealedText()

    request: Mapped[InformationRequest] = relationship(back_populates="messages")
    author: Mapped[User] = relationship(lazy="joined")


UNMATCHED = "matched_at IS NULL AND submitted_at IS NOT NULL"


class PartnerResponse(SealedMixin, Base):
    """The partner agency's submission. A draft may be saved and resumed; once submitted it
    is immutable (a correction is a new version)."""

    __tablename__ = "partner_response"
    __table_args__ = (UniqueConstraint("request_id", "version"), UniqueConstraint("idempotency_key"),
                      # Submitted answers not yet checked against the register (the worker's
                      # sweep, the analyst's "waiting" count): only those rows are in it.
                      Index("ix_partner_response_unmatched", "submitted_at",
                            postgresql_where=text(UNMATCHED), sqlite_where=text(UNMATCHED)))

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_request.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[ResponseState] = mapped_column(enum_column(ResponseState), default=ResponseState.DRAFT)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the answers were cross-matched against the nominal register (by the job worker
    # after the submission committed); None while that is still to happen.
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    grading: Mapped[str | None] = mapped_column(String(3))  # 3x5x2: e.g. "1A" plus handling code on request
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The partner, as originator, sets the handling of its own answers.
    classification: Mapped[Classification] = mapped_column(
        enum_column(Classification), default=Classification.OFFICIAL_SENSITIVE, server_default="OFFICIAL-SENSITIVE")
    handling_code: Mapped[HandlingCode] = mapped_column(enum_column(HandlingCode, 1), default=HandlingCode.P,
                                                        server_default="P")
    handling_conditions: Mapped[dict] = mapped_column(JSON, default=dict)

    request: Mapped[InformationRequest] = relationship(lazy="joined")
    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])


class Answer(SealedMixin, Base):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("partner_response.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("request_question.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[AnswerOutcome | None] = mapped_column(enum_column(AnswerOutcome))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    text_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    text = SealedText()

    response: Mapped[PartnerResponse] = relationship(back_populates="answers")
    question: Mapped[RequestQuestion] = relationship(lazy="joined")
    answered_by: Mapped[User | None] = relationship(lazy="joined")


class Attachment(SealedMixin, Base):
    """A file sent with a response. Content is in the upload store, sealed in chunks."""

    __tablename__ = "attachment"
    # One file per upload form and question, however often the form is sent (a double
    # click, a browser resend): the database settles two copies racing in at once.
    __table_args__ = (UniqueConstraint("response_id", "question_id", "upload_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("partner_response.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("request_question.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    filename_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    filename = SealedText()
    # The one-time token of the form that sent the file; none for files stored another way.
    upload_token: Mapped[str | None] = mapped_column(String(64))

    response: Mapped[PartnerResponse] = relationship()


class Intervention(SealedMixin, Base):
    """The response to the answers: what operational business the intelligence drives."""

    __tablename__ = "intervention"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[int | None] = mapped_column(ForeignKey("requirement.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("information_request.id"), index=True)
    pillar: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    due_date: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    action_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    action = SealedText()

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")


class Notification(Base):
    """Outbox of content-free emails; sent by SMTP when configured, else written to the log."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship(lazy="joined")
