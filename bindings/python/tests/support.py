"""Keys, tokens and servers the tests share (none of it is part of the package)."""

from __future__ import annotations

import base64
import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from http.cookies import SimpleCookie
from typing import Dict, List, Optional, Tuple
from urllib.parse import urljoin, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ISSUER = "https://issuer.test"
AUDIENCE = "api://tests"
HMAC_SECRET = b"0123456789abcdef0123456789abcdef-test-only"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Keys:
    """One key per algorithm family, with its public JWK."""

    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.ed = ed25519.Ed25519PrivateKey.generate()

    def signing_key(self, alg: str):
        return {"RS256": self.rsa, "ES256": self.ec, "EdDSA": self.ed, "HS256": HMAC_SECRET}[alg]

    def jwk(self, alg: str) -> dict:
        """The public JWK for `alg` (kid = alg)."""
        if alg == "HS256":
            return {"kty": "oct", "kid": alg, "k": b64url(HMAC_SECRET)}
        algorithm = {"RS256": jwt.algorithms.RSAAlgorithm, "ES256": jwt.algorithms.ECAlgorithm,
                     "EdDSA": jwt.algorithms.OKPAlgorithm}[alg]
        public = self.signing_key(alg).public_key()
        return dict(json.loads(algorithm.to_jwk(public)), kid=alg)

    def jwks(self, *algs: str) -> dict:
        return {"keys": [self.jwk(alg) for alg in algs]}

    def mint(self, alg: str = "ES256", kid: Optional[str] = None, **claims) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 600}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.signing_key(alg), algorithm=alg,
                          headers={"kid": kid or alg})


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """For Popen's preexec_fn: whatever ends the test run (a failure, a
    timeout's SIGKILL), the kernel then ends the child: no provider or app is
    left listening. The signal follows the thread that started the child:
    the main one, where pytest runs fixtures."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StalledServer:
    """Accepts connections on loopback and never answers: a key server that
    hangs. `accepted` is set once the first connection has arrived."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self.accepted = threading.Event()
        self._held: List[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(connection)
            self.accepted.set()

    def close(self) -> None:
        # shutdown() first: close() alone leaves the port listening while
        # the accepting thread is still inside accept().
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        for connection in self._held:
            connection.close()


class Provider:
    """The e2e tests' OpenID Provider (scripts/lib/provider.mjs, npm
    oidc-provider), on an ephemeral port, for an app at `app_origin`."""

    def __init__(self, app_origin: str, client_secret: str) -> None:
        self.port = free_port()
        self.issuer = "http://localhost:%d" % self.port
        self.app_origin = app_origin
        if not os.path.isdir(os.path.join(ROOT, "node_modules", "oidc-provider")):
            raise RuntimeError("node_modules/oidc-provider is missing: run `npm ci` in %s "
                               "(run_tests.sh does)" % ROOT)
        self._process = subprocess.Popen(
            ["node", os.path.join(ROOT, "scripts", "lib", "provider.mjs"),
             "--port", str(self.port), "--redirect-uri", app_origin + "/callback",
             "--post-logout-redirect-uri", app_origin + "/public/",
             "--audience", app_origin + "/", "--client-secret", client_secret],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            preexec_fn=die_with_parent)
        line = self._process.stdout.readline()
        if '"listening"' not in line:
            self.close()
            raise RuntimeError("the provider did not start: %r" % line)

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def client_credentials(self, client_id: str = "api-client",
                           secret: str = "api-client-secret") -> str:
        """An ES256 JWT access token (typ at+jwt) for the app's audience."""
        import httpx
        with httpx.Client() as http:
            token_endpoint = http.get(self.issuer + "/.well-known/openid-configuration"
                                      ).json()["token_endpoint"]
            reply = http.post(token_endpoint, auth=(client_id, secret),
                              data={"grant_type": "client_credentials", "scope": "api:read"})
        reply.raise_for_status()
        return reply.json()["access_token"]

    def sign_in(self, authorization_url: str, login: str) -> str:
        """What a browser does at the provider without anyone watching: the
        devInteractions login form, then consent. Returns the callback URL
        the provider redirects to."""
        import httpx
        with httpx.Client() as browser:
            url = authorization_url
            for _ in range(12):
                reply = browser.get(url)
                if reply.status_code in (302, 303):
                    url = urljoin(url, reply.headers["location"])
                    if url.startswith(self.app_origin):
                        return url
                    continue
                reply.raise_for_status()
                if 'name="login"' in reply.text:
                    form = {"prompt": "login", "login": login, "password": "any"}
                else:
                    form = {"prompt": "consent"}
                action = re.search(r'<form[^>]*action="([^"]+)"', reply.text)
                target = urljoin(url, action.group(1)) if action else url
                reply = browser.post(target, data=form)
                if reply.status_code not in (302, 303):
                    raise AssertionError("the provider refused the form: %d %s"
                                         % (reply.status_code, reply.text[:200]))
                url = urljoin(target, reply.headers["location"])
                if url.startswith(self.app_origin):
                    return url
        raise AssertionError("no redirect back to the app from the provider")


class CookieJar:
    """The browser's cookies for the app, by name (the app is one origin)."""

    def __init__(self) -> None:
        self.cookies: Dict[str, str] = {}

    def update(self, set_cookie_headers: List[str]) -> None:
        for header in set_cookie_headers:
            parsed = SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                expired = morsel["max-age"] == "0" or (
                    morsel["expires"] and "1970" in morsel["expires"])
                if expired or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def header(self) -> List[Tuple[str, str]]:
        if not self.cookies:
            return []
        return [("Cookie", "; ".join("%s=%s" % item for item in self.cookies.items()))]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
