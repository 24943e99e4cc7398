"""examples/python/app.py, run as a program with the demo's configuration,
at the test provider: a login over real HTTP and a Bearer call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

import support

APP = os.path.join(support.ROOT, "examples", "python", "app.py")


@pytest.fixture
def example(provider):
    listen = provider.app_origin.split("://", 1)[1]
    process = subprocess.Popen([sys.executable, APP, "--config", provider.config_path,
                                "--listen", listen],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=support.die_with_parent)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("listening on"):
            break
    else:
        process.wait()
        pytest.fail("the example did not start:\n" + "".join(lines))
    yield provider.app_origin, lines
    process.terminate()
    process.wait(10)


def wait_for(origin):
    for _ in range(100):
        try:
            return httpx.get(origin + "/public/")
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the example never answered")


def test_example_login_and_bearer_call(example, provider):
    origin, start_lines = example
    assert any("listen" in line and "warning" in line for line in start_lines)
    assert wait_for(origin).status_code == 200
    with httpx.Client(base_url=origin) as browser:
        reply = browser.get("/", headers={"Accept": "text/html"})
        assert reply.status_code == 302
        callback = provider.sign_in(reply.headers["location"], "dora")
        reply = browser.get(support.path_of(callback))
        assert reply.status_code == 302 and reply.headers["location"] == "/"
        reply = browser.get("/")
        assert reply.status_code == 200 and "Hello, dora." in reply.text

    token = provider.client_credentials()
    reply = httpx.get(origin + "/api/whoami", headers={"Authorization": "Bearer " + token})
    assert reply.status_code == 200
    assert json.loads(reply.text) == {"subject": "api-client", "scope": "api:read",
                                      "header": "api-client"}
    assert httpx.get(origin + "/api/whoami").status_code == 401
