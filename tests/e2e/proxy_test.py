"""Plain-HTTP end-to-end tests of `authgate serve`: proxying, limits, error
paths, shutdown, security paths, admin endpoints, auth-request mode and TLS.

Run: /usr/bin/python3 tests/e2e/proxy_test.py   (AUTHGATE_BIN picks the binary;
AUTHGATE_E2E_STREAM_BYTES the size of the streamed bodies, 1 GiB by default).
Every peer (provider, upstream, clients) is Python standard library on
127.0.0.1 with ephemeral ports.
"""

import base64
import http.client
import json
import os
import secrets
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import proxy_support as ps  # noqa: E402
from proxy_support import BROWSER, connection, request, send  # noqa: E402

STREAM_BYTES = int(os.environ.get("AUTHGATE_E2E_STREAM_BYTES", str(1 << 30)))
MIB = 1 << 20

PROVIDER = None
UPSTREAM = None


def setUpModule():
    global PROVIDER, UPSTREAM
    PROVIDER = ps.FakeProvider()
    UPSTREAM = ps.Upstream()


def tearDownModule():
    PROVIDER.close()
    UPSTREAM.close()


def new_marker():
    """A unique query parameter: finds a request in the upstream's record."""
    return "m" + secrets.token_hex(6)


def header_values(pairs, name):
    return [v for k, v in pairs if k.lower() == name.lower()]


def bearer(token):
    return [("Authorization", "Bearer " + token)]


def tampered(token):
    """The token with its payload changed after signing (sub: admin)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"
    return ".".join([header, ps.b64url(json.dumps(claims).encode()), signature])


def try_new_request(port, target):
    """A request on a new connection: "refused", "closed" (accepted, then
    closed without an answer), "hung" (no answer within 2s), or the status
    line received."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=2)
    except ConnectionRefusedError:
        return "refused"
    with sock:
        try:
            sock.sendall(b"GET " + target.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        except OSError:
            return "closed"
        received, closed = ps.read_until_close(sock, 2)
    if received.startswith(b"HTTP/"):
        return received.split(b"\r\n", 1)[0].decode()
    return "closed" if closed else "hung"


def head_of_size(target, size):
    """A GET request head of exactly `size` bytes (two padding headers)."""
    start = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" % target
    fixed = len(start) + len("X-Pad-1: \r\nX-Pad-2: \r\n\r\n")
    first = (size - fixed) // 2
    second = size - fixed - first
    head = (start + "X-Pad-1: " + "a" * first + "\r\nX-Pad-2: " + "b" * second
            + "\r\n\r\n").encode()
    assert len(head) == size
    return head


def nginx_auth(uri, method, host):
    """The headers examples/nginx/auth_request.conf sets on an auth request."""
    return [("X-Original-URI", uri), ("X-Original-Method", method),
            ("X-Forwarded-Host", host), ("X-Forwarded-Proto", "http")]


def traefik_auth(uri, method, host):
    """The headers Traefik's forwardAuth (and Caddy's forward_auth) set on
    the auth request, which is itself a GET."""
    return [("X-Forwarded-Method", method), ("X-Forwarded-Uri", uri),
            ("X-Forwarded-Host", host), ("X-Forwarded-Proto", "http"),
            ("X-Forwarded-For", "203.0.113.7")]


def without_names_of(own, headers):
    """`headers` without those a proxy sets itself (`own`), which it
    overwrites."""
    names = {name.lower() for name, _ in own}
    return [(name, value) for name, value in headers if name.lower() not in names]


def start_own_sidecar(test, server):
    """A sidecar for one test only, stopped when that test ends."""
    sidecar = ps.Sidecar(ps.sidecar_config(
        PROVIDER, "http://127.0.0.1:%d" % UPSTREAM.port, server)).start()
    test.addCleanup(sidecar.stop)
    return sidecar


class SidecarCase(unittest.TestCase):
    """One sidecar per class, in front of the shared upstream and provider."""

    server = {}

    @classmethod
    def setUpClass(cls):
        cls.sidecar = ps.Sidecar(ps.sidecar_config(
            PROVIDER, "http://127.0.0.1:%d" % UPSTREAM.port, cls.server)).start()
        cls.port = cls.sidecar.main_port
        cls.started_at = time.monotonic()

    @classmethod
    def tearDownClass(cls):
        died = cls.sidecar.process.poll()
        cls.sidecar.stop()
        if died is not None:
            raise AssertionError("the sidecar exited (status %s) during the tests; stderr:\n%s"
                                 % (died, "\n".join(cls.sidecar.stderr_lines[-20:])))

    def get(self, target, headers=()):
        return request(self.port, "GET", target, headers)

    def assertNotProxied(self, marker):
        self.assertEqual(UPSTREAM.requests_with(marker), [],
                         "the upstream was reached by a request that should have been refused")

    def assertSameOrigin(self, location):
        parts = urllib.parse.urlsplit(location)
        if parts.scheme or parts.netloc:
            self.assertEqual((parts.scheme, parts.netloc), ("http", "127.0.0.1:%d" % self.port),
                             "Location leaves the site: %r" % location)
        else:
            self.assertTrue(location.startswith("/"), location)
            # Browsers read "//host" and "/\host" as another host.
            self.assertNotIn(location[:2], ("//", "/\\"), "Location leaves the site: %r" % location)
            self.assertFalse(any(c in location for c in "\t\r\n"), repr(location))


class MainSidecarTest(SidecarCase):
    """The default configuration (nobody trusted, no auth endpoint, 64 KiB
    heads)."""

    # --- 1. keep-alive --------------------------------------------------
    def test_01_keep_alive_both_sides(self):
        accepted_before = UPSTREAM.connections_accepted
        conn = connection(self.port)
        client_ports, upstream_connections = set(), set()
        try:
            for i in range(50):
                reply = send(conn, "GET", "/public/keepalive?i=%d" % i)
                self.assertEqual(reply.status, 200, reply)
                client_ports.add(reply.local_port)
                upstream_connections.add(reply.json()["connection"])
        finally:
            conn.close()
        self.assertEqual(len(client_ports), 1, "the client connection was not kept alive")
        accepted = UPSTREAM.connections_accepted - accepted_before
        self.assertLessEqual(accepted, 5, "upstream accepted %d connections for 50 requests"
                             % accepted)
        self.assertLessEqual(len(upstream_connections), 5)

    # --- 3. hop-by-hop headers ---------------------------------------------
    def test_03_hop_by_hop_request_headers_are_dropped(self):
        reply = self.get("/public/hop", [
            ("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"),
            ("Keep-Alive", "timeout=5"), ("TE", "trailers"), ("Upgrade", "e2e/1"),
            ("Proxy-Authorization", "Basic dXNlcjpwYXNz"), ("Proxy-Connection", "keep-alive"),
            ("Trailer", "X-Checksum"), ("X-Keep-Me", "1")])
        self.assertEqual(reply.status, 200, reply)
        seen = reply.json()["headers"]
        self.assertEqual(header_values(seen, "X-Keep-Me"), ["1"])
        for name in ("X-Secret", "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization",
                     "Proxy-Connection", "Trailer"):
            self.assertEqual(header_values(seen, name), [], "%s reached the upstream" % name)
        for value in header_values(seen, "Connection"):
            self.assertNotIn("x-secret", value.lower())

    def test_03_hop_by_hop_response_headers_are_dropped(self):
        reply = self.get("/public/hop?hop=1")
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.header_all("X-Resp-Keep"), ["1"])
        for name in ("X-Resp-Secret", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
                     "Upgrade", "Trailer"):
            self.assertEqual(reply.header_all(name), [], "%s reached the client" % name)
        for value in reply.header_all("Connection"):
            self.assertNotIn("x-resp-secret", value.lower())

    def test_03_expect_continue_answered_once_allowed(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"POST /public/continue HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Length: 11\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
            interim = sock.recv(4096)
            self.assertTrue(interim.startswith(b"HTTP/1.1 100"), interim)
            sock.sendall(b"hello world")
            rest = interim.split(b"\r\n\r\n", 1)[1]
            received, _ = ps.read_until_close(sock, 2)
            reply = ps.parse_response(rest + received)
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json()["body_bytes"], 11)

    def test_03_expect_continue_refused_without_100(self):
        marker = new_marker()
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"POST /api/continue?" + marker.encode() + b" HTTP/1.1\r\n"
                         b"Host: 127.0.0.1\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
            first = sock.recv(4096)
        self.assertTrue(first.startswith(b"HTTP/1.1 401"), first)
        self.assertNotProxied(marker)

    # --- 4. X-Forwarded-* and the other forwarding headers -------------------
    def test_04_loopback_is_not_trusted_by_default(self):
        # Behind a same-host proxy every client would be "trusted" with a
        # loopback default: a client's X-Forwarded-Host would then drive the
        # host rules and the cookie binding.
        reply = self.get("/public/xff", [("X-Forwarded-For", "6.6.6.6"),
                                         ("X-Forwarded-Proto", "https"),
                                         ("X-Forwarded-Host", "evil.example")])
        self.assertEqual(reply.status, 200, reply)
        seen = reply.json()["headers"]
        self.assertEqual(header_values(seen, "X-Forwarded-For"), ["127.0.0.1"])
        self.assertEqual(header_values(seen, "X-Forwarded-Proto"), ["http"])
        self.assertEqual(header_values(seen, "X-Forwarded-Host"), ["127.0.0.1:%d" % self.port])
        self.assertEqual(header_values(seen, "Host"), ["127.0.0.1:%d" % self.port])

    def test_04_forwarding_headers_of_untrusted_clients_are_stripped(self):
        sent = [("Forwarded", "for=6.6.6.6;host=evil"), ("X-Real-IP", "6.6.6.6"),
                ("X-Forwarded-Port", "6666"), ("X-Forwarded-Prefix", "/evil"),
                ("X-Original-URL", "/evil"), ("X-Rewrite-URL", "/evil"),
                ("X-Original-URI", "/evil"), ("X-Original-Method", "DELETE"),
                ("X-Forwarded_For", "6.6.6.6"), ("X_Forwarded_Host", "evil")]
        seen = self.get("/public/fwd", sent).json()["headers"]
        for name, _ in sent:
            self.assertEqual(header_values(seen, name), [], "%s reached the upstream" % name)
        self.assertNotIn("evil", json.dumps(seen))
        self.assertNotIn("6.6.6.6", json.dumps(seen))

    def test_04_forwarded_headers_without_incoming_chain(self):
        seen = self.get("/public/xff").json()["headers"]
        self.assertEqual(header_values(seen, "X-Forwarded-For"), ["127.0.0.1"])
        self.assertEqual(header_values(seen, "X-Forwarded-Proto"), ["http"])
        self.assertEqual(header_values(seen, "X-Forwarded-Host"), ["127.0.0.1:%d" % self.port])

    # --- 5. the default 64 KiB head limit ----------------------------------
    def test_05_default_limit_passes_60k_head(self):
        received, _ = ps.raw_exchange(self.port, head_of_size("/public/big", 60 * 1024))
        reply = ps.parse_response(received)
        self.assertEqual(reply.status, 200, reply)
        pad = header_values(reply.json()["headers"], "X-Pad-1")
        self.assertEqual(len(pad), 1)
        self.assertGreater(len(pad[0]), 29 * 1024)

    def test_05_default_limit_refuses_70k_head(self):
        marker = new_marker()
        received, closed = ps.raw_exchange(self.port, head_of_size("/public/big?" + marker,
                                                                   70 * 1024))
        self.assertTrue(received.startswith(b"HTTP/1.1 431"), received[:200])
        self.assertTrue(closed, "connection left open after 431")
        self.assertNotProxied(marker)

    # --- 6. slow and idle clients ------------------------------------------
    def test_06_slowloris_cut_while_others_served(self):
        results = []

        def trickle():
            start = time.monotonic()
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.sendall(b"GET /public/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            received, closed_after = b"", None
            sock.settimeout(0.25)
            while time.monotonic() - start < 8 and closed_after is None:
                try:
                    data = sock.recv(4096)
                    if not data:
                        closed_after = time.monotonic() - start
                    received += data
                    continue
                except socket.timeout:
                    pass
                except ConnectionResetError:
                    closed_after = time.monotonic() - start
                    break
                try:
                    sock.sendall(b"a")
                except (BrokenPipeError, ConnectionResetError):
                    closed_after = time.monotonic() - start
                    received += ps.read_until_close(sock, 0.5)[0]
            sock.close()
            results.append((closed_after, received))

        tricklers = [threading.Thread(target=trickle) for _ in range(8)]
        for thread in tricklers:
            thread.start()
        try:
            time.sleep(0.2)
            for i in range(10):
                began = time.monotonic()
                reply = self.get("/public/meanwhile?i=%d" % i)
                self.assertEqual(reply.status, 200)
                self.assertLess(time.monotonic() - began, 0.5, "slow clients delayed others")
                time.sleep(0.1)
        finally:
            for thread in tricklers:
                thread.join(15)
        for closed_after, received in results:
            self.assertIsNotNone(closed_after, "a trickling client was never cut")
            self.assertGreaterEqual(closed_after, 0.8)
            self.assertLessEqual(closed_after, 3.0, "cut after %.1fs, header_timeout is 1s"
                                 % closed_after)

    def test_06_partial_head_timeout_answered_408(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"GET /public/partial HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
            received, closed = ps.read_until_close(sock, 5)
        self.assertTrue(closed)
        self.assertTrue(received.startswith(b"HTTP/1.1 408"),
                        "closed without a 408 after part of a head: %r" % received[:100])

    def test_06_silent_connection_closed(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            began = time.monotonic()
            received, closed = ps.read_until_close(sock, 5)
            elapsed = time.monotonic() - began
        self.assertTrue(closed, "a connection that sends nothing was kept open")
        self.assertLessEqual(elapsed, 3.5)
        self.assertEqual(received, b"")

    def test_06_idle_keep_alive_closed_after_idle_timeout(self):
        conn = connection(self.port)
        try:
            first = send(conn, "GET", "/public/idle")
            # Longer than header_timeout (1s), shorter than idle_timeout (2s).
            time.sleep(1.4)
            second = send(conn, "GET", "/public/idle")
            self.assertEqual((first.status, second.status), (200, 200))
            self.assertEqual(first.local_port, second.local_port)
            began = time.monotonic()
            received, closed = ps.read_until_close(conn.sock, 6)
            elapsed = time.monotonic() - began
        finally:
            conn.close()
        self.assertTrue(closed, "idle keep-alive connection never closed")
        self.assertEqual(received, b"")
        self.assertGreaterEqual(elapsed, 1.5)
        self.assertLessEqual(elapsed, 3.5, "closed after %.1fs, idle_timeout is 2s" % elapsed)

    # --- 8. upstream errors -----------------------------------------------
    def test_08_slow_upstream_504(self):
        began = time.monotonic()
        reply = self.get("/public/slow?sleep=2.5")
        elapsed = time.monotonic() - began
        self.assertEqual(reply.status, 504, reply)
        self.assertGreaterEqual(elapsed, 0.8)
        self.assertLess(elapsed, 2.3, "504 after %.1fs, upstream_timeout is 1s" % elapsed)

    def _assert_cut(self, framing):
        conn = connection(self.port)
        try:
            conn.request("GET", "/public/cut?cut=" + framing)
            response = conn.getresponse()
            try:
                body = response.read()
                complete = True
            except http.client.IncompleteRead as e:
                body, complete = e.partial, False
        except (ConnectionError, http.client.HTTPException):
            return  # cut before a response head: the client knows it failed
        finally:
            conn.close()
        self.assertFalse(response.status == 200 and complete,
                         "a truncated upstream body (%d bytes) was passed off as complete"
                         % len(body))

    def test_08_upstream_cut_mid_body_content_length(self):
        self._assert_cut("length")

    def test_08_upstream_cut_mid_body_chunked(self):
        self._assert_cut("chunked")

    # --- 10. security paths ----------------------------------------------
    def test_10_valid_then_tampered_session_cookie(self):
        session = ps.login(self.port, PROVIDER, "/app/home")
        self.assertTrue(session, "no session cookie after the login")
        marker = new_marker()
        reply = self.get("/app/home?" + marker, BROWSER + [("Cookie", ps.cookie_header(session))])
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(header_values(reply.json()["headers"], "x-authgate-sub"), ["alice"])
        for name, value in session.items():
            middle = len(value) // 2
            bad = dict(session)
            bad[name] = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1:]
            marker = new_marker()
            reply = self.get("/app/home?" + marker, BROWSER + [("Cookie", ps.cookie_header(bad))])
            self.assertEqual(reply.status, 302, reply)
            self.assertTrue(reply.header("Location").startswith(PROVIDER.authorization_endpoint))
            self.assertNotProxied(marker)

    def test_10_garbage_session_cookie(self):
        for cookie in ("authgate_session=garbage", "authgate_session=" + "A" * 3000,
                       "authgate_session=; authgate_session.1=x"):
            marker = new_marker()
            reply = self.get("/app/?" + marker, BROWSER + [("Cookie", cookie)])
            self.assertEqual(reply.status, 302, (cookie[:40], reply))
            self.assertTrue(reply.header("Location").startswith(PROVIDER.authorization_endpoint))
            self.assertNotProxied(marker)

    def test_10_forged_callbacks(self):
        _, state_a, _, flow_a = ps.begin_login(self.port, "/app/a")
        _, state_b, nonce_b, flow_b = ps.begin_login(self.port, "/app/b")
        self.assertTrue(state_a and state_b)
        cases = {
            "forged state": ("/callback?code=x&state=forged", []),
            "state of another login": ("/callback?" + urllib.parse.urlencode(
                {"code": "x", "state": state_a, "iss": PROVIDER.issuer}),
                [("Cookie", ps.cookie_header(flow_b))]),
            "no login cookie": ("/callback?" + urllib.parse.urlencode(
                {"code": "x", "state": state_b, "iss": PROVIDER.issuer}), []),
            "provider error": ("/callback?" + urllib.parse.urlencode(
                {"error": "access_denied", "state": state_b, "iss": PROVIDER.issuer}),
                [("Cookie", ps.cookie_header(flow_b))]),
            "unknown code": ("/callback?" + urllib.parse.urlencode(
                {"code": "never-issued", "state": state_b, "iss": PROVIDER.issuer}),
                [("Cookie", ps.cookie_header(flow_b))]),
        }
        for name, (target, headers) in cases.items():
            reply = self.get(target, BROWSER + headers)
            self.assertTrue(400 <= reply.status < 500, "%s: %r" % (name, reply))
            self.assertEqual(reply.header_all("Location"), [], name)
        self.assertEqual([r for r in UPSTREAM.requests if r["target"].startswith("/callback")], [])

    def test_10_open_redirect_attempts_stay_on_site(self):
        targets = ["//evil.example/", "///evil.example/x", "/\\evil.example/", "/\\\\evil.example",
                   "/%2F%2Fevil.example/", "/%5C%5Cevil.example", "/.//evil.example/",
                   "/app/..//evil.example/", "/%2e%2e//evil.example/"]
        for target in targets:
            reply, state, nonce, flow = ps.begin_login(self.port, target)
            if reply.status != 302:
                self.assertTrue(400 <= reply.status < 500, "%s: %r" % (target, reply))
                continue
            self.assertTrue(reply.header("Location").startswith(
                PROVIDER.authorization_endpoint + "?"), "%s: %r" % (target, reply))
            done = ps.finish_login(self.port, PROVIDER, state, nonce, flow)
            self.assertEqual(done.status, 302, "%s: %r" % (target, done))
            with self.subTest(target=target):
                self.assertSameOrigin(done.header("Location"))

    def test_10_absolute_form_login_is_bound_to_its_own_host(self):
        # RFC 9112 3.2.2: the absolute form's authority is the request's
        # host. The login it starts is bound to evil.example and cannot be
        # completed on this site, and its return target is a path.
        reply, state, nonce, flow = ps.begin_login(self.port, "http://evil.example/x")
        self.assertEqual(reply.status, 302, reply)
        done = ps.finish_login(self.port, PROVIDER, state, nonce, flow)
        self.assertEqual(done.status, 400, done)
        self.assertEqual(done.header_all("Location"), [])

    def test_10_spoofed_identity_headers_on_bearer_route(self):
        reply = self.get("/api/who", bearer(ps.api_token("alice")) + [
            ("X-Authgate-Sub", "admin"), ("x-authgate-sub", "root")])
        self.assertEqual(reply.status, 200, reply)
        seen = reply.json()["headers"]
        self.assertEqual(header_values(seen, "x-authgate-sub"), ["alice"])
        self.assertEqual(header_values(seen, "Authorization"), [])

    def test_10_spoofed_identity_headers_on_public_and_session_routes(self):
        seen = self.get("/public/who", [("x-authgate-sub", "admin")]).json()["headers"]
        self.assertEqual(header_values(seen, "x-authgate-sub"), [])
        session = ps.login(self.port, PROVIDER, "/app/who")
        reply = self.get("/app/who", BROWSER + [("Cookie", ps.cookie_header(session)),
                                                 ("X-Authgate-Sub", "admin")])
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(header_values(reply.json()["headers"], "x-authgate-sub"), ["alice"])

    def test_10_bad_bearer_401(self):
        good = ps.api_token()
        wrong_key = ps.mint_hs256({"iss": ps.API_ISSUER, "aud": ps.API_AUDIENCE, "sub": "alice",
                                   "scope": "api:read", "exp": int(time.time()) + 600},
                                  b"k" * 32, ps.API_KID)
        for name, headers in {"tampered": bearer(tampered(good)), "wrong key": bearer(wrong_key),
                              "garbage": bearer("not.a.jwt"), "missing": []}.items():
            marker = new_marker()
            reply = self.get("/api/orders?" + marker, headers)
            self.assertEqual(reply.status, 401, "%s: %r" % (name, reply))
            challenge = reply.header("WWW-Authenticate") or ""
            self.assertTrue(challenge.startswith("Bearer"), "%s: %r" % (name, reply))
            if headers:
                self.assertIn('error="invalid_token"', challenge, name)
            self.assertIn("no-store", reply.header("Cache-Control") or "", name)
            self.assertNotProxied(marker)

    def test_10_missing_scope_403(self):
        marker = new_marker()
        reply = self.get("/api/orders?" + marker, bearer(ps.api_token(scope="other")))
        self.assertEqual(reply.status, 403, reply)
        self.assertIn("insufficient_scope", reply.header("WWW-Authenticate") or "")
        self.assertNotProxied(marker)

    # --- 11. a stalled provider stalls nobody else -----------------------
    def _assert_others_fast(self):
        for i in range(10):
            began = time.monotonic()
            reply = self.get("/public/fast?i=%d" % i)
            self.assertEqual(reply.status, 200)
            self.assertLess(time.monotonic() - began, 0.2, "/public waited for the provider")
        began = time.monotonic()
        self.assertEqual(self.get("/api/fast", bearer(ps.api_token())).status, 200)
        self.assertLess(time.monotonic() - began, 0.2, "/api waited for the provider")

    def test_11_stalled_token_exchange(self):
        reply, state, nonce, flow = ps.begin_login(self.port, "/app/stalled")
        self.assertEqual(reply.status, 302, reply)
        outcome = []
        with PROVIDER.holding("/token") as arrived:
            callback = threading.Thread(target=lambda: outcome.append(
                ps.finish_login(self.port, PROVIDER, state, nonce, flow)))
            callback.start()
            self.assertTrue(arrived.wait(5), "the callback never reached the token endpoint")
            self._assert_others_fast()
            self.assertTrue(callback.is_alive(), "the token exchange was not held")
        callback.join(10)
        self.assertFalse(callback.is_alive(), "the callback never finished after the release")

    def test_11_stalled_key_refetch(self):
        # The JWKS fetched at start-up counts against refetch_interval (1s).
        time.sleep(max(0.0, self.started_at + 1.2 - time.monotonic()))
        unknown_kid = ps.mint_hs256({"iss": PROVIDER.issuer, "sub": "bob",
                                     "exp": int(time.time()) + 600}, ps.REMOTE_KEY, "rotated-2")
        outcome = []
        with PROVIDER.holding("/jwks") as arrived:
            waiting = threading.Thread(target=lambda: outcome.append(
                self.get("/remote/x", bearer(unknown_kid))))
            waiting.start()
            self.assertTrue(arrived.wait(3), "an unknown kid did not trigger a JWKS refetch")
            self._assert_others_fast()
            self.assertTrue(waiting.is_alive(), "the request did not wait for the refetch")
        waiting.join(10)
        self.assertFalse(waiting.is_alive())
        self.assertEqual(outcome[0].status, 401, outcome)

    # --- 13. the auth endpoint ---------------------------------------------
    def test_13_auth_endpoint_is_off_by_default(self):
        # Evaluated as any other path: the site's login rule, never an
        # answer carrying the identity headers.
        marker = new_marker()
        reply = self.get("/authgate/auth?" + marker, [("X-Original-URI", "/public/x"),
                                                      ("X-Original-Method", "GET")])
        self.assertEqual(reply.status, 401, reply)
        self.assertEqual(reply.header_all("x-authgate-sub"), [])
        self.assertNotProxied(marker)


class TrustedLoopbackTest(SidecarCase):
    """trusted_proxies: loopback, as behind a proxy on the same host."""

    server = {"trusted_proxies": ["127.0.0.1/8"]}

    def test_04_forwarded_headers_from_trusted_peer(self):
        seen = self.get("/public/xff", [("X-Forwarded-For", "6.6.6.6"),
                                        ("X-Forwarded-Proto", "https")]).json()["headers"]
        chain = [hop.strip() for value in header_values(seen, "X-Forwarded-For")
                 for hop in value.split(",")]
        self.assertEqual(chain, ["6.6.6.6", "127.0.0.1"])
        self.assertEqual(header_values(seen, "X-Forwarded-Proto"), ["https"])
        self.assertEqual(header_values(seen, "X-Forwarded-Host"), ["127.0.0.1:%d" % self.port])

    def test_04_believed_forwarded_host_is_the_upstream_host(self):
        # The rules and the upstream see the same host: a host rule cannot
        # be passed with one host while the app serves another.
        seen = self.get("/public/host", [("X-Forwarded-Host", "app.e2e.test")]).json()["headers"]
        self.assertEqual(header_values(seen, "Host"), ["app.e2e.test"])
        self.assertEqual(header_values(seen, "X-Forwarded-Host"), ["app.e2e.test"])

    def test_04_ambiguous_forwarded_host_is_refused(self):
        for headers in ([("X-Forwarded-Host", "a.e2e.test"), ("X-Forwarded-Host", "b.e2e.test")],
                        [("X-Forwarded-Host", "a.e2e.test"), ("X_Forwarded_Host", "b.e2e.test")],
                        [("X-Forwarded-Host", "a.e2e.test, b.e2e.test")],
                        [("X-Forwarded-Proto", "gopher")]):
            marker = new_marker()
            reply = self.get("/public/host?" + marker, headers)
            self.assertEqual(reply.status, 400, (headers, reply))
            self.assertNotProxied(marker)

    def test_04_trusted_forwarding_headers_pass_but_not_their_underscore_spellings(self):
        seen = self.get("/public/fwd", [("X-Forwarded-Port", "443"), ("X-Real-IP", "6.6.6.6"),
                                        ("X-Forwarded_Port", "6666")]).json()["headers"]
        self.assertEqual(header_values(seen, "X-Forwarded-Port"), ["443"])
        self.assertEqual(header_values(seen, "X-Real-IP"), ["6.6.6.6"])
        self.assertEqual(header_values(seen, "X-Forwarded_Port"), [])


class UntrustedPeerTest(SidecarCase):
    """trusted_proxies without loopback, and a small max_header_bytes."""

    server = {"trusted_proxies": ["10.0.0.0/8"], "max_header_bytes": 8192}

    def test_04_forwarded_headers_replaced(self):
        reply = self.get("/public/xff", [("Host", "app.e2e.test:8443"),
                                         ("X-Forwarded-For", "6.6.6.6"),
                                         ("X-Forwarded-Proto", "https"),
                                         ("X-Forwarded-Host", "evil.example")])
        self.assertEqual(reply.status, 200, reply)
        seen = reply.json()["headers"]
        self.assertEqual(header_values(seen, "X-Forwarded-For"), ["127.0.0.1"])
        self.assertEqual(header_values(seen, "X-Forwarded-Proto"), ["http"])
        self.assertEqual(header_values(seen, "X-Forwarded-Host"), ["app.e2e.test:8443"])

    def test_05_small_limit(self):
        received, _ = ps.raw_exchange(self.port, head_of_size("/public/small", 7800))
        self.assertEqual(ps.parse_response(received).status, 200)
        marker = new_marker()
        received, closed = ps.raw_exchange(self.port, head_of_size("/public/small?" + marker, 8600))
        self.assertTrue(received.startswith(b"HTTP/1.1 431"), received[:200])
        self.assertTrue(closed, "connection left open after 431")
        self.assertNotProxied(marker)

    def test_13_auth_request_from_untrusted_peer_403(self):
        sidecar = start_own_sidecar(self, {"trusted_proxies": ["10.0.0.0/8"],
                                           "auth_request_path": "/authgate/auth",
                                           "auth_request_proxy": "nginx"})
        reply = request(sidecar.main_port, "GET", "/authgate/auth",
                        nginx_auth("/api/orders", "GET", "127.0.0.1") + bearer(ps.api_token()))
        self.assertEqual(reply.status, 403, reply)
        self.assertEqual(reply.header_all("x-authgate-sub"), [])


class AuthRequestChecks:
    """The auth endpoint behind one kind of proxy (`proxy`), mixed into a
    SidecarCase: every test class below asks as that proxy does, and each
    has the spoofing attack where a client adds another proxy's headers
    naming a public GET."""

    proxy = None

    @classmethod
    def setUpClass(cls):
        cls.server = {"trusted_proxies": ["127.0.0.1"], "auth_request_path": "/authgate/auth",
                      "auth_request_proxy": cls.proxy}
        super().setUpClass()

    def host(self):
        return "127.0.0.1:%d" % self.port

    def ask(self, uri, method="GET", headers=()):
        """An auth request for METHOD URI as the proxy sends it."""
        raise NotImplementedError

    def test_13_bearer_allowed_with_identity(self):
        marker = new_marker()
        reply = self.ask("/api/orders?" + marker, headers=bearer(ps.api_token("alice")))
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.body, b"")
        self.assertEqual(reply.header_all("x-authgate-sub"), ["alice"])
        self.assertNotProxied(marker)

    def test_13_public_route_names_identity_headers_empty(self):
        # Envoy's allowed_upstream_headers and Caddy's copy_headers replace
        # only what the answer names: an absent header would leave the
        # client's forged copy in the request.
        reply = self.ask("/public/x", headers=[("X-Authgate-Sub", "admin")])
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.header_all("x-authgate-sub"), [""])

    def test_13_session_allowed(self):
        session = ps.login(self.port, PROVIDER, "/app/auth")
        reply = self.ask("/app/auth", headers=[("Cookie", ps.cookie_header(session))] + BROWSER)
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.header_all("x-authgate-sub"), ["alice"])

    def test_13_login_redirect_as_401(self):
        reply = self.ask("/app/page", headers=BROWSER)
        self.assertEqual(reply.status, 401, reply)
        self.assertTrue((reply.header("X-Authgate-Redirect") or "").startswith(
            PROVIDER.authorization_endpoint + "?"), reply)
        self.assertTrue(any(name.startswith("authgate_flow.") for name in ps.cookies_from(reply)),
                        reply)

    def test_13_bad_bearer_401_and_missing_scope_403(self):
        reply = self.ask("/api/orders", headers=bearer(tampered(ps.api_token())))
        self.assertEqual(reply.status, 401, reply)
        self.assertIn('error="invalid_token"', reply.header("WWW-Authenticate") or "")
        self.assertEqual(reply.header_all("x-authgate-sub"), [])
        reply = self.ask("/api/orders", headers=bearer(ps.api_token(scope="other")))
        self.assertEqual(reply.status, 403, reply)

    def test_13_spoofed_original_request_is_not_believed(self):
        # DELETE /api/orders without a token, with every other proxy's
        # headers naming a public GET added by the client.
        spoof = [("X-Original-URI", "/public/x"), ("X-Original-Method", "GET"),
                 ("X-Forwarded-Uri", "/public/x"), ("X-Forwarded-Method", "GET")]
        reply = self.ask("/api/orders", "DELETE", spoof)
        self.assertEqual(reply.status, 401, reply)

    def test_13_lower_case_original_method_400(self):
        reply = self.ask("/api/orders", "delete", bearer(ps.api_token()))
        self.assertEqual(reply.status, 400, reply)


class NginxAuthRequestTest(AuthRequestChecks, SidecarCase):
    proxy = "nginx"

    def ask(self, uri, method="GET", headers=()):
        # nginx's proxy_set_header replaces the client's copies of the
        # headers it sets: a client header of the same name never arrives.
        own = nginx_auth(uri, method, self.host())
        return self.get("/authgate/auth", own + without_names_of(own, headers))

    def test_13_nginx_without_x_original_method_is_400(self):
        reply = self.get("/authgate/auth", [("X-Original-URI", "/api/orders"),
                                            ("X-Forwarded-Method", "GET"),
                                            ("X-Forwarded-Host", self.host()),
                                            ("X-Forwarded-Proto", "http")])
        self.assertEqual(reply.status, 400, reply)


class TraefikAuthRequestTest(AuthRequestChecks, SidecarCase):
    """Traefik forwardAuth, as its documentation describes the request: a
    GET to the address with the client's headers and X-Forwarded-Method,
    -Proto, -Host, -Uri and -For, which Traefik overwrites."""

    proxy = "traefik"

    def ask(self, uri, method="GET", headers=()):
        own = traefik_auth(uri, method, self.host())
        return self.get("/authgate/auth", without_names_of(own, headers) + own)

    def test_13_traefik_duplicate_forwarded_uri_is_400(self):
        # A proxy that appended instead of overwriting: which copy is the
        # client's cannot be told, so neither is chosen.
        reply = self.get("/authgate/auth", [("X-Forwarded-Uri", "/public/x")]
                         + traefik_auth("/api/orders", "DELETE", self.host()))
        self.assertEqual(reply.status, 400, reply)


class EnvoyAuthRequestTest(AuthRequestChecks, SidecarCase):
    """Envoy ext_authz (HTTP service) with path_prefix /authgate/auth: the
    original method, the original path appended, Host, and the headers
    allowed_headers passes (here cookie, authorization, x-forwarded-proto and
    anything the client sent)."""

    proxy = "envoy"

    def ask(self, uri, method="GET", headers=()):
        return request(self.port, method, "/authgate/auth" + uri,
                       [("Host", self.host()), ("X-Forwarded-Proto", "http")] + list(headers))

    def test_13_envoy_two_hosts_400(self):
        reply = request(self.port, "GET", "/authgate/auth/public/x",
                        [("Host", self.host()), ("Host", "evil.example")])
        self.assertEqual(reply.status, 400, reply)


class PooledUpstreamTest(SidecarCase):
    """1. An upstream that frames an answer wrongly, then many clients after
    it on fresh connections: each gets its own answer, and no 502. One
    worker, so that every request shares one pool."""

    server = {"threads": 1}

    def assertClientsGetTheirOwnAnswers(self, count=12):
        for i in range(count):
            marker = new_marker()
            reply = self.get("/public/own?" + marker)
            self.assertEqual(reply.status, 200, "client %d: %r" % (i, reply))
            self.assertEqual(reply.header_all("X-Stolen"), [], "client %d: %r" % (i, reply))
            self.assertIn(marker, reply.json()["target"], "client %d got another's answer" % i)
        results = [None] * count

        def client(i):
            marker = new_marker()
            try:
                reply = self.get("/public/own?" + marker)
                results[i] = (reply.status, marker in reply.body.decode(errors="replace"))
            except Exception as error:  # noqa: BLE001 - reported below
                results[i] = (repr(error), False)
        threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
        self.assertEqual(results, [(200, True)] * count)

    def test_01_more_bytes_than_content_length(self):
        reply = self.get("/public/misframe?misframe=extra")
        self.assertEqual((reply.status, reply.body), (200, b"hello"), reply)
        self.assertClientsGetTheirOwnAnswers()

    def test_01_more_bytes_after_a_pause(self):
        reply = self.get("/public/misframe?misframe=late")
        self.assertEqual((reply.status, reply.body), (200, b"hello"), reply)
        time.sleep(0.5)  # the late bytes are in the pooled connection now
        self.assertClientsGetTheirOwnAnswers()

    def test_01_body_after_head_204_304(self):
        for kind, method, status in (("head", "HEAD", 200), ("204", "GET", 204),
                                     ("304", "GET", 304)):
            reply = request(self.port, method, "/public/misframe?misframe=" + kind)
            self.assertEqual(reply.status, status, (kind, reply))
            self.assertEqual(reply.body, b"", (kind, reply))
            self.assertClientsGetTheirOwnAnswers()

    def test_01_unrequested_101_is_502_and_never_pooled(self):
        reply = self.get("/public/misframe?misframe=101")
        self.assertEqual(reply.status, 502, reply)
        self.assertClientsGetTheirOwnAnswers()

    def test_01_websocket_handshake_is_not_passed_on(self):
        marker = new_marker()
        reply = self.get("/public/ws?" + marker, [
            ("Connection", "Upgrade"), ("Upgrade", "websocket"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Protocol", "chat"), ("Sec-WebSocket-Extensions", "x")])
        self.assertEqual(reply.status, 200, reply)
        seen = json.dumps(UPSTREAM.requests_with(marker)[0]["headers"]).lower()
        self.assertNotIn("websocket", seen)
        self.assertNotIn("upgrade", seen)


class FramingTest(SidecarCase):
    """Request framing where RFC 9112 says what to do (nginx does it)."""

    def assertRefusedAndClosed(self, data, status, name, *markers):
        """`data` gets one answer, `status`, then the connection closes, and
        no request carrying any of `markers` reaches the upstream."""
        received, closed = ps.raw_exchange(self.port, data)
        self.assertTrue(received.startswith(b"HTTP/1.1 %d" % status), (name, received[:200]))
        self.assertEqual(received.count(b"HTTP/1.1 "), 1, name)
        self.assertTrue(closed, name)
        for marker in markers:
            self.assertNotProxied(marker)

    def test_01_host_must_be_one_valid_field(self):
        for name, head in (
                ("two Host", b"GET /public/h?%s HTTP/1.1\r\nHost: a.e2e.test\r\nHost: b.e2e.test\r\n"),
                ("invalid Host", b"GET /public/h?%s HTTP/1.1\r\nHost: app probe.test\r\n"),
                ("no Host", b"GET /public/h?%s HTTP/1.1\r\n")):
            marker = new_marker()
            self.assertRefusedAndClosed(head.replace(b"%s", marker.encode()) + b"\r\n", 400,
                                        name, marker)

    def test_01_transfer_codings_other_than_chunked_501(self):
        marker = new_marker()
        self.assertRefusedAndClosed(
            b"POST /public/te?" + marker.encode() + b" HTTP/1.1\r\nHost: a.e2e.test\r\n"
            b"Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501,
            "gzip, chunked", marker)

    def test_01_invalid_chunks_400_and_upstream_connection_dropped(self):
        for name, chunks in (("0x5", b"0x5\r\nhello\r\n0\r\n\r\n"),
                             ("2^64", b"10000000000000000\r\nhello\r\n0\r\n\r\n"),
                             ("-1", b"-1\r\nhello\r\n0\r\n\r\n"),
                             ("longer than its size", b"5\r\nhelloEXTRA\r\n0\r\n\r\n")):
            marker = new_marker()
            cut_before = list(UPSTREAM.cut_connections)
            self.assertRefusedAndClosed(
                b"POST /public/chunks?" + marker.encode()
                + b" HTTP/1.1\r\nHost: a.e2e.test\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks,
                400, name, marker)
            # The upstream saw the start of that request and then its
            # connection end; nothing else is ever sent on it.
            deadline = time.monotonic() + 5
            while UPSTREAM.cut_connections == cut_before and time.monotonic() < deadline:
                time.sleep(0.02)
            cut = [c for c in UPSTREAM.cut_connections if c not in cut_before]
            self.assertEqual(len(cut), 1, name)
            after = self.get("/public/after?" + new_marker())
            self.assertEqual(after.status, 200, name)
            self.assertNotEqual(after.json()["connection"], cut[0], name)

    def test_01_smuggling_attempts_are_refused_whole(self):
        # Each would let the bytes after the first request be read as a
        # second one by a server that frames differently.
        cases = {
            "Content-Length and Transfer-Encoding":
                b"POST /public/s?%s HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "two different Content-Length":
                b"POST /public/s?%s HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                b"Content-Length: 40\r\n\r\nhello",
            "bare LF": b"GET /public/s?%s HTTP/1.1\nHost: a\n\n",
            "space before the colon":
                b"POST /public/s?%s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n"
                b"0\r\n\r\n",
        }
        for name, head in cases.items():
            marker, smuggled = new_marker(), new_marker()
            data = (head.replace(b"%s", marker.encode())
                    + b"GET /public/smuggled?" + smuggled.encode() + b" HTTP/1.1\r\nHost: a\r\n\r\n")
            self.assertRefusedAndClosed(data, 400, name, marker, smuggled)

    def test_01_obs_fold_cannot_add_a_header(self):
        marker = new_marker()
        received, _ = ps.raw_exchange(
            self.port, b"GET /public/fold?" + marker.encode() + b" HTTP/1.1\r\nHost: a\r\n"
            b"X-A: 1\r\n X-Authgate-Sub: admin\r\nConnection: close\r\n\r\n")
        self.assertTrue(received.startswith(b"HTTP/1.1 200"), received[:200])
        seen = UPSTREAM.requests_with(marker)[0]["headers"]
        self.assertEqual(header_values(seen, "X-Authgate-Sub"), [])
        self.assertEqual(len(header_values(seen, "X-A")), 1)

    def test_01_absolute_form_is_forwarded_in_origin_form(self):
        marker = new_marker()
        received, _ = ps.raw_exchange(
            self.port, b"GET http://app.e2e.test:8080/public/abs?" + marker.encode()
            + b" HTTP/1.1\r\nHost: other.e2e.test\r\nConnection: close\r\n\r\n")
        reply = ps.parse_response(received)
        self.assertEqual(reply.status, 200, reply)
        seen = reply.json()
        self.assertEqual(seen["target"], "/public/abs?" + marker)
        self.assertEqual(header_values(seen["headers"], "Host"), ["app.e2e.test:8080"])

    def test_10_underscore_spellings_of_identity_headers_are_stripped(self):
        # wsgiref, Unicorn and Puma before 6.4.3 read X_Authgate_Sub as
        # HTTP_X_AUTHGATE_SUB, the variable the real header becomes.
        spellings = [("X_Authgate_Sub", "admin"), ("x-authgate_sub", "admin"),
                     ("X-AUTHGATE-SUB", "admin")]
        for target, headers in (("/public/u", spellings),
                                ("/api/u", spellings + bearer(ps.api_token("alice")))):
            reply = self.get(target, headers)
            self.assertEqual(reply.status, 200, reply)
            seen = reply.json()["headers"]
            self.assertNotIn("admin", json.dumps(seen), target)


class ReadTimeoutTest(SidecarCase):
    """read_timeout: a body that stops flowing, from either side, is cut."""

    server = {"read_timeout": "1s", "upstream_timeout": "5s"}

    def test_06_stalled_upload_cut(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"PUT /public/stalled HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Length: 100000\r\n\r\n" + b"x" * 1000)
            began = time.monotonic()
            _, closed = ps.read_until_close(sock, 6)
            elapsed = time.monotonic() - began
        self.assertTrue(closed, "a stalled upload was never cut")
        self.assertLessEqual(elapsed, 3.5, "cut after %.1fs, read_timeout is 1s" % elapsed)

    def test_06_stalled_download_cut(self):
        conn = connection(self.port)
        began = time.monotonic()
        try:
            conn.request("GET", "/public/stalled?stall=4")
            response = conn.getresponse()
            with self.assertRaises((http.client.IncompleteRead, ConnectionError)):
                response.read()
        finally:
            conn.close()
        elapsed = time.monotonic() - began
        self.assertLessEqual(elapsed, 3.5, "cut after %.1fs, read_timeout is 1s" % elapsed)


class StreamingTest(SidecarCase):
    """2. Bodies are streamed: exact bytes through, memory flat."""

    server = {"read_timeout": "10s"}
    rates = []

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.expected_crc = ps.pattern_crc32(STREAM_BYTES)
        request(cls.port, "GET", "/public/warmup")
        cls.baseline_kib = cls.sidecar.vm_hwm_kib()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        sys.stderr.write("\nstreaming %d MiB: %s\n" % (STREAM_BYTES // MIB, ", ".join(cls.rates)))

    def _check_memory(self):
        growth = (self.sidecar.vm_hwm_kib() - self.baseline_kib) / 1024.0
        self.assertLess(growth, 64, "peak RSS grew by %.0f MiB while streaming" % growth)

    def _note_rate(self, name, began):
        elapsed = time.monotonic() - began
        self.rates.append("%s %.1fs (%.0f MiB/s)" % (name, elapsed, STREAM_BYTES / MIB / elapsed))

    def _upload(self, chunked):
        conn = connection(self.port, timeout=60)
        began = time.monotonic()
        try:
            conn.putrequest("PUT", "/public/upload", skip_accept_encoding=True)
            conn.putheader("Content-Type", "application/octet-stream")
            conn.putheader(*(("Transfer-Encoding", "chunked") if chunked
                             else ("Content-Length", str(STREAM_BYTES))))
            conn.endheaders()
            left = STREAM_BYTES
            while left:
                piece = ps.BLOCK[:min(left, len(ps.BLOCK))]
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                left -= len(piece)
            if chunked:
                conn.send(b"0\r\n\r\n")
            response = conn.getresponse()
            echo = json.loads(response.read())
        finally:
            conn.close()
        self._note_rate("upload " + ("chunked" if chunked else "length"), began)
        self.assertEqual(response.status, 200)
        self.assertEqual(echo["body_bytes"], STREAM_BYTES)
        self.assertEqual(echo["body_crc32"], self.expected_crc)
        self._check_memory()

    def _download(self, chunked):
        conn = connection(self.port, timeout=60)
        began = time.monotonic()
        count = crc = 0
        try:
            conn.request("GET", "/public/download?download=%d%s"
                         % (STREAM_BYTES, "&chunked=1" if chunked else ""))
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            while True:
                data = response.read(MIB)
                if not data:
                    break
                crc = zlib.crc32(data, crc)
                count += len(data)
        finally:
            conn.close()
        self._note_rate("download " + ("chunked" if chunked else "length"), began)
        self.assertEqual(count, STREAM_BYTES)
        self.assertEqual(crc, self.expected_crc)
        self._check_memory()

    def test_02_upload_content_length(self):
        self._upload(chunked=False)

    def test_02_upload_chunked(self):
        self._upload(chunked=True)

    def test_02_download_content_length(self):
        self._download(chunked=False)

    def test_02_download_chunked(self):
        self._download(chunked=True)


class MaxConnectionsTest(SidecarCase):
    server = {"max_connections": 5, "idle_timeout": "10s"}

    def test_07_sixth_connection_closed(self):
        conns = [connection(self.port) for _ in range(5)]
        try:
            ports = [send(conn, "GET", "/public/c").local_port for conn in conns]
            marker = new_marker()
            outcome = try_new_request(self.port, "/public/sixth?" + marker)
            self.assertIn(outcome, ("refused", "closed"), "6th connection: %s" % outcome)
            self.assertNotProxied(marker)
            for conn, port in zip(conns, ports):
                reply = send(conn, "GET", "/public/again")
                self.assertEqual((reply.status, reply.local_port), (200, port))
            conns.pop().close()
            time.sleep(0.3)
            self.assertEqual(self.get("/public/after").status, 200,
                             "a slot freed by a closed connection was not reused")
        finally:
            for conn in conns:
                conn.close()


class UpstreamDownTest(unittest.TestCase):
    def test_08_upstream_refusing_502(self):
        sidecar = ps.Sidecar(ps.sidecar_config(
            PROVIDER, "http://127.0.0.1:%d" % ps.free_port())).start()
        try:
            began = time.monotonic()
            reply = request(sidecar.main_port, "GET", "/public/down")
            self.assertEqual(reply.status, 502, reply)
            self.assertIn(b"upstream unavailable", reply.body)
            self.assertLess(time.monotonic() - began, 1.5)
        finally:
            sidecar.stop()


class ShutdownTest(unittest.TestCase):
    """9. SIGTERM: in-flight requests finish, nothing new is accepted, exit 0."""

    def start(self, server):
        return start_own_sidecar(self, server)

    def in_flight(self, sidecar, marker, count, sleep):
        results = [None] * count

        def run(i):
            try:
                results[i] = request(sidecar.main_port, "GET", "/public/inflight?sleep=%s&%s=%d"
                                     % (sleep, marker, i), timeout=15)
            except (OSError, http.client.HTTPException) as e:
                results[i] = e

        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 5
        while len(UPSTREAM.requests_with(marker)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(len(UPSTREAM.requests_with(marker)), count,
                         "not every request reached the upstream")
        return threads, results

    def test_09_sigterm_during_20_requests(self):
        sidecar = self.start({"shutdown_timeout": "5s", "upstream_timeout": "5s"})
        idle = connection(sidecar.main_port)
        self.addCleanup(idle.close)
        self.assertEqual(send(idle, "GET", "/public/idle").status, 200)
        marker = new_marker()
        threads, results = self.in_flight(sidecar, marker, 20, 1)
        signalled = time.monotonic()
        sidecar.signal(signal.SIGTERM)
        time.sleep(0.2)
        late_marker = new_marker()
        late = try_new_request(sidecar.main_port, "/public/late?" + late_marker)
        idle_closed = ps.read_until_close(idle.sock, 5)[1]
        code = sidecar.wait(10)
        exited_after = time.monotonic() - signalled
        for thread in threads:
            thread.join(10)
        for i, result in enumerate(results):
            self.assertIsInstance(result, ps.Reply, "request %d: %r" % (i, result))
            self.assertEqual(result.status, 200, "request %d: %r" % (i, result))
            self.assertIn(marker, result.json()["target"])
        self.assertIn(late, ("refused", "closed"), "new connection after SIGTERM: " + late)
        self.assertEqual(UPSTREAM.requests_with(late_marker), [])
        self.assertTrue(idle_closed, "idle keep-alive connection not closed on SIGTERM")
        self.assertEqual(code, 0, "exit status after SIGTERM")
        self.assertLess(exited_after, 5.0, "exit took %.1fs, shutdown_timeout is 5s" % exited_after)

    def test_09_sigint_exits_0(self):
        sidecar = self.start({})
        self.assertEqual(request(sidecar.main_port, "GET", "/public/int").status, 200)
        sidecar.signal(signal.SIGINT)
        self.assertEqual(sidecar.wait(5), 0)

    def test_09_sigterm_cuts_after_shutdown_timeout(self):
        sidecar = self.start({"shutdown_timeout": "1s", "upstream_timeout": "10s"})
        threads, results = self.in_flight(sidecar, new_marker(), 1, 5)
        signalled = time.monotonic()
        sidecar.signal(signal.SIGTERM)
        code = sidecar.wait(6)
        exited_after = time.monotonic() - signalled
        threads[0].join(10)
        self.assertEqual(code, 0, "exit status after shutdown_timeout")
        self.assertLess(exited_after, 2.5, "exit took %.1fs, shutdown_timeout is 1s" % exited_after)
        self.assertFalse(isinstance(results[0], ps.Reply) and results[0].status == 200,
                         "a request outliving shutdown_timeout still completed: %r" % results[0])


class CommandLineTest(unittest.TestCase):
    """The exit statuses of `authgate serve` for a bad config and bad usage."""

    def test_bad_config_exit_1(self):
        with tempfile.TemporaryDirectory(prefix="authgate-e2e-") as directory:
            path = os.path.join(directory, "bad.yaml")
            config = ps.sidecar_config(PROVIDER, "http://127.0.0.1:%d" % UPSTREAM.port,
                                       {"bogus": "1s"})
            with open(path, "w") as f:
                json.dump(config, f)
            result = ps.run_serve(["--config", path])
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("error: %s: server.bogus: " % path, result.stderr)

    def test_usage_exit_2(self):
        result = ps.run_serve(["--no-such-option"])
        self.assertEqual(result.returncode, 2, result.stderr)


class OptionalSettingsTest(unittest.TestCase):
    """Settings that change what the sidecar writes or answers."""

    def start(self, server):
        return start_own_sidecar(self, server)

    def test_12_access_log_off(self):
        sidecar = self.start({"access_log": False})
        self.assertEqual(request(sidecar.main_port, "GET", "/public/quiet").status, 200)
        self.assertEqual(sidecar.stop(), 0)
        self.assertEqual(sidecar.stdout_lines, [])

    def test_13_auth_request_redirect_status_302(self):
        sidecar = self.start({"auth_request_redirect_status": 302, "trusted_proxies": ["127.0.0.1"],
                              "auth_request_path": "/authgate/auth",
                              "auth_request_proxy": "traefik"})
        reply = request(sidecar.main_port, "GET", "/authgate/auth",
                        traefik_auth("/app/page", "GET", "127.0.0.1:%d" % sidecar.main_port) + BROWSER)
        self.assertEqual(reply.status, 302, reply)
        redirect = reply.header("X-Authgate-Redirect") or ""
        self.assertTrue(redirect.startswith(PROVIDER.authorization_endpoint + "?"), reply)
        self.assertEqual(reply.header("Location"), redirect)
        self.assertTrue(any(name.startswith("authgate_flow.") for name in ps.cookies_from(reply)))


class AdminAndAccessLogTest(unittest.TestCase):
    """12. Admin endpoints, metrics and the access log, on a sidecar started
    before its provider answers discovery."""

    @classmethod
    def setUpClass(cls):
        cls.provider = ps.FakeProvider(discovery_available=False)
        cls.sidecar = ps.Sidecar(ps.sidecar_config(
            cls.provider, "http://127.0.0.1:%d" % UPSTREAM.port))
        cls.sidecar.start(wait_ready=False)
        cls.port = cls.sidecar.main_port

    @classmethod
    def tearDownClass(cls):
        cls.sidecar.stop()
        cls.provider.close()

    def admin(self, path):
        return request(self.sidecar.admin_port, "GET", path)

    def scrape(self):
        reply = self.admin("/metrics")
        self.assertEqual(reply.status, 200)
        self.assertTrue((reply.header("Content-Type") or "").startswith("text/plain"), reply)
        self.assertIn("version=0.0.4", reply.header("Content-Type"))
        return ps.parse_metrics(reply.body.decode())

    def wait_ready(self):
        self.assertTrue(self.sidecar.ready.wait(10), "never ready")

    def test_12a_readyz_503_then_200(self):
        self.assertEqual(self.admin("/readyz").status, 503)
        _, samples = self.scrape()
        self.assertEqual(ps.metric_value(samples, "authgate_ready"), 0)
        self.provider.discovery_available = True
        deadline = time.monotonic() + 8
        while self.admin("/readyz").status != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        reply = self.admin("/readyz")
        self.assertEqual((reply.status, reply.body.strip()), (200, b"ready"))
        self.assertTrue(self.sidecar.ready.wait(2), "no \"ready\" line on stderr")

    def test_12b_healthz(self):
        reply = self.admin("/healthz")
        self.assertEqual((reply.status, reply.body.strip()), (200, b"ok"))

    def test_12c_metrics_families(self):
        self.wait_ready()
        self.get("/public/metrics")
        types, samples = self.scrape()
        expected = {
            "authgate_requests_total": "counter", "authgate_request_duration_seconds": "histogram",
            "authgate_upstream_duration_seconds": "histogram",
            "authgate_upstream_errors_total": "counter", "authgate_logins_total": "counter",
            "authgate_refreshes_total": "counter", "authgate_jwks_fetches_total": "counter",
            "authgate_token_cache_hits_total": "counter",
            "authgate_token_cache_misses_total": "counter", "authgate_refusals_total": "counter",
            "authgate_connections_active": "gauge", "authgate_connections_total": "counter",
            "authgate_ready": "gauge"}
        for name, kind in expected.items():
            self.assertEqual(types.get(name), kind, "metric family %s" % name)
        self.assertEqual(ps.metric_value(samples, "authgate_ready"), 1)
        self.assertGreaterEqual(
            ps.metric_value(samples, "authgate_jwks_fetches_total", result="success"), 1)
        buckets = sorted((float(labels["le"]), value) for name, labels, value in samples
                         if name == "authgate_request_duration_seconds_bucket")
        self.assertTrue(buckets and buckets[-1][0] == float("inf"), buckets)
        self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets),
                         "histogram buckets are not cumulative")
        self.assertEqual(buckets[-1][1],
                         ps.metric_value(samples, "authgate_request_duration_seconds_count"))

    def get(self, target, headers=()):
        return request(self.port, "GET", target, headers)

    def requests_by(self, samples, rule, index, decision):
        # The contract labels a rule by its name, or its index when unnamed.
        return sum(ps.metric_value(samples, "authgate_requests_total", rule=label,
                                   decision=decision) for label in (rule, str(index)))

    def test_12d_metrics_count_requests_by_decision(self):
        self.wait_ready()
        made = [("public", 0, "allowed", 3, lambda: self.get("/public/count")),
                ("api", 1, "unauthorized", 2,
                 lambda: self.get("/api/count", bearer(tampered(ps.api_token())))),
                ("api", 1, "allowed", 1, lambda: self.get("/api/count", bearer(ps.api_token()))),
                ("api", 1, "forbidden", 1,
                 lambda: self.get("/api/count", bearer(ps.api_token(scope="none")))),
                ("site", 3, "login_redirect", 1, lambda: self.get("/app/count", BROWSER)),
                ("public", 0, "upstream_timeout", 1, lambda: self.get("/public/count?sleep=1.5"))]
        _, before = self.scrape()
        for _, _, _, times, make in made:
            for _ in range(times):
                make()
        _, after = self.scrape()
        for rule, index, decision, times, _ in made:
            self.assertEqual(self.requests_by(after, rule, index, decision)
                             - self.requests_by(before, rule, index, decision), times,
                             "requests_total{rule=%s,decision=%s}" % (rule, decision))
        for name, labels in (("authgate_logins_total", {"result": "started"}),
                             ("authgate_upstream_errors_total", {"kind": "timeout"})):
            self.assertEqual(ps.metric_value(after, name, **labels)
                             - ps.metric_value(before, name, **labels), 1, name)
        durations = [ps.metric_value(samples, "authgate_request_duration_seconds_count")
                     for samples in (before, after)]
        self.assertGreaterEqual(durations[1] - durations[0], 8)

    def wait_for_log(self, path, timeout=3.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entries = [e for e in self.sidecar.access_log() if e.get("path") == path]
            if entries:
                return entries
            time.sleep(0.05)
        return []

    def test_12e_access_log_written_as_requests_happen(self):
        self.wait_ready()
        path = "/public/live-" + new_marker()
        self.get(path)
        self.assertTrue(self.wait_for_log(path), "access log line not written within 3s")

    def test_12g_diagnostics_are_json_lines(self):
        self.wait_ready()
        self.assertTrue(self.sidecar.stderr_lines)
        for line in self.sidecar.stderr_lines:
            entry = json.loads(line)
            self.assertTrue({"time", "level", "msg"} <= set(entry), line)
            self.assertIn(entry["level"], ("debug", "info", "warn", "error"), line)
            self.assertRegex(entry["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

    def test_12f_access_log_fields_and_no_secrets(self):
        self.wait_ready()
        token = ps.api_token("alice")
        bad = tampered(ps.api_token("alice"))
        reply, state, nonce, flow = ps.begin_login(self.port, "/app/logged?next=q")
        done = ps.finish_login(self.port, self.provider, state, nonce, flow)
        session = {k: v for k, v in ps.cookies_from(done).items()
                   if k.startswith("authgate_session")}
        self.assertTrue(session, done)
        query_secret = "q" + secrets.token_hex(8)
        mark = new_marker()
        self.get("/public/log-%s?secretquery=%s" % (mark, query_secret))
        self.get("/api/log-%s?x=%s" % (mark, query_secret), bearer(token))
        self.get("/api/bad-%s" % mark, bearer(bad))
        self.get("/app/log-%s" % mark, BROWSER + [("Cookie", ps.cookie_header(session))])
        self.assertTrue(self.wait_for_log("/app/log-" + mark), "access log lines missing")

        fields = {"time", "client", "method", "path", "status", "decision", "reason", "rule",
                  "latency_ms", "upstream_ms", "bytes_sent"}
        entries = self.sidecar.access_log()
        for entry in entries:
            self.assertTrue(fields <= set(entry), "missing %s in %r" % (fields - set(entry), entry))
            self.assertNotIn("?", entry["path"], entry)
            self.assertIsInstance(entry["status"], int)
            self.assertIsInstance(entry["latency_ms"], (int, float))
            self.assertIsInstance(entry["bytes_sent"], int)

        def one(path):
            found = [e for e in entries if e["path"] == path]
            self.assertEqual(len(found), 1, path)
            return found[0]

        public = one("/public/log-" + mark)
        self.assertEqual((public["method"], public["status"], public["decision"], public["client"]),
                         ("GET", 200, "allowed", "127.0.0.1"))
        self.assertIsInstance(public["upstream_ms"], (int, float))
        self.assertGreater(public["bytes_sent"], 0)
        refused = one("/api/bad-" + mark)
        self.assertEqual((refused["status"], refused["decision"]), (401, "unauthorized"))
        self.assertIsNone(refused["upstream_ms"])
        self.assertNotIn(refused["reason"], ("", "none"))
        self.assertEqual((one("/app/log-" + mark)["status"], one("/api/log-" + mark)["status"]),
                         (200, 200))

        everything = "\n".join(self.sidecar.stdout_lines + self.sidecar.stderr_lines)
        secrets_sent = {"bearer token": token, "token signature": token.rsplit(".", 1)[1],
                        "bad token": bad, "query string": query_secret, "state": state,
                        "client secret": ps.CLIENT_SECRET, "session secret": ps.SESSION_SECRET}
        secrets_sent.update(("cookie " + name, value) for name, value in session.items())
        secrets_sent.update(("cookie " + name, value) for name, value in flow.items())
        for name, value in secrets_sent.items():
            self.assertNotIn(value, everything, "the %s appears in the sidecar's output" % name)


class CallbackRateLimitTest(unittest.TestCase):
    """Forged callbacks with a valid state spend no more of the client's
    quota at the provider than oidc.callback_rate_limit allows, per client:
    behind a trusted proxy, per address that proxy names."""

    def test_10_forged_callbacks_are_limited_per_client(self):
        config = ps.sidecar_config(PROVIDER, "http://127.0.0.1:%d" % UPSTREAM.port,
                                   {"trusted_proxies": ["127.0.0.1"]})
        config["oidc"]["callback_rate_limit"] = {"per_minute": 1, "burst": 2}
        sidecar = ps.Sidecar(config).start()
        self.addCleanup(sidecar.stop)
        port = sidecar.main_port

        def forged_callback(client):
            _, state, _, flow = ps.begin_login(port, "/app/x")
            return request(port, "GET", "/callback?" + urllib.parse.urlencode(
                {"code": "forged-" + secrets.token_hex(4), "state": state,
                 "iss": PROVIDER.issuer}),
                BROWSER + [("Cookie", ps.cookie_header(flow)), ("X-Forwarded-For", client)])

        before = PROVIDER.token_requests
        statuses = [forged_callback("203.0.113.1").status for _ in range(4)]
        self.assertEqual(statuses, [400, 400, 429, 429])
        self.assertEqual(PROVIDER.token_requests - before, 2, "token requests of client A")
        self.assertEqual(forged_callback("203.0.113.2").status, 400, "client B has its own")
        self.assertEqual(PROVIDER.token_requests - before, 3)


class ProviderTlsTest(unittest.TestCase):
    """Keys fetched over TLS: the provider's certificate and host name are
    always verified, and a redirect from https never goes to plain http."""

    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory(prefix="authgate-e2e-provider-tls-")
        cls.cert, key = ps.make_certificate(cls.directory.name, "provider")
        cls.other_cert, _ = ps.make_certificate(cls.directory.name, "other")
        cls.misnamed_cert, misnamed_key = ps.make_certificate(
            cls.directory.name, "misnamed", "DNS:other.e2e.test")
        cls.servers = []

        def tls(cert, key):
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            return context
        cls.good = cls.serve(tls_context=tls(cls.cert, key))
        cls.misnamed = cls.serve(tls_context=tls(cls.misnamed_cert, misnamed_key))
        plain = cls.serve()
        cls.downgrade = cls.serve(tls_context=tls(cls.cert, key),
                                  redirect_to="http://127.0.0.1:%d/jwks" % plain.port)

    @classmethod
    def serve(cls, **kwargs):
        server = ps.JwksServer(**kwargs)
        cls.servers.append(server)
        return server

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers:
            server.close()
        cls.directory.cleanup()

    def status_with_keys_from(self, server, ca_file):
        """The status of a valid token when the keys come from `server`."""
        config = ps.sidecar_config(PROVIDER, "http://127.0.0.1:%d" % UPSTREAM.port)
        config["jwt"]["providers"]["idp"].pop("jwks")
        config["jwt"]["providers"]["idp"]["jwks_uri"] = "https://127.0.0.1:%d/jwks" % server.port
        config["http"].update({"ca_file": ca_file, "follow_redirects": True})
        sidecar = ps.Sidecar(config).start(wait_ready=False)
        self.addCleanup(sidecar.stop)
        # Until the idp's first fetch has an outcome: the remote provider's
        # fetch and this one both succeeded, or this one failed.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            _, samples = ps.parse_metrics(
                request(sidecar.admin_port, "GET", "/metrics").body.decode())
            fetches = {result: ps.metric_value(samples, "authgate_jwks_fetches_total",
                                               result=result)
                       for result in ("success", "failure")}
            if fetches["failure"] > 0 or fetches["success"] >= 2:
                break
            time.sleep(0.05)
        self.sidecar = sidecar
        return request(sidecar.main_port, "GET", "/api/tls", bearer(ps.api_token()))

    def assertKeyFetchErrorLogged(self, *words):
        """The sidecar logged the idp's failing fetch, its error naming `words`."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for line in list(self.sidecar.stderr_lines):
                entry = json.loads(line)
                if entry.get("msg", "").startswith("key fetch failed") and \
                        entry.get("provider") == "idp":
                    for word in words:
                        self.assertIn(word, entry.get("error", "").lower(), entry)
                    return
            time.sleep(0.05)
        self.fail("no key fetch failure logged:\n" + "\n".join(self.sidecar.stderr_lines))

    def test_14_keys_from_a_trusted_provider(self):
        reply = self.status_with_keys_from(self.good, self.cert)
        self.assertEqual(reply.status, 200, reply)

    def test_14_untrusted_certificate_no_keys(self):
        reply = self.status_with_keys_from(self.good, self.other_cert)
        self.assertEqual(reply.status, 401, reply)
        self.assertIn("jwks_unavailable", reply.header("WWW-Authenticate") or "")
        self.assertKeyFetchErrorLogged("certificate")

    def test_14_certificate_for_another_name_no_keys(self):
        reply = self.status_with_keys_from(self.misnamed, self.misnamed_cert)
        self.assertEqual(reply.status, 401, reply)
        self.assertIn("jwks_unavailable", reply.header("WWW-Authenticate") or "")

    def test_14_redirect_to_plain_http_not_followed(self):
        reply = self.status_with_keys_from(self.downgrade, self.cert)
        self.assertEqual(reply.status, 401, reply)
        self.assertIn("jwks_unavailable", reply.header("WWW-Authenticate") or "")
        self.assertKeyFetchErrorLogged()


class TlsTest(unittest.TestCase):
    """14. TLS on the listener and to an https:// upstream."""

    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory(prefix="authgate-e2e-tls-")
        cls.cert, cls.key = ps.make_certificate(cls.directory.name, "server")
        cls.other_cert, _ = ps.make_certificate(cls.directory.name, "other")
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(cls.cert, cls.key)
        cls.upstream = ps.Upstream(tls_context=server_context)
        cls.client_context = ssl.create_default_context(cafile=cls.cert)
        cls.sidecars = []

    @classmethod
    def tearDownClass(cls):
        for sidecar in cls.sidecars:
            sidecar.stop()
        cls.upstream.close()
        cls.directory.cleanup()

    def start(self, ca_file):
        sidecar = ps.Sidecar(ps.sidecar_config(
            PROVIDER, "https://127.0.0.1:%d" % self.upstream.port, {
                "tls": {"cert_file": self.cert, "key_file": self.key},
                "upstream_tls": {"ca_file": ca_file, "server_name": "localhost"}}))
        self.sidecars.append(sidecar)
        return sidecar.start()

    def test_14_https_listener_and_upstream(self):
        sidecar = self.start(self.cert)
        marker = new_marker()
        reply = request(sidecar.main_port, "GET", "/public/tls?" + marker,
                        tls_context=self.client_context)
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(len(self.upstream.requests_with(marker)), 1)
        self.assertEqual(header_values(reply.json()["headers"], "X-Forwarded-Proto"), ["https"])

    def test_14_untrusted_upstream_certificate_502(self):
        sidecar = self.start(self.other_cert)
        marker = new_marker()
        reply = request(sidecar.main_port, "GET", "/public/tls?" + marker,
                        tls_context=self.client_context)
        self.assertEqual(reply.status, 502, reply)
        self.assertEqual(self.upstream.requests_with(marker), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
