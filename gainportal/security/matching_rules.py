"""Permission rules for cross-match candidates."""
from __future__ import annotations

from sqlalchemy import false, select
from sqlalchemy.sql import ColumnElement

from gainportal.models import Answer, InformationRequest, MatchCandidate, Operation, PartnerResponse, User
from gainportal.security.permissions import (
    OPERATION_ACTIONS, Action, can, classifications_within, clearance_covers, item_rule, query_rule, visible_to,
)


# --- cross-match candidates ------------------------------------------------------------------
# An analyst sees a candidate when they may see the answer it came from; the nominal's
# details only when they may also see the nominal's operation ("restricted" otherwise).
@item_rule(MatchCandidate)
def _match_rule(user: User, action: Action, item: MatchCandidate) -> bool:
    if Action.MATCH not in OPERATION_ACTIONS.get(user.role, set()):
        return False
    # The answer is the evidence shown: the partner may have marked it above the request.
    return (clearance_covers(user, item.answer.response.classification)
            and can(user, Action.VIEW, item.answer.response.request))


@query_rule(MatchCandidate)
def _match_query(user: User) -> ColumnElement[bool]:
    if Action.MATCH not in OPERATION_ACTIONS.get(user.role, set()):
        return false()
    visible_requests = select(InformationRequest.id).where(visible_to(user, InformationRequest))
    answers = (select(Answer.id).join(PartnerResponse, PartnerResponse.id == Answer.response_id)
               .where(PartnerResponse.request_id.in_(visible_requests),
                      PartnerResponse.classification.in_(classifications_within(user))))
    return MatchCandidate.answer_id.in_(answers)


def nominal_visible(user: User, item: MatchCandidate) -> bool:
    from gainportal.db import db_session

    return (clearance_covers(user, item.nominal.classification)
            and can(user, Action.VIEW, db_session().get(Operation, item.operation_id)))
