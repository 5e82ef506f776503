"""Every model, imported so Alembic and the tests see the whole metadata."""
from gainportal.models.agency import Agency
from gainportal.models.audit import AuditEvent
from gainportal.models.enums import AgencyKind, Classification, Clearance, Role
from gainportal.models.operation import Operation
from gainportal.models.user import Invitation, RecoveryCode, User, UserSession

__all__ = [
    "Agency", "AgencyKind", "AuditEvent", "Classification", "Clearance", "Invitation",
    "Operation", "RecoveryCode", "Role", "User", "UserSession",
]
