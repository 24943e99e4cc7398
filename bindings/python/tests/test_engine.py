"""authgate.Engine: decisions, the asynchronous bridge, counters."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest

import authgate
import support

URL = "http://app.test"


@pytest.fixture
def engine(engine_config):
    with authgate.Engine(engine_config) as e:
        yield e


def bearer(token):
    return [("Authorization", "Bearer " + token), ("Accept", "application/json")]


def test_allowed_bearer_request(engine, keys):
    decision = engine.evaluate("GET", URL + "/api/orders?page=2",
                               bearer(keys.mint(scope="api:read")) + [("X-Authgate-Sub", "forged")],
                               peer="127.0.0.1")
    assert decision.allowed and decision.action == "allow" and decision.status == 0
    assert decision.outcome == "allowed" and decision.reason == "none" and decision.rule == "api"
    assert ("x-authgate-sub", "alice") in decision.set_headers
    assert "authorization" in decision.remove_headers
    assert decision.upstream_target == "/api/orders?page=2"
    assert decision.claims["sub"] == "alice" and decision.claims["scope"] == "api:read"


@pytest.mark.parametrize("target, headers, status, reason", [
    ("/api/x", [], 401, "token_missing"),
    ("/api/x", "expired", 401, "expired"),
    ("/api/x", "no-scope", 403, "insufficient_claims"),
    ("/elsewhere", [], 403, "no_matching_rule"),
    ("/api/%2fx", [], 400, "invalid_path"),
])
def test_refusals(engine, keys, target, headers, status, reason):
    if headers == "expired":
        headers = bearer(keys.mint(scope="api:read", iat=1, exp=2))
    elif headers == "no-scope":
        headers = bearer(keys.mint(scope="other"))
    decision = engine.evaluate("GET", URL + target, headers)
    assert decision.action == "respond" and not decision.allowed
    assert (decision.status, decision.reason) == (status, reason) and decision.claims is None
    assert ("cache-control", "no-store") in decision.response_headers
    if status == 401:
        challenge = dict(decision.response_headers)["www-authenticate"]
        assert challenge.startswith("Bearer realm=")


def test_the_path_is_judged_normalised(engine):
    decision = engine.evaluate("GET", URL + "/public/../api/x")
    assert (decision.status, decision.reason) == (401, "token_missing")
    decision = engine.evaluate("GET", URL + "/public/./a//b")
    assert decision.allowed and decision.upstream_target == "/public/a/b"
    assert decision.claims is None  # a public route: no identity


def test_invalid_method(engine):
    assert engine.evaluate("get", URL + "/public/").reason == "invalid_method"


def test_url_must_be_absolute(engine):
    with pytest.raises(ValueError):
        engine.evaluate("GET", "/public/")


def test_stats_count_decisions(engine, keys):
    engine.evaluate("GET", URL + "/api/x")
    engine.evaluate("GET", URL + "/api/x", bearer(keys.mint(scope="api:read")))
    stats = engine.stats()
    assert stats["outcomes"]["unauthorized"] == 1 and stats["outcomes"]["allowed"] == 1
    assert stats["reasons"]["token_missing"] == 1 and "none" not in stats["reasons"]
    assert "logins_started" in stats["engine"] and stats["key_errors"] == {}


def test_token_cache_is_on_by_default(engine_config, keys):
    token = bearer(keys.mint(scope="api:read"))
    for cache, hits in ((None, 2), ({"max_entries": 0}, 0)):
        config = json.loads(json.dumps(engine_config))
        if cache is not None:
            for provider in config["jwt"]["providers"].values():
                provider["token_cache"] = cache
        with authgate.Engine(config) as engine:
            for _ in range(3):
                assert engine.evaluate("GET", URL + "/api/x", token).allowed
            assert engine.stats()["engine"]["token_cache_hits"] == hits


def test_ready_and_warnings(engine_config):
    engine_config = dict(engine_config, listen="127.0.0.1:8000")
    with authgate.Engine(engine_config) as engine:
        assert engine.ready
        engine.wait_ready(1)
        assert any("listen" in warning for warning in engine.warnings)


def test_config_error(engine_config):
    with pytest.raises(authgate.ConfigError) as caught:
        authgate.Engine(dict(engine_config, rulez=[]))
    assert "rulez" in str(caught.value)


def test_config_from_json_text_and_files(engine_config, tmp_path):
    text = json.dumps(engine_config)
    path = tmp_path / "engine.json"
    path.write_text(text)
    for config in (text, str(path), path):
        with authgate.Engine(config) as engine:
            assert engine.evaluate("GET", URL + "/api/x").reason == "token_missing"


def test_evaluate_async_answers_at_once(engine, keys):
    async def main():
        return await engine.evaluate_async("GET", URL + "/api/x",
                                           bearer(keys.mint(scope="api:read")))
    decision = asyncio.run(main())
    assert decision.allowed and ("x-authgate-sub", "alice") in decision.set_headers


def remote_keys_engine(port):
    return authgate.Engine({
        "jwt": {"providers": {"slow": {
            "issuer": support.ISSUER, "audiences": [support.AUDIENCE],
            "jwks_uri": "http://127.0.0.1:%d/jwks" % port}}},
        "rules": [{"match": {"prefix": "/"}, "requires": {"jwt": ["slow"]}}],
        "evaluate_timeout": "500ms"})


def test_evaluate_async_waits_without_blocking_the_loop_and_is_cancelled_by_close(keys):
    """Keys that never come: the evaluation is pending in the library while
    the loop keeps running other tasks; closing the engine settles it with
    AUTHGATE_CANCELLED, raised as Error status "cancelled"."""
    server = support.StalledServer()
    engine = remote_keys_engine(server.port)
    assert not engine.ready

    async def main():
        task = asyncio.ensure_future(
            engine.evaluate_async("GET", URL + "/x", bearer(keys.mint(scope="api:read"))))
        ticks = 0
        while ticks < 50:  # the loop runs while the evaluation is pending
            await asyncio.sleep(0)
            ticks += 1
        assert not task.done()
        engine.close()
        with pytest.raises(authgate.Error) as caught:
            await asyncio.wait_for(task, 10)
        return caught.value

    try:
        error = asyncio.run(main())
    finally:
        server.close()
    assert error.status == "cancelled"
    assert authgate.engine._pending == {}


def test_stats_name_a_failing_key_source(keys):
    with remote_keys_engine(support.free_port()) as engine:  # nothing listens there
        # Keys are asked for by a request; the synchronous evaluate waits up
        # to evaluate_timeout for them (set short above).
        engine.evaluate("GET", URL + "/x", bearer(keys.mint()))
        for _ in range(100):
            if engine.stats()["key_errors"]:
                break
            time.sleep(0.05)
        stats = engine.stats()
    assert list(stats["key_errors"]) == ["slow"] and "127.0.0.1" in stats["key_errors"]["slow"]
    assert stats["engine"]["jwks_fetch_failures"] >= 1


@pytest.mark.parametrize("status, error, detail", [
    (10, authgate.Error, "closed"),           # AUTHGATE_CANCELLED, decision NULL
    (4, MemoryError, "out of memory"),        # AUTHGATE_OUT_OF_MEMORY, decision NULL
])
def test_the_callback_bridge_settles_failures(status, error, detail):
    """The library's callback, called as a library thread would call it,
    settles the awaiting future with the matching exception."""
    from authgate import engine as engine_module

    async def main():
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        key = next(engine_module._ids)
        engine_module._pending[key] = (None, loop, future)
        caller = threading.Thread(target=engine_module._on_decision, args=(status, None, key))
        caller.start()
        caller.join()
        with pytest.raises(error) as caught:
            await asyncio.wait_for(future, 10)
        return caught.value

    raised = asyncio.run(main())
    assert detail in str(raised)
    if status == 10:
        assert raised.status == "cancelled"
    assert authgate.engine._pending == {}
