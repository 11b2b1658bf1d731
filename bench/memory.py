"""Where a batch worker's memory goes (issue 19's RSS bar): the resident size each part adds when a
fresh process loads it, then RSS after each batch of real SaudiNewsNet articles run as a pool worker
runs them (flows.batch.process_batch, empty analysis cache), then what clearing each cache gives back.

usage: python bench/memory.py [N]   (the first N SaudiNewsNet articles, default 6000)
"""
from __future__ import annotations

import ctypes
import gc
import os
import sys
import tempfile
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from run import slice_file  # noqa: E402

ME = psutil.Process()


def mib() -> float:
    return ME.memory_info().rss / 2**20


def loads() -> None:
    """RSS added by each part a worker loads, in the order a batch loads them."""
    last = mib()

    def step(name: str) -> None:
        nonlocal last
        now = mib()
        print(f"  {name:34s} {now:7,.0f} MiB  (+{now - last:,.0f})", flush=True)
        last = now

    print(f"a fresh process: {last:,.0f} MiB")
    import numpy, pandas, pyarrow  # noqa: E401, F401
    step("numpy, pandas, pyarrow")
    import prefect  # noqa: F401
    step("prefect")
    import great_expectations  # noqa: F401
    step("great_expectations")
    from tasks import entities, events, geo, quality, segment  # noqa: F401
    step("the task modules")
    from tasks.morph import load_analyzer
    load_analyzer()
    step("camel-tools analyzer (compact DB)")
    from tasks.ner import tag
    step(f"NER CRF ({len(tag.model().weights):,} attributes)")
    entities.lexicon()
    step("entities' dictionaries")
    from tasks.geo.gazetteer import gazetteer
    gazetteer()
    step("geo gazetteer")
    from tasks.events.model import shipped
    from tasks.events.seeds import seeds
    shipped(), seeds()
    step("events model and seeds")


def batches(n: int, out: Path) -> None:
    """The first n SaudiNewsNet articles (bench/run.py's slice), in the flow's batches (flows.tally.batch_cut)."""
    from flows.batch import Docs, process_batch
    from flows.params import BATCH_CHARS, BATCH_SIZE
    from flows.tally import batch_cut
    from tasks.ingest import Seen, admit, load_fields, read_items
    from tasks.publish import Warehouse, new_run_id

    docs, _, _ = admit(read_items(slice_file(n, ROOT / "bench" / "out"), load_fields()), Seen(set(), set(), set()))
    print(f"{len(docs):,} documents of {n:,} articles read: {mib():,.0f} MiB, batches of at most {BATCH_SIZE} "
          f"documents / {BATCH_CHARS:,} characters")
    wh, run = Warehouse(out / "wh"), new_run_id()
    part = 0
    while docs:
        k = batch_cut(docs, BATCH_SIZE, BATCH_CHARS) or len(docs)
        process_batch(wh, run, part, Docs(docs[:k]), 0.5)
        docs, part = docs[k:], part + 1
        print(f"  after batch {part:2d} ({k} documents): {mib():,.0f} MiB", flush=True)


def caches() -> None:
    """What each cache holds: the RSS that clearing it (then a GC pass and malloc_trim) gives back."""
    libc = ctypes.CDLL("libc.so.6")
    gc.collect()
    libc.malloc_trim(0)
    print(f"the articles let go, heap trimmed: {mib():,.0f} MiB")

    def drop(name: str, clear) -> None:
        before = mib()
        clear()
        gc.collect()
        libc.malloc_trim(0)
        print(f"  clearing {name:44s} gives back {before - mib():5,.0f} MiB")

    for mod_name, mod in sorted(sys.modules.items()):
        if mod_name.split(".")[0] in ("tasks", "flows"):
            for name, f in sorted(vars(mod).items()):
                info = getattr(f, "cache_info", None)
                if info and info().maxsize and info().currsize:
                    drop(f"{f.__module__}.{name} ({info().currsize:,})", f.cache_clear)
    from tasks import segment
    from tasks.ner import tag

    m, crf = segment.morph(), tag.model()
    drop(f"Morph readings ({len(m.cache) + len(m._old):,})", lambda: (m.cache.clear(), m._old.clear()))
    drop(f"NER score vectors ({len(crf._scores):,})", crf._scores.clear)
    drop(f"NER feature lists ({len(crf.featurizer._cache):,}; training's, unused when tagging)", crf.featurizer._cache.clear)
    import pyarrow as pa
    print(f"left: {mib():,.0f} MiB, of which Arrow buffers {pa.total_allocated_bytes() / 2**20:,.0f} MiB")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
    with tempfile.TemporaryDirectory(prefix="khabar-memory-") as d:
        os.environ["KHABAR_CACHE_DIR"] = str(Path(d) / "cache")  # empty: the analyzer is loaded and used
        loads()
        batches(n, Path(d))
        caches()


if __name__ == "__main__":
    main()
