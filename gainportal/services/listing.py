"""Lists at national size: find the page's ids first, then load those rows.

Models here load their operation, agency and data key with joined eager loading. Put on a
filtered, ordered, LIMITed list query, those joins run for every candidate row before the
visibility filter and the LIMIT (on PostgreSQL they also push the query past
``join_collapse_limit``, so the planner stops reordering joins): the LRO dashboard spent
~250 ms per list and the cross-match queue ~1.8 s joining 100,000 requests to their keys
to show ten. Selecting ids with the same WHERE (``visible_to`` included, so it still holds
before the LIMIT) and ORDER BY touches only indexed columns; the second query loads at most
one page of rows by primary key.
"""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session


def page_rows(s: Session, query: Select, model, *, limit: int, offset: int = 0, options=()) -> list:
    """The rows of ``query`` (a ``select(model)`` with its filters and order) in order."""
    ids = list(s.scalars(query.with_only_columns(model.id).limit(limit).offset(offset)))
    if not ids:
        return []
    loaded = {row.id: row for row in s.scalars(select(model).where(model.id.in_(ids)).options(*options)).unique()}
    return [loaded[i] for i in ids if i in loaded]
