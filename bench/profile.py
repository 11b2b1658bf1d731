"""Every stage of the pipeline in this one process, without Prefect: the harness to profile.

usage: python bench/profile.py [N_ARTICLES] [BATCH]     (default 1000 articles in batches of 400)
       .venv/bin/py-spy record -o profile.svg -- .venv/bin/python bench/profile.py 1000
Runs flows.batch.process_batch on the first N SaudiNewsNet articles into a scratch warehouse and
prints, per batch, the seconds of each stage and the process's RSS. The analysis cache is the
usual one ($KHABAR_CACHE_DIR, else ~/.cache/khabar): run twice to see a warm cache.
"""
from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from run import slice_file  # noqa: E402

from flows.batch import Docs, process_batch  # noqa: E402
from tasks.ingest import Seen, admit, load_fields, read_items  # noqa: E402
from tasks.publish import Warehouse, new_run_id  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    docs, _, _ = admit(read_items(slice_file(n, out), load_fields()), Seen(set(), set(), set()))
    wh, run_id, total, t0 = Warehouse(Path(tempfile.mkdtemp())), new_run_id(), Counter(), time.perf_counter()
    for part, i in enumerate(range(0, len(docs), size)):
        b = process_batch(wh, run_id, part, Docs(docs[i:i + size]), max_reject_share=1.0)
        total.update(b.seconds)
        print(f"batch {part}: {b.counts['documents']} documents, {b.counts['tokens']:,} tokens; "
              + ", ".join(f"{k} {v:.1f}s" for k, v in b.seconds.items())
              + f"; RSS {psutil.Process().memory_info().rss / 2**20:,.0f} MB"
              + f" (peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB)", flush=True)
    print(f"{len(docs)} documents in {time.perf_counter() - t0:.1f}s: "
          + ", ".join(f"{k} {v:.1f}s" for k, v in total.items()))


if __name__ == "__main__":
    main()
