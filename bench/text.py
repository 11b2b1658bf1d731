"""Words per second of the text stage (tasks.segment.process_text) on SaudiNewsNet.

usage: python bench/text.py [N_ARTICLES]     (default 500; run from the project root)

Takes two batches of N articles (in file order) and a new, empty analysis cache, then prints:
  cold    batch A, every distinct word through the camel-tools analyzer;
  warm    batch A again in the same process (in-memory cache);
  next    batch B in a fresh Morph that loads A's persisted sqlite cache (a later run);
and the uncached camel-tools analyzer rate on distinct words for comparison (stock, and with the
output features this stage never reads pruned, as tasks.morph loads it).
Words = whitespace-separated chunks of the input text. One process, one core.
"""
from __future__ import annotations

import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

from tasks import segment
from tasks.config import SHARED
from tasks.morph import DB_NAME
from tasks.ingest import doc_id
from tasks.segment import process_text


def articles(n: int) -> list[dict]:
    """The first n non-empty SaudiNewsNet articles as documents rows."""
    docs = []
    for path in sorted((SHARED / "corpus" / "saudinewsnet").glob("*.json.gz")):
        for a in json.load(gzip.open(path)):
            text = a.get("content") or ""
            if text.strip():
                docs.append({"doc_id": doc_id(text), "text": text, "title": a.get("title"),
                             "source_id": a.get("url"), "source_path": str(path)})
                if len(docs) == n:
                    return docs
    return docs


def run(label: str, docs: list[dict], cache: Path, extra: str = "") -> None:
    words = sum(len(d["text"].split()) for d in docs)
    t = time.perf_counter()
    out = process_text(docs, cache)
    dt = time.perf_counter() - t
    print(f"{label:5s} {len(docs)} articles {words} words {dt:7.2f} s {words / dt:8.0f} words/s"
          f"  ({len(out['tokens'])} tokens, {len(out['sentences'])} sentences){extra}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    docs = articles(2 * n)
    a, b = docs[:n], docs[n:]
    cache = Path(tempfile.mkdtemp(prefix="khabar-bench-"))
    print(f"cache {cache}")
    run("cold", a, cache)
    run("warm", a, cache)
    segment._MORPH.clear()  # as a new process: the persisted cache is read from disk
    t = time.perf_counter()
    m = segment.morph(cache)
    load = time.perf_counter() - t
    run("next", b, cache, f"; +{load:.2f} s to open the cache")
    from camel_tools.morphology.analyzer import Analyzer
    from camel_tools.morphology.database import MorphologyDB

    sample = sorted(m.cache)[::max(1, len(m.cache) // 2000)]
    stock = Analyzer(MorphologyDB.builtin_db(DB_NAME), "NOAN_PROP")
    for label, an in (("stock (all features)", stock), ("as used here (features pruned)", m.analyzer)):
        t = time.perf_counter()
        for w in sample:
            an.analyze(w)
        print(f"camel-tools analyzer, uncached, {label}: {len(sample) / (time.perf_counter() - t):.0f} words/s")


if __name__ == "__main__":
    main()
