"""A Flask app protected in process by authgate, with the demo's sidecar
configuration (examples/demo/authgate.yaml): the same login, Bearer check and
rules as `./scripts/demo`, without a proxy in front.

    AUTHGATE_SESSION_SECRET=$(head -c 32 /dev/urandom | base64) \\
    AUTHGATE_CLIENT_SECRET=... python3 examples/python/app.py [--config FILE] [--listen HOST:PORT]

The app listens where the sidecar would (127.0.0.1:8000 in the demo's file),
since the provider sends the browser back to that address's /callback.
"""

from __future__ import annotations

import argparse
import html
import os

import flask

from authgate.wsgi import AuthgateMiddleware

DEMO_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo",
                           "authgate.yaml")


def create_app(config: str) -> flask.Flask:
    app = flask.Flask(__name__)

    def identity():
        return flask.request.environ.get("authgate.identity")

    @app.get("/public/")
    def public():
        return "<!DOCTYPE html><title>public</title><p>Anyone may see this. <a href='/'>Home</a>"

    @app.get("/")
    def home():
        # A `login` route: only a signed-in browser gets here.
        who = identity()
        return ("<!DOCTYPE html><title>home</title><p>Hello, %s. <a href='/signout'>Sign out</a>"
                % html.escape(who.subject or "?"))

    @app.get("/api/whoami")
    def whoami():
        # A Bearer route with `scope: api:read` (see the configuration).
        who = identity()
        return flask.jsonify(subject=who.subject, scope=who.claims.get("scope"),
                             header=flask.request.headers.get("X-Authgate-Sub"))

    # The sidecar's file as it is: the engine ignores listen, upstream,
    # admin and server (with a warning) and resolves ${VAR} itself.
    app.wsgi_app = AuthgateMiddleware(app.wsgi_app, config, ready_timeout=10)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=DEMO_CONFIG)
    parser.add_argument("--listen", default="127.0.0.1:8000")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    app = create_app(args.config)
    for warning in app.wsgi_app.engine.warnings:
        print("authgate: warning: " + warning, flush=True)
    print("listening on http://%s:%s" % (host, port), flush=True)
    app.run(host=host, port=int(port), threaded=True)


if __name__ == "__main__":
    main()
