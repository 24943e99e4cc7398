"""Fixtures: keys, engine configurations, and the OpenID Provider."""

from __future__ import annotations

import base64
import os
import re

import pytest

import support


@pytest.fixture(scope="session")
def keys() -> support.Keys:
    return support.Keys()


def bearer_config(keys: support.Keys) -> dict:
    """An engine protecting /api with Bearer tokens signed by `keys` (ES256)."""
    return {
        "jwt": {"providers": {"idp": {
            "issuer": support.ISSUER, "audiences": [support.AUDIENCE],
            "jwks": keys.jwks("ES256"),
            "claim_to_headers": [{"claim": "sub", "header": "x-authgate-sub"}]}}},
        "rules": [
            {"match": {"prefix": "/public"}, "requires": "none"},
            {"name": "api", "match": {"prefix": "/api"}, "requires": {"jwt": ["idp"]},
             "claims": {"scope": {"contains": "api:read"}}},
        ],
    }


@pytest.fixture
def engine_config(keys):
    return bearer_config(keys)


APP_ORIGIN = "http://127.0.0.1:%d" % support.free_port()


def demo_config(provider: support.Provider) -> str:
    """examples/demo/authgate.yaml (the sidecar's file, unchanged but for its
    ports) as a path: the middleware reads the sidecar's YAML."""
    with open(os.path.join(support.ROOT, "examples", "demo", "authgate.yaml")) as file:
        text = file.read()
    app_host = provider.app_origin.split("://", 1)[1]
    text = (text.replace("127.0.0.1:8000", app_host)
            .replace("localhost:9000", "localhost:%d" % provider.port)
            .replace("127.0.0.1:8001", "127.0.0.1:%d" % support.free_port())
            .replace("127.0.0.1:9901", "127.0.0.1:%d" % support.free_port()))
    assert not re.search(r":(8000|8001|9000|9901)\b", text), "a fixed demo port is left"
    return text


@pytest.fixture(scope="session")
def provider(tmp_path_factory):
    secret = base64.b64encode(os.urandom(32)).decode()
    os.environ["AUTHGATE_CLIENT_SECRET"] = secret
    os.environ["AUTHGATE_SESSION_SECRET"] = base64.b64encode(os.urandom(32)).decode()
    running = support.Provider(APP_ORIGIN, secret)
    try:
        directory = tmp_path_factory.mktemp("demo")
        running.config_path = str(directory / "authgate.yaml")
        with open(running.config_path, "w") as file:
            file.write(demo_config(running))
        yield running
    finally:
        running.close()
