"""Configuration documents: the sidecar's YAML read with the sidecar's rules."""

from __future__ import annotations

import json

import pytest

import authgate
from authgate._config import sidecar_yaml_to_json


def convert(text: str):
    return json.loads(sidecar_yaml_to_json(text.encode()))


def test_plain_scalars_follow_the_sidecar_not_yaml_1_1():
    assert convert("a: yes\nb: on\nc: 2024-01-01\nd: 0x10\ne: 01234\nf: 1.5\ng: -3\n"
                   "h: true\ni: ~\nj:\nk: '12'\nl: \"false\"\n") == {
        "a": "yes", "b": "on", "c": "2024-01-01", "d": "0x10", "e": "01234", "f": 1.5,
        "g": -3, "h": True, "i": None, "j": None, "k": "12", "l": "false"}


def test_duplicate_keys_are_refused():
    with pytest.raises(authgate.ConfigError) as caught:
        convert("session:\n  secret: a\n  secret: b\n")
    assert "duplicate key secret" in str(caught.value) and "session" in str(caught.value)


def test_a_list_key_under_claims_gives_the_list_form():
    document = convert("rules:\n  - claims:\n      ? [https://example.com/roles]\n"
                       "      : {contains: admin}\n")
    assert document == {"rules": [{"claims": [
        {"claim": ["https://example.com/roles"], "contains": "admin"}]}]}
    with pytest.raises(authgate.ConfigError):
        convert("? [a, b]\n: 1\n")


def test_other_tags_are_refused():
    with pytest.raises(authgate.ConfigError):
        convert("a: !!binary aGVsbG8=\n")


def test_yaml_syntax_errors_are_config_errors():
    with pytest.raises(authgate.ConfigError):
        convert("a: [1, 2\n")


def test_engine_from_a_yaml_file(tmp_path, keys):
    path = tmp_path / "authgate.yaml"
    jwks = json.dumps(keys.jwks("ES256"))
    path.write_text("jwt:\n  providers:\n    idp:\n      issuer: https://issuer.test\n"
                    "      audiences: [api://tests]\n      jwks: '%s'\n"
                    "rules:\n  - match: {prefix: /}\n    requires: {jwt: [idp]}\n" % jwks)
    with authgate.Engine(str(path)) as engine:
        decision = engine.evaluate("GET", "http://app.test/x")
    assert (decision.status, decision.reason) == (401, "token_missing")
