"""GAIN co-ordination beside the cycle: referrals to a regional GAIN unit, circulations of
subjects to many agencies at once, hit / no hit / not held answers per subject per agency,
saved agency groups by theme, and each agency's disruption under its own powers.

Everything that identifies a person or says what an agency found is sealed; subjects are
looked up by blind index only."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gainportal.db import Base, UTCDateTime, utcnow
from gainportal.models.agency import Agency
from gainportal.models.enums import Classification, HandlingCode, LabelledEnum, enum_column
from gainportal.models.operation import Operation
from gainportal.models.request import InformationRequest
from gainportal.models.requirement import CollectionPlanItem, Requirement
from gainportal.models.sealing import SealedMixin
from gainportal.models.user import User
from gainportal.security.sealing import SealedJSON, SealedText


class ReferralState(LabelledEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MERGED = "merged"


class CirculationState(LabelledEnum):
    SENT = "sent"
    CLOSED = "closed"


class SubjectKind(LabelledEnum):
    PERSON = "person"
    VEHICLE = "vehicle"
    BUSINESS = "business"
    PREMISES = "premises"


class HitOutcome(str, enum.Enum):
    HIT = "hit"
    NO_HIT = "no_hit"
    NOT_HELD = "not_held"

    @property
    def label(self) -> str:
        return {"hit": "Hit", "no_hit": "No hit", "not_held": "Not a record type we hold"}[self.value]


class PowerKind(LabelledEnum):
    CIVIL = "civil"
    REGULATORY = "regulatory"
    CRIMINAL = "criminal"


class DisruptionStatus(LabelledEnum):
    PLANNED = "planned"
    DONE = "done"
    NOT_TAKEN = "not_taken"


class GainReferral(SealedMixin, Base):
    """A request for GAIN help: from an LRO's operation (with the requirement it serves) or
    from a partner agency with its own concern. The co-ordinator accepts, declines or merges
    it into another referral, always with a rationale."""

    __tablename__ = "gain_referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    gain_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)  # the regional GAIN unit
    referring_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[int | None] = mapped_column(ForeignKey("requirement.id"), index=True)
    state: Mapped[ReferralState] = mapped_column(enum_column(ReferralState), default=ReferralState.SUBMITTED,
                                                 index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("gain_referral.id"))
    referred_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The concern's marking: an operation's referral describes the operation, so it carries
    # the operation's marking; a partner's own concern is OFFICIAL-SENSITIVE. Whoever reads
    # the concern (the co-ordinator included) must be cleared for it.
    classification: Mapped[Classification] = mapped_column(
        enum_column(Classification), default=Classification.OFFICIAL_SENSITIVE)
    concern_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    concern = SealedText()
    rationale_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    rationale = SealedText()

    gain_agency: Mapped[Agency] = relationship(foreign_keys=[gain_agency_id], lazy="joined")
    referring_agency: Mapped[Agency] = relationship(foreign_keys=[referring_agency_id], lazy="joined")
    operation: Mapped[Operation | None] = relationship()
    requirement: Mapped[Requirement | None] = relationship()
    referred_by: Mapped[User] = relationship(foreign_keys=[referred_by_id], lazy="joined")
    merged_into: Mapped[GainReferral | None] = relationship(remote_side=[id])


class AgencyGroup(Base):
    """A GAIN unit's saved selection of agencies by theme, e.g. labour exploitation."""

    __tablename__ = "agency_group"
    __table_args__ = (UniqueConstraint("gain_agency_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gain_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    members: Mapped[list[AgencyGroupMember]] = relationship(back_populates="group", cascade="all, delete-orphan")


class AgencyGroupMember(Base):
    __tablename__ = "agency_group_member"
    __table_args__ = (UniqueConstraint("group_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("agency_group.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)

    group: Mapped[AgencyGroup] = relationship(back_populates="members")
    agency: Mapped[Agency] = relationship(lazy="joined")


class Circulation(SealedMixin, Base):
    """Subjects sent to many agencies at once. Partners see its reference, the plain-language
    purpose, the deadline, the marking and the subjects: never the operation or the group."""

    __tablename__ = "circulation"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    gain_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("gain_referral.id"), index=True)
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    state: Mapped[CirculationState] = mapped_column(enum_column(CirculationState), default=CirculationState.SENT,
                                                    index=True)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    classification: Mapped[Classification] = mapped_column(
        enum_column(Classification), default=Classification.OFFICIAL_SENSITIVE)
    handling_code: Mapped[HandlingCode] = mapped_column(enum_column(HandlingCode, 1), default=HandlingCode.P)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purpose_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    purpose = SealedText()

    gain_agency: Mapped[Agency] = relationship(lazy="joined")
    referral: Mapped[GainReferral] = relationship()
    operation: Mapped[Operation | None] = relationship()
    created_by: Mapped[User] = relationship()
    subjects: Mapped[list[CirculationSubject]] = relationship(
        back_populates="circulation", order_by="CirculationSubject.position", cascade="all, delete-orphan")
    targets: Mapped[list[CirculationTarget]] = relationship(
        back_populates="circulation", order_by="CirculationTarget.id", cascade="all, delete-orphan")

    def is_overdue(self, today: date) -> bool:
        return self.state is CirculationState.SENT and self.deadline < today


class CirculationSubject(SealedMixin, Base):
    """A person (name, DOB, address), vehicle, business or premises to check."""

    __tablename__ = "circulation_subject"
    __table_args__ = (UniqueConstraint("circulation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circulation_id: Mapped[int] = mapped_column(ForeignKey("circulation.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[SubjectKind] = mapped_column(enum_column(SubjectKind))
    # {"name", "dob", "address", "postcode", "vrm", "business"}
    details_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    details = SealedJSON()
    name_index: Mapped[str | None] = mapped_column(String(32), index=True)
    vrm_index: Mapped[str | None] = mapped_column(String(32), index=True)
    postcode_index: Mapped[str | None] = mapped_column(String(32), index=True)

    circulation: Mapped[Circulation] = relationship(back_populates="subjects")

    @property
    def label(self) -> str:
        return f"S{self.position}"


class CirculationTarget(Base):
    """One agency asked by a circulation: its slice of the matrix, the partner's item."""

    __tablename__ = "circulation_target"
    __table_args__ = (UniqueConstraint("circulation_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circulation_id: Mapped[int] = mapped_column(ForeignKey("circulation.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    # Follow-up requests to this agency hang off one collection plan item per circulation.
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("collection_plan_item.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_chased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    circulation: Mapped[Circulation] = relationship(back_populates="targets", lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")
    plan_item: Mapped[CollectionPlanItem | None] = relationship()
    results: Mapped[list[CirculationResult]] = relationship(back_populates="target", cascade="all, delete-orphan")

    @property
    def operation_id(self) -> int | None:
        # Whose agreement governs what the partner sees (permissions._offer_signing reads it).
        return self.circulation.operation_id


class _SealedOutcome(SealedText):
    def encode(self, value) -> bytes:
        return HitOutcome(value).value.encode()

    def decode(self, raw: bytes) -> HitOutcome:
        return HitOutcome(raw.decode())


class CirculationResult(SealedMixin, Base):
    """Hit, no hit or not held for one subject from one agency. Recorded once: a correction
    goes through the co-ordinator, so the trail never changes under anyone's feet."""

    __tablename__ = "circulation_result"
    __table_args__ = (UniqueConstraint("target_id", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("circulation_target.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("circulation_subject.id", ondelete="CASCADE"), index=True)
    outcome_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    outcome = _SealedOutcome()  # sealed like any answer: the fact of a hit is intelligence
    answered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    answered_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    followup_request_id: Mapped[int | None] = mapped_column(ForeignKey("information_request.id"), index=True)
    note_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    note = SealedText()

    target: Mapped[CirculationTarget] = relationship(back_populates="results")
    subject: Mapped[CirculationSubject] = relationship(lazy="joined")
    followup_request: Mapped[InformationRequest | None] = relationship()


class DisruptionAction(SealedMixin, Base):
    """What one agency will do under its own powers (fines, prohibition notices, licence
    reviews...), with owner, date and outcome. The operation shows every agency's together."""

    __tablename__ = "disruption_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    circulation_id: Mapped[int] = mapped_column(ForeignKey("circulation.id", ondelete="CASCADE"), index=True)
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    power: Mapped[PowerKind] = mapped_column(enum_column(PowerKind))
    status: Mapped[DisruptionStatus] = mapped_column(enum_column(DisruptionStatus), default=DisruptionStatus.PLANNED)
    action_date: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Owner is a named officer of the acting agency, who may not have an account here.
    owner_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    owner = SealedText()
    action_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    action = SealedText()
    outcome_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    outcome = SealedText()

    agency: Mapped[Agency] = relationship(lazy="joined")
    circulation: Mapped[Circulation] = relationship(lazy="joined")
