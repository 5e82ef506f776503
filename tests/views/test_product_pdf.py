"""The OCG on a page as a server-rendered PDF: the marking is on every page, what the viewer
may not see is not in it, each copy is audited, and the renderer reads only our own files."""
from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from gainportal.db import db_session
from gainportal.models import AuditEvent, Role
from gainportal.services.pdf import BASE_URL, RefusedFetch, _local_file
from tests.conftest import sign_in
from tests.cycle_factories import Cycle
from tests.products_factories import HIDDEN_NAME, seed

URL = "/operations/{id}/products/ocg-on-a-page.pdf"


@pytest.fixture
def cycle(app, make):
    return Cycle(app, make)


def _client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def test_pdf_carries_the_marking_on_every_page_and_is_audited(app, cycle):
    # Enough nominals that the document runs past one page.
    seed(app, cycle, nominals=24)
    response = _client(app, cycle.lro).get(URL.format(id=cycle.operation_id))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    pages = PdfReader(io.BytesIO(response.data)).pages
    assert len(pages) >= 2
    texts = [" ".join(p.extract_text().split()) for p in pages]
    for number, text in enumerate(texts, start=1):
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {number} lacks the top and bottom marking"
        assert f"Page {number} of {len(pages)}" in text
    whole = "\n".join(texts)
    assert "SMITH, Gary" in whole and "What we need to know" in whole
    assert HIDDEN_NAME not in whole  # above the LRO's clearance
    with app.app_context():
        events = db_session().scalars(select(AuditEvent).where(AuditEvent.action == "product_exported")).all()
        assert [json.loads(e.detail) for e in events] == [{"product": "ocg_on_a_page", "format": "pdf"}]


def test_no_pdf_for_people_who_may_not_see_the_operation(app, cycle, make):
    seed(app, cycle)
    url = URL.format(id=cycle.operation_id)
    unsigned = make.user(agency=cycle.force, role=Role.ANALYST)
    other_force = make.user(role=Role.LRO)
    for user in (unsigned, other_force):
        response = _client(app, user).get(url)
        assert response.status_code == 404
        assert b"%PDF" not in response.data
    assert _client(app, cycle.spoc).get(url).status_code in (403, 404)
    with app.app_context():
        assert db_session().scalars(select(AuditEvent).where(AuditEvent.action == "product_exported")).all() == []


@pytest.mark.parametrize("url", [
    "https://example.org/static/gainportal.css",      # another host
    "file:///etc/passwd",                               # the server's files
    BASE_URL + "static/../../settings.py",              # out of the static folder
    BASE_URL + "uploads/anything",                      # not a static path
])
def test_the_renderer_reads_only_static_files(url):
    with pytest.raises(RefusedFetch):
        _local_file(url)


def test_the_renderer_reads_our_stylesheet():
    assert _local_file(BASE_URL + "static/gainportal.css").name == "gainportal.css"
