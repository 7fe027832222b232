"""Request headers as the wire carries them, checked; response headers as text."""

from __future__ import annotations

import re
from collections.abc import Mapping

from polyroute import __version__

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_UNSAFE_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


DEFAULT_HEADERS = {"user-agent": f"polyroute/{__version__}", "accept-encoding": "gzip"}


def header_block(headers: Mapping[str, str]) -> bytes:
    """``headers``, and the ``DEFAULT_HEADERS`` they do not name, as request lines, checked:
    a CR or LF in a value would end the header and let what follows pass as headers (or as
    a request) of their own."""
    named = {name.lower() for name in headers}
    defaults = {k: v for k, v in DEFAULT_HEADERS.items() if k not in named}
    lines = []
    for name, value in {**defaults, **headers}.items():
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"invalid HTTP header name {name!r}")
        if _UNSAFE_VALUE.search(value):
            raise ValueError(f"the value of HTTP header {name!r} has a control character (CR, LF)")
        try:
            lines.append(f"{name}: {value.strip()}\r\n".encode("latin-1"))
        except UnicodeEncodeError:
            raise ValueError(
                f"the value of HTTP header {name!r} has characters a header cannot carry "
                "(only Latin-1 text)"
            ) from None
    return b"".join(lines)


def header_map(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Headers as text, names in lower case (a repeated header's values joined)."""
    found: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        found[name] = f"{found[name]}, {value}" if name in found else value
    return found
