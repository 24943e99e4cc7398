"""The protected apps of the tests: each echoes what reached it."""

from __future__ import annotations

import flask
from fastapi import FastAPI, Request
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

import authgate.asgi
import authgate.wsgi


def _identity(identity):
    if identity is None:
        return {"subject": None, "claims": None}
    return {"subject": identity.subject, "claims": identity.claims}


def flask_app(config, ready_timeout=0.0) -> flask.Flask:
    app = flask.Flask("protected")

    @app.route("/", defaults={"rest": ""})
    @app.route("/<path:rest>")
    def echo(rest):
        return flask.jsonify(
            path=flask.request.path, query=flask.request.query_string.decode(),
            headers={k.lower(): v for k, v in flask.request.headers.items()},
            **_identity(flask.request.environ.get("authgate.identity")))

    app.wsgi_app = authgate.wsgi.AuthgateMiddleware(app.wsgi_app, config, ready_timeout)
    return app


async def _starlette_echo(request):
    return JSONResponse({"path": request.url.path, "query": request.url.query,
                         "headers": {k.lower(): v for k, v in request.headers.items()},
                         **_identity(request.scope.get("authgate.identity"))})


def starlette_app(config, ready_timeout=0.0):
    app = Starlette(routes=[Route("/{rest:path}", _starlette_echo)])
    return authgate.asgi.AuthgateMiddleware(app, config, ready_timeout)


def fastapi_app(config, ready_timeout=0.0):
    app = FastAPI()

    @app.get("/{rest:path}")
    async def echo(rest: str, request: Request):
        return await _starlette_echo(request)

    app.add_middleware(authgate.asgi.AuthgateMiddleware, config=config,
                       ready_timeout=ready_timeout)
    return app
