import os
import stat

import pytest

from gainportal.settings import SettingsError, load_settings


def test_environment_overrides_config(monkeypatch, tmp_path):
    monkeypatch.setenv("GAINPORTAL_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/x")
    monkeypatch.setenv("GAINPORTAL_INSTANCE_PATH", str(tmp_path))
    settings = load_settings("development")
    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1/x"
    assert settings.instance_path == tmp_path.resolve()
    assert settings.secure_cookies is False  # development.toml over default.toml


def test_sqlite_default_lives_in_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("GAINPORTAL_DATABASE_URL", raising=False)
    monkeypatch.setenv("GAINPORTAL_INSTANCE_PATH", str(tmp_path))
    settings = load_settings("development")
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'gainportal.db'}"


def test_development_secret_key_file_is_private(monkeypatch, tmp_path):
    monkeypatch.delenv("GAINPORTAL_SECRET_KEY", raising=False)
    monkeypatch.delenv("GAINPORTAL_SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("GAINPORTAL_INSTANCE_PATH", str(tmp_path))
    first = load_settings("development").secret_key
    assert first == load_settings("development").secret_key and len(first) > 60
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_production_refuses_to_start_without_a_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("GAINPORTAL_SECRET_KEY", raising=False)
    monkeypatch.delenv("GAINPORTAL_SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("GAINPORTAL_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(SettingsError, match="GAINPORTAL_SECRET_KEY_FILE"):
        load_settings("production")


def test_secret_from_named_file(monkeypatch, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("from-a-file\n")
    monkeypatch.delenv("GAINPORTAL_SECRET_KEY", raising=False)
    monkeypatch.setenv("GAINPORTAL_SECRET_KEY_FILE", str(key_file))
    assert load_settings("production", instance_path=tmp_path).secret_key == "from-a-file"


def test_unknown_environment_is_refused():
    with pytest.raises(SettingsError):
        load_settings("staging")
