"""Publish: stage a run's Parquet files, commit them atomically, keep DuckDB views over committed runs.

Layout of a warehouse DIR:
  DIR/<table>/<run_id>-<part>.parquet   committed data (one or more parts per run and table)
  DIR/runs/<run_id>.parquet             the commit marker: a run exists once this file does
  DIR/_staging/<run_id>/<table>/...     a run in progress; never read by views
  DIR/khabar.duckdb                     one view per table, over committed runs only
  DIR/.lock                             held (flock) by the one run writing to DIR

A run writes only under _staging until commit. Commit moves its files into place and then writes
the runs marker; views and readers filter on runs, so a killed run is never visible, and the next
run (under the lock) deletes whatever an interrupted run left behind.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tasks.ingest import Seen
from tasks.schema import TABLES, not_of, to_table

DATA_TABLES = [t for t in TABLES if t != "runs"]
DUCKDB_TYPES = {pa.string(): "VARCHAR", pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.float64(): "DOUBLE",
                pa.bool_(): "BOOLEAN", pa.date32(): "DATE", pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
                pa.list_(pa.string()): "VARCHAR[]"}


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse lock."""


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{os.urandom(3).hex()}"


@dataclass
class Warehouse:
    root: Path

    def __post_init__(self) -> None:
        self.root = Path(self.root).absolute()

    @property
    def docs_dir(self) -> Path:
        """GX Data Docs, and the batches' results waiting to be stored there."""
        return self.root / "dq_docs"

    # ------------------------------------------------------------ locking and recovery

    @contextmanager
    def lock(self, wait: float = 0.0) -> Iterator[None]:
        """Exclusive writer lock; waits up to `wait` seconds, then raises WarehouseBusy."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / ".lock"
        with open(path, "a+") as f:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        f.seek(0)
                        holder = f.read().strip() or "unknown"
                        raise WarehouseBusy(f"another khabar run is writing to {self.root} ({holder}); "
                                            "wait for it to finish or use --wait SECONDS") from None
                    time.sleep(0.5)
            f.seek(0)
            f.truncate()
            f.write(f"pid {os.getpid()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
            f.flush()
            try:
                yield
            finally:
                f.truncate(0)
                fcntl.flock(f, fcntl.LOCK_UN)

    def committed(self) -> set[str]:
        """Runs whose rows are current: committed, and not older than the latest full refresh."""
        files = sorted((self.root / "runs").glob("*.parquet"))
        if not files:
            return set()
        runs = pq.ParquetDataset(files, schema=TABLES["runs"].schema).read(["run_id", "started_at", "full_refresh"]).to_pylist()
        latest = max((r["started_at"] for r in runs if r["full_refresh"]), default=None)
        return {r["run_id"] for r in runs if latest is None or r["started_at"] >= latest}

    def recover(self) -> list[str]:
        """Remove what interrupted runs left (staging, uncommitted parts) and rows retired by a full
        refresh. Call under the lock."""
        done = self.committed()
        removed = []
        staging = self.root / "_staging"
        if staging.exists():
            removed += [str(p) for p in staging.iterdir()]
            shutil.rmtree(staging)
        for t in DATA_TABLES:
            for p in (self.root / t).glob("*.parquet"):
                if p.name.split("-part")[0] not in done:
                    p.unlink()
                    removed.append(str(p))
        for p in (self.root / "runs").glob("*.tmp"):
            p.unlink()
            removed.append(str(p))
        return removed

    # ------------------------------------------------------------ reading committed state

    def files(self, table: str) -> list[str]:
        return sorted(str(p) for p in (self.root / table).glob("*.parquet"))

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        """A table's committed rows (call under the lock, after recover())."""
        files = self.files(table)
        if not files:
            return TABLES[table].schema.empty_table().select(columns or TABLES[table].names)
        return pq.ParquetDataset(files, schema=TABLES[table].schema).read(columns=columns)

    def seen(self) -> Seen:
        """Keys already in the warehouse, for dedup at ingest."""
        docs = self.read("documents", ["doc_id"]).column(0).to_pylist()
        src = self.read("sources", ["source_id", "source_path"]).to_pylist()
        rej = self.read("rejects", ["source_id", "source_path", "stage", "reason"]).to_pylist()
        return Seen(set(docs), {(r["source_id"], r["source_path"]) for r in src},
                    {(r["source_id"], r["source_path"], r["stage"], r["reason"]) for r in rej})

    # ------------------------------------------------------------ writing

    def stage(self, run_id: str, table: str, data: pa.Table | list[dict], part: int) -> int:
        """Write one part of a table for a run into staging; returns rows written."""
        if isinstance(data, list):
            data = to_table(table, data, run_id=run_id)
        d = self.root / "_staging" / run_id / table
        d.mkdir(parents=True, exist_ok=True)
        pq.write_table(data.cast(TABLES[table].schema), d / f"{run_id}-part{part:05d}.parquet", compression="zstd")
        return data.num_rows

    def _parts(self, run_id: str, part: int) -> list[Path]:
        return sorted((self.root / "_staging" / run_id).glob(f"*/{run_id}-part{part:05d}.parquet"))

    def unstage(self, run_id: str, part: int) -> None:
        """Remove a part's staged files (before a retried batch writes it again)."""
        for p in self._parts(run_id, part):
            p.unlink()

    def drop(self, run_id: str, part: int, doc_ids: set[str]) -> Counter:
        """Remove the rows of `doc_ids` from a staged part; returns rows removed per table."""
        removed: Counter = Counter()
        for p in self._parts(run_id, part):
            t = pq.read_table(p)
            if "doc_id" not in t.column_names:
                continue
            keep = t.filter(not_of(t, doc_ids))
            removed[p.parent.name] = t.num_rows - keep.num_rows
            if removed[p.parent.name]:
                tmp = p.with_suffix(".tmp")
                pq.write_table(keep, tmp, compression="zstd")
                os.replace(tmp, p)
        return removed

    def commit(self, run_id: str, run_row: dict) -> None:
        """Move staged parts into place, then write the runs marker (the atomic step)."""
        staged = self.root / "_staging" / run_id
        for t in DATA_TABLES:
            dest = self.root / t
            dest.mkdir(parents=True, exist_ok=True)
            if not any((staged / t).glob("*.parquet")) and (run_row["full_refresh"] or not self.files(t)):
                self.stage(run_id, t, TABLES[t].schema.empty_table(), 0)  # every table keeps a file for readers
            for p in sorted((staged / t).glob("*.parquet")):
                os.replace(p, dest / p.name)
            _fsync_dir(dest)
        marker = self.root / "runs" / f"{run_id}.parquet"
        marker.parent.mkdir(exist_ok=True)
        tmp = marker.with_suffix(".tmp")
        pq.write_table(to_table("runs", [run_row], run_id=run_id), tmp)
        os.replace(tmp, marker)
        _fsync_dir(marker.parent)
        shutil.rmtree(staged, ignore_errors=True)
        with suppress(OSError):  # left only if another run is staging, which the lock prevents
            staged.parent.rmdir()

    def abort(self, run_id: str) -> None:
        shutil.rmtree(self.root / "_staging" / run_id, ignore_errors=True)

    # ------------------------------------------------------------ DuckDB views

    def view_sql(self) -> str:
        """CREATE VIEW statements: each table over its current committed runs (typed and empty before any)."""
        runs = f"read_parquet({_glob_sql(self.root / 'runs')}, union_by_name = true)"  # older runs lack new columns
        out = [f"CREATE OR REPLACE VIEW current_runs AS SELECT run_id FROM {runs} WHERE started_at >= "
               f"coalesce((SELECT max(started_at) FROM {runs} WHERE full_refresh), '-infinity'::TIMESTAMPTZ);"]
        for t, spec in TABLES.items():
            if not self.files(t):
                cols = ", ".join(f'NULL::{DUCKDB_TYPES[c.type]} AS "{c.name}"' for c in spec.cols)
                out.append(f"CREATE OR REPLACE VIEW {t} AS SELECT {cols} WHERE false;")
                continue
            src = f"read_parquet({_glob_sql(self.root / t)}, union_by_name = true)"
            where = "" if t == "runs" else " WHERE run_id IN (SELECT run_id FROM current_runs)"
            derived = ", ".join(f'{c.view} AS "{c.name}"' for c in spec.cols if c.view)
            cols = f"* REPLACE ({derived})" if derived else "*"
            out.append(f"CREATE OR REPLACE VIEW {t} AS SELECT {cols} FROM {src}{where};")
        return "\n".join(out)

    def write_views(self) -> Path:
        """(Re)build khabar.duckdb beside the tables; a new file replaces the old atomically, so
        analysts holding the old one open keep working (their views glob the same files)."""
        db = self.root / "khabar.duckdb"
        tmp = db.with_suffix(".duckdb.tmp")
        tmp.unlink(missing_ok=True)
        # v1.0.0 storage: the DuckDB CLI from PyPI (duckdb-cli 1.5) can open the file too.
        with duckdb.connect(str(tmp), config={"storage_compatibility_version": "v1.0.0"}) as con:
            con.execute(self.view_sql())
        os.replace(tmp, db)
        return db


def _glob_sql(d: Path) -> str:
    return "'" + str(d / "*.parquet").replace("'", "''") + "'"


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run_row(started: datetime, inputs: list[str], counts: dict[str, int], version: str, full_refresh: bool = False) -> dict:
    new = counts.get("documents", 0) or counts.get("rejects", 0) or counts.get("sources", 0) or full_refresh
    return {"started_at": started, "finished_at": datetime.now(timezone.utc), "pipeline_version": version,
            "inputs": json.dumps(inputs, ensure_ascii=False), "records": counts.get("records", 0),
            "new_documents": counts.get("documents", 0), "rejected": counts.get("rejects", 0),
            "accounted": counts.get("accounted"),
            "status": "completed" if new else "nothing_new", "full_refresh": full_refresh}
