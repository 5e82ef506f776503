"""Password policy messages and argon2id hashing."""
from __future__ import annotations

import pytest
from flask import Flask

from gainportal.security.passwords import MAX_LENGTH, hash_password, password_problems, verify_password
from gainportal.settings import load_settings


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory):
    """The policy needs settings, not a database: one small app for the module, run once
    rather than once per database backend."""
    app = Flask(__name__)
    app.config["SETTINGS"] = load_settings("test", secret_key="k" * 64,
                                           instance_path=tmp_path_factory.mktemp("pw"))
    return app


@pytest.fixture
def ctx(plain_app):
    with plain_app.app_context():
        yield


@pytest.fixture
def policy(ctx):
    return password_problems


@pytest.mark.parametrize("password,message", [
    ("", "Enter a password"),
    ("short", "Password must be 12 characters or more"),
    ("elevenchars", "Password must be 12 characters or more"),
    ("x" * (MAX_LENGTH + 1), f"Password must be {MAX_LENGTH} characters or fewer"),
    ("password12345678", "Password is too common"),
    ("PASSWORD12345678", "Password is too common"),
    ("password!!!!!!!!", "Password is too common"),
    ("qwertyuiop123", "Password is too common"),
    ("aaaaaaaaaaaaaaaa", "Password must not repeat the same few characters"),
    ("abababababababab", "Password must not repeat the same few characters"),
])
def test_policy_messages(policy, password, message):
    problems = policy(password)
    assert len(problems) == 1 and problems[0].startswith(message), problems


def test_email_and_name_are_refused(policy):
    assert policy("jsmith-river-stone", email="jsmith@police.example") == [
        "Password must not contain your email address"]
    assert policy("castle-Featherstone-99", full_name="Anna Featherstone") == ["Password must not contain your name"]


@pytest.mark.parametrize("password", ["orchard-compass-meadow", "correct horse battery staple", "x" * 11 + "yz1",
                                      "Tête-à-tête-in-Señor-café 🙂"])
def test_good_passwords_pass(policy, password):
    assert policy(password, email="someone@example.test", full_name="Sam Someone") == []


def test_the_minimum_length_comes_from_settings(plain_app, ctx):
    if True:
        minimum = plain_app.config["SETTINGS"].password_min_length
        assert password_problems("k7#Lm2$q9Wz!xPv"[:minimum])[:1] == []
        assert password_problems("k7#Lm2$q9Wz!xPv"[:minimum - 1]) == [f"Password must be {minimum} characters or more"]


def test_argon2id_hash_and_verify(ctx):
    stored = hash_password("orchard-compass-meadow")
    assert stored.startswith("$argon2id$")
    assert "orchard" not in stored
    assert verify_password(stored, "orchard-compass-meadow")
    assert not verify_password(stored, "orchard-compass-meadoW")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")
    assert hash_password("orchard-compass-meadow") != stored  # salted
