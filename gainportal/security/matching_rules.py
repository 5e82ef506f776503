"""Permission rules for cross-match candidates."""
from __future__ import annotations

from sqlalchemy import and_, false, select
from sqlalchemy.sql import ColumnElement

from gainportal.models import Classification, InformationRequest, MatchCandidate, Operation, PartnerResponse, User
from gainportal.security.permissions import (
    OPERATION_ACTIONS, Action, can, classifications_within, clearance_covers, item_rule, operation_allows, query_rule,
    visible_to,
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
    # The item rule's terms, reached through the request and response the candidate's
    # answer belongs to (copied onto the candidate; see MatchCandidate.request_id). The
    # request rule for the police roles that match (cycle_rules._request_query) is "its
    # operation visible, its marking within the person's clearance": asked of the request's
    # operation copied onto the candidate, the queue reads the pending candidates of the
    # ~100 operations an analyst may see from one index instead of probing each of their
    # ~2,000 requests (7 ms -> ~3 ms at national size).
    within = classifications_within(user)
    request_within = (select(InformationRequest.id)
                      .where(InformationRequest.id == MatchCandidate.request_id,
                             InformationRequest.classification.in_(within)))
    marking_within = (select(PartnerResponse.id)
                      .where(PartnerResponse.id == MatchCandidate.response_id,
                             PartnerResponse.classification.in_(within)))
    return and_(MatchCandidate.request_operation_id.in_(select(Operation.id).where(visible_to(user, Operation))),
                request_within.exists(), marking_within.exists())


def nominal_visible(user: User, item: MatchCandidate) -> bool:
    from gainportal.db import db_session

    return (clearance_covers(user, item.nominal.classification)
            and can(user, Action.VIEW, db_session().get(Operation, item.operation_id)))


def nominal_visible_by_values(user: User, nominal_classification: Classification, operation_id: int,
                              owning_agency_id: int, operation_classification: Classification) -> bool:
    """``nominal_visible`` on values a page selected with its rows: the nominal's marking and
    its operation's id, owning force and marking."""
    return (clearance_covers(user, nominal_classification)
            and operation_allows(user, Action.VIEW, operation_id, owning_agency_id, operation_classification))
