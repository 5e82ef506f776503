"""Exception types for the crypto package.

Messages never contain plaintext or key material: they may end up in logs.
"""


class CryptoError(Exception):
    """Base class for every error raised by gainportal.security.crypto."""


class SealBroken(CryptoError):
    """Ciphertext failed authentication: wrong key, wrong context, tampered or truncated.

    AEAD cannot tell these apart, so neither do we; callers should treat the
    data as unreadable and alert rather than retry with other keys.
    """


class KeyringError(CryptoError):
    """The keyring is missing, unreadable, unsafe or malformed."""


class UnknownKEK(KeyringError):
    """A wrapped key names a KEK that is not (or no longer) in the keyring."""

    def __init__(self, kek_id: str):
        self.kek_id = kek_id
        super().__init__(
            f"KEK {kek_id!r} is not in the keyring; it may have been retired "
            "before every data key was re-wrapped (run `gainportal keys rotate`)"
        )
