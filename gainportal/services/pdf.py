"""Server-side PDF of a rendered page (WeasyPrint), with the protective marking in the top and
bottom margin of every page.

The renderer may only read our own static files: a PDF engine that follows arbitrary URLs in
intelligence content would be a way out of the network (and a way to learn who opened what)."""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from gainportal.web import GOVUK_ASSETS, STATIC_DIR

# CSS it does not support (grid auto-fill, print-color-adjust) is expected; its warnings are noise.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)

BASE_URL = "https://gainportal.invalid/"
_MIME = {".css": "text/css", ".woff2": "font/woff2", ".woff": "font/woff", ".png": "image/png",
         ".svg": "image/svg+xml", ".ico": "image/x-icon"}


class RefusedFetch(ValueError):
    pass


def _local_file(url: str) -> Path:
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}/" != BASE_URL:
        raise RefusedFetch("only the portal's own static files may be used in a PDF")
    for prefix, root in (("/static/", STATIC_DIR), ("/assets/", GOVUK_ASSETS)):
        if parts.path.startswith(prefix):
            candidate = (root / parts.path[len(prefix):]).resolve()
            if candidate.is_file() and candidate.is_relative_to(root.resolve()):
                return candidate
    raise RefusedFetch("not a static file")


def _static_fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = _local_file(url)
            return URLFetcherResponse(url, path.read_bytes(),
                                      {"Content-Type": _MIME.get(path.suffix, "application/octet-stream")})

    return StaticOnlyFetcher(allowed_protocols={"https"}, allow_redirects=False)


def _marking_css(marking: str, footer: str) -> str:
    quoted = marking.replace("\\", "\\\\").replace('"', '\\"')
    foot = footer.replace("\\", "\\\\").replace('"', '\\"')
    return f"""
@page {{
  size: A4; margin: 24mm 14mm 24mm 14mm;
  @top-center {{ content: "{quoted}"; font: bold 12pt arial, sans-serif; color: #fff; background: #0b0c0c;
                 width: 60%; }}
  @bottom-center {{ content: "{quoted}"; font: bold 12pt arial, sans-serif; color: #fff; background: #0b0c0c;
                    width: 60%; }}
  @bottom-left {{ content: "{foot}"; font: 7pt arial, sans-serif; width: 20%; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font: 8pt arial, sans-serif; width: 20%; }}
}}
/* The page's own banners become the margin boxes above; the screen chrome is not printed. */
.app-marking, .govuk-header, .govuk-skip-link, .app-user-bar, .govuk-service-navigation__wrapper,
.govuk-footer, .govuk-phase-banner, .app-no-print, .govuk-back-link, .app-header, script {{ display: none !important; }}
/* Passed as a user stylesheet, which ranks below the page's own: hence !important. */
.govuk-width-container {{ max-width: none !important; margin: 0 !important; }}
.govuk-grid-column-two-thirds, .govuk-grid-column-one-third {{ width: 100% !important; float: none !important; }}
.govuk-header__service-name, .govuk-service-navigation {{ display: none !important; }}
.app-ocg__section {{ break-inside: auto !important; page-break-inside: auto !important; }}
.app-ocg__section h2 {{ break-after: avoid !important; }}
/* WeasyPrint has no grid auto-fill: two columns of member cards instead. */
.app-members {{ display: block !important; columns: 2 !important; column-gap: 8mm !important; }}
.app-member {{ break-inside: avoid !important; }}
"""


def render_pdf(html: str, marking: str, footer: str = "") -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which only PDF routes need.
    from weasyprint import CSS, HTML

    document = HTML(string=html, base_url=BASE_URL, url_fetcher=_static_fetcher())
    return document.write_pdf(stylesheets=[CSS(string=_marking_css(marking, footer))])
