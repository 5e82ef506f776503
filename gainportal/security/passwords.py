"""argon2id password hashing and the password policy (NCSC: length over complexity, plus a
deny list of passwords seen in breaches)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

MAX_LENGTH = 256


def _hasher() -> PasswordHasher:
    settings = current_app.config["SETTINGS"]
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        # Spend the same time as a real check so a missing account is not revealed by timing.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _deny_list() -> frozenset[str]:
    text = resources.files("gainportal.data").joinpath("common_passwords.txt").read_text()
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, *, email: str = "", full_name: str = "") -> list[str]:
    """GOV.UK-style error messages; empty when the password is acceptable."""
    min_length = current_app.config["SETTINGS"].password_min_length
    if not password:
        return ["Enter a password"]
    if len(password) < min_length:
        return [f"Password must be {min_length} characters or more"]
    if len(password) > MAX_LENGTH:
        return [f"Password must be {MAX_LENGTH} characters or fewer"]
    lowered = password.lower()
    if lowered in _deny_list() or lowered.rstrip("0123456789!") in _deny_list():
        return ["Password is too common. Choose a password that is harder to guess, like three random words"]
    if len(set(password)) < 4:
        return ["Password must not repeat the same few characters"]
    local_part = email.split("@")[0].lower()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        return ["Password must not contain your email address"]
    for part in full_name.lower().split():
        if len(part) >= 4 and part in lowered:
            return ["Password must not contain your name"]
    return []
