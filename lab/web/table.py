"""The route table of a tier and the handlers behind it, written once and served by lab's app
and by the peers (Falcon, Flask) alike.

Each *resource* ``r`` has five patterns (a static segment beside an ``int`` one, so the order
matters), seven endpoints in all; a table of ``N`` routes has ``N / 5`` resources. Handlers
are plain functions of plain values returning dicts, so each framework only adapts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Spec", "PATTERNS", "specs", "CREATE_SCHEMA", "PAGE_ITEMS"]

#: The fields a created item must have (``@validate``).
CREATE_SCHEMA: dict[str, type] = {"name": str, "qty": int}
#: Items in a listing page: big enough a body for gzip to be worth it.
PAGE_ITEMS = 40
#: pattern templates per resource (``{r}`` is the resource number), lab's syntax
PATTERNS = (
    "/api/r{r}",
    "/api/r{r}/new",
    "/api/r{r}/{{id:int}}",
    "/api/r{r}/{{id:int}}/items/{{name}}",
    "/api/r{r}/by-slug/{{slug}}",
)


@dataclass(frozen=True)
class Spec:
    """One endpoint: pattern, method, handler kind, the roles it needs, its cache time."""

    pattern: str
    method: str
    kind: str
    resource: int
    roles: tuple[str, ...] | None = None
    ttl: float | None = None


def specs(routes: int) -> list[Spec]:
    """The endpoints of a table of ``routes`` patterns (a multiple of five, at least five)."""
    out = []
    for r in range(max(1, routes // len(PATTERNS))):
        p = [t.format(r=r) for t in PATTERNS]
        out += [
            Spec(p[0], "GET", "listing", r),
            Spec(p[0], "POST", "create", r, roles=("admin", "editor")),
            Spec(p[1], "GET", "form", r),
            Spec(p[2], "GET", "item", r, ttl=60.0),
            Spec(p[2], "PUT", "replace", r, roles=("admin", "editor")),
            Spec(p[2], "DELETE", "delete", r, roles=("admin",)),
            Spec(p[3], "GET", "sub_item", r),
            Spec(p[4], "GET", "by_slug", r),
        ]
    return out


def listing(r: int, limit: int, offset: int) -> dict[str, Any]:
    items = [{"id": offset + i, "name": f"item-{offset + i}", "qty": (offset + i) % 7} for i in range(limit)]
    return {"resource": r, "offset": offset, "items": items}


def create(r: int, body: dict) -> dict[str, Any]:
    return {"resource": r, "created": body["name"], "qty": body["qty"]}


def form(r: int) -> dict[str, Any]:
    return {"resource": r, "fields": sorted(CREATE_SCHEMA)}


def item(r: int, id: int) -> dict[str, Any]:
    return {"resource": r, "id": id, "name": f"item-{id}"}


def replace(r: int, id: int, body: dict) -> dict[str, Any]:
    return {"resource": r, "id": id, "replaced": body["name"], "qty": body["qty"]}


def delete(r: int, id: int) -> dict[str, Any]:
    return {"resource": r, "deleted": id}


def sub_item(r: int, id: int, name: str) -> dict[str, Any]:
    return {"resource": r, "id": id, "item": name}


def by_slug(r: int, slug: str) -> dict[str, Any]:
    return {"resource": r, "slug": slug}


#: handler kind -> the function every framework calls
HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {
    "listing": listing,
    "create": create,
    "form": form,
    "item": item,
    "replace": replace,
    "delete": delete,
    "sub_item": sub_item,
    "by_slug": by_slug,
}
