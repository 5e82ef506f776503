"""Schema changes go through Alembic only: these helpers are what the CLI and tests call."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from gainportal.settings import REPO_ROOT

MIGRATIONS = REPO_ROOT / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation treats % specially (it appears in URL-encoded passwords).
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
