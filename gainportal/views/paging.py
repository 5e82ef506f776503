"""The ``?page=`` number every paged list reads."""
from __future__ import annotations

from flask import request

# Far beyond any list's last page at national size, and within the OFFSET a database takes.
LAST_PAGE_ASKED = 100_000


def requested_page() -> int:
    """The page asked for, 1 when missing or not a number, kept within 1..LAST_PAGE_ASKED
    (a page past the end shows an empty list and its way back, not an error)."""
    try:
        return max(1, min(int(request.args.get("page", 1)), LAST_PAGE_ASKED))
    except ValueError:
        return 1
