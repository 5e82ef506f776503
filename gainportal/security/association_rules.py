"""Permission rules for family links, associations and OCG links.

A nominal is visible to someone cleared for its marking who may see at least one operation
it is on. A link between two nominals (or two operations) is visible only when both ends
are, and the link's own marking is within the viewer's clearance: a relative on an
operation the viewer is not indoctrinated for is never drawn, named or counted.
"""
from __future__ import annotations

from sqlalchemy import Select, false, select
from sqlalchemy.sql import ColumnElement

from gainportal.models import Nominal, NominalLink, Operation, Role, User
from gainportal.models.association import NominalAssociation, OperationAssociation
from gainportal.security.permissions import (
    OPERATION_ACTIONS, Action, _usable, can, classifications_within, clearance_covers, item_rule, query_rule,
    visible_to,
)

# Analysts and LROs record links (and their supervisors); co-ordinators only read them.
LINK_EDITORS = frozenset({Role.LRO, Role.ANALYST, Role.SUPERVISOR})


def visible_nominal_ids(user: User) -> Select:
    """Ids of the nominals ``user`` may see, as a subquery (apply before any LIMIT)."""
    visible_ops = select(Operation.id).where(visible_to(user, Operation))
    return (select(NominalLink.nominal_id).join(Nominal, Nominal.id == NominalLink.nominal_id)
            .where(NominalLink.operation_id.in_(visible_ops),
                   Nominal.classification.in_(classifications_within(user))))


def nominal_visible(user: User, nominal: Nominal) -> bool:
    return (_usable(user) and clearance_covers(user, nominal.classification)
            and any(can(user, Action.VIEW, link.operation) for link in nominal.links))


def _may(user: User, action: Action) -> bool:
    if action in (Action.VIEW, Action.LIST):
        return Action.LIST in OPERATION_ACTIONS.get(user.role, set())
    return action is Action.EDIT and user.role in LINK_EDITORS


@item_rule(NominalAssociation)
def _nominal_link_rule(user: User, action: Action, item: NominalAssociation) -> bool:
    return (_may(user, action) and clearance_covers(user, item.classification)
            and nominal_visible(user, item.nominal) and nominal_visible(user, item.other))


@query_rule(NominalAssociation)
def _nominal_link_query(user: User) -> ColumnElement[bool]:
    if not _may(user, Action.LIST):
        return false()
    ids = visible_nominal_ids(user)
    return (NominalAssociation.classification.in_(classifications_within(user))
            & NominalAssociation.nominal_id.in_(ids) & NominalAssociation.other_id.in_(ids))


@item_rule(OperationAssociation)
def _ocg_link_rule(user: User, action: Action, item: OperationAssociation) -> bool:
    return (_may(user, action) and clearance_covers(user, item.classification)
            and can(user, Action.VIEW, item.operation) and can(user, Action.VIEW, item.other))


@query_rule(OperationAssociation)
def _ocg_link_query(user: User) -> ColumnElement[bool]:
    if not _may(user, Action.LIST):
        return false()
    ops = select(Operation.id).where(visible_to(user, Operation))
    return (OperationAssociation.classification.in_(classifications_within(user))
            & OperationAssociation.operation_id.in_(ops) & OperationAssociation.other_id.in_(ops))
