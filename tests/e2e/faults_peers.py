"""The stand-ins of tests/e2e/faults_test.py, each run as its own process so
that a scenario can stop it for real (every connection it had dies with it)
and start it again on the same port:

  faults_peers.py upstream [--port N]   the app: answers 200 "ok" to any request
  faults_peers.py provider              JWKS endpoints that can turn hostile

Both print {"event": "listening", "port": N} first, then one JSON line per
event worth counting. Python standard library only, 127.0.0.1 only.

The upstream (asyncio, HTTP/1.1 keep-alive, requests without bodies or with
Content-Length) takes two query parameters: `delay=MS` answers after MS
milliseconds, `id=X` records X. `GET /_ids` (sent to it directly, not through
the sidecar) answers the recorded ids as a JSON list.

The provider serves, on any path, what `POST /_control` last set for that
path: {"path": "/a/jwks", "keys": [JWK...]} a JWKS; {"path": ..., "mode":
"endless"} a 200 with an endless chunked body; {"path": ..., "mode": "huge"}
a 200 announcing a 50 MiB Content-Length; {"path": ..., "mode": "headers"} a
200 whose header lines never end; {"path": ..., "mode": "gzip"} a 200 whose
gzip body (about 64 KiB) decodes to 64 MiB. It logs every JWKS request:
{"event": "jwks", "path", "mode", "kids", "bytes_sent"}.
"""

import argparse
import asyncio
import http.server
import json
import socketserver
import sys
import threading
import urllib.parse
import zlib

HUGE_BYTES = 50 << 20
CHUNK = b'{"kty":"oct","k":"' + b"A" * 65000 + b'"},'


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


# --- the upstream -------------------------------------------------------

class UpstreamProtocol(asyncio.Protocol):
    """One client connection: requests are answered in order, one at a time."""

    ids = set()

    def __init__(self):
        self.buffer = b""
        self.busy = False
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.transport = None

    def data_received(self, data):
        self.buffer += data
        self.process()

    def process(self):
        while not self.busy and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buffer[:end].decode("latin-1").split("\r\n")
            target = lines[0].split(" ")[1] if lines[0].count(" ") >= 2 else "/"
            length, close = 0, False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and "close" in value.lower():
                    close = True
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            parts = urllib.parse.urlsplit(target)
            query = urllib.parse.parse_qs(parts.query)
            if parts.path == "/_ids":
                self.answer(json.dumps(sorted(UpstreamProtocol.ids)).encode(), close)
                continue
            if "id" in query:
                UpstreamProtocol.ids.add(query["id"][0])
            delay = float(query.get("delay", ["0"])[0]) / 1000.0
            if delay > 0:
                self.busy = True
                asyncio.get_running_loop().call_later(delay, self.answer_later, close)
                return
            self.answer(b"ok", close)

    def answer(self, body, close):
        if self.transport is None:
            return
        head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n" % (
            len(body), "Connection: close\r\n" if close else "")
        self.transport.write(head.encode() + body)
        if close:
            self.transport.close()

    def answer_later(self, close):
        self.busy = False
        self.answer(b"ok", close)
        self.process()


async def run_upstream(port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(UpstreamProtocol, "127.0.0.1", port, reuse_address=True,
                                      backlog=1024)
    emit({"event": "listening", "port": server.sockets[0].getsockname()[1]})
    await server.serve_forever()


# --- the provider -------------------------------------------------------

class Provider:
    def __init__(self):
        self.lock = threading.Lock()
        self.paths = {}  # path -> {"keys": [...]} or {"mode": "endless" | "huge" | "headers"}


class ProviderHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    provider = None

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        control = json.loads(self.rfile.read(length))
        with self.provider.lock:
            self.provider.paths[control.pop("path")] = control
        self.send_plain(200, b"ok")

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        with self.provider.lock:
            behaviour = self.provider.paths.get(path)
        if behaviour is None:
            self.send_plain(404, b"not found")
            return
        mode = behaviour.get("mode", "keys")
        event = {"event": "jwks", "path": path, "mode": mode}
        if mode == "keys":
            body = json.dumps({"keys": behaviour["keys"]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            event.update(kids=[key.get("kid") for key in behaviour["keys"]],
                         bytes_sent=len(body))
        elif mode == "gzip":
            body = gzip_bomb()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
                event["bytes_sent"] = len(body)
            except (BrokenPipeError, ConnectionResetError):
                event["bytes_sent"] = 0
            self.close_connection = True
        else:
            event["bytes_sent"] = self.send_endless(mode)
            self.close_connection = True
        emit(event)

    def send_plain(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_endless(self, mode):
        """A JWKS response that never ends: endless header lines ("headers"),
        an endless chunked body ("endless"), or a body announced as 50 MiB
        ("huge"). Returns the bytes written before the client hung up."""
        sent = 0
        try:
            self.send_response(200)
            if mode == "headers":
                self.flush_headers()
                line = b"X-Padding: " + b"a" * 1000 + b"\r\n"
                while True:
                    self.wfile.write(line)
                    sent += len(line)
            chunked = mode == "endless"
            framing = ("Transfer-Encoding", "chunked") if chunked else ("Content-Length",
                                                                         str(HUGE_BYTES))
            for name, value in [("Content-Type", "application/json"), framing]:
                self.send_header(name, value)
            self.end_headers()
            first = b'{"keys":['
            self.wfile.write(b"%x\r\n%s\r\n" % (len(first), first) if chunked else first)
            sent += len(first)
            while chunked or sent < HUGE_BYTES:
                piece = CHUNK if chunked else CHUNK[:min(len(CHUNK), HUGE_BYTES - sent)]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return sent


BOMB_BYTES = 64 << 20
_bomb = []


def gzip_bomb():
    """A JWKS that starts well and decodes to BOMB_BYTES, gzip-compressed
    (made once, streamed through the compressor, never held decoded)."""
    if not _bomb:
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        parts = [compressor.compress(b'{"keys":[')]
        block = b" " * (1 << 20)
        for _ in range(BOMB_BYTES >> 20):
            parts.append(compressor.compress(block))
        parts.append(compressor.flush())
        _bomb.append(b"".join(parts))
    return _bomb[0]


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients hang up on the hostile bodies on purpose


def run_provider():
    ProviderHandler.provider = Provider()
    server = ThreadingServer(("127.0.0.1", 0), ProviderHandler)
    emit({"event": "listening", "port": server.server_address[1]})
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", choices=["upstream", "provider"])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.role == "upstream":
        asyncio.run(run_upstream(args.port))
    else:
        run_provider()


if __name__ == "__main__":
    main()
