"""What a production process needs around the app: the trusted-proxy setting and the
structured request log (docs/deployment.md)."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gainportal.logging_setup import init_request_logging


def init_serving(app: Flask) -> None:
    hops = app.config["SETTINGS"].proxy_fix_hops
    if hops > 0:
        # Only as many X-Forwarded-* entries as there are proxies we run are believed: a
        # client cannot spoof its address (which rate limits and the audit trail use) by
        # sending its own X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=0, x_prefix=0)
    init_request_logging(app)
