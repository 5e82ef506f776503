"""Item-level permissions: one ``can(user, action, item)`` and one ``visible_to(user, Model)``.

Rules are registered per model with ``@item_rule(Model)`` / ``@query_rule(Model)``; a model
without a rule is invisible to everyone (deny by default). Lists, searches, counts and
exports filter with ``visible_to`` before any LIMIT; single-item routes load with
``load_or_404`` so an item the user may not see is indistinguishable from one that does
not exist.
"""
from __future__ import annotations

import enum
from typing import Callable, TypeVar

from flask import abort, g, has_request_context, redirect, request, url_for
from sqlalchemy import Integer, any_, false, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement

from gainportal.db import db_session
from gainportal.models import Operation, Role, User
from gainportal.models.enums import Classification
from gainportal.services import audit, indoctrination

T = TypeVar("T")


class Action(str, enum.Enum):
    VIEW = "view"
    LIST = "list"
    EDIT = "edit"
    RESPOND = "respond"
    GRADE = "grade"
    MATCH = "match"
    DOWNLOAD = "download"
    EXPORT = "export"
    DISSEMINATE = "disseminate"


ItemRule = Callable[[User, Action, object], bool]
QueryRule = Callable[[User], ColumnElement[bool]]
_item_rules: dict[type, ItemRule] = {}
_query_rules: dict[type, QueryRule] = {}


def item_rule(model: type) -> Callable[[ItemRule], ItemRule]:
    def register(fn: ItemRule) -> ItemRule:
        _item_rules[model] = fn
        return fn
    return register


def query_rule(model: type) -> Callable[[QueryRule], QueryRule]:
    def register(fn: QueryRule) -> QueryRule:
        _query_rules[model] = fn
        return fn
    return register


def _usable(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def can(user, action: Action, item) -> bool:
    if not _usable(user) or item is None:
        return False
    rule = _item_rules.get(type(item))
    return bool(rule and rule(user, action, item))


def visible_to(user, model: type) -> ColumnElement[bool]:
    if not _usable(user):
        return false()
    rule = _query_rules.get(model)
    return rule(user) if rule else false()


def load_or_404(model: type[T], item_id, action: Action = Action.VIEW) -> T:
    from flask_login import current_user

    try:
        key = int(item_id)
    except (TypeError, ValueError):
        abort(404)
    if not 0 < key < 2**31:  # beyond the id columns: the driver would raise, not find nothing
        abort(404)
    item = db_session().get(model, key)
    if item is None or not can(current_user, action, item):
        if item is not None:
            audit.record(db_session(), f"{action.value}_refused", outcome="denied",
                         object_type=model.__tablename__, object_id=key)
            g.audited = True
            _offer_signing(current_user, action, item)
        abort(404)
    return item


def _offer_signing(user, action: Action, item) -> None:
    """When the only thing missing is a current signature and the person is on the
    operation's register, send them to sign; anyone else gets the plain 404."""
    operation_id = item.id if isinstance(item, Operation) else getattr(item, "operation_id", None)
    if operation_id is None or not indoctrination.on_register(db_session(), user, operation_id):
        return
    g.ignore_indoctrination = True
    try:
        allowed_otherwise = can(user, action, item)
    finally:
        g.ignore_indoctrination = False
    if allowed_otherwise:
        abort(redirect(url_for("indoctrination.sign", operation_id=operation_id, next=request.full_path)))


def indoctrinated(user: User, operation_id: int) -> bool:
    """A current signature on the operation's agreement (latest version, unexpired,
    unrevoked). Looked up once per request, so a revocation bites on the next one."""
    if has_request_context():
        if g.get("ignore_indoctrination"):
            return True
        return operation_id in signed_operation_ids(user)
    return indoctrination.is_current(db_session(), user, operation_id)


def signed_operation_ids(user: User) -> frozenset[int]:
    """The operations ``user`` holds a current signature for, once per request: item checks
    and list filters of the same request answer from the same set."""
    cache = g.setdefault("indoctrinated_operations", {})
    key = (user.id, indoctrination.audience_for(user))
    if key not in cache:
        cache[key] = frozenset(db_session().scalars(indoctrination.current_operation_ids(user)))
    return cache[key]


def signed_operation_filter(column, user: User) -> ColumnElement[bool]:
    """``column`` holds an operation ``user`` holds a current signature for. In a request the
    request's set is given as values (on PostgreSQL one array parameter): as a subquery the
    planner joined every current agreement of the audience (~4,700) on each statement and
    took 3-4 ms planning it, against about 1 ms each way with the values (dashboard panels at
    national size)."""
    if not has_request_context():
        return column.in_(indoctrination.current_operation_ids(user))
    ids = sorted(signed_operation_ids(user))
    if db_session().get_bind().dialect.name == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    return column.in_(ids)


def clearance_covers(user: User, classification: Classification) -> bool:
    return user.clearance.rank >= classification.required_clearance.rank


def classifications_within(user: User) -> list[Classification]:
    return [c for c in Classification if clearance_covers(user, c)]


# --- Operations -------------------------------------------------------------------------
# Police roles of the owning force see their operations. Admins see no intelligence
# content (separation of duties); partners never see operations, only the requests
# addressed to their agency (added by the cycle issue).
OPERATION_ROLES = {Role.LRO, Role.ANALYST, Role.GAIN_COORDINATOR, Role.SUPERVISOR}
OPERATION_ACTIONS = {
    Role.LRO: {Action.VIEW, Action.LIST, Action.EDIT, Action.DOWNLOAD, Action.EXPORT, Action.DISSEMINATE},
    Role.SUPERVISOR: {Action.VIEW, Action.LIST, Action.EDIT, Action.GRADE, Action.MATCH, Action.DOWNLOAD,
                      Action.EXPORT, Action.DISSEMINATE},
    Role.ANALYST: {Action.VIEW, Action.LIST, Action.GRADE, Action.MATCH, Action.DOWNLOAD, Action.EXPORT},
    Role.GAIN_COORDINATOR: {Action.VIEW, Action.LIST},
}


@item_rule(Operation)
def _operation_rule(user: User, action: Action, op: Operation) -> bool:
    return operation_allows(user, action, op.id, op.owning_agency_id, op.classification)


def operation_allows(user: User, action: Action, operation_id: int, owning_agency_id: int,
                     classification: Classification) -> bool:
    """The operation rule on the operation's own values, for pages that select them with
    the rows they show rather than loading each operation as an object (the cross-match
    queue: 20 candidates' operations). ``can(user, action, operation)`` is this."""
    return (
        _usable(user)
        and action in OPERATION_ACTIONS.get(user.role, set())
        and owning_agency_id == user.agency_id
        and clearance_covers(user, classification)
        and indoctrinated(user, operation_id)
    )


@query_rule(Operation)
def _operation_query(user: User) -> ColumnElement[bool]:
    if Action.LIST not in OPERATION_ACTIONS.get(user.role, set()):
        return false()
    return ((Operation.owning_agency_id == user.agency_id)
            & Operation.classification.in_(classifications_within(user))
            & signed_operation_filter(Operation.id, user))


def visible(model: type[T], user):
    """``select(model)`` already filtered to what ``user`` may see."""
    return select(model).where(visible_to(user, model))


# Rules for later aggregates register themselves on import.
from gainportal.security import cycle_rules  # noqa: E402,F401
from gainportal.security import handling_rules  # noqa: E402,F401
from gainportal.security import circulation_rules  # noqa: E402,F401
from gainportal.security import matching_rules  # noqa: E402,F401
