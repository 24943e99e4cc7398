"""Faults under load: `authgate serve` kept busy by wrk (or, for SIGTERM, by a
client that tracks every request) while one thing goes wrong at a time.

Run: /usr/bin/python3 tests/e2e/faults_test.py [--only a,c] [--break X]
(AUTHGATE_BIN picks the binary, default build/proxy/authgate; needs wrk).
Everything runs on 127.0.0.1, ephemeral ports, each scenario with its own
sidecar, upstream and provider (tests/e2e/faults_peers.py), all stopped when
it ends. The load is Bearer HS256 JWTs the sidecar verifies against a remote
`jwks_uri`, with the verified-token cache off (`token_cache: {max_entries:
0}`; the engine's default is on), so every request is checked against the
cached key set. wrk runs tests/e2e/faults_wrk.lua,
which counts responses by status. Assertions are on counts, never on timings;
latencies are reported only.

 (a) provider stopped: once /readyz is 200 the provider is killed for 5 s,
     2.5 times the key cache lifetime (jwks_cache.cache_duration 2s), while
     wrk runs. Asserts: every response 200, no socket error, at least two
     failed key fetches in the outage (the keys outlived their lifetime), and
     /readyz still 200 at its end.
 (b) keys rotated, with the default key cache settings: wrk with a token
     of key k1; right after the first fetch the JWKS gains k2 and a second
     wrk sends k2 tokens (an unknown kid: the sidecar must refetch at once,
     however recent its last fetch). Asserts: every k1 and k2 response 200,
     no socket error; the provider served {k1}, then {k1,k2}.
 (c) upstream restarted: under wrk the upstream is killed, 1.5 s later
     started again on the same port. Asserts: no 502 before the stop; some
     during the outage, no more than the requests the sidecar got in it plus
     one per wrk connection; after the restart at most one per connection
     (those in flight then), and a final window of at least 100 requests all
     200; no other failure.
 (d) slowloris: 500 connections send part of a request head, then one byte
     every 0.5 s; server.header_timeout is 2 s. Meanwhile wrk. Asserts: each
     of the 500 receives `HTTP/1.1 408` and then the close (the sidecar counts
     500 request_timeout); wrk sees only 200s and no socket error. wrk's p99
     is reported.
 (e) SIGTERM: 32 keep-alive connections send requests one after another,
     each tracked by id (16 through an upstream that answers after 150 ms, so
     they are in flight at the signal; 16 back to back, so they are often
     between two requests); SIGTERM after 1 s. A request counts as accepted
     when the upstream received it. Asserts: some requests were in flight at
     the signal; every accepted request got a whole answer; every answer is
     a whole 200 (none truncated, cut or hung); the only unanswered requests
     are ones closed before any byte of an answer that never reached the
     upstream (a keep-alive connection closed as the request was written: the
     client retries, RFC 9112 9.3.1); every connection ends refused; exit 0.
 (f) hostile JWKS: four providers serve good keys, then answer a 200 with
     an endless chunked body, a 50 MiB Content-Length, endless header lines,
     or a gzip body of 64 KiB that decodes to 64 MiB, while wrk sends tokens
     of all four. Asserts: each hostile answer
     was fetched at least twice and counted as a failed fetch, every response
     200 (the keys were kept), and the sidecar's peak RSS (VmHWM) grew by less
     than 50 MiB over its value after a warm-up (http.max_response_bytes is
     1 MiB).

Each scenario prints its figures and checks; the last line is
`faults: N passed, M failed` (one case per scenario); exit 0 only when all
passed. `--break X` runs scenario X with its premise broken, to show that its
assertions can fail: (a) max_stale 3s, so the cached keys are dropped during
the outage; (b) the provider publishes k2 2 s after tokens signed with it
arrive, so the refetch they trigger finds only k1 and the next is a
refetch_interval (30 s) away; (c) the upstream never comes back; (d) max_connections 400, fewer
than the slowloris connections; (e) the upstream takes 3 s and
shutdown_timeout is 1 s; (f) http.max_response_bytes 256 MiB.
"""

import argparse
import contextlib
import itertools
import json
import os
import resource
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import proxy_support as ps  # noqa: E402

PEERS = os.path.join(HERE, "faults_peers.py")
WRK_SCRIPT = os.path.join(HERE, "faults_wrk.lua")
ISSUER = "https://issuer.faults.test"
AUDIENCE = "https://app.faults.test/"
MIB = 1 << 20


# --- peers ----------------------------------------------------------------

class Peer:
    """A faults_peers.py process (`upstream` or `provider`); its JSON lines
    are collected as events."""

    def __init__(self, role, port=0):
        self.events = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen([sys.executable, PEERS, role, "--port", str(port)],
                                        stdout=subprocess.PIPE, preexec_fn=ps._die_with_parent)
        threading.Thread(target=self._read, daemon=True).start()
        if not self.wait_count(lambda e: e["event"] == "listening", 1, 10):
            self.stop()
            raise RuntimeError("%s did not start listening" % role)
        self.port = self.events[0]["port"]

    def _read(self):
        for line in self.process.stdout:
            with self._changed:
                self.events.append(json.loads(line))
                self._changed.notify_all()

    def wait_count(self, predicate, n, timeout):
        """Whether `n` events match `predicate` within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(1 for event in self.events if predicate(event)) < n:
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    return False
                self._changed.wait(min(left, 0.2))
        return True

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)

    def control(self, path, **behaviour):
        """Provider only: what `path` serves from now on (keys=[...] or mode=...)."""
        reply = ps.request(self.port, "POST", "/_control",
                           [("Content-Type", "application/json")],
                           json.dumps(dict(behaviour, path=path)).encode())
        if reply.status != 200:
            raise RuntimeError("provider control failed: %r" % reply)

    def served(self, path, mode=None):
        """Provider only: the JWKS requests of `path` served so far."""
        with self._changed:
            return [e for e in self.events if e["event"] == "jwks" and e["path"] == path
                    and (mode is None or e["mode"] == mode)]


class Keys:
    """An HS256 key with its kid: JWK and tokens."""

    def __init__(self, kid, issuer=ISSUER):
        self.kid = kid
        self.issuer = issuer
        self.secret = secrets.token_bytes(32)

    def jwk(self):
        return ps.oct_jwk(self.secret, self.kid)

    def token(self):
        now = int(time.time())
        return ps.mint_hs256({"iss": self.issuer, "aud": AUDIENCE, "sub": "load", "iat": now,
                              "exp": now + 600}, self.secret, self.kid)


def jwt_provider(provider, path, issuer=ISSUER):
    return {"issuer": issuer, "audiences": [AUDIENCE],
            "jwks_uri": "http://127.0.0.1:%d%s" % (provider.port, path),
            "token_cache": {"max_entries": 0}}


def sidecar_config(upstream_port, providers, jwks_cache=None, server=None, http=None):
    """A sidecar whose every path needs a Bearer token of one of `providers`
    (name -> jwt provider entry)."""
    config = {
        "listen": "127.0.0.1:0",
        "upstream": "http://127.0.0.1:%d" % upstream_port,
        "admin": "127.0.0.1:0",
        "server": {"header_timeout": "2s", "idle_timeout": "10s",
                   "upstream_connect_timeout": "1s", "upstream_timeout": "5s",
                   "shutdown_timeout": "5s", "access_log": False},
        "jwt": {"providers": providers},
        "rules": [{"match": {"prefix": "/"}, "requires": {"jwt": sorted(providers)}}],
    }
    config["server"].update(server or {})
    if jwks_cache:
        config["jwt"]["jwks_cache"] = jwks_cache
    if http:
        config["http"] = http
    return config


class Rig:
    """The processes of one scenario, stopped when it ends."""

    def __init__(self, stack):
        self.stack = stack

    def provider(self):
        peer = Peer("provider")
        self.stack.callback(peer.stop)
        return peer

    def upstream(self, port=0):
        peer = Peer("upstream", port)
        self.stack.callback(peer.stop)
        return peer

    def sidecar(self, config):
        sidecar = ps.Sidecar(config)
        self.stack.callback(sidecar.stop)
        sidecar.start()
        deadline = time.monotonic() + 10
        while status_of(sidecar.admin_port, "/readyz") != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("/readyz never answered 200; stderr:\n" + sidecar.stderr_text())
            time.sleep(0.05)
        return sidecar

    def wrk(self, port, tokens, connections=8):
        load = Wrk(port, tokens, connections)
        self.stack.callback(load.kill)
        return load


def status_of(port, path, headers=()):
    try:
        return ps.request(port, "GET", path, headers, timeout=5).status
    except OSError:
        return None


def bearer(token):
    return [("Authorization", "Bearer " + token)]


def logged_since(sidecar, mark):
    """The sidecar's diagnostics after the first `mark` lines: count by message."""
    counts = {}
    for line in sidecar.stderr_lines[mark:]:
        try:
            message = json.loads(line).get("msg", line)
        except ValueError:
            message = line
        counts[message] = counts.get(message, 0) + 1
    return json.dumps(counts, sort_keys=True) if counts else "none"


class Metrics:
    """One scrape of the sidecar's /metrics."""

    def __init__(self, sidecar):
        _, self.samples = ps.parse_metrics(
            ps.request(sidecar.admin_port, "GET", "/metrics").body.decode())

    def value(self, name, **labels):
        return int(ps.metric_value(self.samples, name, **labels))

    def decision(self, decision):
        return self.value("authgate_requests_total", decision=decision)

    def requests(self):
        return self.value("authgate_requests_total")

    def by_label(self, name, label):
        """{label value: count} of the non-zero samples of `name`."""
        counts = {}
        for sample_name, labels, value in self.samples:
            if sample_name == name and value:
                counts[labels.get(label, "")] = counts.get(labels.get(label, ""), 0) + int(value)
        return counts

    def jwks_failures(self):
        return self.value("authgate_jwks_fetches_total", result="failure")


# --- load -----------------------------------------------------------------

class Wrk:
    """wrk (one thread) with faults_wrk.lua, until stop() (SIGINT; 60 s at
    most)."""

    def __init__(self, port, tokens, connections):
        env = dict(os.environ, FAULTS_TOKENS=" ".join(tokens))
        self.process = subprocess.Popen(
            ["wrk", "-t1", "-c%d" % connections, "-d60s", "--timeout", "10s", "-s", WRK_SCRIPT,
             "http://127.0.0.1:%d/api/load" % port],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            preexec_fn=ps._die_with_parent)

    def stop(self):
        """Ends the run; returns the counts of faults_wrk.lua."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=20)
        lines = [line for line in out.splitlines() if line.startswith("FAULTS-WRK ")]
        if not lines:
            raise RuntimeError("wrk printed no counts:\n" + out)
        return WrkResult(json.loads(lines[-1][len("FAULTS-WRK "):]))

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


class WrkResult:
    def __init__(self, counts):
        self.statuses = {int(status): n for status, n in counts["statuses"].items()}
        self.requests = counts["requests"]
        self.errors = counts["errors"]
        self.p99_ms = counts["p99_us"] / 1000.0

    def of_class(self, digit):
        return sum(n for status, n in self.statuses.items() if status // 100 == digit)

    def count(self, status):
        return self.statuses.get(status, 0)

    @property
    def socket_errors(self):
        return sum(self.errors[kind] for kind in ("connect", "read", "write", "timeout"))

    @property
    def not_ok(self):
        return self.requests - self.count(200)

    def describe(self):
        others = ", ".join("%d: %d" % item for item in sorted(self.statuses.items())
                           if item[0] // 100 not in (2, 4, 5))
        return ("%d responses (2xx %d, 4xx %d, 5xx %d%s), socket errors %d "
                "(connect %d, read %d, write %d, timeout %d)" % (
                    self.requests, self.of_class(2), self.of_class(4), self.of_class(5),
                    ", " + others if others else "", self.socket_errors, self.errors["connect"],
                    self.errors["read"], self.errors["write"], self.errors["timeout"]))


# --- scenarios ------------------------------------------------------------

class Scenario:
    """What one scenario found: figures to print, checks to pass."""

    def __init__(self):
        self.figures = []
        self.checks = []

    def figure(self, label, value):
        self.figures.append((label, value))

    def check(self, description, ok):
        self.checks.append((description, bool(ok)))
        return ok

    def load_checks(self, name, result):
        """The usual verdict on one wrk run: it ran, and all of it was 200."""
        self.figure(name, result.describe())
        self.check("%s: requests were made" % name, result.requests > 0)
        self.check("%s: every response 200" % name, result.not_ok == 0)
        self.check("%s: no socket error" % name, result.socket_errors == 0)

    def sidecar_checks(self, sidecar):
        """The sidecar survived the scenario and stops cleanly."""
        died = sidecar.process.poll()
        if died is None:
            refusals = Metrics(sidecar).by_label("authgate_refusals_total", "reason")
            self.figure("sidecar's refusals by reason", json.dumps(refusals) if refusals else "none")
        self.check("the sidecar was still running at the end (exit status %s)" % died, died is None)
        code = sidecar.stop()
        self.check("the sidecar then exited 0 on SIGTERM (status %s)" % code, code == 0)

    @property
    def passed(self):
        return bool(self.checks) and all(ok for _, ok in self.checks)


def scenario_a(s, rig, broken):
    cache = {"cache_duration": "2s", "initial_backoff": "250ms", "max_backoff": "1s"}
    if broken:
        cache["max_stale"] = "3s"
    key = Keys("k1")
    provider = rig.provider()
    provider.control("/jwks", keys=[key.jwk()])
    upstream = rig.upstream()
    sidecar = rig.sidecar(sidecar_config(
        upstream.port, {"idp": jwt_provider(provider, "/jwks")}, jwks_cache=cache))
    load = rig.wrk(sidecar.main_port, [key.token()])
    time.sleep(0.5)
    before = Metrics(sidecar)
    mark = len(sidecar.stderr_lines)
    provider.stop()
    outage = 5.0
    time.sleep(outage)
    after = Metrics(sidecar)
    ready = status_of(sidecar.admin_port, "/readyz")
    result = load.stop()
    failures = after.jwks_failures() - before.jwks_failures()
    s.figure("outage", "%.1f s with a key cache lifetime of 2 s (max_stale %s)"
             % (outage, cache.get("max_stale", "24h, the default")))
    s.figure("key fetches failed during the outage", failures)
    s.figure("sidecar diagnostics during the outage", logged_since(sidecar, mark))
    s.figure("/readyz at the end of the outage", ready)
    s.check("at least two key fetches failed during the outage", failures >= 2)
    outage_logged = sum('"key fetch failed' in line for line in sidecar.stderr_lines[mark:])
    s.check("the failing fetches were logged when they began, not each time (%d lines)"
            % outage_logged, 1 <= outage_logged <= 2)
    s.check("/readyz still 200 at the end of the outage", ready == 200)
    s.load_checks("wrk", result)
    s.sidecar_checks(sidecar)


def scenario_b(s, rig, broken):
    old, new = Keys("k1"), Keys("k2")
    provider = rig.provider()
    provider.control("/jwks", keys=[old.jwk()])
    upstream = rig.upstream()
    sidecar = rig.sidecar(sidecar_config(
        upstream.port, {"idp": jwt_provider(provider, "/jwks")}))
    old_load = rig.wrk(sidecar.main_port, [old.token()], connections=4)
    time.sleep(0.5)
    if not broken:
        provider.control("/jwks", keys=[old.jwk(), new.jwk()])
    new_load = rig.wrk(sidecar.main_port, [new.token()], connections=4)
    if broken:
        time.sleep(2.0)
        provider.control("/jwks", keys=[old.jwk(), new.jwk()])
    time.sleep(2.0)
    old_result = old_load.stop()
    new_result = new_load.stop()
    sets = [sorted(event["kids"]) for event in provider.served("/jwks")]
    s.figure("key sets served, in order", sets)
    s.check("the provider served {k1}, then {k1,k2}",
            sets[:1] == [["k1"]] and ["k1", "k2"] in sets)
    s.load_checks("wrk with k1 tokens", old_result)
    s.load_checks("wrk with k2 tokens (from the rotation on)", new_result)
    s.sidecar_checks(sidecar)


def scenario_c(s, rig, broken):
    key = Keys("k1")
    provider = rig.provider()
    provider.control("/jwks", keys=[key.jwk()])
    upstream = rig.upstream()
    port = upstream.port
    sidecar = rig.sidecar(sidecar_config(port, {"idp": jwt_provider(provider, "/jwks")}))
    connections = 8
    load = rig.wrk(sidecar.main_port, [key.token()], connections)
    time.sleep(1.0)
    at_stop = Metrics(sidecar)
    mark = len(sidecar.stderr_lines)
    stopped_at = time.monotonic()
    upstream.stop()
    time.sleep(1.5)
    if not broken:
        rig.upstream(port)
    at_restart = Metrics(sidecar)
    time.sleep(0.5)
    settled = Metrics(sidecar)
    time.sleep(1.5)
    at_end = Metrics(sidecar)
    result = load.stop()
    # One line a second per worker (the sidecar runs one per core), each
    # saying how many failures it held back.
    warnings = sum('"upstream connect failed"' in line for line in sidecar.stderr_lines[mark:])
    warning_bound = (int(time.monotonic() - stopped_at) + 1) * (os.cpu_count() or 1)

    def failed(m):
        return sum(m.decision(d) for d in ("upstream_unavailable", "upstream_timeout",
                                           "upstream_reset"))

    in_outage = at_restart.requests() - at_stop.requests()
    failed_outage = failed(at_restart) - failed(at_stop)
    failed_after = failed(at_end) - failed(at_restart)
    window = at_end.requests() - settled.requests()
    window_ok = at_end.decision("allowed") - settled.decision("allowed")
    s.figure("sidecar's count", "before the stop: %d requests, %d upstream failures; outage "
             "(stop to restart): %d requests, %d failures; after the restart: %d failures; "
             "final window: %d requests, %d allowed" % (
                 at_stop.requests(), failed(at_stop), in_outage, failed_outage, failed_after,
                 window, window_ok))
    s.figure("sidecar's upstream errors", "connect %d, timeout %d, reset %d" % tuple(
        at_end.value("authgate_upstream_errors_total", kind=kind)
        for kind in ("connect", "timeout", "reset")))
    s.figure("wrk", result.describe())
    s.figure("sidecar diagnostics from the stop on", logged_since(sidecar, mark))
    s.check("connect failures logged at most once a second per worker (%d lines, bound %d)"
            % (warnings, warning_bound), 0 < warnings <= warning_bound)
    s.check("no upstream failure before the stop", failed(at_stop) == 0)
    s.check("502s during the outage", result.count(502) > 0 and failed_outage > 0)
    s.check("wrk's failures (%d) at most the outage's requests plus one per connection (%d)"
            % (result.not_ok + result.socket_errors, in_outage + connections),
            result.not_ok + result.socket_errors <= in_outage + connections)
    s.check("no failure but 502", result.not_ok == result.count(502))
    s.check("after the restart at most one failure per connection", failed_after <= connections)
    s.check("final window: at least 100 requests, all allowed", window >= 100 and
            window_ok == window)
    s.sidecar_checks(sidecar)


SLOW_HEAD = b"GET /api/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


class Slowloris:
    """`count` connections that send part of a request head at once, then a
    byte every 0.5 s until the sidecar answers or closes."""

    def __init__(self, port, count):
        self.sockets = []
        self.started = {}
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(SLOW_HEAD)
            sock.setblocking(False)
            self.sockets.append(sock)
            self.started[sock] = time.monotonic()

    def finish(self, bound):
        """Waits (at most `bound` seconds) until each connection is closed;
        returns, for each, (what it received, seconds from its partial head
        to the close), or None if it is still open."""
        received = {sock: b"" for sock in self.sockets}
        closed = {}
        selector = selectors.DefaultSelector()
        for sock in self.sockets:
            selector.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + bound
        next_trickle = time.monotonic() + 0.5
        while len(closed) < len(self.sockets) and time.monotonic() < deadline:
            for selected, _ in selector.select(timeout=0.1):
                sock = selected.fileobj
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    continue
                except ConnectionResetError:
                    data = b""
                if data:
                    received[sock] += data
                    continue
                closed[sock] = (received[sock], time.monotonic() - self.started[sock])
                selector.unregister(sock)
            if time.monotonic() >= next_trickle:
                next_trickle += 0.5
                for sock in self.sockets:
                    if sock not in closed and not received[sock]:
                        with contextlib.suppress(OSError):
                            sock.send(b"a")
        for sock in self.sockets:
            sock.close()
        return [closed.get(sock) for sock in self.sockets]


def scenario_d(s, rig, broken):
    count = 500
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    key = Keys("k1")
    provider = rig.provider()
    provider.control("/jwks", keys=[key.jwk()])
    upstream = rig.upstream()
    server = {"header_timeout": "2s"}
    if broken:
        server["max_connections"] = 400
    sidecar = rig.sidecar(sidecar_config(upstream.port, {"idp": jwt_provider(provider, "/jwks")},
                                         server=server))
    slow = Slowloris(sidecar.main_port, count)
    load = rig.wrk(sidecar.main_port, [key.token()])
    outcomes = slow.finish(bound=15)
    time.sleep(0.5)
    result = load.stop()
    metrics = Metrics(sidecar)
    closed = [o for o in outcomes if o is not None]
    answered_408 = sum(1 for data, _ in closed if data.startswith(b"HTTP/1.1 408 "))
    silent = sum(1 for data, _ in closed if data == b"")
    still_open = count - len(closed)
    seconds = sorted(after for _, after in closed)
    s.figure("slowloris connections", "%d: %d answered 408 then closed, %d closed without an "
             "answer, %d other answers, %d still open after 15 s; sidecar's request_timeout "
             "count %d" % (count, answered_408, silent, count - answered_408 - silent - still_open,
                           still_open, metrics.decision("request_timeout")))
    if seconds:
        s.figure("slowloris: from the partial head to the close (reported, not gated)",
                 "%.2f to %.2f s (header_timeout 2 s)" % (seconds[0], seconds[-1]))
    s.check("each slowloris connection got 408, then the close", answered_408 == count)
    s.check("the sidecar counted %d request timeouts" % count,
            metrics.decision("request_timeout") == count)
    s.load_checks("wrk alongside", result)
    s.figure("wrk alongside: p99 latency (reported, not gated)", "%.1f ms" % result.p99_ms)
    s.sidecar_checks(sidecar)


class TrackedClients:
    """`connections` threads, each sending requests one after another on a
    keep-alive connection (a new one after a close) until a connection is
    refused; every request is recorded with what came back."""

    def __init__(self, port, token, delays_ms):
        self.port = port
        self.token = token
        self.records = []  # (id, outcome, status, sent_at, done_at)
        self.endings = []
        self._lock = threading.Lock()
        self._serial = itertools.count()
        self._threads = [threading.Thread(target=self._run, args=(delay,), daemon=True)
                         for delay in delays_ms]
        for thread in self._threads:
            thread.start()

    def join(self, timeout):
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def _run(self, delay_ms):
        sock = None
        bound = time.monotonic() + 30
        while time.monotonic() < bound:
            if sock is None:
                try:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                except ConnectionRefusedError:
                    return self._end("refused")
                except OSError as e:
                    return self._end("connect failed: %s" % e)
            request_id = "r%d" % next(self._serial)
            head = ("GET /api/e?id=%s&delay=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Authorization: Bearer %s\r\n\r\n" % (request_id, delay_ms, self.token))
            sent_at = time.monotonic()
            try:
                sock.sendall(head.encode())
                outcome, status, keep = read_response(sock)
            except OSError:
                outcome, status, keep = "closed", None, False
            with self._lock:
                self.records.append((request_id, outcome, status, sent_at, time.monotonic()))
            if not keep:
                sock.close()
                sock = None
        self._end("time bound")

    def _end(self, why):
        with self._lock:
            self.endings.append(why)


def read_response(sock):
    """(outcome, status, keep-alive): "answered" (a whole response framed by
    Content-Length), "closed" (the connection ended before any byte of an
    answer), "truncated" (it ended within one), "hung" (10 s without data)."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return ("truncated" if data else "closed"), None, False
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        length, close = None, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                close = "close" in value.lower()
        if length is None:
            return "unframed", status, False
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return "truncated", status, False
            body += chunk
        return "answered", status, not close
    except socket.timeout:
        return "hung", None, False
    except ConnectionResetError:
        return ("truncated" if data else "closed"), None, False


def scenario_e(s, rig, broken):
    delay_ms, shutdown_timeout = (3000, "1s") if broken else (150, "5s")
    key = Keys("k1")
    provider = rig.provider()
    provider.control("/jwks", keys=[key.jwk()])
    upstream = rig.upstream()
    sidecar = rig.sidecar(sidecar_config(
        upstream.port, {"idp": jwt_provider(provider, "/jwks")},
        server={"shutdown_timeout": shutdown_timeout}))
    # Half the connections wait for a slow upstream (in flight at the signal),
    # half send back to back (often between two requests at the signal).
    clients = TrackedClients(sidecar.main_port, key.token(), [delay_ms, 0] * 16)
    time.sleep(1.0)
    signalled_at = time.monotonic()
    sidecar.signal(signal.SIGTERM)
    code = sidecar.wait(10)
    exited_after = time.monotonic() - signalled_at
    clients_done = clients.join(15)
    seen = set(json.loads(ps.request(upstream.port, "GET", "/_ids").body))
    records = list(clients.records)
    outcomes = {}
    for _, outcome, status, _, _ in records:
        name = "%s %s" % (outcome, status) if outcome == "answered" else outcome
        outcomes[name] = outcomes.get(name, 0) + 1
    answered = {r[0] for r in records if r[1] == "answered"}
    accepted_unanswered = sorted(seen - answered)
    closed = [r[0] for r in records if r[1] == "closed"]
    in_flight = sum(1 for r in records if r[3] < signalled_at < r[4] and r[1] == "answered")
    s.figure("requests", "%d sent, by outcome: %s" % (len(records), json.dumps(outcomes,
                                                                              sort_keys=True)))
    s.figure("accepted (received by the upstream)", len(seen))
    s.figure("closed before any byte of an answer", "%d, of which %d reached the upstream"
             % (len(closed), len(seen.intersection(closed))))
    s.figure("in flight at SIGTERM and answered after it", in_flight)
    s.figure("connections' endings", json.dumps({why: clients.endings.count(why)
                                                 for why in set(clients.endings)}))
    s.figure("exit", "status %s, %.2f s after SIGTERM (shutdown_timeout %s)"
             % (code, exited_after, shutdown_timeout))
    s.check("requests were in flight at SIGTERM", in_flight > 0)
    s.check("every accepted request got a whole answer (unanswered: %s)"
            % (", ".join(accepted_unanswered[:5]) or "none"), not accepted_unanswered)
    s.check("every answer is a whole 200",
            all(r[1] == "answered" and r[2] == 200 for r in records if r[1] != "closed"))
    s.check("every client connection ended refused (the listener closed)",
            clients_done and clients.endings.count("refused") == len(clients.endings))
    s.check("the sidecar exited 0", code == 0)


HOSTILE = [("endless", "an endless chunked body"), ("huge", "a 50 MiB Content-Length"),
           ("headers", "endless header lines"),
           ("gzip", "a gzip body of 64 KiB that decodes to 64 MiB")]


def scenario_f(s, rig, broken):
    cache = {"cache_duration": "2s", "initial_backoff": "250ms", "max_backoff": "1s"}
    http = {"max_response_bytes": 256 * MIB} if broken else None
    keys = {mode: Keys("k-" + mode, "https://%s.faults.test" % mode) for mode, _ in HOSTILE}
    provider = rig.provider()
    for mode, key in keys.items():
        provider.control("/%s/jwks" % mode, keys=[key.jwk()])
    upstream = rig.upstream()
    sidecar = rig.sidecar(sidecar_config(
        upstream.port, {mode: jwt_provider(provider, "/%s/jwks" % mode, key.issuer)
                        for mode, key in keys.items()},
        jwks_cache=cache, http=http))
    tokens = [key.token() for key in keys.values()]
    warm_up = rig.wrk(sidecar.main_port, tokens)
    time.sleep(1.0)
    warm_up.stop()
    baseline = sidecar.vm_hwm_kib()
    before = Metrics(sidecar)
    mark = len(sidecar.stderr_lines)
    load = rig.wrk(sidecar.main_port, tokens)
    for mode in keys:
        provider.control("/%s/jwks" % mode, mode=mode)
    for mode in keys:
        provider.wait_count(lambda e, m=mode: e["event"] == "jwks" and e["mode"] == m, 2, 20)
    result = load.stop()
    peak = sidecar.vm_hwm_kib()
    failures = Metrics(sidecar).jwks_failures() - before.jwks_failures()
    served = {mode: [e["bytes_sent"] for e in provider.served("/%s/jwks" % mode, mode)]
              for mode in keys}
    for mode, what in HOSTILE:
        s.figure("fetches answered with " + what, "%d (bytes written before the sidecar hung "
                 "up: %s)" % (len(served[mode]), ", ".join(map(str, served[mode]))))
    hostile = sum(len(sent) for sent in served.values())
    s.figure("failed fetches counted by the sidecar", failures)
    s.figure("sidecar diagnostics while the fetches failed", logged_since(sidecar, mark))
    s.figure("sidecar VmHWM", "%.1f MiB after the warm-up, %.1f MiB at the end: +%.1f MiB "
             "(max_response_bytes %s)" % (baseline / 1024, peak / 1024,
                                          (peak - baseline) / 1024,
                                          "256 MiB" if broken else "1 MiB, the default"))
    s.check("each hostile answer was fetched at least twice",
            all(len(sent) >= 2 for sent in served.values()))
    # The last fetch of each provider may still be finishing at the scrape.
    s.check("the sidecar counted them as failed fetches", failures >= hostile - len(keys))
    s.check("peak RSS grew by less than 50 MiB", peak - baseline < 50 * 1024)
    # Logged when a provider's fetches start failing (or fail differently),
    # not once per fetch; the sidecar looks once a second.
    deadline = time.monotonic() + 3
    while True:
        logged = {mode: 0 for mode in keys}
        for line in list(sidecar.stderr_lines[mark:]):
            entry = json.loads(line)
            if entry.get("msg", "").startswith("key fetch failed") and \
                    entry.get("provider") in logged:
                logged[entry["provider"]] += 1
        if all(logged.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    s.figure("key fetch failures logged, by provider", logged)
    s.check("each provider's failure logged, at most twice",
            all(1 <= count <= 2 for count in logged.values()))
    s.load_checks("wrk", result)
    s.sidecar_checks(sidecar)


SCENARIOS = [
    ("a", "provider stopped for longer than the key cache lifetime", scenario_a),
    ("b", "keys rotated mid-load", scenario_b),
    ("c", "upstream restarted mid-load", scenario_c),
    ("d", "500 slowloris connections", scenario_d),
    ("e", "SIGTERM mid-load", scenario_e),
    ("f", "JWKS endpoints answering endless or huge responses", scenario_f),
]


def run(key, title, function, broken):
    scenario = Scenario()
    started = time.monotonic()
    try:
        with contextlib.ExitStack() as stack:
            function(scenario, Rig(stack), broken)
    except Exception:
        scenario.check("ran to the end:\n" + traceback.format_exc().rstrip(), False)
    print("(%s) %s%s: %s in %.1f s" % (key, title, " [premise broken]" if broken else "",
                                       "passed" if scenario.passed else "FAILED",
                                       time.monotonic() - started))
    for label, value in scenario.figures:
        print("    %s: %s" % (label, value))
    for description, ok in scenario.checks:
        print("    %-6s  %s" % ("ok" if ok else "FAILED", description))
    print(flush=True)
    return scenario.passed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated scenario letters")
    parser.add_argument("--break", dest="broken", default="",
                        help="run this scenario with its premise broken (it must fail)")
    args = parser.parse_args()
    wanted = set(filter(None, args.only.split(","))) | set(filter(None, [args.broken]))
    if not os.access(ps.AUTHGATE_BIN, os.X_OK):
        print("faults: no authgate binary at %s (set AUTHGATE_BIN)" % ps.AUTHGATE_BIN)
        print("faults: 0 passed, 1 failed")
        return 1
    print("faults under load: %s, wrk, stand-ins in %s\n" % (ps.AUTHGATE_BIN, PEERS), flush=True)
    passed = failed = 0
    for key, title, function in SCENARIOS:
        if wanted and key not in wanted:
            continue
        if run(key, title, function, key == args.broken):
            passed += 1
        else:
            failed += 1
    print("faults: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
