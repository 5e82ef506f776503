"""Typed settings: config/default.toml, then config/<env>.toml, then the environment.

Secrets are read only from the environment or from a file the environment names, so a
config file can be committed and reviewed without ever holding one.
"""
from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO_ROOT / "config"
ENVIRONMENTS = ("development", "test", "production")


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    instance_path: Path = REPO_ROOT / "instance"
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = field(default="", repr=False)
    keyring_file: Path | None = None
    protective_marking: str = "OFFICIAL-SENSITIVE"
    service_name: str = "GAIN Portal"
    max_upload_mb: int = 50
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    invitation_valid_hours: int = 72
    password_min_length: int = 12
    recovery_code_count: int = 10
    sign_in_rate_limit: str = "10 per minute"
    sign_in_account_rate_limit: str = "20 per hour"
    mfa_rate_limit: str = "10 per minute"
    secure_cookies: bool = True
    retention_default_days: int = 730
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    smtp_host: str = ""
    smtp_port: int = 25
    mail_from: str = "no-reply@gainportal.local"
    # Background jobs (gainportal/jobs.py): the queue's name (a key prefix on Redis), and
    # immediate mode, which runs a job inline in the caller (tests of unrelated code only).
    jobs_name: str = "gainportal"
    jobs_immediate: bool = False
    # Serving (docs/deployment.md). Each gunicorn worker holds its own pool: size it to the
    # worker's threads, so hosts x workers x (pool + overflow) stays under PostgreSQL's
    # max_connections with room for the job worker and administrators.
    db_pool_size: int = 5
    db_max_overflow: int = 2
    db_pool_timeout_seconds: int = 10
    db_pool_recycle_seconds: int = 1800
    # A runaway query is cancelled rather than holding a worker and a connection (0 = off).
    # Off by default so long CLI jobs (seeding, key rotation) are not cut short;
    # config/gunicorn.conf.py turns it on for the web workers.
    db_statement_timeout_ms: int = 0
    log_format: str = "json"  # "json" (one object a line) or "text"
    log_level: str = "INFO"
    log_requests: bool = True
    # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: trust none).
    proxy_fix_hops: int = 0

    @property
    def is_production(self) -> bool:
        return self.env == "production"


_ENV_OVERRIDES = {
    "GAINPORTAL_DATABASE_URL": "database_url",
    "GAINPORTAL_INSTANCE_PATH": "instance_path",
    "GAINPORTAL_REDIS_URL": "redis_url",
    "GAINPORTAL_KEYRING_FILE": "keyring_file",
    "GAINPORTAL_SMTP_HOST": "smtp_host",
    "GAINPORTAL_SESSION_IDLE_MINUTES": "session_idle_minutes",
    "GAINPORTAL_JOBS_NAME": "jobs_name",
    # Serving and load testing: set per host by the deployment, never by editing code.
    "GAINPORTAL_SECURE_COOKIES": "secure_cookies",
    "GAINPORTAL_SIGN_IN_RATE_LIMIT": "sign_in_rate_limit",
    "GAINPORTAL_SIGN_IN_ACCOUNT_RATE_LIMIT": "sign_in_account_rate_limit",
    "GAINPORTAL_MFA_RATE_LIMIT": "mfa_rate_limit",
    "GAINPORTAL_DB_POOL_SIZE": "db_pool_size",
    "GAINPORTAL_DB_MAX_OVERFLOW": "db_max_overflow",
    "GAINPORTAL_DB_POOL_TIMEOUT_SECONDS": "db_pool_timeout_seconds",
    "GAINPORTAL_DB_STATEMENT_TIMEOUT_MS": "db_statement_timeout_ms",
    "GAINPORTAL_LOG_FORMAT": "log_format",
    "GAINPORTAL_LOG_LEVEL": "log_level",
    "GAINPORTAL_LOG_REQUESTS": "log_requests",
    "GAINPORTAL_PROXY_FIX_HOPS": "proxy_fix_hops",
}


def _coerce(name: str, value):
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if "Path" in str(kind):
        return Path(value) if value not in (None, "") else None
    if kind in ("int", int):
        return int(value)
    if kind in ("bool", bool):
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    return value


def _read_toml(path: Path) -> dict:
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _secret_key(env: str, instance_path: Path) -> str:
    if value := os.environ.get("GAINPORTAL_SECRET_KEY"):
        return value
    if path := os.environ.get("GAINPORTAL_SECRET_KEY_FILE"):
        return Path(path).read_text().strip()
    if env == "production":
        raise SettingsError(
            "No secret key. Set GAINPORTAL_SECRET_KEY_FILE to a file holding a long random value, "
            "for example: python -c 'import secrets; print(secrets.token_urlsafe(64))' > /run/secrets/key"
        )
    # Outside production a per-instance key is made once and kept beside the database.
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(64))
    return key_file.read_text().strip()


def load_settings(env: str | None = None, **overrides) -> Settings:
    env = env or os.environ.get("GAINPORTAL_ENV", "development")
    if env not in ENVIRONMENTS:
        raise SettingsError(f"GAINPORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    values: dict = {}
    values.update(_read_toml(CONFIG_DIR / "default.toml"))
    values.update(_read_toml(CONFIG_DIR / f"{env}.toml"))
    for var, name in _ENV_OVERRIDES.items():
        if var in os.environ:
            values[name] = os.environ[var]
    values.update(overrides)
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise SettingsError(f"Unknown settings: {', '.join(sorted(unknown))}")
    values = {k: _coerce(k, v) for k, v in values.items()}
    values["env"] = env
    instance_path = Path(values.get("instance_path") or REPO_ROOT / "instance").resolve()
    values["instance_path"] = instance_path
    if not values.get("database_url"):
        values["database_url"] = f"sqlite:///{instance_path / 'gainportal.db'}"
    if not values.get("keyring_file"):
        values["keyring_file"] = instance_path / "keyring.json"
    if "secret_key" not in values:
        values["secret_key"] = _secret_key(env, instance_path)
    return Settings(**values)
