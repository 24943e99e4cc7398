"""ASGI middleware: the sidecar's decision, in process, in front of an ASGI
app (Starlette, FastAPI, any ASGI 3 app).

    from authgate.asgi import AuthgateMiddleware
    app = AuthgateMiddleware(app, "authgate.yaml")

As ``authgate.wsgi``: the engine's answers are sent by the middleware; an
allowed request reaches the app with the header changes applied, the
normalised path, and ``scope["authgate.identity"]``. Evaluations that need
the network (the login callback's code exchange, a refresh, a key refetch)
never block the event loop.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, List, MutableMapping, Optional, Tuple

from ._config import Config
from ._middleware import (MOUNT_ESCAPE_BODY, Identity, encode_path, identity,
                          split_target)
from .engine import Decision, Engine

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["AuthgateMiddleware", "Identity"]


def _header_key(name: bytes) -> bytes:
    # Names compared as CGI-style servers do: any case, `_` as `-`.
    return name.lower().replace(b"_", b"-")


def _full_path(scope: Scope) -> bytes:
    # The app routes on root_path + path (decoded text), so the engine judges
    # that, percent-encoded again so that nothing is decoded twice.
    return (scope.get("root_path", "") + scope["path"]).encode("utf-8", "surrogateescape")


def _url(scope: Scope) -> bytes:
    target = encode_path(_full_path(scope) or b"/").encode("ascii")
    if scope.get("query_string"):
        target += b"?" + scope["query_string"]
    scheme = {"ws": b"http", "wss": b"https"}.get(scope.get("scheme", "http"),
                                                 scope.get("scheme", "http").encode())
    host = next((value for name, value in scope["headers"] if name.lower() == b"host"), None)
    if host is None:
        server_host, server_port = scope.get("server") or ("localhost", None)
        host = server_host.encode()
        if server_port is not None and server_port not in (80, 443):
            host += b":%d" % server_port
    return scheme + b"://" + host + target


class AuthgateMiddleware:
    """Protects ``app`` with the engine configured by ``config`` (a dict,
    JSON text, or the path of the sidecar's YAML or a JSON file; see
    docs/config.md). ``engine`` is the ``authgate.Engine`` it created. With
    ``ready_timeout`` (seconds), waits for the provider's metadata and keys
    first and raises ``authgate.Timeout`` when they do not come (otherwise
    requests before then are answered 503 ``provider_unavailable``).
    ``lifespan`` messages pass through; a refused WebSocket handshake is
    closed with code 1008 (policy violation)."""

    def __init__(self, app: ASGIApp, config: Config, ready_timeout: float = 0.0) -> None:
        self.app = app
        self.engine = Engine(config)
        if ready_timeout > 0:
            self.engine.wait_ready(ready_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        method = scope.get("method", "GET")
        decision = await self.engine.evaluate_async(method, _url(scope), scope["headers"],
                                                    peer=client[0] if client else None)
        if not decision.allowed:
            await self._refuse(scope, send, decision.status, list(decision.response_headers),
                               decision.body)
            return
        inner = self._rewrite(scope, decision)
        if inner is None:
            await self._refuse(scope, send, 400, [("content-type", "text/plain")],
                               MOUNT_ESCAPE_BODY)
            return
        added = [(name.encode("latin-1"), value.encode("latin-1"))
                 for name, value in decision.response_headers]
        if not added or scope["type"] != "http":
            await self.app(inner, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message, headers=list(message.get("headers", [])) + added)
            await send(message)

        await self.app(inner, receive, send_with_headers)

    def _rewrite(self, scope: Scope, decision: Decision) -> Optional[Scope]:
        """A copy of ``scope`` with an allowed decision applied; None when
        the normalised path is outside root_path (the app cannot serve it)."""
        path, query = split_target(decision.upstream_target)
        root = scope.get("root_path", "").encode("utf-8", "surrogateescape")
        if root and not (path == root or path.startswith(root + b"/")):
            return None
        dropped = {_header_key(name.encode("latin-1")) for name in decision.remove_headers}
        dropped.update(_header_key(name.encode("latin-1")) for name, _ in decision.set_headers)
        headers = [(name, value) for name, value in scope["headers"]
                   if _header_key(name) not in dropped]
        headers.extend((name.encode("latin-1"), value.encode("latin-1"))
                       for name, value in decision.set_headers)
        inner = dict(scope)
        inner["path"] = path[len(root):].decode("utf-8", "surrogateescape")
        inner["raw_path"] = encode_path(path[len(root):]).encode("ascii")
        inner["query_string"] = query.encode("latin-1")
        inner["headers"] = headers
        inner["authgate.identity"] = identity(decision)
        return inner

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int, headers: List[Tuple[str, str]],
                      body: bytes) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        if not any(name.lower() == b"content-length" for name, _ in raw):
            raw.append((b"content-length", b"%d" % len(body)))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
