"""Virtual keys (hashed), per-tenant provider keys (encrypted) and the caller's principal."""

from polyroute.keys.config import KeysConfig
from polyroute.keys.crypto import ENV_VAR, EncryptionNotConfigured, KeyCipher, UndecryptableKey
from polyroute.keys.models import DEFAULT_TENANT, MASTER, Principal, VirtualKey, model_allowed
from polyroute.keys.providers import ProviderKeyStore, StoredProviderKey
from polyroute.keys.store import SECRET_PREFIX, KeyStore, hash_secret, looks_like_secret

__all__ = [
    "DEFAULT_TENANT",
    "ENV_VAR",
    "MASTER",
    "SECRET_PREFIX",
    "EncryptionNotConfigured",
    "KeyCipher",
    "KeyStore",
    "KeysConfig",
    "Principal",
    "ProviderKeyStore",
    "StoredProviderKey",
    "UndecryptableKey",
    "VirtualKey",
    "hash_secret",
    "looks_like_secret",
    "model_allowed",
]
