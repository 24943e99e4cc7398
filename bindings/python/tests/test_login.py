"""A whole login through the e2e tests' OpenID Provider (npm oidc-provider),
with the demo's sidecar YAML, for a Flask app (WSGI) and a Starlette and a
FastAPI app (ASGI) protected in process; Bearer tokens from the provider's
client-credentials grant; sign-out."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

import apps
import support

READY = 10.0  # seconds for the provider's metadata and keys
HTML = [("Accept", "text/html,application/xhtml+xml")]


class Browser:
    """A browser at the in-process app: the framework's test client, with
    the cookies kept here (the test clients' own jars are left empty)."""

    def __init__(self, kind, config_path, origin):
        self.jar = support.CookieJar()
        self.kind = kind
        if kind == "flask":
            self.client = apps.flask_app(config_path, READY).test_client(use_cookies=False)
        else:
            make = apps.starlette_app if kind == "starlette" else apps.fastapi_app
            app = make(config_path, READY)
            self.client = TestClient(app, base_url=origin)
        self.origin = origin

    def get(self, target, headers=()):
        headers = list(headers) + self.jar.header()
        if self.kind == "flask":
            reply = self.client.get(target, headers=headers, base_url=self.origin)
            status, cookies, body = (reply.status_code, reply.headers.getlist("Set-Cookie"),
                                     reply.get_data())
        else:
            reply = self.client.get(target, headers=headers, follow_redirects=False)
            self.client.cookies.clear()
            status, cookies, body = (reply.status_code, reply.headers.get_list("set-cookie"),
                                     reply.content)
        self.jar.update(cookies)
        return status, reply.headers, body


@pytest.fixture(params=["flask", "starlette", "fastapi"])
def browser(request, provider):
    return Browser(request.param, provider.config_path, provider.app_origin)


def test_login_session_and_sign_out(browser, provider):
    status, headers, _ = browser.get("/somewhere?x=1", HTML)
    assert status == 302
    location = headers["Location"]
    assert location.startswith(provider.issuer + "/auth?")
    assert any(name.startswith("authgate_flow") for name in browser.jar.cookies)

    callback = provider.sign_in(location, "alice")
    assert callback.startswith(provider.app_origin + "/callback?")
    status, headers, _ = browser.get(support.path_of(callback), HTML)
    assert status == 302 and headers["Location"] == "/somewhere?x=1"
    assert "authgate_session" in browser.jar.cookies
    assert not any(name.startswith("authgate_flow") for name in browser.jar.cookies)

    status, _, body = browser.get("/somewhere?x=1", HTML)
    assert status == 200
    seen = json.loads(body)
    assert seen["path"] == "/somewhere" and seen["query"] == "x=1"
    assert seen["subject"] == "alice" and seen["claims"]["iss"] == provider.issuer
    assert seen["claims"]["aud"] in ("hello-world", ["hello-world"])  # the ID token's claims
    assert seen["headers"]["x-authgate-sub"] == "alice"
    assert seen["headers"]["authorization"].startswith("Bearer ")  # forward_bearer_token
    assert "authgate_session" not in seen["headers"].get("cookie", "")

    status, headers, _ = browser.get("/signout", HTML)
    assert status in (302, 303)
    assert headers["Location"].startswith(provider.issuer)  # RP-initiated logout
    assert "authgate_session" not in browser.jar.cookies
    status, headers, _ = browser.get("/somewhere", HTML)
    assert status == 302 and headers["Location"].startswith(provider.issuer + "/auth?")


def test_bearer_tokens_from_the_provider(browser, provider):
    token = provider.client_credentials()
    status, _, body = browser.get("/api/data", [("Authorization", "Bearer " + token)])
    assert status == 200
    seen = json.loads(body)
    assert "api:read" in seen["claims"]["scope"].split()
    assert seen["subject"] == seen["headers"]["x-authgate-sub"] == "api-client"

    token = provider.client_credentials("api-client-noscope", "api-client-noscope-secret")
    status, headers, _ = browser.get("/api/data", [("Authorization", "Bearer " + token)])
    assert status == 403 and "insufficient_scope" in headers["www-authenticate"]

    status, headers, _ = browser.get("/api/data", [("Accept", "application/json")])
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")


def test_a_forged_callback_is_refused(browser):
    status, _, _ = browser.get("/callback?code=x&state=forged", HTML)
    assert status == 400


def test_the_engine_counts_the_login(provider):
    browser = Browser("flask", provider.config_path, provider.app_origin)
    engine = browser.client.application.wsgi_app.engine
    before = engine.stats()
    _, headers, _ = browser.get("/", HTML)
    callback = provider.sign_in(headers["Location"], "erin")
    status, _, _ = browser.get(support.path_of(callback), HTML)
    assert status == 302
    after = engine.stats()
    assert after["engine"]["logins_started"] - before["engine"]["logins_started"] == 1
    assert after["engine"]["logins_completed"] - before["engine"]["logins_completed"] == 1
    assert after["outcomes"]["login_redirect"] - before["outcomes"]["login_redirect"] == 1
    assert after["outcomes"]["logged_in"] - before["outcomes"]["logged_in"] == 1
    assert engine.ready and after["key_errors"] == {}
