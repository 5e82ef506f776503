"""The ``?page=`` number every paged list reads."""
from __future__ import annotations

from flask import request
from sqlalchemy import func, select

# Far beyond any list's last page at national size, and within the OFFSET a database takes.
LAST_PAGE_ASKED = 100_000


def requested_page() -> int:
    """The page asked for, 1 when missing or not a number, kept within 1..LAST_PAGE_ASKED
    (a page past the end shows an empty list and its way back, not an error)."""
    try:
        return max(1, min(int(request.args.get("page", 1)), LAST_PAGE_ASKED))
    except ValueError:
        return 1


def page_total(s, rows, page: int, query, id_column) -> int:
    """How many items a paged list holds, when its rows carry a window count ``total`` taken
    before the LIMIT: from the page's first row. A page past the end has no row to carry it,
    so the list's ``query`` (its filters) is counted with ``id_column`` alone."""
    if rows:
        return rows[0].total
    if page == 1:
        return 0
    return s.scalar(select(func.count()).select_from(query.with_only_columns(id_column).subquery())) or 0
