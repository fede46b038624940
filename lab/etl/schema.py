"""A declared schema: the fields a record must have, how each is cleaned, and what is derived.

A field has a type (``int``, ``money``, ``text``, ``timestamp``, ``date``), whether it is
required, and optional bounds (``min``, ``max``) or allowed values (``choices``). Cleaning
trims text, normalises case (``case``: ``lower`` or ``upper``), parses dates and turns money
into exact integer units of ``1/10**scale`` (cents by default). Enrichment adds fields:
a lookup (``{"name": "segment", "lookup": "category", "table": {...}}``) or the date of a
timestamp (``{"name": "day", "date_of": "timestamp"}``). The natural ``key`` names the fields
that identify a record: the load upserts by it.

A schema is read from JSON (:func:`load_schema`) or built in Python (:data:`TRANSACTIONS`).
:meth:`Schema.compile` gives the function that turns one record's raw fields into a clean
row, or raises :class:`Reject` with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lab.errors import InputError

__all__ = ["Field", "Derived", "Schema", "Reject", "load_schema", "TRANSACTIONS", "SEGMENTS"]

TYPES = ("int", "money", "text", "timestamp", "date")
SQL_TYPES = {"int": "BIGINT", "money": "BIGINT", "text": "TEXT", "timestamp": "TEXT", "date": "TEXT"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_PLAIN_MONEY = re.compile(r"([0-9]{1,15})\.([0-9]{2})")
#: How many distinct raw spellings of a text field are remembered with their clean value.
TEXT_MEMO = 4096


class Reject(ValueError):
    """A record that fails the schema; the message is the reason."""


@dataclass(frozen=True)
class Field:
    """One declared field of the input."""

    name: str
    type: str = "text"
    required: bool = True
    min: int | Decimal | None = None
    max: int | Decimal | None = None
    choices: tuple[str, ...] | None = None
    case: str | None = None
    scale: int = 2

    @property
    def column(self) -> str:
        """The destination column: money is stored as integer units (``amount_cents``)."""
        return (
            f"{self.name}_units"
            if self.type == "money" and self.scale != 2
            else (f"{self.name}_cents" if self.type == "money" else self.name)
        )


@dataclass(frozen=True)
class Derived:
    """A field added by enrichment: a lookup in ``table`` keyed by another field's clean value,
    or the date part of a timestamp field."""

    name: str
    source: str
    table: Mapping[str, str] | None = None

    @property
    def column(self) -> str:
        return self.name


@dataclass(frozen=True)
class Schema:
    """The fields of a record in input order, the derived fields, the natural key, the table."""

    table: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    derived: tuple[Derived, ...] = ()
    sql_types: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def columns(self) -> tuple[str, ...]:
        """The destination's columns of a clean row, in order (the load id is added by the load)."""
        return tuple(f.column for f in self.fields) + tuple(d.column for d in self.derived)

    @property
    def column_types(self) -> tuple[str, ...]:
        return tuple(SQL_TYPES[f.type] for f in self.fields) + tuple("TEXT" for _ in self.derived)

    @property
    def key_columns(self) -> tuple[str, ...]:
        by_name = {f.name: f.column for f in self.fields}
        return tuple(by_name[k] for k in self.key)

    def key_of(self) -> Callable[[Sequence[Any]], Any]:
        """The function giving a clean row's natural key (one value, or a tuple of them)."""
        where = [self.names.index(k) for k in self.key]
        if len(where) == 1:
            (i,) = where
            return lambda row: row[i]
        return lambda row: tuple(row[i] for i in where)

    def check_header(self, header: Sequence[str]) -> None:
        """Raise :class:`InputError` unless ``header`` names exactly the schema's fields, in order."""
        got = [h.strip() for h in header]
        if got != list(self.names):
            missing = [n for n in self.names if n not in got]
            extra = [h for h in got if h not in self.names]
            why = []
            if missing:
                why.append(f"missing {', '.join(missing)}")
            if extra:
                why.append(f"unexpected {', '.join(extra[:5])}")
            if not why:
                why.append("the columns are in another order")
            raise InputError(
                f"the header does not match the schema of {self.table!r} ({'; '.join(why)}): "
                f"expected {','.join(self.names)}"
            )

    def compile(self, extra: tuple = ()) -> Callable[[Sequence[str]], tuple]:
        """The function turning one record's raw fields into a clean, enriched row (a tuple, with
        ``extra`` values appended), or raising :class:`Reject` with the reason.

        It is generated for the schema: a fast path for values already in their clean form
        (plain integers, ``123.45`` amounts, text spelled as seen before, ``YYYY-MM-DDTHH:MM:SS``),
        and, for anything else, the careful path that cleans each value or says why it cannot.
        """
        memos: list[dict[str, str]] = [{} for _ in self.fields]
        careful = self._careful(memos, extra)
        env: dict[str, Any] = {
            "_careful": careful,
            "_iso": dt.datetime.fromisoformat,
            "_date": dt.date.fromisoformat,
        }
        body = []
        names = self.names
        for i, f in enumerate(self.fields):
            v, raw = f"v{i}", f"f{i}"
            if f.type == "int":
                body.append(f"{v} = int({raw})")
            elif f.type == "money" and f.scale == 2:
                # "123.45" -> 12345; anything else int() takes is taken alike by the careful path
                body.append(f"if {raw}[-3] != '.': raise ValueError")
                body.append(f"{v} = int({raw}.replace('.', '', 1))")
            elif f.type == "money":
                env[f"_p{i}"] = _money(f.scale)
                body.append(f"{v} = _p{i}({raw})")
            elif f.type == "text":
                env[f"_t{i}"] = memos[i]
                body.append(f"{v} = _t{i}[{raw}]")
            elif f.type == "timestamp":
                body.append(f"if len({raw}) != 19 or {raw}[10] != 'T': raise ValueError")
                body.append(f"if _iso({raw}).tzinfo is not None: raise ValueError")
                body.append(f"{v} = {raw}")
            else:
                body.append(f"if len({raw}) != 10: raise ValueError")
                body.append(f"_date({raw}); {v} = {raw}")
            if f.min is not None:
                env[f"_lo{i}"] = f.min
                body.append(f"if {v} < _lo{i}: raise ValueError")
            if f.max is not None:
                env[f"_hi{i}"] = f.max
                body.append(f"if {v} > _hi{i}: raise ValueError")
        out = [f"v{i}" for i in range(len(self.fields))]
        for j, d in enumerate(self.derived):
            src = f"v{names.index(d.source)}"
            if d.table is not None:
                env[f"_l{j}"] = dict(d.table).get
                out.append(f"_l{j}({src})")
            else:
                out.append(f"{src}[:10]")
        for k, value in enumerate(extra):
            env[f"_x{k}"] = value
            out.append(f"_x{k}")
        unpack = ", ".join(f"f{i}" for i in range(len(self.fields)))
        code = "def clean(raw):\n    try:\n"
        code += f"        {unpack}, = raw\n"
        code += "".join(f"        {line}\n" for line in body)
        code += "    except Exception:\n        return _careful(raw)\n"
        code += f"    return ({', '.join(out)},)\n"
        exec(compile(code, f"<clean {self.table}>", "exec"), env)  # noqa: S102 - code made from the schema
        return env["clean"]

    def _careful(self, memos: list[dict[str, str]], extra: tuple) -> Callable[[Sequence[str]], tuple]:
        """The careful path: each value cleaned on its own, the first failure the reason."""
        width = len(self.fields)
        cleaners = [_cleaner(f, memo) for f, memo in zip(self.fields, memos, strict=True)]
        index = {f.name: i for i, f in enumerate(self.fields)}
        enrich = [_enricher(d, index) for d in self.derived]
        pairs = list(zip(self.fields, cleaners, strict=True))

        def careful(raw: Sequence[str]) -> tuple:
            if len(raw) != width:
                raise Reject(f"expected {width} fields, got {len(raw)}")
            row = []
            for (f, c), v in zip(pairs, raw, strict=True):
                try:
                    row.append(c(v))
                except Reject:
                    raise
                except Exception as exc:
                    raise Reject(f"{f.name}: {exc}") from None
            for e in enrich:
                row.append(e(row))
            return (*row, *extra)

        return careful


def _cleaner(f: Field, memo: dict[str, str]) -> Callable[[str], Any]:
    """The function cleaning and checking one raw value of ``f`` (clean text remembered in ``memo``)."""
    if f.type == "text":
        parse = _text(f, memo)
    else:
        parse = {"int": _int, "money": _money(f.scale), "timestamp": _ts, "date": _date}[f.type]
    lo, hi, name, required = f.min, f.max, f.name, f.required
    bounded = lo is not None or hi is not None
    if f.type == "text":
        if required:

            def text_required(v: str) -> Any:
                try:
                    out = parse(v)
                except Reject as exc:
                    raise Reject(f"{name}: {exc}") from None
                if not out:
                    raise Reject(f"{name}: required")
                return out

            return text_required

        def text_optional(v: str) -> Any:
            try:
                return parse(v) or None
            except Reject as exc:
                raise Reject(f"{name}: {exc}") from None

        return text_optional

    def value(v: str) -> Any:
        if not v or v.isspace():
            if required:
                raise Reject(f"{name}: required")
            return None
        try:
            out = parse(v)
        except Reject as exc:
            raise Reject(f"{name}: {exc}") from None
        if bounded:
            if lo is not None and out < lo:
                raise Reject(f"{name}: below {lo}: {v.strip()[:40]!r}")
            if hi is not None and out > hi:
                raise Reject(f"{name}: above {hi}: {v.strip()[:40]!r}")
        return out

    return value


def _int(v: str) -> int:
    try:
        return int(v)
    except ValueError:
        raise Reject(f"not a whole number: {v.strip()[:40]!r}") from None


def _money(scale: int) -> Callable[[str], int]:
    unit = 10**scale
    quantum = Decimal(1).scaleb(-scale)

    def money(v: str) -> int:
        m = _PLAIN_MONEY.fullmatch(v) if scale == 2 else None
        if m is not None:
            return int(m[1]) * 100 + int(m[2])
        text = v.strip().replace(",", "").removeprefix("$")
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise Reject(f"not an amount: {v.strip()[:40]!r}") from None
        if not d.is_finite():
            raise Reject(f"not an amount: {v.strip()[:40]!r}")
        if d != d.quantize(quantum):
            raise Reject(f"more than {scale} decimal places: {v.strip()[:40]!r}")
        return int(d * unit)

    return money


def _text(f: Field, memo: dict[str, str]) -> Callable[[str], str]:
    choices = frozenset(f.choices) if f.choices else None
    case = {"lower": str.lower, "upper": str.upper, None: None}[f.case]

    def clean(v: str) -> str:
        out = memo.get(v)
        if out is not None:
            return out
        out = v.strip()
        if case is not None:
            out = case(out)
        if "\x00" in out or any(0xDC80 <= ord(c) <= 0xDCFF for c in out):
            raise Reject("bytes that are not UTF-8")
        if choices is not None and out and out not in choices:
            raise Reject(f"not one of the allowed values: {out[:40]!r}")
        if out and len(memo) < TEXT_MEMO:
            memo[v] = out
        return out

    return clean


def _ts(v: str) -> str:
    """An ISO 8601 date-time, as ``YYYY-MM-DDTHH:MM:SS`` (kept as given when already so)."""
    try:
        parsed = dt.datetime.fromisoformat(v if len(v) == 19 else v.strip())
    except ValueError:
        raise Reject(f"not a date-time: {v.strip()[:40]!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    if len(v) == 19 and v[10] == "T" and parsed.microsecond == 0:
        return v
    return parsed.isoformat(timespec="seconds")


def _date(v: str) -> str:
    try:
        return dt.date.fromisoformat(v.strip()).isoformat()
    except ValueError:
        raise Reject(f"not a date: {v.strip()[:40]!r}") from None


def _enricher(d: Derived, index: Mapping[str, int]) -> Callable[[list], Any]:
    i = index[d.source]
    if d.table is not None:
        table = dict(d.table)
        return lambda row: table.get(row[i])
    return lambda row: None if row[i] is None else row[i][:10]


def _field(spec: Mapping[str, Any]) -> Field:
    name = spec.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(f"schema: a field needs a name of letters, digits and _, not {name!r}")
    kind = spec.get("type", "text")
    if kind not in TYPES:
        raise InputError(f"schema: field {name!r} has type {kind!r} (choose from: {', '.join(TYPES)})")
    bounds = {}
    for b in ("min", "max"):
        if spec.get(b) is not None:
            bounds[b] = Decimal(str(spec[b])) if kind == "money" else int(spec[b])
            if kind == "money":
                bounds[b] = int(bounds[b] * 10 ** int(spec.get("scale", 2)))
    choices = spec.get("choices")
    return Field(
        name,
        kind,
        bool(spec.get("required", True)),
        bounds.get("min"),
        bounds.get("max"),
        tuple(choices) if choices else None,
        spec.get("case"),
        int(spec.get("scale", 2)),
    )


def load_schema(path: str | Path) -> Schema:
    """Read a schema from a JSON file; a clear :class:`InputError` on anything wrong with it.

    ``{"table": "orders", "key": ["order_id"], "fields": [{"name": "order_id", "type": "int"}, ...],
    "derived": [{"name": "day", "date_of": "ordered_at"}]}``
    """
    path = Path(path)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no such schema file: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a JSON schema: {exc}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("fields"), list) or not spec["fields"]:
        raise InputError(f"{path}: a schema is an object with a non-empty list of 'fields'")
    try:
        fields = tuple(_field(f) for f in spec["fields"])
        table = spec.get("table") or path.stem.split(".")[0]
        if not _NAME.fullmatch(table):
            raise InputError(f"schema: table name {table!r} is not letters, digits and _")
        key = spec.get("key") or [fields[0].name]
        key = (key,) if isinstance(key, str) else tuple(key)
        names = [f.name for f in fields]
        for k in key:
            if k not in names:
                raise InputError(f"schema: key {k!r} is not a field")
        derived = []
        for d in spec.get("derived", []):
            name = d.get("name")
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise InputError(f"schema: derived field name {name!r} is not letters, digits and _")
            source = d.get("lookup") or d.get("date_of")
            if source not in names:
                raise InputError(f"schema: derived field {name!r} reads {source!r}, which is not a field")
            derived.append(Derived(name, source, d.get("table") if "lookup" in d else None))
    except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        raise InputError(f"{path}: schema not understood: {exc}") from None
    return Schema(table, fields, key, tuple(derived))


#: Each category's segment: the lookup the transactions' enrichment does.
SEGMENTS = {
    "groceries": "essential",
    "utilities": "essential",
    "health": "essential",
    "transport": "essential",
    "dining": "discretionary",
    "entertainment": "discretionary",
    "travel": "discretionary",
    "shopping": "discretionary",
}

#: The schema of the generated transactions: the system's own workload.
TRANSACTIONS = Schema(
    "transactions",
    (
        Field("id", "int", min=0),
        Field("user_id", "int", min=1),
        Field("amount", "money", min=0, max=100_000_000),
        Field("category", "text", choices=tuple(SEGMENTS), case="lower"),
        Field("timestamp", "timestamp"),
    ),
    ("id",),
    (Derived("segment", "category", SEGMENTS), Derived("day", "timestamp")),
)
