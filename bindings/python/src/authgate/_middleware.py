"""What the WSGI and ASGI middleware share: the engine with an identity
header, the path as the engine sees it and back, and the identity."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple
from urllib.parse import quote, unquote_to_bytes

from ._config import Config, to_mapping
from .engine import Decision, Engine

# The header through which the engine hands the middleware the identity's
# claims (its `forward_payload_header`), when the configuration names none.
# The C ABI gives a decision's claims only that way. The engine removes a
# client's copy of the header on every route, so only the engine sets it, and
# the middleware takes it out again before the app sees the request.
IDENTITY_HEADER = "x-authgate-identity"

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


def identity_engine(config: Config) -> Tuple[Engine, Dict[str, bool]]:
    """The engine for ``config`` with a `forward_payload_header` on the OIDC
    login and on every `jwt` provider, and {header name: hidden from the app}
    (hidden when the middleware added it)."""
    document = copy.deepcopy(to_mapping(config))
    headers: Dict[str, bool] = {}
    sections = [document.get("oidc")]
    providers = (document.get("jwt") or {}).get("providers") or {}
    if isinstance(providers, dict):
        sections.extend(providers.values())
    for section in sections:
        if not isinstance(section, dict):
            continue  # the engine names what is wrong with it
        name = section.get("forward_payload_header")
        if isinstance(name, str) and name:
            headers.setdefault(name.lower(), False)
        else:
            section["forward_payload_header"] = IDENTITY_HEADER
            headers[IDENTITY_HEADER] = True
    return Engine(document), headers


def identity(decision: Decision, payload_headers: Dict[str, bool]) -> Optional[Identity]:
    """The identity of an allowed decision, or None (a public route, or an
    ``allow_missing`` route without a token)."""
    for name, value in decision.set_headers:
        if name in payload_headers:
            padded = value + "=" * (-len(value) % 4)
            claims = json.loads(base64.urlsafe_b64decode(padded))
            subject = claims.get("sub")
            return Identity(subject if isinstance(subject, str) else None, claims)
    return None


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

