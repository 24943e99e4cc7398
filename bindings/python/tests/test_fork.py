"""A process that forks (gunicorn, uWSGI with preloading) keeps working in
the child: verifier and engine made before the fork are used after it."""

from __future__ import annotations

import os
import signal
import time

import pytest

import authgate

URL = "http://app.test"


def run_in_child(work) -> int:
    """Runs `work` in a forked child; its exit status (0 when `work` returned
    True), or -1 when the child did not finish within 20 s (then killed)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if work() else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return -1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_verifier_in_a_forked_child(keys):
    verifier = authgate.Verifier.from_jwks(keys.jwks("ES256", "RS256"))
    token = keys.mint("RS256", sub="child")
    assert verifier.verify(token)["sub"] == "child"

    def child():
        if verifier.verify(keys.mint("ES256", sub="after-fork"))["sub"] != "after-fork":
            return False
        try:
            verifier.verify(keys.mint("ES256", iat=1, exp=2))
        except authgate.Expired:
            return True
        return False

    assert run_in_child(child) == 0
    assert verifier.verify(token)["sub"] == "child"  # and the parent still works
    verifier.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_engine_in_a_forked_child(engine_config, keys):
    engine = authgate.Engine(engine_config)
    headers = [("Authorization", "Bearer " + keys.mint(scope="api:read"))]
    assert engine.evaluate("GET", URL + "/api/x", headers).allowed

    def child():
        decision = engine.evaluate("GET", URL + "/api/x", headers)
        refused = engine.evaluate("GET", URL + "/api/x")
        return decision.allowed and refused.reason == "token_missing"

    assert run_in_child(child) == 0
    engine.close()
