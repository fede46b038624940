"""lab's web framework: decorators, injection, middleware and every kind of bad input."""

from __future__ import annotations

import gzip
import json
import time
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from web_helpers import call

from lab.web import App, Middleware, Response, cache, tokens, validate
from lab.web.limiters import FixedWindow
from lab.web.messages import dumps
from lab.web.middleware import Authentication, Errors, Gzip, Logging, PerRequest, RateLimit, compose
from lab.web.routes import RouteError

SECRET = b"test-secret"
SECRET_TEXT = "do-not-leak-this-secret"


def token(role: str = "user", expires_in: float = 3600, secret: bytes = SECRET) -> str:
    return tokens.issue(secret, "alice", role, int(time.time() + expires_in))


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def make_app(limit: int = 1000, composition: str = "composed", max_body: int = 1024) -> App:
    stack = [
        Middleware(Logging),
        Middleware(Errors),
        Middleware(Gzip, minimum_size=200),
        Middleware(RateLimit, limiter=FixedWindow(limit, 60)),
        Middleware(Authentication, secret=SECRET),
    ]
    app = App(middleware=stack, composition=composition, max_body=max_body)
    calls = {"item": 0}

    @app.route("/users/{id:int}", methods=["GET"])
    def user(id: int, verbose: bool = False, request=None):
        return {"id": id, "verbose": verbose}

    @app.route("/users/{id:int}", methods=["DELETE"], roles=["admin"])
    def remove(id: int):
        return {"deleted": id}

    @app.route("/items", methods=["POST"], roles=["admin", "user"])
    @validate({"name": str, "qty": int})
    def create(body: dict):
        return {"created": body["name"], "qty": body["qty"]}

    @app.route("/cached/{id:int}")
    @cache(ttl=60)
    def cached(id: int):
        calls["item"] += 1
        return {"id": id, "calls": calls["item"]}

    @app.route("/big")
    def big(n: int = 100):
        return {"items": [f"item-{i}" for i in range(n)]}

    @app.route("/boom")
    def boom():
        raise RuntimeError(f"database password is {SECRET_TEXT}")

    @app.route("/echo")
    def echo(value: str):
        response = Response.json({"ok": True})
        response.set_header("X-Echo", value)
        return response

    @app.route("/whoami", roles=["user", "admin"])
    def whoami(request):
        return {"user": request.user.subject, "role": request.user.role}

    return app


@pytest.fixture(params=["composed", "per-request"])
def app(request):
    return make_app(composition=request.param)


def test_path_query_and_injection(app):
    answer = call(app, path="/users/42", query="verbose=true")
    assert answer.status == 200
    assert answer.json() == {"id": 42, "verbose": True}
    assert answer.header("X-Request-Id")


def test_bad_query_type_is_400(app):
    answer = call(app, path="/users/42", query="verbose=maybe")
    assert answer.status == 400 and "verbose" in answer.json()["error"]


def test_missing_query_parameter_is_400(app):
    assert call(app, path="/echo").status == 400


def test_json_body_validated(app):
    ok = call(app, "POST", "/items", body=b'{"name": "pen", "qty": 3}', headers=bearer(token()))
    assert ok.status == 200 and ok.json() == {"created": "pen", "qty": 3}
    wrong = call(app, "POST", "/items", body=b'{"name": "pen", "qty": "3"}', headers=bearer(token()))
    assert wrong.status == 422 and "qty" in wrong.json()["error"]


def test_malformed_json_is_400(app):
    answer = call(app, "POST", "/items", body=b'{"name": ', headers=bearer(token()))
    assert answer.status == 400 and "JSON" in answer.json()["error"]


def test_body_over_the_limit_is_413(app):
    body = b'{"name": "' + b"x" * 2000 + b'", "qty": 1}'
    assert call(app, "POST", "/items", body=body, headers=bearer(token())).status == 413


def test_unknown_path_is_404_json(app):
    answer = call(app, path="/nowhere")
    assert answer.status == 404 and answer.header("Content-Type") == "application/json"
    assert answer.json()["request_id"]


def test_wrong_method_is_405_with_allow(app):
    answer = call(app, "PUT", "/users/1")
    assert answer.status == 405
    assert answer.header("Allow") == "DELETE, GET"


@pytest.mark.parametrize(
    "header",
    [
        None,  # missing, on a route that needs a token
        "Bearer",  # no token
        "Basic dXNlcjpwYXNz",  # not a bearer token
        "Bearer not-a-token",  # malformed
        "Bearer a.b.c",  # malformed
        f"Bearer {token(expires_in=-1)}",  # expired
        f"Bearer {token(secret=b'another-secret')}",  # forged: signed by someone else
        f"Bearer {token(role='admin')[:-2]}xx",  # forged: signature altered
    ],
)
def test_bad_tokens_are_401(app, header):
    answer = call(app, path="/whoami", headers={"Authorization": header} if header else {})
    assert answer.status == 401
    assert answer.header("WWW-Authenticate") == 'Bearer realm="lab"'
    assert "error" in answer.json()


def test_tampered_claims_are_401(app):
    payload, _, signature = token("user").partition(".")
    forged_payload = tokens.issue(b"x", "alice", "admin", int(time.time() + 60)).partition(".")[0]
    assert call(app, path="/whoami", headers=bearer(f"{forged_payload}.{signature}")).status == 401


def test_valid_token_and_roles(app):
    assert call(app, path="/whoami", headers=bearer(token())).json() == {"user": "alice", "role": "user"}
    assert call(app, "DELETE", "/users/3", headers=bearer(token("user"))).status == 403
    assert call(app, "DELETE", "/users/3", headers=bearer(token("admin"))).json() == {"deleted": 3}


def test_handler_exception_is_500_without_traceback_or_secret(app):
    answer = call(app, path="/boom")
    assert answer.status == 500
    body = answer.body.decode()
    assert answer.json()["request_id"] == answer.header("X-Request-Id")
    assert SECRET_TEXT not in body and "Traceback" not in body and "RuntimeError" not in body


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: evil=1", "a\nX-Injected: 1", "a\rb", "a\0b"])
def test_header_injection_through_parameters_is_impossible(app, value):
    answer = call(
        app,
        path="/echo",
        query="value=" + value.replace("\r", "%0D").replace("\n", "%0A").replace("\0", "%00"),
    )
    assert answer.status == 500
    names = [k.lower() for k, _ in answer.headers]
    assert "set-cookie" not in names and "x-injected" not in names and "x-echo" not in names
    assert all("\n" not in v and "\r" not in v for _, v in answer.headers)


def test_rate_limit_is_429_with_retry_after():
    app = make_app(limit=3)
    statuses = [call(app, path="/users/1").status for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    limited = call(app, path="/users/1")
    assert 1 <= int(limited.header("Retry-After")) <= 60
    assert call(app, path="/users/1", address="10.9.9.9").status == 200  # another client


def test_gzip_when_accepted_and_worth_it(app):
    plain = call(app, path="/big")
    packed = call(app, path="/big", headers={"Accept-Encoding": "gzip"})
    assert packed.header("Content-Encoding") == "gzip" and packed.header("Vary") == "Accept-Encoding"
    assert gzip.decompress(packed.body) == plain.body and len(packed.body) < len(plain.body)
    small = call(app, path="/big", query="n=1", headers={"Accept-Encoding": "gzip"})
    assert small.header("Content-Encoding") is None
    refused = call(app, path="/big", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert refused.header("Content-Encoding") is None


def test_cache_serves_until_cleared(app):
    first = call(app, path="/cached/5").json()
    again = call(app, path="/cached/5").json()
    assert first == again == {"id": 5, "calls": 1}
    app.clear()
    assert call(app, path="/cached/5").json()["calls"] == 2


def test_logging_records_id_status_and_duration():
    sink: deque = deque()
    app = App(middleware=[Middleware(Logging, sink=sink)])
    app.add("/users/{id:int}", lambda id: {"id": id})
    call(app, path="/users/7")
    call(app, path="/nope")
    records = list(sink)
    assert [r["status"] for r in records] == [200, 404]
    assert all(r["request_id"] and r["duration_us"] >= 0 for r in records)


def test_composed_and_per_request_fold_the_same_stack():
    seen = []

    class Tag:
        def __init__(self, app, name):
            self.app, self.name = app, name

        def __call__(self, request):
            seen.append(self.name)
            return self.app(request)

    stack = [Middleware(Tag, name="outer"), Middleware(Tag, name="inner")]
    endpoint = lambda request: Response.json({})  # noqa: E731
    compose(endpoint, stack)(None)
    PerRequest(endpoint, stack)(None)
    assert seen == ["outer", "inner", "outer", "inner"]


def test_bad_routes_are_refused():
    app = App()
    with pytest.raises(RouteError):
        app.add("users/{id}", lambda id: {})
    with pytest.raises(RouteError):
        app.add("/a/{id:float}", lambda id: {})
    app.add("/a/{x}", lambda x: {})
    app.add("/a/{y}", lambda y: {})
    with pytest.raises(RouteError, match="same paths"):
        app.build()


def test_a_remembered_token_still_expires_and_a_forged_one_is_never_remembered():
    secret = b"k" * 32
    verify = tokens.Verifier(secret, size=2)
    token = tokens.issue(secret, "ann", "admin", expires=1_000)
    assert verify(token, now=10).subject == "ann"
    assert verify(token, now=999).subject == "ann"  # remembered: no HMAC again
    with pytest.raises(tokens.TokenError, match="expired"):
        verify(token, now=1_000)
    payload, _, signature = token.partition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    for _ in range(2):
        with pytest.raises(tokens.TokenError, match="invalid signature"):
            verify(forged, now=10)
    other = tokens.issue(b"x" * 32, "eve", "admin", expires=1_000)
    with pytest.raises(tokens.TokenError, match="invalid signature"):
        verify(other, now=10)
    for i in range(5):  # never more than `size` kept
        verify(tokens.issue(secret, f"u{i}", "user", expires=1_000), now=10)
        assert len(verify._checked) <= 2


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
@settings(max_examples=300, deadline=None)
def test_bodies_are_the_bytes_json_dumps_writes(value):
    assert dumps(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
