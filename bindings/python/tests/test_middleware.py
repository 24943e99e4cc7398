"""The WSGI (Flask) and ASGI (Starlette, FastAPI) middleware with Bearer
tokens minted here: what the client gets, what the app gets."""

from __future__ import annotations

import asyncio

import pytest
from starlette.testclient import TestClient

import apps
import authgate
import authgate.asgi
from authgate.engine import Decision


class FlaskClient:
    """Flask's test client with the interface of Starlette's."""

    def __init__(self, config):
        self.app = apps.flask_app(config)
        self.client = self.app.test_client()

    def get(self, target, headers=(), environ=None):
        reply = self.client.get(target, headers=list(headers), environ_overrides=environ or {},
                                base_url="http://app.test")
        reply.json_body = reply.get_json(silent=True)
        reply.headers_list = list(reply.headers.items())
        return reply


class AsgiClient:
    def __init__(self, app):
        self.app = app
        self.client = TestClient(app, base_url="http://app.test")

    def get(self, target, headers=(), environ=None):
        reply = self.client.get(target, headers=list(headers), follow_redirects=False)
        reply.json_body = reply.json() if reply.headers.get("content-type", "").startswith(
            "application/json") else None
        reply.headers_list = list(reply.headers.multi_items())
        reply.status = reply.status_code
        return reply


def make_client(kind, config):
    if kind == "flask":
        return FlaskClient(config)
    return AsgiClient(apps.starlette_app(config) if kind == "starlette" else apps.fastapi_app(config))


@pytest.fixture(params=["flask", "starlette", "fastapi"])
def client(request, engine_config):
    return make_client(request.param, engine_config)


def status(reply):
    return reply.status_code


def test_public_route_reaches_the_app_without_identity_or_forged_headers(client):
    reply = client.get("/public/page?x=1", [("X-Authgate-Sub", "mallory")])
    assert status(reply) == 200
    body = reply.json_body
    assert body["path"] == "/public/page" and body["query"] == "x=1"
    assert "x-authgate-sub" not in body["headers"]
    assert body["subject"] is None


def test_bearer_route_without_token_is_401_from_the_middleware(client):
    reply = client.get("/api/orders", [("Accept", "application/json")])
    assert status(reply) == 401
    assert reply.headers["www-authenticate"].startswith("Bearer realm=")
    assert reply.json_body is None  # the app never answered


def test_valid_token_reaches_the_app_with_identity(client, keys):
    token = keys.mint(sub="carol", scope="api:read orders")
    reply = client.get("/api/orders", [("Authorization", "Bearer " + token),
                                       ("X-Authgate-Sub", "mallory")])
    assert status(reply) == 200
    body = reply.json_body
    assert body["headers"]["x-authgate-sub"] == "carol"
    assert "authorization" not in body["headers"]
    assert body["subject"] == "carol" and body["claims"]["scope"] == "api:read orders"


def test_wrong_scope_is_403_and_expired_is_401(client, keys):
    reply = client.get("/api/orders", [("Authorization", "Bearer " + keys.mint(scope="x"))])
    assert status(reply) == 403 and "insufficient_scope" in reply.headers["www-authenticate"]
    expired = keys.mint(scope="api:read", iat=1, exp=2)
    reply = client.get("/api/orders", [("Authorization", "Bearer " + expired)])
    assert status(reply) == 401 and "expired" in reply.headers["www-authenticate"]


def test_dot_segments_cannot_reach_the_api_through_a_public_prefix(client, keys):
    assert status(client.get("/public/%2e%2e/api/orders")) == 401
    token = keys.mint(scope="api:read")
    reply = client.get("/public/%2e%2e/api/orders", [("Authorization", "Bearer " + token)])
    assert status(reply) == 200 and reply.json_body["path"] == "/api/orders"


def test_a_decoded_percent_is_not_decoded_twice_wsgi(engine_config):
    # "/public/%2541" is the path "/public/%41" for the app; it must not
    # become "/public/A" on the way through the engine.
    reply = FlaskClient(engine_config).get("/public/%2541")
    assert status(reply) == 200 and reply.json_body["path"] == "/public/%41"


def test_a_decoded_percent_is_not_decoded_twice_asgi(engine_config):
    # Starlette's TestClient decodes the path twice itself, so the scope is
    # made here as a server makes it.
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    middleware = authgate.asgi.AuthgateMiddleware(app, engine_config)
    scope = {"type": "http", "method": "GET", "scheme": "http", "path": "/public/%41",
             "raw_path": b"/public/%2541", "query_string": b"q=1", "root_path": "",
             "headers": [(b"host", b"app.test")], "client": ("127.0.0.1", 5000),
             "server": ("app.test", 80)}
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    asyncio.run(middleware(scope, receive, send))
    assert sent[0]["status"] == 204
    assert seen["path"] == "/public/%41" and seen["raw_path"] == b"/public/%2541"
    assert seen["query_string"] == b"q=1" and seen["authgate.identity"] is None


def test_underscore_spelling_of_an_identity_header_is_removed(engine_config, keys):
    client = FlaskClient(engine_config)
    token = keys.mint(sub="carol", scope="api:read")
    reply = client.get("/api/x", [("Authorization", "Bearer " + token)],
                       environ={"HTTP_X_AUTHGATE_SUB": "mallory"})
    assert reply.json_body["headers"]["x-authgate-sub"] == "carol"
    reply = client.get("/public/", environ={"HTTP_X_AUTHGATE_SUB": "mallory"})
    assert "x-authgate-sub" not in reply.json_body["headers"]


def allowed_with_cookie(*args, **kwargs):
    return Decision(action="allow", status=0, remove_headers=(), set_headers=(),
                    response_headers=(("set-cookie", "authgate_session=renewed; Path=/"),),
                    body=b"", upstream_target="/public/", reason="none", detail="",
                    outcome="allowed", rule="rules[0]")


@pytest.mark.parametrize("kind", ["flask", "starlette"])
def test_response_headers_of_an_allowed_decision_reach_the_client(kind, engine_config,
                                                                  monkeypatch):
    # A refreshed session's Set-Cookie; the engine only sends one after a
    # refresh or an idle renewal, so the decision is given here.
    async def allowed_async(*args, **kwargs):
        return allowed_with_cookie()

    client = make_client(kind, engine_config)
    middleware = client.app.wsgi_app if kind == "flask" else client.app
    monkeypatch.setattr(middleware.engine, "evaluate", allowed_with_cookie)
    monkeypatch.setattr(middleware.engine, "evaluate_async", allowed_async)
    reply = client.get("/public/")
    assert status(reply) == 200 and reply.json_body["path"] == "/public/"
    assert ("set-cookie", "authgate_session=renewed; Path=/") in [
        (k.lower(), v) for k, v in reply.headers_list]


def test_a_public_route_has_no_identity_even_with_a_valid_token(client, keys):
    """authgate checks nothing on a public route: the token reaches the app
    unverified, and no identity comes with it."""
    token = keys.mint(sub="carol", scope="api:read")
    reply = client.get("/public/", [("Authorization", "Bearer " + token)])
    assert status(reply) == 200 and reply.json_body["subject"] is None
    assert reply.json_body["headers"]["authorization"] == "Bearer " + token
