"""What the WSGI and ASGI middleware share: the identity, and the path as
the engine sees it and back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple
from urllib.parse import quote, unquote_to_bytes

from .engine import Decision

# Characters left as they are when a decoded path is percent-encoded again
# for the engine: RFC 3986 pchar and "/". "%" is not among them, so a
# decoded "%41" reaches the engine as "%2541" and is never decoded twice.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


@dataclass(frozen=True)
class Identity:
    """Who the request is from, as the engine established it: the claims of
    the Bearer token, or of the session's ID token, and their ``sub``."""

    subject: Optional[str]
    claims: Dict[str, Any] = field(default_factory=dict)


def identity(decision: Decision) -> Optional[Identity]:
    """The identity of an allowed decision, or None (a public route, or an
    ``allow_missing`` route without a token)."""
    if decision.claims is None:
        return None
    subject = decision.claims.get("sub")
    return Identity(subject if isinstance(subject, str) else None, decision.claims)


def encode_path(path: bytes) -> str:
    return quote(path, safe=_PATH_SAFE)


def split_target(target: str) -> Tuple[bytes, str]:
    """The decoded path bytes and the query of a decision's upstream target."""
    path, _, query = target.partition("?")
    return unquote_to_bytes(path), query


def status_line(status: int) -> str:
    from http import HTTPStatus
    try:
        return "%d %s" % (status, HTTPStatus(status).phrase)
    except ValueError:
        return "%d Unknown" % status


MOUNT_ESCAPE_BODY = b"the normalised path leaves this application's mount point\n"

