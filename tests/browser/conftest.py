"""Real-browser fixtures: Debian's chromium driven by Playwright, a threaded live server,
and an axe-core check run on every page a test visits."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from gainportal import create_app

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture
def live_app(backend, settings):
    if backend != "sqlite":
        pytest.skip("browser tests run once, on SQLite; PostgreSQL is covered by the rest of the suite")
    app = create_app(settings)
    yield app
    app.extensions["gainportal_db"].engine.dispose()


@pytest.fixture
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import expect

    # A loaded 2-core CI machine can take more than the 5 s default to render a page.
    expect.set_options(timeout=20_000)
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run .ci/browser (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Axe:
    """Runs axe-core (WCAG 2.0/2.1/2.2 A and AA) and remembers every page checked."""

    def __init__(self):
        self.source = AXE.read_text()
        self.checked: list[str] = []

    def check(self, page) -> None:
        # Runtime evaluation is not subject to the page's CSP, so the strict policy stays on.
        result = page.evaluate(
            self.source + "\n;axe.run(document, {runOnly: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa']})"
        )
        violations = [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["html"][:200] for n in v["nodes"][:3]]}
            for v in result["violations"]
        ]
        self.checked.append(page.url)
        assert violations == [], f"axe violations on {page.url}:\n{json.dumps(violations, indent=2)}"


@pytest.fixture
def axe():
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: run npm ci (.ci/setup)")
    return Axe()


@pytest.fixture
def page_factory(chromium, live_server):
    """New isolated browser contexts (one per person); CSP violations fail the test."""
    contexts, csp_errors = [], []

    def new_page():
        context = chromium.new_context(base_url=live_server)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: csp_errors.append(msg.text)
                if "Content Security Policy" in msg.text else None)
        return page

    yield new_page
    for context in contexts:
        context.close()
    assert csp_errors == [], f"CSP violations: {csp_errors}"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
