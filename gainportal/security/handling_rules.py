"""Permission rules for dissemination: exports and briefings follow the operation (the
EXPORT/DISSEMINATE actions), consent requests belong to the originating agency's SPOC."""
from __future__ import annotations

from gainportal.db import db_session
from gainportal.models import ConsentRequest, Dissemination, PartnerResponse, Role, SanitisedBriefing, User
from gainportal.security.permissions import Action, _operation_rule, clearance_covers, indoctrinated, item_rule

# What each action on an export or briefing needs of the operation; anything else (grading or
# answering an export) means nothing and is refused.
_EXPORT_NEEDS = {Action.VIEW: Action.EXPORT, Action.LIST: Action.EXPORT, Action.DOWNLOAD: Action.EXPORT,
                 Action.EXPORT: Action.EXPORT, Action.EDIT: Action.DISSEMINATE, Action.DISSEMINATE: Action.DISSEMINATE}
_BRIEFING_NEEDS = {Action.VIEW: Action.VIEW, Action.LIST: Action.VIEW, Action.DOWNLOAD: Action.VIEW,
                   Action.EXPORT: Action.EXPORT, Action.EDIT: Action.DISSEMINATE, Action.DISSEMINATE: Action.DISSEMINATE}


@item_rule(Dissemination)
def _dissemination_rule(user: User, action: Action, item: Dissemination) -> bool:
    # An export carries the highest marking of what it holds, which may be above the operation's.
    needed = _EXPORT_NEEDS.get(action)
    return (needed is not None and clearance_covers(user, item.marking)
            and _operation_rule(user, needed, item.operation))


@item_rule(SanitisedBriefing)
def _briefing_rule(user: User, action: Action, item: SanitisedBriefing) -> bool:
    needed = _BRIEFING_NEEDS.get(action)
    return (needed is not None and clearance_covers(user, item.marking)
            and _operation_rule(user, needed, item.operation))


@item_rule(ConsentRequest)
def _consent_rule(user: User, action: Action, item: ConsentRequest) -> bool:
    if not (user.role is Role.PARTNER_SPOC and user.agency_id == item.agency_id
            and action in (Action.VIEW, Action.RESPOND)):
        return False
    # The consent page shows the agency's own answer: clearance must cover its marking.
    response = db_session().get(PartnerResponse, item.response_id)
    return (response is not None and clearance_covers(user, response.classification)
            and indoctrinated(user, item.dissemination.operation_id))
