"""A run's state in the flow: what it has counted so far (Tally) and its batches in flight (Window)."""
from __future__ import annotations

import itertools
import multiprocessing
import time
from collections import Counter, deque
from logging import Logger

import pyarrow as pa
from prefect.futures import PrefectFuture

from flows.batch import Batch, Docs, batch_task, stage_task
from flows.params import RunParams
from tasks import ingest
from tasks.publish import Warehouse


class Tally:
    """Counts (records read, documents admitted, rows staged per table), seconds per stage, the input
    accounting and the batches' quality results of run `run_id`; hands out its staging part numbers."""

    def __init__(self, wh: Warehouse, run_id: str, seen: ingest.Seen, t0: float):
        self.wh, self.run_id, self.seen, self.t0 = wh, run_id, seen, t0  # t0: the run's start, time.monotonic()
        self.counts: Counter = Counter()
        self.seconds: Counter = Counter()
        self.dq: list[pa.Table] = []
        self.ledger = ingest.Ledger.of(seen)  # records read and kept, checked before the commit
        self._parts = itertools.count()

    def part(self) -> int:
        return next(self._parts)

    def stage(self, tables: dict[str, list[dict]]) -> None:
        """Stage what ingest decided (sources and rejects of some records) as the next part."""
        self.counts.update(stage_task(self.wh, self.run_id, self.part(), tables))

    def add(self, b: Batch) -> None:
        """Count a finished batch; an article it split off that another batch split off too is dropped."""
        dups = set(b.kids) & self.seen.docs  # split-off articles count only when new
        self.seen.docs.update(b.kids)
        self.counts["admitted"] += len(b.kids) - len(dups)
        self.counts.update(b.counts)
        self.counts.subtract(self.wh.drop(self.run_id, b.part, dups) if dups else {})
        self.seconds.update(b.seconds)
        self.dq.append(b.dq)

    def rate(self, what: str) -> float:
        return self.counts[what] / (time.monotonic() - self.t0)


class Window:
    """New documents cut into batches (batch_cut) and submitted to the task runner, at most `size` in
    flight: submitting one more first waits for the oldest and counts it."""

    def __init__(self, tally: Tally, size: int, params: RunParams, log: Logger):
        self.tally, self.size, self.params, self.log = tally, size, params, log
        self.pending: list[dict] = []
        self.flight: deque[PrefectFuture] = deque()

    def add(self, docs: list[dict]) -> None:
        """Queue new documents; submit every full batch."""
        self.tally.counts["admitted"] += len(docs)
        self.pending.extend(docs)
        self._submit(final=False)

    def finish(self) -> None:
        """Submit the rest as a last batch and wait for all."""
        self._submit(final=True)
        while self.flight:
            self._collect()

    def wait(self, timeout: float) -> None:
        """Let batches in flight finish (on failure, before their staging is removed)."""
        for f in self.flight:
            f.wait(timeout)

    @staticmethod
    def stop() -> bool:
        """A stopped run (SIGTERM, Ctrl-C) does not wait for its batches: the worker processes of its
        process pool or local Dask cluster end now, mid-batch, before the run's staging is removed.
        False when there are none (the thread runner's batches cannot be stopped: they are waited for)."""
        kids = multiprocessing.active_children()
        for k in kids:
            k.terminate()
        for k in kids:
            k.join(5)
        return bool(kids)

    def _submit(self, final: bool) -> None:
        t, p = self.tally, self.params
        while n := batch_cut(self.pending, p.batch_size, p.batch_chars) or (final and len(self.pending)):
            docs, self.pending = self.pending[:n], self.pending[n:]
            self.flight.append(batch_task.submit(t.wh, t.run_id, t.part(), Docs(docs), p.max_reject_share))
            while len(self.flight) > self.size:
                self._collect()

    def _collect(self) -> None:
        self.tally.add(self.flight.popleft().result())
        c = self.tally.counts
        self.log.info("documents %d/%d, %.1f documents/s", c["documents"], c["admitted"], self.tally.rate("documents"))


def batch_cut(docs: list[dict], size: int, chars: int) -> int:
    """Documents in the first full batch of `docs`, 0 while they do not fill one: `size` documents,
    or as many as fit in `chars` characters of text (at least one)."""
    total = 0
    for n, d in enumerate(docs):
        total += len(d["text"])
        if n == size or (n and total > chars):
            return n
    return 0
