"""The decision engine: ``authgate_engine_*`` of the C ABI, the sidecar's
whole decision about an HTTP request, in process."""

from __future__ import annotations

import asyncio
import itertools
import weakref
from ctypes import byref, c_int, c_size_t, c_void_p, string_at
from dataclasses import dataclass
from typing import (Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union)

from . import _lib
from ._config import Config, to_json
from .exceptions import Error, failure
from .verifier import _milliseconds, _parse_claims, counters

_c = _lib.lib
_OK = _lib.OK

Headers = Union[Mapping[str, Union[str, bytes]], Iterable[Tuple[str, Union[str, bytes]]]]


@dataclass(frozen=True)
class Decision:
    """The engine's answer about one request.

    ``action`` is ``"allow"`` (forward the request to the app: remove the
    ``remove_headers``, then set the ``set_headers``, serve
    ``upstream_target``, and add ``response_headers`` to the app's answer) or
    ``"respond"`` (answer the client with ``status``, ``response_headers``
    and ``body``). Header names are lowercase; values are text as sent on the
    wire (latin-1). ``reason`` is the stable refusal reason (``"none"`` when
    allowed), ``detail`` a log-safe explanation, ``outcome`` one of
    ``allowed``, ``login_redirect``, ``logged_in``, ``signed_out``,
    ``unauthorized``, ``forbidden``, ``bad_request``, ``unavailable``, and
    ``rule`` the name of the rule that matched (``""`` when none did).
    ``claims`` is the identity of an allowed request: the Bearer token's
    claims, or the session's ID-token claims; None when there is none (a
    public route, ``allow_missing`` without a token) and when responding.
    """

    action: str
    status: int
    remove_headers: Tuple[str, ...]
    set_headers: Tuple[Tuple[str, str], ...]
    response_headers: Tuple[Tuple[str, str], ...]
    body: bytes
    upstream_target: str
    reason: str
    detail: str
    outcome: str
    rule: str
    claims: Optional[Dict[str, Any]] = None

    @property
    def allowed(self) -> bool:
        """True when the request goes on to the app."""
        return self.action == "allow"


def _text(function, decision) -> bytes:
    length = c_size_t()
    pointer = function(decision, byref(length))
    return string_at(pointer, length.value) if pointer else b""


def _headers(decision, which: int) -> List[Tuple[str, str]]:
    name, value = c_void_p(), c_void_p()
    name_len, value_len = c_size_t(), c_size_t()
    out = []
    for index in range(_c.authgate_decision_header_count(decision, which)):
        error = c_void_p()
        status = _c.authgate_decision_header(decision, which, index, byref(name), byref(name_len),
                                             byref(value), byref(value_len), byref(error))
        if status != _OK:
            raise failure(status, error)
        out.append((string_at(name, name_len.value).decode("latin-1"),
                    string_at(value, value_len.value).decode("latin-1")))
    return out


def _read(decision) -> Decision:
    """Copies everything out of an ``authgate_decision *`` (then freed by the
    caller): the Python object outlives the C one."""
    allow = _c.authgate_decision_action(decision) == 0
    return Decision(
        action="allow" if allow else "respond",
        status=_c.authgate_decision_status(decision),
        remove_headers=tuple(name for name, _ in _headers(decision, _lib.HEADERS_REMOVE)),
        set_headers=tuple(_headers(decision, _lib.HEADERS_SET)),
        response_headers=tuple(_headers(decision, _lib.HEADERS_RESPONSE)),
        body=_text(_c.authgate_decision_body, decision),
        upstream_target=_text(_c.authgate_decision_upstream_target, decision).decode("latin-1"),
        reason=_c.authgate_reason_name(_c.authgate_decision_reason(decision)).decode(),
        detail=_text(_c.authgate_decision_detail, decision).decode("utf-8", "replace"),
        outcome=(_c.authgate_decision_outcome(decision) or b"").decode(),
        rule=(_c.authgate_decision_rule(decision) or b"").decode("utf-8", "replace"),
        claims=_claims_of(decision),
    )


def _claims_of(decision) -> Optional[Dict[str, Any]]:
    text = _text(_c.authgate_decision_claims_json, decision)
    return _parse_claims(text) if text else None


def _take(decision) -> Decision:
    try:
        return _read(decision)
    finally:
        _c.authgate_decision_free(decision)


def _bytes(value: Union[str, bytes], encoding: str) -> bytes:
    return value if isinstance(value, bytes) else value.encode(encoding)


def _split_url(url: bytes) -> Tuple[bytes, bytes, bytes]:
    """scheme, authority, target of an absolute URL, byte for byte: the
    engine normalises and judges the target itself, so nothing is decoded or
    resolved here."""
    scheme, separator, rest = url.partition(b"://")
    if not separator or not scheme:
        raise ValueError("authgate: the URL must be absolute (scheme://host/path), got %r" % url)
    end = len(rest)
    for delimiter in (b"/", b"?"):
        position = rest.find(delimiter)
        if position != -1:
            end = min(end, position)
    authority, target = rest[:end], rest[end:]
    if not target.startswith(b"/"):
        target = b"/" + target
    return scheme, authority, target


class _Request:
    """An ``authgate_request *``, built and freed around one evaluation."""

    def __init__(self, method: Union[str, bytes], url: Union[str, bytes], headers: Headers,
                 peer: Optional[str]) -> None:
        scheme, authority, target = _split_url(_bytes(url, "utf-8"))
        handle = c_void_p()
        error = c_void_p()
        status = _c.authgate_request_new(byref(handle), byref(error))
        if status != _OK:
            raise failure(status, error)
        self.handle = handle
        try:
            fields = [(_lib.REQUEST_METHOD, _bytes(method, "latin-1")),
                      (_lib.REQUEST_SCHEME, scheme), (_lib.REQUEST_AUTHORITY, authority),
                      (_lib.REQUEST_TARGET, target)]
            if peer:
                fields.append((_lib.REQUEST_CLIENT_ADDRESS, peer.encode()))
            for field, value in fields:
                status = _c.authgate_request_set(handle, field, value, len(value), byref(error))
                if status != _OK:
                    raise failure(status, error)
            pairs = headers.items() if isinstance(headers, Mapping) else headers
            for name, value in pairs:
                name_bytes, value_bytes = _bytes(name, "latin-1"), _bytes(value, "latin-1")
                status = _c.authgate_request_add_header(handle, name_bytes, len(name_bytes),
                                                        value_bytes, len(value_bytes),
                                                        byref(error))
                if status != _OK:
                    raise failure(status, error)
        except BaseException:
            _c.authgate_request_free(handle)
            raise

    def __enter__(self) -> c_void_p:
        return self.handle

    def __exit__(self, *exc_info: Any) -> None:
        _c.authgate_request_free(self.handle)


# Asynchronous evaluations in flight, by the id passed to the library as
# userdata: the callback finds its loop and future here. One module-level
# callback object serves them all, so it lives as long as the library may
# call it.
_pending: Dict[int, Tuple["Engine", asyncio.AbstractEventLoop, "asyncio.Future[Decision]"]] = {}
_ids = itertools.count(1)


def _settle(future: "asyncio.Future[Decision]", outcome: Union[Decision, BaseException]) -> None:
    if future.cancelled():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


@_lib.DECISION_CALLBACK
def _on_decision(status: int, decision: Optional[int], userdata: Optional[int]) -> None:
    # Runs on a library thread, holding the GIL ctypes took for it. Nothing
    # may escape: ctypes would only print it, and the awaiting task would hang.
    entry = _pending.pop(userdata or 0, None)
    outcome: Union[Decision, BaseException]
    try:
        if status == _OK and decision:
            outcome = _take(decision)
        elif status == _lib.CANCELLED:
            outcome = Error("the engine was closed before the decision was known", "cancelled")
        elif status == _lib.OUT_OF_MEMORY:
            outcome = MemoryError("authgate: out of memory while evaluating a request")
        else:
            outcome = Error("evaluation failed: %s" % _c.authgate_status_name(status).decode(),
                            _c.authgate_status_name(status).decode())
    except BaseException as error:  # noqa: B902 (reported to the awaiting task)
        outcome = error
    if entry is None:
        return
    _, loop, future = entry
    try:
        loop.call_soon_threadsafe(_settle, future, outcome)
    except RuntimeError:
        pass  # the loop was closed: nobody is waiting any more


class Engine:
    """The sidecar's decision engine, in process: OpenID Connect login with
    session cookies, Bearer JWTs, route rules and claim conditions.

    ``config`` is the engine document of docs/config.md ("engine"): a dict,
    JSON text, or the path of a JSON or YAML file (the sidecar's own YAML
    works unchanged: the library ignores ``listen``, ``upstream``, ``admin``
    and ``server`` with a warning)::

        engine = authgate.Engine("authgate.yaml")
        decision = engine.evaluate("GET", "https://app.example/api/x",
                                   {"Authorization": "Bearer ..."}, peer="10.0.0.7")
        if not decision.allowed:
            return decision.status, decision.response_headers, decision.body

    Thread-safe; the GIL is released while the library works, including
    while ``evaluate`` waits for the provider. ``close()`` (or ``with``)
    frees it; it must not run while another thread still uses the engine.
    """

    def __init__(self, config: Config) -> None:
        text = to_json(config, allow_path=True)
        handle = c_void_p()
        error = c_void_p()
        status = _c.authgate_engine_new(byref(handle), text, len(text), byref(error))
        if status != _OK:
            raise failure(status, error)
        self._handle: Optional[c_void_p] = handle
        self._finalizer = weakref.finalize(self, _c.authgate_engine_free, handle)
        self._finalizer.atexit = False
        #: Configuration warnings (cookies without Secure, providers without
        #: audiences, ignored sidecar keys...).
        self.warnings: List[str] = [
            _c.authgate_engine_warning(handle, i).decode("utf-8", "replace")
            for i in range(_c.authgate_engine_warning_count(handle))]

    def _live(self) -> c_void_p:
        if self._handle is None:
            raise ValueError("authgate.Engine: used after close()")
        return self._handle

    def evaluate(self, method: Union[str, bytes], url: Union[str, bytes], headers: Headers = (),
                 peer: Optional[str] = None) -> Decision:
        """Decides about a request: ``method`` as received, ``url`` absolute
        (``scheme://host[:port]/path?query``, the path undecoded), ``headers``
        as (name, value) pairs or a mapping, ``peer`` the client's IP address.
        Waits for a token exchange, refresh or key refetch up to the
        configured ``evaluate_timeout`` (with the GIL released)."""
        handle = self._live()
        with _Request(method, url, headers, peer) as request:
            decision = c_void_p()
            error = c_void_p()
            status = _c.authgate_engine_evaluate(byref(decision), handle, request, byref(error))
        if status != _OK:
            raise failure(status, error)
        return _take(decision)

    async def evaluate_async(self, method: Union[str, bytes], url: Union[str, bytes],
                             headers: Headers = (), peer: Optional[str] = None) -> Decision:
        """``evaluate`` for asyncio: never blocks the event loop. A decision
        that needs the network completes through the library's callback,
        handed to this loop with ``call_soon_threadsafe``."""
        handle = self._live()
        loop = asyncio.get_running_loop()
        future: "asyncio.Future[Decision]" = loop.create_future()
        key = next(_ids)
        # Registered before the call: the callback may run on a library
        # thread before evaluate_async returns.
        _pending[key] = (self, loop, future)
        decision = c_void_p()
        error = c_void_p()
        try:
            with _Request(method, url, headers, peer) as request:
                status = _c.authgate_engine_evaluate_async(byref(decision), handle, request,
                                                           _on_decision, key, byref(error))
        except BaseException:
            _pending.pop(key, None)
            raise
        if status == _lib.PENDING:
            return await future
        _pending.pop(key, None)
        if status != _OK:
            raise failure(status, error)
        return _take(decision)

    @property
    def ready(self) -> bool:
        """True once the provider metadata and every key source are loaded."""
        ready = c_int()
        error = c_void_p()
        status = _c.authgate_engine_ready(byref(ready), self._live(), byref(error))
        if status != _OK:
            raise failure(status, error)
        return bool(ready.value)

    def wait_ready(self, timeout: float) -> None:
        """Blocks until ``ready``, at most ``timeout`` seconds (``Timeout``)."""
        error = c_void_p()
        status = _c.authgate_engine_wait_ready(self._live(), _milliseconds(timeout), byref(error))
        if status != _OK:
            raise failure(status, error)

    def stats(self) -> Dict[str, Dict[str, Any]]:
        """Counters by their stable names: ``outcomes`` (decisions by
        outcome), ``reasons`` (refusals by reason), ``engine`` (logins,
        refreshes, key fetches, token cache), and ``key_errors``: each `jwt`
        provider whose last key fetch failed, with that fetch's error."""
        handle = self._live()
        reasons = counters(_c.authgate_engine_counters, handle, _lib.COUNTERS_REASONS)
        reasons.pop("none", None)
        return {
            "outcomes": counters(_c.authgate_engine_counters, handle, _lib.COUNTERS_OUTCOMES),
            "reasons": reasons,
            "engine": counters(_c.authgate_engine_counters, handle, _lib.COUNTERS_ENGINE),
            "key_errors": self._key_errors(handle),
        }

    @staticmethod
    def _key_errors(handle: c_void_p) -> Dict[str, str]:
        out = {}
        for index in itertools.count():
            provider, message = c_void_p(), c_void_p()
            error = c_void_p()
            status = _c.authgate_engine_key_error(byref(provider), byref(message), handle, index,
                                                  byref(error))
            if status == _lib.NOT_FOUND:
                _c.authgate_error_free(error)
                return out
            if status != _OK:
                raise failure(status, error)
            try:
                text = string_at(message.value) if message.value else b""
                if text:
                    out[string_at(provider.value).decode()] = text.decode("utf-8", "replace")
            finally:
                _c.authgate_string_free(provider)
                _c.authgate_string_free(message)
        return out

    def close(self) -> None:
        """Frees the engine now (pending ``evaluate_async`` calls fail with
        ``Error`` status ``"cancelled"``). Idempotent."""
        self._handle = None
        self._finalizer()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
