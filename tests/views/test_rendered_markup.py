"""Links, tags and paragraphs built inside templates render as HTML, not as visible text:
in Jinja, joining a plain string to an escaped value with ``~`` escapes the plain string too."""
from __future__ import annotations

from datetime import timedelta

import pytest

from gainportal.db import db_session
from gainportal.models import InformationRequest, Role
from gainportal.services.dates import today
from tests.conftest import sign_in
from tests.cycle_factories import Cycle

ESCAPED = ["&lt;a class=", "&lt;strong class=", "&lt;p class=", "&lt;br&gt;", "&amp;ldquo;", "&amp;rdquo;"]


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _check(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    body = response.get_data(as_text=True)
    for fragment in ESCAPED:
        assert fragment not in body, f"{url} shows escaped markup {fragment!r}"
    return body


def test_police_pages_render_their_links_and_tags(app, cycle, make):
    request_id = cycle.draft(issue=True)
    with app.app_context():
        s = db_session()
        s.get(InformationRequest, request_id).deadline = today() - timedelta(days=2)
        s.commit()
    client = app.test_client()
    sign_in(client, cycle.lro)
    index = _check(client, "/operations")
    assert f'href="/operations/{cycle.operation_id}"' in index
    show = _check(client, f"/operations/{cycle.operation_id}")
    assert f'href="/requests/{request_id}"' in show
    assert '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in show
    _check(client, f"/plan-items/{cycle.plan_item_id}/requests/new")
    coordinator = make.user(agency=cycle.force, role=Role.GAIN_COORDINATOR)
    cycle.indoctrinate(coordinator)
    client = app.test_client()
    sign_in(client, coordinator)
    _check(client, "/")


def test_admin_lists_render_their_links(app, make):
    admin = make.user(role=Role.ADMIN)
    client = app.test_client()
    sign_in(client, admin)
    users = _check(client, "/admin/users")
    assert '<a class="govuk-link" href="/admin/users/' in users
    agencies = _check(client, "/admin/agencies")
    assert '<a class="govuk-link" href="/admin/agencies/' in agencies
