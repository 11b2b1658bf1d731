"""Digests of a committed warehouse: per table, its row count and an order-free hash of its rows.

Two warehouses hold the same rows (every column but run_id) iff their digests agree; `first_difference`
then names a row one has and the other lacks. Read through the DuckDB views, so a table is what an
analyst queries (events.mentions counted over the warehouse, not per batch). `runs` is bookkeeping
(times, inputs) and is left out.
usage: python -m tasks.digest WAREHOUSE [OTHER]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

from tasks.schema import TABLES

SKIP = frozenset({"runs"})


def _cols(table: str) -> list[str]:
    return [f'"{c}"' for c in TABLES[table].names if c != "run_id"]


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(Path(warehouse) / "khabar.duckdb"), read_only=True)


def digest(warehouse: Path) -> dict[str, tuple[int, str]]:
    """table -> (rows, hash): the hash is the sum of the rows' hashes, so row order does not count."""
    out = {}
    with _connect(warehouse) as con:
        for t in TABLES:
            if t not in SKIP:
                n, h = con.execute(f"SELECT count(*), coalesce(sum(hash({', '.join(_cols(t))})), 0) FROM {t}").fetchone()
                out[t] = (n, f"{h:032x}")
    return out


def first_difference(a: Path, b: Path, table: str) -> dict | None:
    """A row of `table` (columns but run_id) that is in one warehouse and not the other, with its side."""
    cols = ", ".join(_cols(table))
    with duckdb.connect() as con:
        for side, (x, y) in (("only in first", (a, b)), ("only in second", (b, a))):
            con.execute(f"ATTACH '{Path(x) / 'khabar.duckdb'}' AS x (READ_ONLY)")
            con.execute(f"ATTACH '{Path(y) / 'khabar.duckdb'}' AS y (READ_ONLY)")
            cur = con.execute(f"SELECT {cols} FROM x.{table} EXCEPT ALL SELECT {cols} FROM y.{table} LIMIT 1")
            row = cur.fetchone()
            names = [d[0] for d in cur.description]
            con.execute("DETACH x")
            con.execute("DETACH y")
            if row:
                return {"side": side, **dict(zip(names, row))}
    return None


def compare(a: Path, b: Path) -> list[str]:
    """Lines naming each table whose digest differs, with its first different row; empty when identical."""
    da, db = digest(a), digest(b)
    return [f"{t}: {da[t][0]} vs {db[t][0]} rows; {json.dumps(first_difference(a, b, t), ensure_ascii=False, default=str)}"
            for t in da if da[t] != db[t]]


def main(argv: list[str]) -> int:
    if len(argv) == 1:
        for t, (n, h) in digest(Path(argv[0])).items():
            print(f"{t:12} {n:>10} {h}")
        return 0
    diff = compare(Path(argv[0]), Path(argv[1]))
    print("\n".join(diff) or "tables identical")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
