"""Who has seen an item: read back from the audit trail for the item's originator."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from gainportal.models import Agency, Attachment, AuditEvent, InformationRequest, PartnerResponse, User

VIEW_ACTIONS = {
    "information_request_viewed": "Viewed the request",
    "attachment_downloaded": "Downloaded a file",
    "dissemination_viewed": "Opened an export",
    "dissemination_downloaded": "Downloaded an export",
    "response_graded": "Graded the answers",
}


@dataclass
class Viewing:
    when: datetime
    who: str
    agency: str
    what: str


def viewings_of_request(s: Session, req: InformationRequest, limit: int = 500,
                        classifications=None) -> list[Viewing]:
    """``classifications``: the markings the reader is cleared for; views of a response (or
    its files) marked above them are left off, as the response itself is."""
    marked = [PartnerResponse.request_id == req.id]
    if classifications is not None:
        marked.append(PartnerResponse.classification.in_(classifications))
    response_ids = [str(r) for r in s.scalars(select(PartnerResponse.id).where(*marked))]
    attachment_ids = [str(a) for a in s.scalars(select(Attachment.id).join(PartnerResponse).where(*marked))]
    refs = [and_(AuditEvent.object_type == "information_request", AuditEvent.object_id == str(req.id))]
    if response_ids:
        refs.append(and_(AuditEvent.object_type == "partner_response", AuditEvent.object_id.in_(response_ids)))
    if attachment_ids:
        refs.append(and_(AuditEvent.object_type == "attachment", AuditEvent.object_id.in_(attachment_ids)))
    rows = s.execute(
        select(AuditEvent.occurred_at, AuditEvent.action, User.full_name, Agency.name)
        .join(User, User.id == AuditEvent.actor_user_id).join(Agency, Agency.id == User.agency_id)
        .where(or_(*refs), AuditEvent.action.in_(list(VIEW_ACTIONS)), AuditEvent.outcome == "success")
        .order_by(AuditEvent.seq.desc()).limit(limit)).all()
    return [Viewing(when, who, agency, VIEW_ACTIONS[action]) for when, action, who, agency in rows]
