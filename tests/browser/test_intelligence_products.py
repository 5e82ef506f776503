"""Intelligence products in a real browser: an LRO opens OCG on a page and the association
chart for a seeded operation (axe on every page, screenshots in test-artifacts/), prints OCG
on a page to PDF with chromium and checks every page carries the marking, and downloads the
chart as PNG and SVG with the marking drawn in."""
from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import ARTIFACTS, screenshot
from tests.browser.test_onboarding import _sign_in
from tests.conftest import TEST_PASSWORD
from tests.cycle_factories import Cycle
from tests.products_factories import HIDDEN_NAME, SECRET_RELATIVE, seed, seed_links

pytestmark = pytest.mark.browser


def test_ocg_on_a_page_and_association_chart(page_factory, make, axe, app):
    cycle = Cycle(app, make)
    seed(app, cycle, nominals=24, requests=4, questions=3)  # enough members to print over several pages
    page = page_factory()
    _sign_in(page, axe, cycle.lro.email, TEST_PASSWORD, cycle.lro.totp_secret)
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(f"/operations/{cycle.operation_id}")
    axe.check(page)
    page.get_by_role("link", name=re.compile("Intelligence products")).click()
    axe.check(page)

    page.get_by_role("link", name="OCG on a page").click()
    page.wait_for_url(re.compile(r".*/ocg-on-a-page$"))
    axe.check(page)
    expect(page.get_by_test_id("need-to-know")).to_contain_text("Who is using the flats on Heron Walk?")
    assert HIDDEN_NAME not in page.content()
    screenshot(page, "products-ocg-on-a-page")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "products-ocg-on-a-page.pdf").write_bytes(pdf)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 2, "OCG on a page should run over several pages for this check to mean anything"
    for number, pdf_page in enumerate(pages, start=1):
        text = pdf_page.extract_text()
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {number} lacks its top and bottom marking"
        assert HIDDEN_NAME not in text
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Association chart").click()
    page.wait_for_url(re.compile(r".*/association-chart$"))
    page.wait_for_selector("#association-chart[data-ready]")
    drawn = int(page.get_attribute("#association-chart", "data-ready"))
    assert drawn > 24  # nominals plus their premises, vehicles, phones, businesses and answers
    assert page.locator("#association-chart canvas").count() >= 1
    axe.check(page)
    assert HIDDEN_NAME not in page.get_by_test_id("chart-table").inner_text()
    screenshot(page, "products-association-chart")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download SVG").click()
    svg = open(download.value.path(), encoding="utf-8").read()
    (ARTIFACTS / "products-association-chart.svg").write_text(svg)
    assert svg.count("OFFICIAL-SENSITIVE") >= 2 and HIDDEN_NAME not in svg
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PNG").click()
    png = open(download.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    (ARTIFACTS / "products-association-chart.png").write_bytes(png)

    # Each download was reported to the server and audited.
    from sqlalchemy import func, select

    from gainportal.db import db_session
    from gainportal.models import AuditEvent
    for _ in range(50):
        with app.app_context():
            count = db_session().scalar(select(func.count()).select_from(AuditEvent)
                                        .where(AuditEvent.action == "product_exported"))
        if count == 2:
            break
        page.wait_for_timeout(100)
    assert count == 2

    page.goto(f"/operations/{cycle.operation_id}/products/performance")
    axe.check(page)
    assert page.locator("svg.app-chart__svg").count() == 9
    screenshot(page, "products-performance")


def test_family_tree_links_page_and_rival_edges(page_factory, make, axe, app):
    """The family tree drawn by generation with its table, the links page, and the chart's
    rival and family edges with the key to the lines; nothing past the LRO's reach on any."""
    cycle = Cycle(app, make)
    made = seed(app, cycle, nominals=8, requests=1, questions=1)
    extra = seed_links(app, cycle, made)
    page = page_factory()
    _sign_in(page, axe, cycle.lro.email, TEST_PASSWORD, cycle.lro.totp_secret)
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(f"/operations/{cycle.operation_id}/products")
    page.get_by_role("link", name="Family tree").click()
    page.wait_for_url(re.compile(r".*/family-tree$"))
    page.wait_for_selector("#family-tree[data-ready]")
    # The grandparent (on another operation the LRO may see), parent, child, partner and sibling.
    assert int(page.get_attribute("#family-tree", "data-ready")) == 5
    tops = page.evaluate("""() => Object.fromEntries(window.gainportalFamilyTree.cy.nodes().map(
        n => [n.id(), n.position('y')]))""")
    assert tops[f"n{extra['grandparent']}"] < tops[f"n{made['nominals'][0]}"] < tops[f"n{made['nominals'][1]}"]
    axe.check(page)
    expect(page.get_by_test_id("tree-table")).to_contain_text("SMITH, Edna")
    content = page.content()
    assert HIDDEN_NAME not in content and SECRET_RELATIVE not in content
    screenshot(page, "products-family-tree")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download SVG").click()
    svg = open(download.value.path(), encoding="utf-8").read()
    (ARTIFACTS / "products-family-tree.svg").write_text(svg)
    assert svg.count("OFFICIAL-SENSITIVE") >= 2 and "SMITH, Edna" in svg and SECRET_RELATIVE not in svg
    assert download.value.suggested_filename.startswith("family-tree-")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PNG").click()
    assert open(download.value.path(), "rb").read()[:8] == b"\x89PNG\r\n\x1a\n"

    page.get_by_role("link", name="Record or remove family links").click()
    page.wait_for_url(re.compile(r".*/links$"))
    axe.check(page)
    expect(page.get_by_test_id("ocg-associations")).to_contain_text("Operation Magpie")
    assert "Operation Bittern" not in page.content() and SECRET_RELATIVE not in page.content()
    screenshot(page, "products-links")
    page.get_by_role("link", name="Remove link to OP-").first.click()
    page.wait_for_url(re.compile(r".*/remove$"))
    axe.check(page)
    page.get_by_role("button", name="Remove link").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why you are removing this link")
    axe.check(page)
    page.get_by_label("Why are you removing it?").fill("Recorded against the wrong group")
    page.get_by_role("button", name="Remove link").click()
    page.wait_for_url(re.compile(r".*/links$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Link removed")
    expect(page.get_by_test_id("ocg-associations")).to_have_count(0)  # Magpie was the only one the LRO may see

    page.goto(f"/operations/{cycle.operation_id}/products/association-chart")
    page.wait_for_selector("#association-chart[data-ready]")
    kinds = page.evaluate("() => window.gainportalChart.cy.edges().map(e => e.data('kind'))")
    assert kinds.count("rival") == 1 and kinds.count("family") == 4 and kinds.count("association") == 1
    dashed = page.evaluate("""() => window.gainportalChart.cy.edges('[kind = "rival"]').map(
        e => [e.style('line-style'), e.style('line-color')])""")
    assert all(style == "dashed" and color == "rgb(212,53,28)" for style, color in dashed)
    expect(page.get_by_test_id("edge-legend")).to_contain_text("Rival or rival OCG (red, dashed)")
    axe.check(page)
    screenshot(page, "products-association-chart-links")
