"""Permission rules for dissemination: exports and briefings follow the operation (the
EXPORT/DISSEMINATE actions), consent requests belong to the originating agency's SPOC."""
from __future__ import annotations

from gainportal.models import ConsentRequest, Dissemination, Role, SanitisedBriefing, User
from gainportal.security.permissions import Action, _operation_rule, indoctrinated, item_rule


@item_rule(Dissemination)
def _dissemination_rule(user: User, action: Action, item: Dissemination) -> bool:
    needed = Action.DISSEMINATE if action in (Action.EDIT, Action.DISSEMINATE) else Action.EXPORT
    return _operation_rule(user, needed, item.operation)


@item_rule(SanitisedBriefing)
def _briefing_rule(user: User, action: Action, item: SanitisedBriefing) -> bool:
    needed = Action.DISSEMINATE if action in (Action.EDIT, Action.DISSEMINATE) else Action.VIEW
    return _operation_rule(user, needed, item.operation)


@item_rule(ConsentRequest)
def _consent_rule(user: User, action: Action, item: ConsentRequest) -> bool:
    return (user.role is Role.PARTNER_SPOC and user.agency_id == item.agency_id
            and action in (Action.VIEW, Action.RESPOND)
            and indoctrinated(user, item.dissemination.operation_id))
