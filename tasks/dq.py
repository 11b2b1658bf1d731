"""The quality gate's results, without Great Expectations: what the flow handles.

tasks/quality.py validates (GX) where batches run; the flow only sees QualityError, combines the
batches' dq_results rows and leaves GX's results where build_docs finds them: `record` writes each
batch's results (GX's JSON) to docs_dir/pending, and quality.build_docs stores and renders them.
Keeping GX out of the flow's process saves it ~300 MB.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tasks.schema import TABLES

PENDING = "pending"  # docs_dir/pending/<run_id>-<part>.json: results build_docs has not stored yet


class QualityError(RuntimeError):
    """A batch-level failure; `.result` holds the batch's QualityResult for inspection."""

    def __init__(self, message: str, result: QualityResult | None = None):
        super().__init__(message)
        self.result = result

    def __reduce__(self):  # keep .result when pickled (process and Dask task runners)
        return QualityError, (str(self), self.result)


@dataclass
class QualityResult:
    tables: dict[str, pa.Table]
    rejects: pa.Table
    dq_results: pa.Table
    validations: dict[str, str]  # GX's results per table (JSON text, as GX stores them), for `record`


def record(docs_dir: Path, run_id: str, part: int, validations: dict[str, str]) -> Path:
    """Keep one batch's GX results for quality.build_docs (any process; written atomically)."""
    d = docs_dir / PENDING
    d.mkdir(parents=True, exist_ok=True)
    path, tmp = d / f"{run_id}-{part:05d}.json", d / f".{run_id}-{part:05d}.{os.getpid()}.tmp"
    results = ", ".join(f"{json.dumps(t)}: {v}" for t, v in validations.items())
    tmp.write_text(f'{{"run_id": {json.dumps(run_id)}, "part": {part}, "results": {{{results}}}}}', encoding="utf-8")
    tmp.replace(path)
    return path


def combine(parts: list[pa.Table]) -> pa.Table:
    """A run's dq_results from its batches' (one row per run, table, expectation and column)."""
    keys = list(TABLES["dq_results"].key)
    t = pa.concat_tables(parts).group_by(keys, use_threads=False).aggregate([
        ("success", "all"), ("observed_value", "last"), ("unexpected_count", "sum"), ("element_count", "sum")])
    return t.rename_columns([c.removesuffix("_all").removesuffix("_last").removesuffix("_sum")
                             for c in t.column_names]).select(TABLES["dq_results"].names).cast(
        TABLES["dq_results"].schema)
