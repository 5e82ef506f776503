"""Permission rules for GAIN co-ordination, registered on the one mechanism in permissions.py.

Who sees what:
- A GAIN co-ordinator works for a regional GAIN unit (a ROCU agency). They see the referrals
  sent to their unit and the circulations and groups their unit runs, whoever in the unit
  created them (co-ordinators cover for each other), and nothing of other regions. The unit is
  the region: a referral names the unit, so the LRO decides which region sees it. A
  co-ordinator is not indoctrinated into the operation and sees none of it beyond what the
  referral and circulation carry (its reference, for talking to the LRO).
- Police of the operation's owning force (LRO, supervisor, analyst) see its referrals,
  circulations, matrix and combined disruption plan through the operation rule, so they need
  a current signature on its agreement like everything else of the operation.
- A partner SPOC sees only their own agency's slice of a circulation (a CirculationTarget):
  the subjects, the purpose and their own agency's answers. Never the circulation as a
  whole, so never another agency's answers. Before seeing the subjects of a circulation
  made for an operation they must hold a current signature on that operation's partner
  agreement (the list of checks shows only reference and deadline, like the request inbox).
  Partner users (not SPOCs) do not answer circulations.
- Clearance must cover the circulation's classification, for everyone, and a referral's
  (the marking of the operation it came from, or OFFICIAL-SENSITIVE for a partner's own).
"""
from __future__ import annotations

from sqlalchemy import and_, false, or_, select
from sqlalchemy.sql import ColumnElement

from gainportal.db import db_session
from gainportal.models import Operation, Role, User
from gainportal.models.indoctrination import Indoctrination
from gainportal.models.circulation import (
    AgencyGroup, Circulation, CirculationResult, CirculationTarget, DisruptionAction, GainReferral,
)
from gainportal.security.permissions import (
    OPERATION_ACTIONS, Action, _operation_rule, can, classifications_within, clearance_covers, indoctrinated,
    item_rule, query_rule, visible_to,
)
from gainportal.security.cycle_rules import _revoked_operation_ids

COORDINATOR_ACTIONS = {Action.VIEW, Action.LIST, Action.EDIT}
POLICE_ACTIONS = {Action.VIEW, Action.LIST}
PARTNER_ACTIONS = {Action.VIEW, Action.LIST, Action.RESPOND, Action.EDIT}


def _is_coordinator(user: User) -> bool:
    return user.role is Role.GAIN_COORDINATOR


def _operation_police(user: User, operation: Operation | None) -> bool:
    # Police of the owning force with a current signature (the operation rule, read-only here).
    return (operation is not None and user.role.is_police and not _is_coordinator(user)
            and _operation_rule(user, Action.VIEW, operation))


def _visible_operation_ids(user: User):
    return select(Operation.id).where(visible_to(user, Operation))


# --- referrals ------------------------------------------------------------------------------------
@item_rule(GainReferral)
def _referral_rule(user: User, action: Action, referral: GainReferral) -> bool:
    if not clearance_covers(user, referral.classification):
        return False
    if _is_coordinator(user):
        return action in COORDINATOR_ACTIONS and referral.gain_agency_id == user.agency_id
    if user.role is Role.PARTNER_SPOC:
        return action in POLICE_ACTIONS and referral.referring_agency_id == user.agency_id
    return action in POLICE_ACTIONS and _operation_police(user, referral.operation)


@query_rule(GainReferral)
def _referral_query(user: User) -> ColumnElement[bool]:
    return and_(GainReferral.classification.in_(classifications_within(user)), _referral_scope(user))


def _referral_scope(user: User) -> ColumnElement[bool]:
    if _is_coordinator(user):
        return GainReferral.gain_agency_id == user.agency_id
    if user.role is Role.PARTNER_SPOC:
        return GainReferral.referring_agency_id == user.agency_id
    if Action.LIST not in OPERATION_ACTIONS.get(user.role, set()):
        return false()
    return GainReferral.operation_id.in_(_visible_operation_ids(user))


# --- circulations (police side only) ----------------------------------------------------------------
@item_rule(Circulation)
def _circulation_rule(user: User, action: Action, circ: Circulation) -> bool:
    if not clearance_covers(user, circ.classification):
        return False
    if _is_coordinator(user):
        return action in COORDINATOR_ACTIONS and circ.gain_agency_id == user.agency_id
    return action in POLICE_ACTIONS and _operation_police(user, circ.operation)


@query_rule(Circulation)
def _circulation_query(user: User) -> ColumnElement[bool]:
    within = Circulation.classification.in_(classifications_within(user))
    if _is_coordinator(user):
        return and_(Circulation.gain_agency_id == user.agency_id, within)
    if user.role.is_partner or Action.LIST not in OPERATION_ACTIONS.get(user.role, set()):
        return false()
    return and_(Circulation.operation_id.in_(_visible_operation_ids(user)), within)


def _visible_circulation_ids(user: User):
    return select(Circulation.id).where(visible_to(user, Circulation))


# --- one agency's slice ---------------------------------------------------------------------------
@item_rule(CirculationTarget)
def _target_rule(user: User, action: Action, target: CirculationTarget) -> bool:
    circ = target.circulation
    if user.role is Role.PARTNER_SPOC:
        if circ.operation_id is None:
            signed = True
        elif action is Action.LIST:
            # As with requests: unsigned SPOCs see the check listed; a revoked one does not.
            signed = db_session().scalar(_revoked_operation_ids(user).where(
                Indoctrination.operation_id == circ.operation_id)) is None
        else:
            signed = indoctrinated(user, circ.operation_id)
        return (action in PARTNER_ACTIONS and target.agency_id == user.agency_id
                and clearance_covers(user, circ.classification) and signed)
    if user.role.is_partner:
        return False
    return can(user, Action.VIEW if action is Action.LIST else action, circ)


@query_rule(CirculationTarget)
def _target_query(user: User) -> ColumnElement[bool]:
    if user.role is Role.PARTNER_SPOC:
        within = select(Circulation.id).where(
            Circulation.classification.in_(classifications_within(user)),
            or_(Circulation.operation_id.is_(None), Circulation.operation_id.not_in(_revoked_operation_ids(user))))
        return and_(CirculationTarget.agency_id == user.agency_id, CirculationTarget.circulation_id.in_(within))
    if user.role.is_partner:
        return false()
    return CirculationTarget.circulation_id.in_(_visible_circulation_ids(user))


@item_rule(CirculationResult)
def _result_rule(user: User, action: Action, result: CirculationResult) -> bool:
    return can(user, action, result.target)


# --- disruption plan ------------------------------------------------------------------------------
@item_rule(DisruptionAction)
def _disruption_rule(user: User, action: Action, item: DisruptionAction) -> bool:
    if user.role.is_partner:
        target = next((t for t in item.circulation.targets if t.agency_id == item.agency_id), None)
        return item.agency_id == user.agency_id and target is not None and can(user, action, target)
    return action in COORDINATOR_ACTIONS and can(user, action, item.circulation)


@query_rule(DisruptionAction)
def _disruption_query(user: User) -> ColumnElement[bool]:
    if user.role is Role.PARTNER_SPOC:
        return DisruptionAction.agency_id == user.agency_id
    if user.role.is_partner:
        return false()
    return DisruptionAction.circulation_id.in_(_visible_circulation_ids(user))


# --- saved groups -------------------------------------------------------------------------------------
@item_rule(AgencyGroup)
def _group_rule(user: User, action: Action, group: AgencyGroup) -> bool:
    return _is_coordinator(user) and action in COORDINATOR_ACTIONS and group.gain_agency_id == user.agency_id


@query_rule(AgencyGroup)
def _group_query(user: User) -> ColumnElement[bool]:
    return AgencyGroup.gain_agency_id == user.agency_id if _is_coordinator(user) else false()
