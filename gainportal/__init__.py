"""gainportal: GAIN-style intelligence requests between police and partner agencies."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from gainportal.settings import REPO_ROOT, Settings, load_settings


def create_app(settings: Settings | None = None, **overrides) -> Flask:
    settings = settings or load_settings(**overrides)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        instance_path=str(settings.instance_path),
        static_folder=str(Path(__file__).parent / "static"),
        template_folder=str(REPO_ROOT / "templates"),
    )
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
        SESSION_COOKIE_NAME="__Host-gainportal" if settings.secure_cookies else "gainportal",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=settings.session_absolute_hours * 3600,
        WTF_CSRF_TIME_LIMIT=None,  # the session's own timeouts bound a token's life
        TEMPLATES_AUTO_RELOAD=not settings.is_production,
    )

    from gainportal import db, web
    from gainportal.security import sealing, sessions

    database = db.Database(settings.database_url, settings)
    database.init_app(app)
    app.extensions["gainportal_keyring"] = sealing.load_keyring(settings)
    sessions.init_login(app)
    web.init_web(app)
    return app
