"""The ``app`` axis' peers: Falcon's and Flask's applications over the same route table and
handlers, answering the same requests with the same bodies (routing and handlers only: no
middleware, as lab's ``middleware=none``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lab.web.messages import WSGIApp, dumps
from lab.web.table import HANDLERS, Spec

__all__ = ["falcon_app", "flask_app", "PEER_APPS"]


def _args(kind: str, r: int, params: dict[str, Any], query: Any, body: Any) -> tuple:
    """The handler's arguments for the table's handler ``kind`` (``query(name, default)``)."""
    if kind == "listing":
        return (r, query("limit", 10), query("offset", 0))
    if kind == "create":
        return (r, body())
    if kind == "replace":
        return (r, params["id"], body())
    return (r, *params.values())


def falcon_app(table: Sequence[Spec]) -> WSGIApp:
    """``falcon.App`` with one resource per pattern, a responder per method."""
    import falcon

    app = falcon.App()
    resources: dict[str, Any] = {}
    for spec in table:
        resource = resources.setdefault(spec.pattern, type("Resource", (), {})())

        def responder(req: Any, resp: Any, _spec: Spec = spec, **params: Any) -> None:
            args = _args(
                _spec.kind,
                _spec.resource,
                params,
                lambda name, default: req.get_param_as_int(name, default=default),
                req.get_media,
            )
            resp.data = dumps(HANDLERS[_spec.kind](*args))
            resp.content_type = falcon.MEDIA_JSON

        setattr(resource, "on_" + spec.method.lower(), responder)
    for pattern, resource in resources.items():
        app.add_route(pattern, resource)
    return app


def flask_app(table: Sequence[Spec]) -> WSGIApp:
    """``flask.Flask`` with one view per endpoint (Werkzeug's rule syntax)."""
    import flask

    app = flask.Flask("lab.web.peers")
    for number, spec in enumerate(table):

        def view(_spec: Spec = spec, **params: Any) -> Any:
            request = flask.request
            args = _args(
                _spec.kind,
                _spec.resource,
                params,
                lambda name, default: request.args.get(name, default, type=int),
                request.get_json,
            )
            return flask.Response(dumps(HANDLERS[_spec.kind](*args)), mimetype="application/json")

        rule = spec.pattern.replace("{id:int}", "<int:id>").replace("{name}", "<name>")
        rule = rule.replace("{slug}", "<slug>")
        app.add_url_rule(rule, f"e{number}", view, methods=[spec.method])
    return app


PEER_APPS = {"falcon": falcon_app, "flask": flask_app}
