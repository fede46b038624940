"""The ``engine`` axis beyond lab's own: duckdb and polars on the same file.

Peers compute the same statistics their own way. They do not quarantine: a
record they cannot read, or whose value is not a finite number, is left out and
counted as bad by their own rules, which match lab's on well-formed CSV.
"""

from __future__ import annotations

from typing import Any

from lab.analytics.csvinput import Table
from lab.analytics.stats import Summary

__all__ = ["PEERS"]

Result = tuple[Summary, dict[str, Summary], int, int]


def _summary(count: Any, mean: Any, var: Any, lo: Any, hi: Any) -> Summary:
    var = None if var is None else float(var)
    return Summary.of(int(count or 0), mean, var, lo, hi)


def duckdb_engine(table: Table) -> Result:
    """DuckDB's ``read_csv``, every column as text, values cast with ``TRY_CAST``."""
    import duckdb

    # an empty field reads as NULL: it is the empty group, as the csv module reads it
    key = "''" if table.key_index is None else f"""coalesce("{table.header[table.key_index]}", '')"""
    value = f'TRY_CAST("{table.column}" AS DOUBLE)'
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        rel = (
            "read_csv(?, header=true, delim=?, all_varchar=true, quote='\"', "
            "ignore_errors=true, null_padding=false)"
        )
        sql = f"""
            WITH t AS (SELECT {key} AS k, {value} AS v FROM {rel}),
            ok AS (SELECT k, v FROM t WHERE v IS NOT NULL AND isfinite(v))
            SELECT k, count(v), avg(v), var_samp(v), min(v), max(v),
                   grouping(k) AS overall, (SELECT count(*) FROM t) AS rows_in
            FROM ok GROUP BY GROUPING SETS ((k), ())
        """
        rows = con.execute(sql, [str(table.path), table.delimiter]).fetchall()
    finally:
        con.close()
    return _collect(rows, table)


def _collect(rows: list[tuple], table: Table) -> Result:
    overall = Summary.empty()
    groups: dict[str, Summary] = {}
    rows_in = 0
    for k, n, mean, var, lo, hi, is_overall, total in rows:
        rows_in = int(total)
        if is_overall:
            overall = _summary(n, mean, var, lo, hi)
        else:
            groups[str(k)] = _summary(n, mean, var, lo, hi)
    if table.key_index is None:
        groups = {}
    return overall, groups, rows_in, overall.count


def polars_engine(table: Table) -> Result:
    """Polars' lazy ``scan_csv`` run on its streaming engine."""
    import polars as pl

    lf = pl.scan_csv(
        table.path,
        separator=table.delimiter,
        infer_schema=False,
        has_header=True,
        encoding="utf8-lossy",
    )
    key = pl.lit("") if table.key_index is None else pl.col(table.header[table.key_index]).fill_null("")
    v = pl.col(table.column).str.strip_chars().cast(pl.Float64, strict=False)
    t = lf.select(key.alias("k"), v.alias("v"))
    ok = t.filter(pl.col("v").is_not_null() & pl.col("v").is_finite())
    aggs = [
        pl.col("v").count().alias("n"),
        pl.col("v").mean().alias("mean"),
        pl.col("v").var(ddof=1).alias("var"),
        pl.col("v").min().alias("lo"),
        pl.col("v").max().alias("hi"),
    ]
    by_key, overall, total = pl.collect_all(
        [ok.group_by("k").agg(aggs), ok.select(aggs), t.select(pl.len().alias("rows"))],
        engine="streaming",
    )
    rows = [
        (r["k"], r["n"], r["mean"], r["var"], r["lo"], r["hi"], False, total["rows"][0])
        for r in by_key.iter_rows(named=True)
    ]
    o = overall.row(0, named=True)
    rows.append((None, o["n"], o["mean"], o["var"], o["lo"], o["hi"], True, total["rows"][0]))
    return _collect(rows, table)


PEERS = {"duckdb": duckdb_engine, "polars": polars_engine}
