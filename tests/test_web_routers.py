"""Every router gives the reference's match (``linear``) for every path: examples, then a fuzz.

``LAB_WEB_FUZZ`` sets the number of random paths (a few thousand by default; 100000 for the
full run). Peers are held to lab's rules where theirs coincide: ASCII paths without a final
newline or extra leading slash, segments shorter than 19 characters (the differences are
shown below).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.web.routers import ROUTERS, make_router
from lab.web.routes import parse
from lab.web.table import specs

PATTERNS = [
    "/",
    "/api",
    "/api/{version:int}",
    "/api/{name}",
    "/api/latest",
    "/users/{id:int}",
    "/users/me",
    "/users/{name}",
    "/users/{id:int}/posts/{slug}",
    "/users/{name}/posts/latest",
    "/users/{id:int}/posts/{post:int}",
    "/files/{a}/{b}/{c}",
    "/files/x/{b:int}/z",
    "/a.b/(c)/[d]",
]
ROUTES = [parse(p, i) for i, p in enumerate(PATTERNS)]
LAB = sorted(ROUTERS)
PEERS = ["werkzeug", "starlette"]
FUZZ = int(os.environ.get("LAB_WEB_FUZZ") or 1500)


def result(router, path):
    found = router.match(path)
    return None if found is None else (found[0].pattern, found[1])


@pytest.fixture(scope="module")
def routers():
    return {name: make_router(name, ROUTES) for name in LAB + PEERS}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ("/", {})),
        ("/api/7", ("/api/{version:int}", {"version": 7})),
        ("/api/latest", ("/api/latest", {})),
        ("/api/v7", ("/api/{name}", {"name": "v7"})),
        ("/users/me", ("/users/me", {})),
        ("/users/0042", ("/users/{id:int}", {"id": 42})),
        ("/users/bob/posts/latest", ("/users/{name}/posts/latest", {"name": "bob"})),
        ("/users/5/posts/latest", ("/users/{id:int}/posts/{slug}", {"id": 5, "slug": "latest"})),
        ("/users/5/posts/9", ("/users/{id:int}/posts/{post:int}", {"id": 5, "post": 9})),
        ("/files/x/5/z", ("/files/x/{b:int}/z", {"b": 5})),
        ("/files/x/y/z", ("/files/{a}/{b}/{c}", {"a": "x", "b": "y", "c": "z"})),
        ("/a.b/(c)/[d]", ("/a.b/(c)/[d]", {})),
        ("/users/" + "9" * 19, ("/users/{name}", {"name": "9" * 19})),  # too long for an int
        ("/users/", None),
        ("/users//posts/latest", None),
        ("/api/7/", None),
        ("api", None),
        ("", None),
        ("/nowhere", None),
    ],
)
def test_examples(routers, path, expected):
    for name in LAB:
        assert result(routers[name], path) == expected, name


SEGMENTS = st.one_of(
    st.sampled_from(["api", "users", "me", "posts", "latest", "files", "x", "z", "a.b", "(c)", "[d]", ""]),
    st.from_regex(r"[0-9]{1,20}", fullmatch=True),
    st.text(alphabet=st.characters(blacklist_characters="/", blacklist_categories=("Cs",)), max_size=6),
)
ASCII = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126, blacklist_characters="/"), max_size=6
)
PEER_SEGMENTS = st.one_of(
    st.sampled_from(["api", "users", "me", "posts", "latest", "files", "x", "z", ""]),
    st.from_regex(r"[0-9]{1,18}", fullmatch=True),
    ASCII,
)


PATHS = st.lists(SEGMENTS, max_size=5).map(lambda s: "/" + "/".join(s))
PEER_PATHS = st.tuples(PEER_SEGMENTS.filter(bool), st.lists(PEER_SEGMENTS, max_size=4)).map(
    lambda s: "/" + "/".join([s[0], *s[1]])
)
#: paths per example: hypothesis draws batches, so a large count stays affordable
BATCH = 20


@settings(max_examples=max(1, FUZZ // BATCH))
@given(st.lists(PATHS, min_size=BATCH, max_size=BATCH))
def test_lab_routers_agree_on_random_paths(routers, paths):
    for path in paths:
        expected = result(routers["linear"], path)
        for name in LAB:
            assert result(routers[name], path) == expected, (name, path)


@settings(max_examples=max(1, FUZZ // BATCH))
@given(st.lists(PEER_PATHS, min_size=BATCH, max_size=BATCH))
def test_peer_routers_agree_on_ascii_paths(routers, paths):
    for path in paths:
        expected = result(routers["linear"], path)
        for name in PEERS:
            assert result(routers[name], path) == expected, (name, path)


def test_peers_differ_where_their_rules_do(routers):
    """Werkzeug's int takes any Unicode digit and it drops extra leading slashes; Starlette's
    ``$`` matches before a final newline."""
    assert result(routers["linear"], "/users/\u0663") == ("/users/{name}", {"name": "\u0663"})
    assert result(routers["werkzeug"], "/users/\u0663") == ("/users/{id:int}", {"id": 3})
    assert result(routers["linear"], "//api") is None
    assert result(routers["werkzeug"], "//api") == ("/api", {})
    assert result(routers["linear"], "/users/me\n") == ("/users/{name}", {"name": "me\n"})
    assert result(routers["starlette"], "/users/me\n") == ("/users/me", {})


@pytest.mark.parametrize("routes", [10, 1000])
def test_every_router_on_the_workload_table(routes):
    table = [parse(p, i) for i, p in enumerate(dict.fromkeys(s.pattern for s in specs(routes)))]
    paths = [
        f"/api/r{r}/{tail}"
        for r in range(0, routes // 5, 7)
        for tail in ("new", "12", "12/items/a", "by-slug/q", "x")
    ]
    reference = make_router("linear", table)
    for name in LAB + PEERS:
        router = make_router(name, table)
        for path in paths + ["/api/r0", "/api/nope", "/"]:
            assert result(router, path) == result(reference, path), (name, path)
