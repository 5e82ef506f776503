"""Permission rules for the GAIN cycle, registered on the one mechanism in permissions.py.

Police roles of the operation's owning force see the operation's items (clearance
permitting). A partner sees only requests addressed to their own agency, once issued:
the SPOC all of them, a partner user only those with a question assigned to them.
"""
from __future__ import annotations

from sqlalchemy import and_, false, select
from sqlalchemy.sql import ColumnElement

from gainportal.db import db_session
from gainportal.models import (
    CollectionPlanItem, HandlingCode, InformationRequest, Operation, PartnerResponse,
    RequestQuestion, RequestState, Requirement, Role, User,
)
from gainportal.models.indoctrination import Indoctrination
from gainportal.security.permissions import (
    OPERATION_ACTIONS, Action, _operation_rule, can, classifications_within, clearance_covers, indoctrinated,
    item_rule, query_rule, visible_to,
)

PARTNER_ACTIONS = {
    Role.PARTNER_SPOC: {Action.VIEW, Action.LIST, Action.RESPOND, Action.DOWNLOAD},
    Role.PARTNER_USER: {Action.VIEW, Action.LIST, Action.RESPOND, Action.DOWNLOAD},
}


def _operation_ids_visible(user: User):
    return select(Operation.id).where(visible_to(user, Operation))


# --- items that live inside an operation ------------------------------------------------
@item_rule(Requirement)
def _requirement_rule(user: User, action: Action, req: Requirement) -> bool:
    return _operation_rule(user, action, req.operation)


@query_rule(Requirement)
def _requirement_query(user: User) -> ColumnElement[bool]:
    return Requirement.operation_id.in_(_operation_ids_visible(user))


@item_rule(CollectionPlanItem)
def _plan_item_rule(user: User, action: Action, item: CollectionPlanItem) -> bool:
    return _operation_rule(user, action, item.requirement.operation)


# --- information requests -----------------------------------------------------------------
ONWARD = (Action.EXPORT, Action.DISSEMINATE)


def _never_onward(item) -> bool:
    """C with ``no_onward_dissemination``: the item never leaves the operation."""
    return item.handling_code is HandlingCode.C and bool((item.handling_conditions or {}).get("no_onward_dissemination"))


def _revoked_operation_ids(user: User):
    """SQL: operations from whose register the user was removed. Revocation cuts access at
    once, down to the reference and deadline in the inbox."""
    return select(Indoctrination.operation_id).where(Indoctrination.user_id == user.id,
                                                     Indoctrination.revoked_at.is_not(None))


def _partner_can_see(user: User, req: InformationRequest) -> bool:
    if req.agency_id != user.agency_id or req.state is RequestState.DRAFT:
        return False
    if not clearance_covers(user, req.classification):
        return False
    if user.role is Role.PARTNER_USER:
        return any(q.assigned_to_id == user.id for q in req.questions)
    return True


@item_rule(InformationRequest)
def _request_rule(user: User, action: Action, req: InformationRequest) -> bool:
    if user.role.is_partner:
        # The inbox lists a request's reference and deadline; its questions, subjects and
        # answers need a current signature on the partner agreement.
        if not (action in PARTNER_ACTIONS[user.role] and _partner_can_see(user, req)):
            return False
        if action is Action.LIST:
            return db_session().scalar(_revoked_operation_ids(user).where(
                Indoctrination.operation_id == req.operation_id)) is None
        return indoctrinated(user, req.operation_id)
    if action in ONWARD and _never_onward(req):
        return False
    return (clearance_covers(user, req.classification)
            and _operation_rule(user, action, req.operation))


@query_rule(InformationRequest)
def _request_query(user: User) -> ColumnElement[bool]:
    within = InformationRequest.classification.in_(classifications_within(user))
    if user.role.is_partner:
        mine = and_(InformationRequest.agency_id == user.agency_id,
                    InformationRequest.state != RequestState.DRAFT, within,
                    InformationRequest.operation_id.not_in(_revoked_operation_ids(user)))
        if user.role is Role.PARTNER_USER:
            # Driven by the person's few assigned questions (indexed), not an EXISTS probe for
            # each of the agency's thousands of requests.
            assigned = InformationRequest.id.in_(select(RequestQuestion.request_id)
                                                 .where(RequestQuestion.assigned_to_id == user.id))
            return and_(mine, assigned)
        return mine
    if Action.LIST not in OPERATION_ACTIONS.get(user.role, set()):
        return false()
    return and_(InformationRequest.operation_id.in_(_operation_ids_visible(user)), within)


@item_rule(PartnerResponse)
def _response_rule(user: User, action: Action, response: PartnerResponse) -> bool:
    # A response is seen by whoever may see its request; partners only their own agency's.
    if user.role.is_partner and response.agency_id != user.agency_id:
        return False
    # The partner marks its own answer, possibly above the request: clearance must cover both.
    if not clearance_covers(user, response.classification):
        return False
    if action in ONWARD and _never_onward(response):
        return False
    return can(user, Action.VIEW if action is Action.LIST else action, response.request)
