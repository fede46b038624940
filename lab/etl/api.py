"""Extract from a paginated HTTP JSON API, with retries and backoff on transient errors.

The API is lab's own web framework (:class:`lab.web.app.App`): ``GET /records?page=N`` answers
``{"items": [...], "next": N + 1 or null}``, each item an object of the input's fields as the
file spells them. :func:`serving` runs it on a real WSGI server (``wsgiref``, one thread per
request) on loopback for the length of a ``with`` block; ``fail_every`` makes every n-th
request fail with 503 (a transient error the extractor must ride out).

:func:`api_records` reads the pages in order and yields ``(position, fields)`` records like
the file extractors (``position``: the record's number from 1). A 429, a 5xx or a
connection error is retried up to ``retries`` times, waiting ``backoff * 2**attempt``
seconds; any other status, or a transient error that outlasts the retries, is an
:class:`~lab.errors.InputError` naming the page.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import socketserver
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from lab.errors import InputError
from lab.etl.extract import Bad, Record, as_fields
from lab.etl.schema import Schema

__all__ = ["PAGE_SIZE", "make_app", "serving", "api_records", "TRANSIENT"]

PAGE_SIZE = 1_000
TRANSIENT = frozenset({429, 500, 502, 503, 504})


class _Pages:
    """A CSV file served by pages: the byte offset of every page's first record, found once."""

    def __init__(self, path: Path, per_page: int) -> None:
        self.path, self.per_page = path, per_page
        self.offsets: list[int] = []
        with open(path, "rb") as f:
            self.header = next(csv.reader([f.readline().decode("utf-8-sig", "surrogateescape")]))
            n = 0
            while True:
                where = f.tell()
                line = f.readline()
                if not line:
                    break
                if n % per_page == 0:
                    self.offsets.append(where)
                n += 1

    def page(self, number: int) -> list[dict[str, str]]:
        if not 1 <= number <= len(self.offsets):
            return []
        with open(self.path, "rb") as f:
            f.seek(self.offsets[number - 1])
            lines = [f.readline().decode("utf-8", "surrogateescape") for _ in range(self.per_page)]
        rows = csv.reader(line for line in lines if line)
        return [dict(zip(self.header, fields, strict=False)) for fields in rows if fields]


def make_app(path: Path, per_page: int = PAGE_SIZE, fail_every: int = 0):  # noqa: ANN201 - an App
    """The API over the records of the CSV file ``path`` (one record per line)."""
    from lab.web.app import App
    from lab.web.messages import HTTPError

    pages = _Pages(path, per_page)
    app = App()
    calls = itertools.count(1)
    lock = threading.Lock()

    @app.route("/records")
    def records(page: int = 1) -> dict:
        with lock:
            n = next(calls)
        if fail_every and n % fail_every == 0:
            raise HTTPError(503, "try again")
        items = pages.page(page)
        return {"items": items, "next": page + 1 if page < len(pages.offsets) else None}

    return app


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


class _Threaded(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextlib.contextmanager
def serving(path: Path, per_page: int = PAGE_SIZE, fail_every: int = 0) -> Iterator[str]:
    """Serve the API over ``path`` on a free loopback port; yields its base URL."""
    server = make_server(
        "127.0.0.1", 0, make_app(path, per_page, fail_every), server_class=_Threaded, handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _get(url: str, retries: int, backoff: float, timeout: float) -> tuple[bytes, int]:
    """The body of ``url`` and how many retries it took."""
    for attempt in range(retries + 1):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http only
                return response.read(), attempt
        except urllib.error.HTTPError as exc:
            if exc.code not in TRANSIENT:
                raise InputError(f"{url}: HTTP {exc.code}") from None
            why = f"HTTP {exc.code}"
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            why = str(getattr(exc, "reason", exc))
        if attempt < retries:
            time.sleep(backoff * 2**attempt)
    raise InputError(f"{url}: still failing after {retries} retries ({why})")


def api_records(
    base: str,
    schema: Schema,
    retries: int = 5,
    backoff: float = 0.05,
    timeout: float = 10.0,
    stats: dict[str, int] | None = None,
) -> Iterator[Record]:
    """The records of the paginated API at ``base``, page after page; ``stats`` counts
    ``pages`` and ``retries``."""
    names = schema.names
    stats = stats if stats is not None else {}
    stats.setdefault("pages", 0)
    stats.setdefault("retries", 0)
    page: int | None = 1
    position = 0
    while page is not None:
        url = f"{base}/records?page={page}"
        body, retried = _get(url, retries, backoff, timeout)
        stats["pages"] += 1
        stats["retries"] += retried
        try:
            doc = json.loads(body)
            items, page = doc["items"], doc["next"]
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{url}: not a page of records ({body[:60]!r})") from None
        for item in items:
            position += 1
            if isinstance(item, dict):
                yield position, as_fields(item, names)
            else:
                yield position, Bad("not a JSON object", json.dumps(item)[:1000])
