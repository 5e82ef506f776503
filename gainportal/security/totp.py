"""TOTP second factor: enrolment, verification with replay protection, recovery codes."""
from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import secrets

import pyotp
import segno
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

ISSUER = "GAIN Portal"
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)


def _sealing_key() -> bytes:
    # A key of its own, derived from the app secret, so a database dump alone yields no
    # TOTP secrets.
    secret = current_app.config["SECRET_KEY"].encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"gainportal-totp", info=b"totp-secret-v1").derive(secret)


def _aad(user_id: int) -> bytes:
    return f"user_account.totp_secret_sealed:{user_id}".encode()


def seal_secret(user_id: int, secret: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_sealing_key()).encrypt(nonce, secret.encode(), _aad(user_id))


def open_secret(user_id: int, sealed: bytes) -> str:
    return AESGCM(_sealing_key()).decrypt(sealed[:12], sealed[12:], _aad(user_id)).decode()


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """Inline SVG (no data: URL, no external request), labelled for screen readers."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#0b0c0c", light="#ffffff")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1)


def verify_code(secret: str, code: str, last_step: int | None) -> int | None:
    """Returns the accepted time step, or None. One step either side allows for clock drift;
    a step at or before ``last_step`` is refused so a code cannot be replayed."""
    # ASCII digits only: str.isdigit() also accepts e.g. Arabic-Indic digits, which
    # hmac.compare_digest refuses with a TypeError (a 500 on the security-code page).
    code = "".join(ch for ch in code if ch in "0123456789")
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(datetime.datetime.now())
    for step in (now_step - 1, now_step, now_step + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count: int) -> list[str]:
    return [
        "-".join("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(count)
    ]


def normalise_recovery_code(code: str) -> str:
    raw = "".join(ch for ch in code.lower() if ch.isalnum())
    return f"{raw[:5]}-{raw[5:]}" if len(raw) == 10 else raw


def hash_recovery_code(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalise_recovery_code(code).encode(), hashlib.sha256).hexdigest()
