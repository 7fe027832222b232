"""Encryption at rest for provider keys: Fernet (AES-128-CBC + HMAC-SHA256), with rotation.

``POLYROUTE_ENCRYPTION_KEYS`` is a comma-separated list of Fernet keys (make one with
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``).
The first encrypts; every one decrypts (``MultiFernet``), so a new key is put first, the
rows are re-encrypted (``ProviderKeyStore.rotate``), and then the old key is dropped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

ENV_VAR = "POLYROUTE_ENCRYPTION_KEYS"


class EncryptionNotConfigured(Exception):
    """No encryption key: provider keys cannot be stored (or read back)."""

    def __init__(self) -> None:
        super().__init__(
            f"Provider keys are stored encrypted and no encryption key is configured: set "
            f"{ENV_VAR} to one or more comma-separated Fernet keys."
        )


class UndecryptableKey(Exception):
    """A stored provider key was encrypted with a key that is no longer configured."""


class KeyCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise EncryptionNotConfigured()
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except ValueError:
            raise ValueError(
                f"{ENV_VAR}: every key must be 32 url-safe base64-encoded bytes (a Fernet key)"
            ) from None

    @classmethod
    def from_setting(cls, value: str | None) -> KeyCipher | None:
        """The cipher for a comma-separated key list; None when the list is empty."""
        keys = [k.strip() for k in (value or "").split(",") if k.strip()]
        return cls(keys) if keys else None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> KeyCipher | None:
        return cls.from_setting((os.environ if env is None else env).get(ENV_VAR))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            raise UndecryptableKey(
                "a stored provider key cannot be decrypted with the configured keys"
            ) from None

    def rotate(self, token: str) -> str:
        """The same plaintext, encrypted with the first key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise UndecryptableKey(
                "a stored provider key cannot be decrypted with the configured keys"
            ) from None
