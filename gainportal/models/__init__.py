"""Every model, imported so Alembic and the tests see the whole metadata."""
from gainportal.models.agency import Agency
from gainportal.models.audit import AuditEvent
from gainportal.models.enums import (
    AgencyKind, AnswerOutcome, Classification, Clearance, CollectionMethod, HandlingCode, Heading,
    InternalSource, LawfulBasis, NominalRole, OperationStatus, Pillar, Priority, RequestState,
    RequirementState, ResponseState, Role,
)
from gainportal.models.dissemination import ConsentRequest, Dissemination, SanitisedBriefing
from gainportal.models.indoctrination import Indoctrination, IndoctrinationAgreement
from gainportal.models.matching import MatchCandidate, NominalKey
from gainportal.models.operation import (
    DecisionLogEntry, Nominal, NominalLink, Operation, OperationPLead, OperationReview,
)
from gainportal.models.request import (
    Answer, Attachment, InformationRequest, Intervention, Notification, PartnerResponse,
    RequestMessage, RequestQuestion, RequestSubject,
)
from gainportal.models.requirement import CollectionPlanItem, Requirement
from gainportal.models.sealing import DataKey
from gainportal.models.user import Invitation, RecoveryCode, User, UserSession

__all__ = [
    "Agency", "AgencyKind", "Answer", "AnswerOutcome", "Attachment", "AuditEvent", "Classification",
    "Clearance", "CollectionMethod", "ConsentRequest", "Dissemination", "SanitisedBriefing", "CollectionPlanItem", "DataKey", "DecisionLogEntry", "HandlingCode",
    "Heading", "Indoctrination", "IndoctrinationAgreement", "InformationRequest", "InternalSource", "Intervention", "Invitation", "LawfulBasis", "MatchCandidate", "NominalKey",
    "Nominal", "NominalLink", "NominalRole", "Notification", "Operation", "OperationPLead",
    "OperationReview", "OperationStatus", "PartnerResponse", "Pillar", "Priority", "RecoveryCode",
    "RequestMessage", "RequestQuestion", "RequestState", "RequestSubject", "Requirement",
    "RequirementState", "ResponseState", "Role", "User", "UserSession",
]
from gainportal.models.circulation import (  # noqa: E402,F401  GAIN co-ordination (issue 9)
    AgencyGroup, AgencyGroupMember, Circulation, CirculationResult, CirculationSubject, CirculationTarget,
    DisruptionAction, GainReferral,
)
from gainportal.models.association import (  # noqa: E402,F401  family links and OCG links (issues 6, 7)
    LinkKind, LinkSource, NominalAssociation, OperationAssociation, OperationLinkKind,
)
