"""Which certificate authorities an upstream connection trusts, for both connection pools."""

from __future__ import annotations

import functools
import os
import ssl
from pathlib import Path

import certifi


def system_ca_bundle() -> Path | None:
    """The trust store Python's own TLS would use: ``SSL_CERT_FILE``, else OpenSSL's default
    file (on Debian, ``ca-certificates``, which holds any CA the operator installed)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (os.environ.get(paths.openssl_cafile_env), paths.cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@functools.cache
def tls_context(trust: Path | None) -> ssl.SSLContext:
    """The CAs in ``trust`` (the provider's bundle, else the system's file), or, on a system
    without a CA file (a slim image), OpenSSL's default paths plus the Mozilla roots. One
    context per store, shared by every provider that uses it: each holds its own parsed
    copy, ~2 MB for the system's."""
    if trust is not None:
        return ssl.create_default_context(cafile=str(trust))
    context = ssl.create_default_context()
    context.load_verify_locations(certifi.where())
    return context
