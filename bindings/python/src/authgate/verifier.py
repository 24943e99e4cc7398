"""The JWT verifier: ``authgate_verifier_*`` of the C ABI."""

from __future__ import annotations

import base64
import json
import weakref
from ctypes import byref, c_size_t, c_uint64, c_void_p
from typing import Any, Dict, List, Mapping, Optional, Union

from . import _lib
from ._config import to_json
from .exceptions import failure

_lib_ = _lib.lib
_verify = _lib_.authgate_verifier_verify
_verify_at = _lib_.authgate_verifier_verify_at
_claims_json = _lib_.authgate_result_claims_json
_result_free = _lib_.authgate_result_free
# The C scanner json.loads ends in. json.loads itself first detects the
# encoding of bytes and checks for surrounding whitespace in Python, which
# costs as much as building the dict; the library has already parsed the
# claims strictly (valid UTF-8, one JSON object, no duplicate names).
_scan = json.JSONDecoder().scan_once


def _parse_claims(data: bytes) -> Dict[str, Any]:
    text = data.decode()
    try:
        value, end = _scan(text, 0)
    except StopIteration:  # leading whitespace: the issuer's bytes are kept as signed
        return json.loads(text)
    return value if end == len(text) else json.loads(text)
_OK = _lib.OK


class Claims(dict):
    """A verified token's claims (its payload, as a dict) and, in
    ``header``, its protected header (``alg``, ``kid``, ``typ``...)."""

    # dict's own constructor fills it, and the header is decoded from the
    # token's first segment (the bytes the library verified) on first access:
    # a Python-level __init__, another call into the library and a second
    # json.loads would add about a third to the cost of a verify() call.
    __slots__ = ("_header_segment", "_header")

    @property
    def header(self) -> Dict[str, Any]:
        """The token's protected header, as a dict."""
        try:
            return self._header
        except AttributeError:
            segment = getattr(self, "_header_segment", b"e30")  # "{}"
            padded = segment + b"=" * (-len(segment) % 4)
            self._header = json.loads(base64.urlsafe_b64decode(padded))
            return self._header

    def __reduce__(self):
        return (_claims, (dict(self), getattr(self, "_header_segment", b"e30")))

    def __repr__(self) -> str:
        return "Claims(%s)" % dict.__repr__(self)


def _claims(claims: Mapping[str, Any], header_segment: bytes) -> Claims:
    made = Claims(claims)
    made._header_segment = header_segment
    return made


def counters(function, handle, counter_set: int) -> Dict[str, int]:
    """A counter set as {name: value}, sized by asking the library first
    (sets grow by appending between versions)."""
    count = c_size_t()
    error = c_void_p()
    status = function(None, 0, byref(count), handle, counter_set, byref(error))
    if status != _OK:
        raise failure(status, error)
    values = (c_uint64 * count.value)()
    status = function(values, count.value, byref(count), handle, counter_set, byref(error))
    if status != _OK:
        raise failure(status, error)
    names = (_lib_.authgate_counter_name(counter_set, i) for i in range(len(values)))
    return {name.decode(): value for name, value in zip(names, values) if name is not None}


class Verifier:
    """Checks compact JWS/JWT tokens against configured keys and claim rules.

    ``config`` is the verifier document of docs/config.md ("verifier"), as a
    dict or as JSON text::

        verifier = authgate.Verifier({"jwks_uri": "https://idp.example/jwks",
                                      "issuers": ["https://idp.example"],
                                      "audiences": ["api://orders"]})
        verifier.wait_ready(5)
        try:
            claims = verifier.verify(token)
        except authgate.Expired:
            ...
        except authgate.Rejected as refusal:
            log(refusal.reason, refusal.detail)

    Thread-safe: share one verifier between threads; the GIL is released
    while the library works. ``close()`` (or ``with``) frees it at once; it
    must not run while another thread still uses the verifier. Otherwise it
    is freed when collected.

    Raises ``ConfigError`` for a refused document (the message names the key).
    """

    def __init__(self, config: Union[Mapping[str, Any], str]) -> None:
        text = to_json(config, allow_path=False)
        handle = c_void_p()
        error = c_void_p()
        status = _lib_.authgate_verifier_new(byref(handle), text, len(text), byref(error))
        if status != _OK:
            raise failure(status, error)
        self._handle: Optional[c_void_p] = handle
        # A safety net when close() is never called; not at interpreter exit,
        # where daemon threads may still be inside a call.
        self._finalizer = weakref.finalize(self, _lib_.authgate_verifier_free, handle)
        self._finalizer.atexit = False
        #: Why keys were skipped (too weak, malformed, sharing a ``kid``).
        self.warnings: List[str] = [
            _lib_.authgate_verifier_warning(handle, i).decode("utf-8", "replace")
            for i in range(_lib_.authgate_verifier_warning_count(handle))]

    @classmethod
    def from_jwks(cls, jwks: Union[Mapping[str, Any], str], **options: Any) -> "Verifier":
        """A verifier for inline keys: ``jwks`` is a JWKS or JWK (a dict, or
        its JSON text) or PEM text; ``options`` are the other keys of the
        document (``issuers=[...]``, ``audiences=[...]``, ``algorithms=[...]``)."""
        return cls(dict(options, jwks=jwks))

    def _live(self) -> c_void_p:
        if self._handle is None:
            raise ValueError("authgate.Verifier: used after close()")
        return self._handle

    def verify(self, token: Union[str, bytes], now: Optional[int] = None) -> Claims:
        """Verifies ``token`` (compact JWS) at the current time, or at ``now``
        (seconds since the Unix epoch). Returns its claims; raises a
        ``Rejected`` subclass naming the reason when the token is refused."""
        if isinstance(token, str):
            token = token.encode()
        result = c_void_p()
        error = c_void_p()
        handle = self._handle
        if handle is None:
            handle = self._live()
        if now is None:
            status = _verify(byref(result), handle, token, len(token), byref(error))
        else:
            status = _verify_at(byref(result), handle, token, len(token), now, byref(error))
        if status != _OK:
            raise failure(status, error)
        try:
            claims = Claims(_parse_claims(_claims_json(result, None)))
        finally:
            _result_free(result)
        claims._header_segment = token[:token.find(b".")]
        return claims

    def wait_ready(self, timeout: float) -> None:
        """Blocks until every key source has keys, at most ``timeout``
        seconds; raises ``Timeout`` with the last fetch error otherwise."""
        error = c_void_p()
        status = _lib_.authgate_verifier_wait_ready(self._live(), _milliseconds(timeout),
                                                     byref(error))
        if status != _OK:
            raise failure(status, error)

    def refresh(self) -> None:
        """Asks every remote key source to refetch now, in the background."""
        error = c_void_p()
        status = _lib_.authgate_verifier_refresh(self._live(), byref(error))
        if status != _OK:
            raise failure(status, error)

    @property
    def key_count(self) -> int:
        """The number of keys held now."""
        return _lib_.authgate_verifier_key_count(self._live())

    def stats(self) -> Dict[str, int]:
        """Counters by their stable names: ``keys``, ``jwks_fetch_successes``,
        ``jwks_fetch_failures``, ``token_cache_entries``, ``token_cache_hits``,
        ``token_cache_misses`` (and any the library appends later)."""
        return counters(_lib_.authgate_verifier_counters, self._live(), _lib.COUNTERS_VERIFIER)

    def close(self) -> None:
        """Frees the verifier now. Idempotent."""
        self._handle = None
        self._finalizer()

    def __enter__(self) -> "Verifier":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _milliseconds(timeout: float) -> int:
    if timeout < 0:
        raise ValueError("timeout must not be negative")
    return min(int(timeout * 1000), 0xFFFFFFFF)
