"""One batch of new documents through every stage, in whichever process the task runner picks.

text -> entities -> geo (places on the map) -> events on chunks (rows as dicts stay small), each
chunk turned into Arrow tables at once; then the quality gate on the whole batch (GX's cost is mostly
per validation, so fewer, larger validations), staging of what passed and GX's results kept for Data Docs. Only
counts and dq_results travel back to the flow: the rows never cross a process boundary. The stages
(camel-tools, GX) are imported where batches run: the flow's process stays small.
"""
from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NONE

from tasks import dq
from tasks.publish import Warehouse
from tasks.schema import PIPELINE_VERSION, to_table

CHUNK = 50  # documents per text/extract step: bounds the memory held as Python rows


@dataclass
class Batch:
    part: int
    counts: Counter  # rows staged per table
    kids: list[str]  # doc_ids of articles split off this batch's documents (the flow dedupes them)
    dq: pa.Table
    seconds: Counter = field(default_factory=Counter)  # time per stage


class Docs:
    """A batch's documents rows as one task parameter. Prefect walks lists and dicts in parameters for
    futures, in the flow and again in the worker, and Dask hashes them for a task key: ~0.5 s of CPU
    per 1,000 documents. A plain object is not walked, and Dask keys it by its doc_ids.
    (Prefect's `quote` skips its own walks, but Dask turns it into a plain tuple.)"""
    __slots__ = ("rows",)

    def __init__(self, rows: list[dict]):
        self.rows = rows

    def __dask_tokenize__(self) -> list[str]:
        return [d["doc_id"] for d in self.rows]


def process_batch(wh: Warehouse, run_id: str, part: int, batch: Docs, max_reject_share: float,
                  chunk: int = CHUNK) -> Batch:
    """Stage `batch` (new documents rows) and everything extracted from them as part `part` of run `run_id`.
    Raises dq.QualityError (nothing of the batch staged) when the batch fails the gate."""
    from tasks import quality
    from tasks.entities import entities_of
    from tasks.events import events_of
    from tasks.geo import geocode
    from tasks.segment import gc_paused, process_text

    # glibc's allocator, trimmed after the batch, gives back what a batch freed: a worker idles at
    # ~650 MB instead of ~800 (400-document batches); Arrow's default, mimalloc, kept ~100 MB of that.
    pa.set_memory_pool(pa.system_memory_pool())
    seconds: Counter = Counter()

    @contextmanager
    def timed(stage: str):
        t0 = time.perf_counter()
        yield
        seconds[stage] += time.perf_counter() - t0

    parts: dict[str, list[pa.Table]] = {}
    kids: list[str] = []
    docs = batch.rows
    known = {d["doc_id"] for d in docs}  # a split-off article that is also in this batch is not repeated
    with gc_paused():  # the chunk's rows die when they become tables: the GC need not scan them
        for i in range(0, len(docs), chunk):
            with timed("text"):
                text = process_text(docs[i:i + chunk], known=known)
            new = text.pop("documents")
            kids += [d["doc_id"] for d in new]
            known.update(d["doc_id"] for d in new)
            text["documents"] = [{**d, "pipeline_version": PIPELINE_VERSION} for d in docs[i:i + chunk] + new]
            with timed("entities"):
                ents = entities_of(text["documents"], text["sentences"], text["tokens"])
            with timed("geo"):
                ents = geocode(text["documents"], ents)
            with timed("events"):
                events, quotes = events_of(text["documents"], text["sentences"], text["tokens"], ents)
            with timed("tables"):
                for t, rows in {**text, "entities": ents, "events": events, "quotes": quotes}.items():
                    parts.setdefault(t, []).append(to_table(t, rows, run_id=run_id))
    with timed("gate"):
        try:
            q = quality.check({t: pa.concat_tables(ts) for t, ts in parts.items()}, run_id, max_reject_share)
        except dq.QualityError as e:
            if e.result:  # show why in Data Docs
                dq.record(wh.docs_dir, run_id, part, e.result.validations)
            raise
        dq.record(wh.docs_dir, run_id, part, q.validations)
    del parts
    with timed("write"):
        wh.unstage(run_id, part)  # a retried batch starts clean
        counts = Counter({t: wh.stage(run_id, t, data, part)
                          for t, data in {**q.tables, "rejects": q.rejects}.items() if data.num_rows})
    dq_results = q.dq_results
    del q
    pa.default_memory_pool().release_unused()  # the system pool's release is malloc_trim
    return Batch(part, counts, kids, dq_results, seconds)


def _retry(task, task_run, state) -> bool:
    """Retry a batch on anything but a quality failure (the same data would fail again)."""
    try:
        state.result()
    except dq.QualityError:
        return False
    except Exception:
        return True
    return False


@task(name="stage", retries=2, retry_delay_seconds=[1, 5], cache_policy=NONE)
def stage_task(wh: Warehouse, run_id: str, part: int, tables: dict[str, list[dict]]) -> Counter:
    """Stage what ingest decided (sources and rejects of a group of files)."""
    return Counter({t: wh.stage(run_id, t, rows, part) for t, rows in tables.items() if rows})


batch_task = task(process_batch, name="batch", retries=1, retry_delay_seconds=5, retry_condition_fn=_retry,
                  cache_policy=NONE)
