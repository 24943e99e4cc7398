"""Peers and helpers for the sidecar's plain-HTTP end-to-end tests (proxy_test.py).

Everything here is Python standard library: a fake OpenID Provider, an echoing
upstream, HS256 token minting, a launcher for `authgate serve` that reads its
JSON diagnostics and access log, and small HTTP helpers. Servers bind 127.0.0.1
on ephemeral ports so tests never collide with a running demo or each other.
"""

import base64
import contextlib
import ctypes
import hashlib
import hmac
import http.client
import http.server
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AUTHGATE_BIN = os.environ.get("AUTHGATE_BIN", os.path.join(ROOT, "build", "proxy", "authgate"))

CLIENT_ID = "authgate-e2e"
# The client secret doubles as the HS256 key of the ID tokens the fake
# provider signs (oidc.id_token_algorithms: [HS256]), so it must be >= 32 bytes.
CLIENT_SECRET = "client-secret-" + secrets.token_hex(16)
SESSION_SECRET = "session-secret-" + secrets.token_hex(16)
API_ISSUER = "https://api-issuer.e2e.test"
API_AUDIENCE = "https://app.e2e.test/"
API_KEY = secrets.token_bytes(32)
API_KID = "e2e-hs256"
REMOTE_KEY = secrets.token_bytes(32)
REMOTE_KID = "remote-1"

# A repeating 1 MiB block: uploads and downloads are made of it so the other
# side can check content with a CRC without keeping anything.
BLOCK = bytes(range(256)) * 4096


def pattern_crc32(total):
    """CRC-32 of the first `total` bytes of the endless BLOCK pattern."""
    crc, left = 0, total
    while left:
        piece = BLOCK[:min(left, len(BLOCK))]
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    return crc


def free_port():
    """A port that was free a moment ago (for configs that must name it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- JWTs -----------------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_hs256(claims, key, kid=None):
    header = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode()))
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def api_token(sub="alice", scope="api:read"):
    """A Bearer token the `idp` provider (inline oct key) accepts."""
    now = int(time.time())
    return mint_hs256({"iss": API_ISSUER, "aud": API_AUDIENCE, "sub": sub, "scope": scope,
                       "iat": now, "exp": now + 600}, API_KEY, API_KID)


def oct_jwk(key, kid):
    return {"kty": "oct", "kid": kid, "alg": "HS256", "use": "sig", "k": b64url(key)}


# --- Servers ----------------------------------------------------------------

class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Loopback tests open many connections at once (slowloris, SIGTERM).
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # Peers cut connections on purpose in these tests; no tracebacks.
        pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, document, extra_headers=()):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class FakeProvider:
    """An OpenID Provider good enough for the engine: discovery, a JWKS with
    the `remote` provider's oct key, and a token endpoint that answers the
    codes a test registered with an HS256 ID token. Any path can be held
    (the request waits) to show that a stalled provider stalls nobody else."""

    def __init__(self, discovery_available=True):
        self.discovery_available = discovery_available
        self.codes = {}          # code -> {"nonce": ..., "sub": ...}
        self.token_requests = 0
        self._held = {}          # path -> (arrived Event, release Event)
        self._lock = threading.Lock()
        provider = self

        class Handler(_Handler):
            def do_GET(self):
                provider._serve(self)

            def do_POST(self):
                provider._serve(self)

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.issuer = "http://localhost:%d" % self.port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def authorization_endpoint(self):
        return self.issuer + "/authorize"

    def close(self):
        with self._lock:
            for _, release in self._held.values():
                release.set()
        self._server.shutdown()
        self._server.server_close()

    @contextlib.contextmanager
    def holding(self, path):
        """Requests to `path` wait until the block ends; yields an Event set
        when the first one arrives."""
        arrived, release = threading.Event(), threading.Event()
        with self._lock:
            self._held[path] = (arrived, release)
        try:
            yield arrived
        finally:
            with self._lock:
                del self._held[path]
            release.set()

    def _serve(self, handler):
        path = urllib.parse.urlsplit(handler.path).path
        length = int(handler.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(handler.rfile.read(length).decode()) if length else {}
        with self._lock:
            held = self._held.get(path)
        if held is not None:
            arrived, release = held
            arrived.set()
            release.wait(30)
        if path == "/.well-known/openid-configuration":
            if not self.discovery_available:
                handler.send_json(503, {"error": "starting"})
                return
            handler.send_json(200, {
                "issuer": self.issuer,
                "authorization_endpoint": self.authorization_endpoint,
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["HS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            })
        elif path == "/jwks":
            handler.send_json(200, {"keys": [oct_jwk(REMOTE_KEY, REMOTE_KID)]})
        elif path == "/token":
            self._token(handler, form)
        else:
            handler.send_json(404, {"error": "not_found"})

    def _token(self, handler, form):
        with self._lock:
            self.token_requests += 1
            grant = self.codes.pop(form.get("code", [""])[0], None)
        if grant is None or form.get("grant_type") != ["authorization_code"]:
            handler.send_json(400, {"error": "invalid_grant"})
            return
        now = int(time.time())
        id_token = mint_hs256({"iss": self.issuer, "aud": CLIENT_ID, "sub": grant["sub"],
                               "iat": now, "exp": now + 3600, "nonce": grant["nonce"]},
                              CLIENT_SECRET.encode())
        handler.send_json(200, {"access_token": "opaque-access-" + secrets.token_hex(8),
                                "token_type": "Bearer", "expires_in": 3600,
                                "id_token": id_token})

    def grant(self, code, nonce, sub):
        with self._lock:
            self.codes[code] = {"nonce": nonce, "sub": sub}


class Upstream:
    """The protected app: a threaded HTTP/1.1 keep-alive server. Every request
    is recorded (method, target, headers, body size and CRC, connection serial)
    and echoed back as JSON unless the query asks otherwise:
      sleep=S           wait S seconds before answering
      download=N        answer N bytes of the BLOCK pattern (chunked=1: chunked)
      hop=1             answer with hop-by-hop headers the proxy must drop
      cut=length|chunked  start a long body, then close the connection
      stall=S           send half the body, wait S seconds, send the rest
      misframe=KIND     answer wrongly framed, as a buggy or hostile app would
                        (see _send_misframed); the connection stays open
    Bodies are read to the end and counted, never kept. A connection that ends
    in the middle of a request is noted in `cut_connections`."""

    def __init__(self, tls_context=None):
        self.requests = []
        self.cut_connections = []
        self.connections_accepted = 0
        self._lock = threading.Lock()
        upstream = self

        class Handler(_Handler):
            def setup(self):
                with upstream._lock:
                    upstream.connections_accepted += 1
                    self.connection_serial = upstream.connections_accepted
                if tls_context is not None:
                    self.request = tls_context.wrap_socket(self.request, server_side=True)
                super().setup()

            def finish(self):
                super().finish()
                # The server closes the plain socket it accepted, not its TLS wrapper.
                if tls_context is not None:
                    self.request.close()

            def handle_one_request(self):
                try:
                    if getattr(self, "switched", False):
                        _answer_switched(self)
                    else:
                        super().handle_one_request()
                except (ConnectionError, ssl.SSLError, socket.timeout, ValueError):
                    # ValueError: a chunk size line cut short.
                    with upstream._lock:
                        upstream.cut_connections.append(self.connection_serial)
                    self.close_connection = True

            def do_GET(self):
                upstream._serve(self)

            do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def requests_with(self, marker):
        """Recorded requests whose target contains `marker`."""
        with self._lock:
            return [r for r in self.requests if marker in r["target"]]

    def _serve(self, handler):
        body_bytes, body_crc, framing = _consume_body(handler)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(handler.path).query)
        record = {"method": handler.command, "target": handler.path,
                  "headers": [[k, v] for k, v in handler.headers.items()],
                  "body_bytes": body_bytes, "body_crc32": body_crc, "framing": framing,
                  "connection": handler.connection_serial}
        with self._lock:
            self.requests.append(record)
        if "sleep" in query:
            time.sleep(float(query["sleep"][0]))
        if "download" in query:
            _send_pattern(handler, int(query["download"][0]), "chunked" in query)
        elif "cut" in query:
            _send_cut(handler, query["cut"][0])
        elif "stall" in query:
            _send_stalled(handler, float(query["stall"][0]))
        elif "misframe" in query:
            _send_misframed(handler, query["misframe"][0])
        elif "hop" in query:
            handler.send_json(200, record, extra_headers=[
                ("Connection", "X-Resp-Secret"), ("X-Resp-Secret", "1"),
                ("Keep-Alive", "timeout=5, max=100"), ("Proxy-Connection", "keep-alive"),
                ("Proxy-Authenticate", 'Basic realm="up"'), ("Upgrade", "e2e/1"),
                ("Trailer", "X-Checksum"), ("X-Resp-Keep", "1")])
        else:
            handler.send_json(200, record)


def _consume_exactly(handler, left, count, crc):
    """Reads `left` body bytes without keeping them; returns the new
    (byte count, CRC-32)."""
    while left:
        data = handler.rfile.read(min(left, 1 << 20))
        if not data:
            raise ConnectionError("body cut")
        crc = zlib.crc32(data, crc)
        count += len(data)
        left -= len(data)
    return count, crc


def _consume_body(handler):
    """Reads the request body (chunked or Content-Length); returns
    (byte count, CRC-32, framing)."""
    crc = count = 0
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        while True:
            size = int(handler.rfile.readline(1024).split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return count, crc, "chunked"
            count, crc = _consume_exactly(handler, size, count, crc)
            handler.rfile.readline(16)
    length = handler.headers.get("Content-Length")
    if length is None:
        return 0, 0, "none"
    count, crc = _consume_exactly(handler, int(length), count, crc)
    return count, crc, "length"


def _send_pattern(handler, total, chunked):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    if chunked:
        handler.send_header("Transfer-Encoding", "chunked")
    else:
        handler.send_header("Content-Length", str(total))
    handler.end_headers()
    left = total
    while left:
        piece = BLOCK[:min(left, len(BLOCK))]
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        left -= len(piece)
    if chunked:
        handler.wfile.write(b"0\r\n\r\n")


def _send_cut(handler, framing):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    if framing == "chunked":
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(BLOCK), BLOCK))
    else:
        handler.send_header("Content-Length", str(4 * len(BLOCK)))
        handler.end_headers()
        handler.wfile.write(BLOCK)
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


# What a misframing app appends to an answer: a whole response of its own,
# which a proxy that pools the connection hands to the next client.
STOLEN = b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\nX-Stolen: 1\r\n\r\nanother's answer"


def _send_misframed(handler, kind):
    """Answers with framing a proxy must not trust for the next response:
      extra   Content-Length 5 and more bytes in the same write
      late    Content-Length 5, then more bytes 150 ms later
      head    a HEAD answered with a body
      204     204 No Content with a body
      304     304 Not Modified with a body
      101     101 Switching Protocols to a request that did not ask; the
              connection then answers every request as switched"""
    body = b"hello"
    if kind in ("extra", "late"):
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + body
                            + (STOLEN if kind == "extra" else b""))
        if kind == "late":
            handler.wfile.flush()
            time.sleep(0.15)
            handler.wfile.write(STOLEN)
    elif kind == "head":
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                            % (len(STOLEN), STOLEN))
    elif kind in ("204", "304"):
        status = b"204 No Content" if kind == "204" else b"304 Not Modified"
        handler.wfile.write(b"HTTP/1.1 " + status + b"\r\n\r\n" + STOLEN)
    elif kind == "101":
        handler.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: e2e\r\n"
                            b"Connection: Upgrade\r\n\r\n")
        handler.switched = True
    handler.wfile.flush()


def _answer_switched(handler):
    """A switched connection answers whatever arrives with STOLEN."""
    data = handler.connection.recv(65536)
    if not data:
        handler.close_connection = True
        return
    handler.wfile.write(STOLEN)
    handler.wfile.flush()


def _send_stalled(handler, seconds):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    handler.send_header("Content-Length", str(2 * len(BLOCK)))
    handler.end_headers()
    handler.wfile.write(BLOCK)
    time.sleep(seconds)
    handler.wfile.write(BLOCK)


# --- The sidecar ---------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Whatever ends the test runner (a failure, Ctrl-C, a ctest timeout's
    # SIGKILL), the kernel then ends its sidecars: none is left listening.
    # The signal follows the thread that started the sidecar: the main one.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def engine_config(provider, listen_port):
    """The engine part of every test config: a login site, an API on an
    inline HS256 key, an API on keys fetched from the fake provider."""
    return {
        "session": {"secret": "${AUTHGATE_E2E_SESSION_SECRET}"},
        "oidc": {
            "issuer": provider.issuer,
            "client_id": CLIENT_ID,
            "client_secret": "${AUTHGATE_E2E_CLIENT_SECRET}",
            "redirect_uri": "http://127.0.0.1:%d/callback" % listen_port,
            "scopes": ["openid", "profile"],
            "signout_path": "/signout",
            "id_token_algorithms": ["HS256"],
            "claim_to_headers": [{"claim": "sub", "header": "x-authgate-sub"}],
            # Every test logs in from 127.0.0.1, far more often than a person
            # would (the default allows 10 callbacks a minute per address).
            "callback_rate_limit": {"per_minute": 600, "burst": 100},
        },
        "jwt": {
            # Unknown-kid refetches are one per refetch_interval; keep it
            # short so that each test's unknown kid is refetched.
            "jwks_cache": {"refetch_interval": "1s"},
            "providers": {
                "idp": {"issuer": API_ISSUER, "audiences": [API_AUDIENCE],
                        "jwks": {"keys": [oct_jwk(API_KEY, API_KID)]},
                        "claim_to_headers": [{"claim": "sub", "header": "x-authgate-sub"}]},
                "remote": {"issuer": provider.issuer, "jwks_uri": provider.issuer + "/jwks",
                           "claim_to_headers": [{"claim": "sub", "header": "x-authgate-sub"}]},
            },
        },
        "http": {"timeout": "5s", "connect_timeout": "1s"},
        "rules": [
            {"name": "public", "match": {"prefix": "/public"}, "requires": "none"},
            {"name": "api", "match": {"prefix": "/api"}, "requires": {"jwt": ["idp"]},
             "claims": {"scope": {"contains": "api:read"}}},
            {"name": "remote", "match": {"prefix": "/remote"}, "requires": {"jwt": ["remote"]}},
            {"name": "site", "match": {"prefix": "/"}, "requires": "login"},
        ],
    }


def sidecar_config(provider, upstream_url, server=None):
    """A whole `authgate serve` config with the tests' short timeouts; `server`
    entries override the defaults below. The main port is chosen here since
    the redirect URI names it; the admin port is 0 (the sidecar logs it)."""
    listen_port = free_port()
    config = engine_config(provider, listen_port)
    config["listen"] = "127.0.0.1:%d" % listen_port
    config["upstream"] = upstream_url
    config["admin"] = "127.0.0.1:0"
    config["server"] = {"header_timeout": "1s", "idle_timeout": "2s", "read_timeout": "5s",
                        "upstream_connect_timeout": "1s", "upstream_timeout": "1s",
                        "shutdown_timeout": "5s"}
    config["server"].update(server or {})
    return config


def run_serve(arguments, timeout=10):
    """`authgate serve ARGUMENTS` expected to exit by itself (a refused config,
    bad usage); a sidecar that serves instead is killed after `timeout`."""
    try:
        return subprocess.run([AUTHGATE_BIN, "serve"] + arguments, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(arguments, None, "", "still serving after %ds" % timeout)


class Sidecar:
    """`authgate serve` on a generated config. Stderr (JSON diagnostics) and
    stdout (the access log) are collected line by line as they arrive."""

    def __init__(self, config):
        self.config = config
        self.stdout_lines = []
        self.stderr_lines = []
        self.listeners = {}
        self.ready = threading.Event()
        self.process = None
        self._listening = threading.Condition()
        self._dir = tempfile.mkdtemp(prefix="authgate-e2e-")

    @property
    def main_port(self):
        return self.listeners["main"][1]

    @property
    def admin_port(self):
        return self.listeners["admin"][1]

    @property
    def pid(self):
        return self.process.pid

    def start(self, wait_ready=True, timeout=15.0):
        config_path = os.path.join(self._dir, "authgate.yaml")
        # JSON is YAML (1.2 flow style) and quotes every string, so types are exact.
        with open(config_path, "w") as f:
            json.dump(self.config, f, indent=2)
        env = dict(os.environ, AUTHGATE_E2E_CLIENT_SECRET=CLIENT_SECRET,
                   AUTHGATE_E2E_SESSION_SECRET=SESSION_SECRET)
        self.process = subprocess.Popen([AUTHGATE_BIN, "serve", "--config", config_path],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                        preexec_fn=_die_with_parent)
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout_lines),
                             daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr_lines),
                             daemon=True)]
        for reader in self._readers:
            reader.start()
        wanted = {"main", "admin"} if "admin" in self.config else {"main"}
        deadline = time.monotonic() + timeout
        with self._listening:
            while not wanted <= set(self.listeners):
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    self.kill()
                    raise RuntimeError("sidecar did not start listening (exit %s); stderr:\n%s"
                                       % (self.process.returncode, self.stderr_text()))
                self._listening.wait(min(left, 0.1))
        if wait_ready and not self.ready.wait(max(0.0, deadline - time.monotonic())):
            self.kill()
            raise RuntimeError("sidecar never logged ready; stderr:\n" + self.stderr_text())
        return self

    def _read(self, stream, lines):
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            lines.append(line)
            if stream is self.process.stderr:
                self._note_diagnostic(line)

    def _note_diagnostic(self, line):
        try:
            entry = json.loads(line)
        except ValueError:
            return
        if not isinstance(entry, dict):
            return
        if entry.get("msg") == "listening":
            host, _, port = entry.get("address", "").rpartition(":")
            with self._listening:
                self.listeners[entry.get("listener")] = (host.strip("[]"), int(port))
                self._listening.notify_all()
        elif entry.get("msg") == "ready":
            self.ready.set()

    def stderr_text(self):
        return "\n".join(self.stderr_lines)

    def access_log(self):
        """The stdout lines parsed as JSON (a line that is not JSON raises)."""
        return [json.loads(line) for line in self.stdout_lines if line.strip()]

    def vm_hwm_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmHWM")

    def signal(self, signum=signal.SIGTERM):
        self.process.send_signal(signum)

    def wait(self, timeout):
        """Exit status, or None when still running after `timeout` seconds."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        for reader in self._readers:
            reader.join(5)
        self.process.stdout.close()
        self.process.stderr.close()
        return code

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL if it does not exit in time; returns the status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
        code = self.wait(timeout)
        if code is None:
            self.kill()
        self._cleanup()
        return code

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self._cleanup()

    def _cleanup(self):
        shutil.rmtree(self._dir, ignore_errors=True)


# --- HTTP helpers --------------------------------------------------------

class Reply:
    def __init__(self, status, headers, body, local_port=None):
        self.status = status
        self.headers = headers  # list of (name, value), duplicates kept
        self.body = body
        self.local_port = local_port

    def header(self, name):
        values = self.header_all(name)
        return values[0] if values else None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "Reply(%d, %r, %r)" % (self.status, self.headers, self.body[:300])


def connection(port, tls_context=None, timeout=10.0):
    if tls_context is not None:
        return http.client.HTTPSConnection("127.0.0.1", port, context=tls_context, timeout=timeout)
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)


def send(conn, method, target, headers=(), body=None):
    """One request on `conn` (kept open); `headers` is a list of pairs, so
    duplicates and a custom Host can be sent."""
    names = {name.lower() for name, _ in headers}
    conn.putrequest(method, target, skip_host="host" in names, skip_accept_encoding=True)
    for name, value in headers:
        conn.putheader(name, value)
    if body is not None and "content-length" not in names:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    local_port = conn.sock.getsockname()[1]
    response = conn.getresponse()
    return Reply(response.status, response.getheaders(), response.read(), local_port)


def request(port, method, target, headers=(), body=None, tls_context=None, timeout=10.0):
    """One request on a fresh connection."""
    conn = connection(port, tls_context, timeout)
    try:
        return send(conn, method, target, headers, body)
    finally:
        conn.close()


def raw_exchange(port, data, timeout=5.0):
    """Sends raw bytes and reads until the server closes or `timeout` passes
    without data. Returns (bytes received, whether the server closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_until_close(sock, timeout)


def read_until_close(sock, timeout):
    """Reads until the peer closes (True) or `timeout` passes without data."""
    received = b""
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return received, True
            received += data
    except socket.timeout:
        return received, False
    except ConnectionResetError:
        return received, True


class _BytesSocket:
    def __init__(self, data):
        self._file = io.BytesIO(data)

    def makefile(self, *args, **kwargs):
        return self._file


def parse_response(raw):
    """Parses the first HTTP response in `raw` (bytes read off a socket)."""
    response = http.client.HTTPResponse(_BytesSocket(raw))
    response.begin()
    return Reply(response.status, response.getheaders(), response.read())


def cookies_from(reply):
    """name -> value of the Set-Cookie headers that set a value."""
    jar = {}
    for header in reply.header_all("Set-Cookie"):
        pair = header.split(";", 1)[0]
        name, _, value = pair.partition("=")
        if value:
            jar[name.strip()] = value.strip()
    return jar


def cookie_header(jar):
    return "; ".join("%s=%s" % item for item in jar.items())


BROWSER = [("Accept", "text/html,application/xhtml+xml")]


def begin_login(port, target):
    """GET `target` as a browser without a session: the 302 reply, the state
    and nonce sent to the provider, and the login cookies set."""
    # An explicit Host: http.client would take it from an absolute-form target.
    reply = request(port, "GET", target, BROWSER + [("Host", "127.0.0.1:%d" % port)])
    if reply.status != 302:
        return reply, None, None, {}
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(reply.header("Location")).query)
    return reply, query.get("state", [None])[0], query.get("nonce", [None])[0], cookies_from(reply)


def finish_login(port, provider, state, nonce, flow_cookies, sub="alice"):
    """The browser's return from the provider: registers a code for `sub` and
    calls the callback with it. Returns the callback's reply."""
    code = "code-" + secrets.token_hex(8)
    provider.grant(code, nonce, sub)
    target = "/callback?" + urllib.parse.urlencode(
        {"code": code, "state": state, "iss": provider.issuer})
    return request(port, "GET", target, BROWSER + [("Cookie", cookie_header(flow_cookies))])


def login(port, provider, target="/app/", sub="alice"):
    """A whole login; returns the session cookies (name -> value)."""
    reply, state, nonce, flow = begin_login(port, target)
    if state is None:
        raise AssertionError("no login redirect for %s: %r" % (target, reply))
    done = finish_login(port, provider, state, nonce, flow, sub)
    if done.status != 302:
        raise AssertionError("callback failed: %r" % done)
    return {k: v for k, v in cookies_from(done).items() if k.startswith("authgate_session")}


# --- Prometheus text format 0.0.4 ----------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"\s*(?:,|$)')
_TYPE = re.compile(r'^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$')


def parse_metrics(text):
    """Returns ({name: type}, [(name, {label: value}, float)]); raises
    ValueError on any line that is not valid text format."""
    types, samples = {}, []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith("# TYPE"):
                match = _TYPE.match(line)
                if not match:
                    raise ValueError("bad TYPE line: %r" % line)
                types[match.group(1)] = match.group(2)
            elif not line.startswith("# HELP ") and not line.startswith("# "):
                raise ValueError("bad comment line: %r" % line)
            continue
        match = _SAMPLE.match(line)
        if not match:
            raise ValueError("bad sample line: %r" % line)
        labels, rest = {}, match.group(2) or ""
        while rest.strip():
            label = _LABEL.match(rest)
            if not label:
                raise ValueError("bad labels: %r" % line)
            labels[label.group(1)] = label.group(2)
            rest = rest[label.end():]
        samples.append((match.group(1), labels, float(match.group(3))))
    return types, samples


def metric_value(samples, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    return sum(value for sample_name, sample_labels, value in samples
               if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items()))


# --- TLS -------------------------------------------------------------------

def make_certificate(directory, name, names="DNS:localhost,IP:127.0.0.1"):
    """A self-signed EC certificate for `names` (a subjectAltName list; by
    default localhost and 127.0.0.1), made with the openssl CLI. Returns
    (cert path, key path)."""
    cert, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=" + name, "-addext", "subjectAltName=" + names,
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


class JwksServer:
    """Serves the `idp` provider's JWKS at /jwks, over TLS when given a
    context; with `redirect_to`, answers every request with a 302 there."""

    def __init__(self, tls_context=None, redirect_to=None):
        class Handler(_Handler):
            def do_GET(self):
                if redirect_to is not None:
                    self.send_json(302, {}, [("Location", redirect_to)])
                else:
                    self.send_json(200, {"keys": [oct_jwk(API_KEY, API_KID)]})

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        if tls_context is not None:
            self._server.socket = tls_context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()

