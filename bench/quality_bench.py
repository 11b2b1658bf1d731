"""Seconds per quality-gate batch: ~200 seed-like documents (~60k tokens), with and without Data Docs.

    .venv/bin/python bench/quality_bench.py [n_docs] [docs_batches]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

t0 = time.perf_counter()
from quality_support import batch, seed_like  # noqa: E402

from tasks.dq import record  # noqa: E402
from tasks.quality import build_docs, check  # noqa: E402

print(f"import tasks.quality: {time.perf_counter() - t0:.1f} s")
n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
k = int(sys.argv[2]) if len(sys.argv) > 2 else 10
b = batch(seed_like(sorted((ROOT / "seeds").glob("*.txt")), n))
print({name: t.num_rows for name, t in b.items()})


def timed(tables=b, rejected=0, docs_dir: Path | None = None) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    r = check(tables, "20260101T000000Z-abc123")
    if docs_dir:
        record(docs_dir, "20260101T000000Z-abc123", 0, r.validations)
    assert r.rejects.num_rows == rejected
    return time.perf_counter() - w, time.process_time() - c


first = timed()
runs = [timed() for _ in range(3)]
print(f"no docs: first batch {first[0]:.2f} s (context setup), then wall/cpu per batch "
      + ", ".join(f"{w:.2f}/{c:.2f}" for w, c in runs) + " s; "
      f"{b['tokens'].num_rows / min(w for w, _ in runs):,.0f} tokens/s")
events = b["events"].to_pylist()
for i in range(0, n, n // 5):  # five documents with a broken event: the second pass finds their rows
    events[i]["confidence"] = 1.5
dirty = {**b, "events": pa.Table.from_pylist(events, schema=b["events"].schema)}
print("5 failing documents: wall/cpu per batch " + ", ".join(
    "{:.2f}/{:.2f}".format(*timed(dirty, 5)) for _ in range(2)) + " s")
with tempfile.TemporaryDirectory() as d:
    docs = [timed(docs_dir=Path(d) / "dq_docs") for _ in range(k)]
    print(f"with Data Docs, {k} batches into one folder: wall/cpu per batch "
          + ", ".join(f"{w:.2f}/{c:.2f}" for w, c in docs) + " s")
    w = time.perf_counter()
    build_docs(Path(d) / "dq_docs")
    size = sum(p.stat().st_size for p in Path(d).rglob("*") if p.is_file())
    print(f"build_docs for {k * len(b)} validations: {time.perf_counter() - w:.1f} s; folder {size / 2**20:.1f} MB")
