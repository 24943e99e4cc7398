"""The stand-ins of tests/e2e/front_proxy_test.sh: the app, the OpenID
Provider, token minting, and small readers of the test's files.

  front_proxy_helpers.py app PORT_FILE | provider PORT_FILE | free-port | new-key
  front_proxy_helpers.py mint KEY_B64URL CLAIMS_JSON
  front_proxy_helpers.py listen-address STDERR_LOG LISTENER
  front_proxy_helpers.py app-target BODY_FILE | app-header BODY_FILE NAME
"""
import base64, hashlib, hmac, json, os, secrets, socket, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(key, claims):
    signing_input = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + \
        b64url(json.dumps(claims).encode())
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def serve(handler, port_file):
    """Listens on an ephemeral port and publishes it (atomically) in port_file."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


class Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json", headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class App(Quiet):
    """Answers every request with what it received; X-App marks its answers."""

    def do_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        headers = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        self.reply(200, json.dumps({"method": self.command, "target": self.path, "headers": headers}),
                   headers=[("X-App", "hello")])

    do_GET = do_POST = do_PUT = do_DELETE = do_any


class Provider(Quiet):
    """Just enough of an OpenID Provider: discovery, keys, an authorization
    endpoint that logs the user in at once, a token endpoint issuing an ID token
    signed HS256 with the client secret (oidc.id_token_algorithms: [HS256])."""
    codes = {}
    lock = threading.Lock()

    def issuer(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        iss = self.issuer()
        if url.path == "/.well-known/openid-configuration":
            self.reply(200, json.dumps({
                "issuer": iss, "authorization_endpoint": iss + "/authorize",
                "token_endpoint": iss + "/token", "jwks_uri": iss + "/jwks",
                "end_session_endpoint": iss + "/end_session",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["HS256"],
                "code_challenge_methods_supported": ["S256"]}))
        elif url.path == "/jwks":
            with open(os.environ["OP_JWKS_FILE"]) as f:
                self.reply(200, f.read())
        elif url.path == "/authorize":
            code = secrets.token_urlsafe(16)
            with self.lock:
                self.codes[code] = query
            location = query["redirect_uri"] + "?" + urllib.parse.urlencode(
                {"code": code, "state": query["state"], "iss": iss})
            self.reply(302, "", "text/plain", [("Location", location)])
        elif url.path == "/end_session":
            self.reply(200, "signed out at the provider", "text/plain")
        else:
            self.reply(404, "{}")

    def do_POST(self):
        form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        with self.lock:
            login = self.codes.pop(form.get("code"), None)
        verifier = form.get("code_verifier", "").encode()
        if self.path != "/token" or login is None or \
                b64url(hashlib.sha256(verifier).digest()) != login["code_challenge"]:
            self.reply(400, json.dumps({"error": "invalid_grant"}))
            return
        now = int(time.time())
        id_token = hs256(os.environ["OP_CLIENT_SECRET"].encode(), {
            "iss": self.issuer(), "sub": "bob", "aud": login["client_id"], "iat": now,
            "exp": now + 600, "nonce": login["nonce"], "email": "bob@example.com"})
        self.reply(200, json.dumps({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                                    "expires_in": 600, "id_token": id_token}),
                   headers=[("Cache-Control", "no-store")])


def main():
    command = sys.argv[1]
    if command == "free-port":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            print(s.getsockname()[1])
    elif command == "app":
        serve(App, sys.argv[2])
    elif command == "provider":
        serve(Provider, sys.argv[2])
    elif command == "new-key":  # a random 32-byte HS256 key, base64url
        print(b64url(os.urandom(32)))
    elif command == "mint":  # mint KEY_B64URL CLAIMS_JSON: an HS256 token expiring in 10 min
        key = base64.urlsafe_b64decode(sys.argv[2] + "=" * (-len(sys.argv[2]) % 4))
        now = int(time.time())
        print(hs256(key, dict(json.loads(sys.argv[3]), iat=now, exp=now + 600)))
    elif command == "listen-address":  # listen-address STDERR_LOG LISTENER
        for line in open(sys.argv[2]):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "listening" and entry.get("listener") == sys.argv[3]:
                print(entry["address"])
                return
        sys.exit(1)
    elif command == "app-target":  # app-target BODY_FILE: the target the app got
        with open(sys.argv[2]) as f:
            print(json.load(f)["target"])
    elif command == "app-header":  # app-header BODY_FILE NAME: the values the app got, one a line
        with open(sys.argv[2]) as f:
            for value in json.load(f)["headers"].get(sys.argv[3].lower(), []):
                print(value)


main()
