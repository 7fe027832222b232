"""Provider keys: encrypted at rest, rotated, unreadable with the wrong key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select

from polyroute.keys import EncryptionNotConfigured, KeyCipher, ProviderKeyStore, UndecryptableKey
from polyroute.keys.schema import provider_keys

SECRET = "sk-proj-THIS-IS-THE-PLAINTEXT-0123456789"


def _cipher(*keys: bytes) -> KeyCipher:
    return KeyCipher([k.decode() for k in keys])


def _stored(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [str(c) for row in connection.execute(select(provider_keys)) for c in row]


def test_put_get_list_delete_encrypted_at_rest(engine: Engine) -> None:
    store = ProviderKeyStore(engine, _cipher(Fernet.generate_key()))
    store.put("team-a", "openai", SECRET)
    store.put("team-a", "mistral", "mistral-key")
    store.put("team-b", "openai", "other")
    assert store.get("team-a", "openai") == SECRET
    assert store.get("team-a", "gemini") is None
    assert [s.provider for s in store.list("team-a")] == ["mistral", "openai"]
    assert all(SECRET not in cell for cell in _stored(engine))

    replaced = store.put("team-a", "openai", SECRET + "-v2")
    assert replaced.updated_at >= replaced.created_at
    assert store.get("team-a", "openai") == SECRET + "-v2"
    assert store.delete("team-a", "openai") and not store.delete("team-a", "openai")
    assert store.get("team-a", "openai") is None


def test_rotation_and_wrong_keys(sqlite_engine: Engine) -> None:
    old, new, stranger = (Fernet.generate_key() for _ in range(3))
    ProviderKeyStore(sqlite_engine, _cipher(old)).put("t", "openai", SECRET)
    before = _stored(sqlite_engine)

    rotating = ProviderKeyStore(sqlite_engine, _cipher(new, old))
    assert rotating.get("t", "openai") == SECRET  # old rows still readable
    assert rotating.rotate() == 1
    assert _stored(sqlite_engine) != before

    assert ProviderKeyStore(sqlite_engine, _cipher(new)).get("t", "openai") == SECRET
    with pytest.raises(UndecryptableKey):
        ProviderKeyStore(sqlite_engine, _cipher(old)).get("t", "openai")
    with pytest.raises(UndecryptableKey):
        ProviderKeyStore(sqlite_engine, _cipher(stranger)).get("t", "openai")


def test_refuses_to_store_without_an_encryption_key(sqlite_engine: Engine) -> None:
    assert KeyCipher.from_setting("") is None and KeyCipher.from_env({}) is None
    store = ProviderKeyStore(sqlite_engine, None)
    with pytest.raises(EncryptionNotConfigured, match="POLYROUTE_ENCRYPTION_KEYS"):
        store.put("t", "openai", SECRET)
    assert _stored(sqlite_engine) == []
    with pytest.raises(ValueError, match="Fernet"):
        KeyCipher.from_setting("not-a-key")


def test_cipher_from_env_uses_first_key_to_encrypt() -> None:
    first, second = Fernet.generate_key(), Fernet.generate_key()
    cipher = KeyCipher.from_env(
        {"POLYROUTE_ENCRYPTION_KEYS": f"{first.decode()}, {second.decode()}"}
    )
    assert cipher is not None
    token = cipher.encrypt("x")
    assert Fernet(first).decrypt(token.encode()) == b"x"
