"""authgate: OAuth2/OIDC login and JWT verification, the C library's own
code called through ctypes (no compiled extension, no other dependency).

- ``Verifier``: checks JWTs against keys (inline, a file, a JWKS URL, OIDC
  discovery) and claim rules; ``verify(token)`` returns ``Claims`` or raises
  a ``Rejected`` subclass (``Expired``, ``SignatureInvalid``...) whose
  ``reason`` is the stable name used everywhere in authgate.
- ``Engine``: the sidecar's whole decision about an HTTP request (login
  redirect, callback, sign-out, session, Bearer token, route rules).
- ``authgate.wsgi.AuthgateMiddleware`` and ``authgate.asgi.AuthgateMiddleware``:
  the engine in front of a WSGI or ASGI app, with the sidecar's config.
- ``Error`` (``ConfigError``, ``Timeout``): a call could not be carried out.

The library is found through ``AUTHGATE_LIBRARY`` (a path), else the
system's loader (``libauthgate.so.0.2``); another ABI version is refused at
import. Configuration: docs/config.md of authgate.
"""

from ctypes import byref as _byref, c_void_p as _c_void_p

from . import _lib
from ._middleware import Identity
from .engine import Decision, Engine
from .exceptions import *  # noqa: F401,F403 (one class per reason)
from .exceptions import REASON_CLASSES, ConfigError, Error, Rejected, Timeout, failure as _failure
from .verifier import Claims, Verifier

#: The version of the loaded C library ("0.2.0").
LIBRARY_VERSION: str = _lib.VERSION
__version__ = "0.2.0"


def _global_init() -> None:
    # Now, on the importing thread (normally the main one, before a server
    # starts threads or forks), rather than inside the first call of
    # whichever thread comes first.
    error = _c_void_p()
    status = _lib.lib.authgate_global_init(_byref(error))
    if status != _lib.OK:
        raise _failure(status, error)


_global_init()

__all__ = ["Verifier", "Claims", "Engine", "Decision", "Identity", "Error", "ConfigError",
           "Timeout", "Rejected", "REASON_CLASSES", "LIBRARY_VERSION"] + [
               cls.__name__ for cls in REASON_CLASSES.values()]
