"""The web system's figures, measured in one run: one JSON GET through each app, the cost of
each middleware layer, and the time of one route match against the table's size.

    python experiments/web_figures.py [--repeat 5] [--out results/experiments]

Writes ``web_figures.md`` (tables) and ``web_routers.png`` (match time against routes) under
``--out``. Figures are medians of ``--repeat`` timings of a batch each; ratios are within this
run.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lab.measure import fit_growth
from lab.web.apps import build_app, full_stack
from lab.web.limiters import FixedWindow
from lab.web.middleware import Authentication, Errors, Gzip, Logging, Middleware, RateLimit
from lab.web.peers import PEER_APPS
from lab.web.routers import make_router
from lab.web.routes import parse
from lab.web.table import specs
from lab.web.tokens import issue
from lab.web.workload import EXPIRES, environ

SECRET = b"figures"
SIZES = (10, 100, 1_000, 10_000)
ROUTERS = ("trie", "compiled", "linear", "werkzeug", "starlette")


def per_call_us(fn: Callable[[], object], batch: int, repeat: int) -> float:
    """Median over ``repeat`` batches of the microseconds one call takes."""
    fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter_ns() - started) / batch / 1000)
    return statistics.median(samples)


def request_of(app: Callable, token: str) -> Callable[[], object]:
    env = environ("GET", "/api/r3/42/items/a", headers={"Authorization": f"Bearer {token}"})

    def start_response(status: str, headers: list, exc_info: object = None) -> None:
        return None

    def call() -> object:
        e = dict(env)
        e["wsgi.input"] = io.BytesIO(b"")
        return b"".join(app(e, start_response))

    return call


BARE_BODY = b'{"resource":3,"id":42,"item":"a"}'


def bare_wsgi(environ: dict, start_response: Callable) -> list[bytes]:
    """The floor: a WSGI function answering one fixed JSON body."""
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BARE_BODY)))])
    return [BARE_BODY]


def app_candidates(table: list) -> dict[str, Callable]:
    """The apps compared on one request: the floor, the peers, lab's app with and without its stack."""
    limiter = FixedWindow(10**9, 3600)
    return {
        "bare WSGI function": bare_wsgi,
        "falcon (routing + handler)": PEER_APPS["falcon"](table),
        "flask (routing + handler)": PEER_APPS["flask"](table),
        "lab, no middleware (trie)": build_app(table, "trie", "none"),
        "lab, full stack composed (trie)": build_app(table, "trie", "composed", full_stack(SECRET, limiter)),
        "lab, full stack per request (trie)": build_app(
            table, "trie", "per-request", full_stack(SECRET, limiter)
        ),
    }


def apps_table(repeat: int) -> list[tuple[str, float]]:
    token = issue(SECRET, "client", "admin", EXPIRES)
    candidates = app_candidates(specs(100))
    return [(name, per_call_us(request_of(app, token), 2000, repeat)) for name, app in candidates.items()]


def layer_candidates(table: list) -> list[tuple[str, Callable]]:
    """lab's app with its layers added one at a time (innermost first), each the whole stack so far."""
    layers = [
        ("authentication", Middleware(Authentication, secret=SECRET)),
        ("rate limit", Middleware(RateLimit, limiter=FixedWindow(10**9, 3600))),
        ("gzip", Middleware(Gzip)),
        ("errors", Middleware(Errors)),
        ("logging", Middleware(Logging)),
    ]
    rows: list[tuple[str, Callable]] = [("routing + handler", build_app(table, "trie", "none"))]
    for k in range(1, len(layers) + 1):
        stack = [spec for _, spec in reversed(layers[:k])]
        rows.append((f"+ {layers[k - 1][0]}", build_app(table, "trie", "composed", stack)))
    return rows


def layers_table(repeat: int) -> list[tuple[str, float]]:
    """Add the layers one at a time (innermost first), each row the whole stack so far."""
    token = issue(SECRET, "client", "admin", EXPIRES)
    return [
        (name, per_call_us(request_of(app, token), 2000, repeat))
        for name, app in layer_candidates(specs(100))
    ]


def routers_table(repeat: int) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {name: {} for name in ROUTERS}
    for size in SIZES:
        routes = [parse(p, i) for i, p in enumerate(dict.fromkeys(s.pattern for s in specs(size)))]
        resources = size // 5
        paths = [f"/api/r{(i * 7919) % resources}/{i}/items/x{i}" for i in range(200)]
        for name in ROUTERS:
            router = make_router(name, routes)
            batch = max(1, min(200, int(200_000 / size)))  # the slow ones on fewer paths

            def run(router=router, chosen=paths[:batch]) -> None:
                for path in chosen:
                    router.match(path)

            out[name][size] = per_call_us(run, 1, repeat) / batch
            print(f"  {name} {size}: {out[name][size]:.2f} us", file=sys.stderr)
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--out", default="results/experiments")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    apps = apps_table(args.repeat)
    layers = layers_table(args.repeat)
    routers = routers_table(args.repeat)
    lines = [
        "# web: figures of one run",
        "",
        "One JSON GET (`/api/r3/42/items/a`, 100 routes), in-process through WSGI:",
        "",
    ]
    base = dict(apps)
    lab = base["lab, full stack composed (trie)"]
    lines += ["| app | us a request | lab full stack / this |", "|---|---:|---:|"]
    lines += [f"| {name} | {us:.1f} | {lab / us:.2f}x |" for name, us in apps]
    lines += ["", "The stack built up one layer at a time (innermost first):", ""]
    lines += ["| stack | us a request | this layer adds |", "|---|---:|---:|"]
    previous = None
    for name, us in layers:
        lines.append(f"| {name} | {us:.1f} | {'' if previous is None else f'{us - previous:+.1f}'} |")
        previous = us
    lines += ["", "One route match (`/api/rN/ID/items/NAME`, deepest pattern) against the table's size:", ""]
    lines += [
        "| router | " + " | ".join(f"{s:,} routes" for s in SIZES) + " | growth | / werkzeug at 10,000 |"
    ]
    lines += ["|---|" + "---:|" * (len(SIZES) + 2)]
    for name, by_size in routers.items():
        fit = fit_growth(list(by_size), list(by_size.values()))
        ratio = by_size[SIZES[-1]] / routers["werkzeug"][SIZES[-1]]
        cells = " | ".join(f"{by_size[s]:.2f} us" for s in SIZES)
        lines.append(f"| {name} | {cells} | {fit.text() if fit else '-'} | {ratio:.2f}x |")
    (out / "web_figures.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _plot(routers, out / "web_routers.png")
    print("\n".join(lines))
    return 0


def _plot(routers: dict[str, dict[int, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, by_size in routers.items():
        ax.loglog(list(by_size), list(by_size.values()), marker="o", label=name)
    ax.set_xlabel("routes in the table")
    ax.set_ylabel("us per match (median)")
    ax.set_title("web: one route match against the table's size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
