"""WSGI middleware: the sidecar's decision, in process, in front of a WSGI
app (Flask, Django, any PEP 3333 app).

    from authgate.wsgi import AuthgateMiddleware
    app.wsgi_app = AuthgateMiddleware(app.wsgi_app, "authgate.yaml")

Every request is evaluated by the engine. Its answers (the redirect to the
provider, the login callback, sign-out, 401/403/400/429/503) are sent by the
middleware; an allowed request reaches the app with the identity headers set
and forged ones removed, the normalised path in ``PATH_INFO``, and the
identity in ``environ["authgate.identity"]`` (an ``authgate.Identity``, or
None on a public route). Response headers of an allowed decision (a
refreshed session's ``Set-Cookie``) are added to the app's answer.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ._config import Config
from ._middleware import (MOUNT_ESCAPE_BODY, Identity, encode_path, identity,
                          split_target, status_line)
from .engine import Decision, Engine

StartResponse = Callable[..., Any]
WSGIApp = Callable[[Dict[str, Any], StartResponse], Iterable[bytes]]

__all__ = ["AuthgateMiddleware", "Identity"]


def _environ_key(name: str) -> str:
    # CGI spells every header HTTP_NAME with `_` for `-`, so one key covers
    # every spelling of a name (X-Authgate-Sub, x_authgate_sub).
    upper = name.upper().replace("-", "_")
    return upper if upper in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + upper


def _request_headers(environ: Dict[str, Any]) -> List[Tuple[str, str]]:
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower(), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").lower(), value))
    return headers


def _url(environ: Dict[str, Any]) -> bytes:
    # The target is rebuilt from SCRIPT_NAME and PATH_INFO, not REQUEST_URI:
    # the app routes on PATH_INFO (decoded, latin-1 per PEP 3333), which a
    # server or an earlier middleware may have rewritten, so the engine must
    # judge that path. It is percent-encoded again so that a decoded "%" or
    # "?" is not read twice.
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
    target = encode_path(path or b"/")
    query = environ.get("QUERY_STRING", "")
    if query:
        target += "?" + query
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ["SERVER_NAME"]
        port = environ.get("SERVER_PORT", "")
        default = "443" if environ.get("wsgi.url_scheme") == "https" else "80"
        if port and port != default:
            host += ":" + port
    return ("%s://%s%s" % (environ.get("wsgi.url_scheme", "http"), host, target)).encode("latin-1")


class AuthgateMiddleware:
    """Protects ``app`` with the engine configured by ``config`` (a dict,
    JSON text, or the path of the sidecar's YAML or a JSON file; see
    docs/config.md). ``engine`` is the ``authgate.Engine`` it created. With
    ``ready_timeout`` (seconds), waits for the provider's metadata and keys
    first and raises ``authgate.Timeout`` when they do not come (otherwise
    requests before then are answered 503 ``provider_unavailable``)."""

    def __init__(self, app: WSGIApp, config: Config, ready_timeout: float = 0.0) -> None:
        self.app = app
        self.engine = Engine(config)
        if ready_timeout > 0:
            self.engine.wait_ready(ready_timeout)

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        decision = self.engine.evaluate(environ["REQUEST_METHOD"], _url(environ),
                                        _request_headers(environ),
                                        peer=environ.get("REMOTE_ADDR") or None)
        if not decision.allowed:
            return self._respond(start_response, decision.status,
                                 list(decision.response_headers), decision.body)
        if not self._rewrite(environ, decision):
            return self._respond(start_response, 400, [("Content-Type", "text/plain")],
                                 MOUNT_ESCAPE_BODY)
        added = list(decision.response_headers)
        if not added:
            return self.app(environ, start_response)

        def start_with_headers(status: str, headers: List[Tuple[str, str]],
                               exc_info: Optional[Any] = None) -> Any:
            return start_response(status, list(headers) + added, exc_info)

        return self.app(environ, start_with_headers)

    def _rewrite(self, environ: Dict[str, Any], decision: Decision) -> bool:
        """Applies an allowed decision to ``environ``; False when the
        normalised path is outside SCRIPT_NAME (the app cannot serve it)."""
        path, query = split_target(decision.upstream_target)
        script_name = environ.get("SCRIPT_NAME", "").encode("latin-1")
        if script_name and not (path == script_name or path.startswith(script_name + b"/")):
            return False
        environ["PATH_INFO"] = path[len(script_name):].decode("latin-1")
        environ["QUERY_STRING"] = query
        for key in ("REQUEST_URI", "RAW_URI"):
            if key in environ:
                environ[key] = decision.upstream_target
        for name in decision.remove_headers:
            environ.pop(_environ_key(name), None)
        for name, _ in decision.set_headers:
            environ.pop(_environ_key(name), None)
        for name, value in decision.set_headers:
            key = _environ_key(name)
            environ[key] = environ[key] + ", " + value if key in environ else value
        environ["authgate.identity"] = identity(decision)
        return True

    @staticmethod
    def _respond(start_response: StartResponse, status: int, headers: List[Tuple[str, str]],
                 body: bytes) -> List[bytes]:
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers.append(("Content-Length", str(len(body))))
        start_response(status_line(status), headers)
        return [body]
