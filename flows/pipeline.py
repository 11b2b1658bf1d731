"""The khabar flow: ingest -> text -> extract -> quality -> publish, on batches of documents."""
from __future__ import annotations

import time
from collections import Counter, deque
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal

import pyarrow as pa
from prefect import flow, get_client, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId
from prefect.runtime import flow_run
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from flows.artifacts import publish_artifacts
from flows.batch import Batch, Docs, batch_task
from flows.params import BATCH_CHARS, BATCH_SIZE, Positive
from tasks import dq, ingest
from tasks.ingest import Item
from tasks.publish import Warehouse, new_run_id, run_row
from tasks.schema import PIPELINE_VERSION

Runner = Literal["thread", "process", "dask"]
read_task = task(ingest.read_files, name="read", retries=2, retry_delay_seconds=[1, 5])
rank_task = task(ingest.ranks, name="rank", retries=2, retry_delay_seconds=[1, 5])


@task(name="stage", retries=2, retry_delay_seconds=[1, 5], cache_policy=NONE)
def stage_task(wh: Warehouse, run_id: str, part: int, tables: dict[str, list[dict]]) -> Counter:
    """Stage what ingest decided (sources and rejects of a group of files)."""
    return Counter({t: wh.stage(run_id, t, rows, part) for t, rows in tables.items() if rows})


@task(name="commit", cache_policy=NONE)
def commit_task(wh: Warehouse, run_id: str, row: dict, parts: list[pa.Table]) -> Path:
    """The run's quality results (one row per table and expectation), then the atomic commit."""
    if parts:
        wh.stage(run_id, "dq_results", dq.combine(parts), 0)
    wh.commit(run_id, row)
    return wh.write_views()


@task(name="data-docs", cache_policy=NONE)
def docs_task(wh: Warehouse, committed: bool = True) -> list[tuple[str, ...]] | None:
    """Store the runs' GX results for Data Docs: those of committed runs (results of killed or failed
    runs are dropped), or of every run (committed=False: a failed run shows why). Submitted to the
    task runner, so GX runs where batches run, not in the flow's process. Returns the pages to draw."""
    from tasks import quality

    return quality.store_docs(wh.docs_dir, keep=wh.committed() if committed else None)


@task(name="data-docs-pages", cache_policy=NONE)
def pages_task(wh: Warehouse, pages: list[tuple[str, ...]], index: bool) -> None:
    from tasks import quality

    quality.render_docs(wh.docs_dir, pages, index)


def data_docs(wh: Warehouse, workers: int, committed: bool = True) -> None:
    """GX Data Docs: results stored by one task, their pages drawn by `workers` tasks at once."""
    pages = docs_task.submit(wh, committed).result()
    if pages is not None:  # at least one task: it rebuilds GX's index
        for f in [pages_task.submit(wh, pages[i::workers], i == 0) for i in range(min(workers, len(pages)) or 1)]:
            f.result()


def batch_cut(docs: list[dict], size: int, chars: int) -> int:
    """Documents in the first full batch of `docs`, 0 while they do not fill one: `size` documents,
    or as many as fit in `chars` characters of text (at least one)."""
    total = 0
    for n, d in enumerate(docs):
        total += len(d["text"])
        if n == size or (n and total > chars):
            return n
    return 0


def task_runner(runner: Runner, workers: int, dask_address: str | None):
    if runner == "thread":
        return ThreadPoolTaskRunner(max_workers=workers)
    if runner == "process":
        return ProcessPoolTaskRunner(max_workers=workers)
    import dask
    from prefect_dask import DaskTaskRunner

    if dask_address:
        return DaskTaskRunner(address=dask_address)
    # Workers of the local cluster skip Dask's statistical profiler (a stack sample of the task
    # thread every 10 ms: ~5% of their CPU on batches); their nannies pass them this config.
    dask.config.set({"distributed.worker.profile.enabled": False})
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                          "processes": True, "local_directory": "/tmp/khabar-dask"})


@flow(name="khabar", log_prints=True)
def khabar(inputs: list[str], warehouse: str = "warehouse", batch_size: Positive = BATCH_SIZE,
           batch_chars: Positive = BATCH_CHARS, runner: Runner = "thread", workers: Positive = 2,
           dask_address: str | None = None, full_refresh: bool = False, since: date | None = None,
           wait: float = 0.0, max_reject_share: float = 0.2) -> dict:
    """Read `inputs` (files, folders, globs) and add what is new to the warehouse at `warehouse`.

    A batch is at most batch_size documents and batch_chars characters of text (memory follows
    the text: a batch of long articles is shorter; an article longer than batch_chars goes alone).
    runner: where batches run (thread: this process; process: a local process pool; dask: a Dask
    cluster, local with `workers` processes unless dask_address names one). full_refresh rebuilds
    the warehouse from these inputs; since skips input files last modified before that date;
    a batch with a larger share of documents failing quality than max_reject_share fails the run."""
    sub = pipeline.with_options(task_runner=task_runner(runner, workers, dask_address))
    return sub(inputs=inputs, warehouse=warehouse, batch_size=batch_size, batch_chars=batch_chars,
               window=2 * workers, full_refresh=full_refresh, since=since, wait=wait,
               max_reject_share=max_reject_share)


@flow(name="khabar-pipeline")
def pipeline(inputs: list[str], warehouse: str, batch_size: int, batch_chars: int, window: int,
             full_refresh: bool, since: date | None, wait: float, max_reject_share: float) -> dict:
    log = get_run_logger()
    wh, started, t0 = Warehouse(Path(warehouse)), datetime.now(timezone.utc), time.monotonic()
    fields = ingest.load_fields()
    with wh.lock(wait):
        if leftovers := wh.recover():
            log.warning("removed %d leftovers of an interrupted run", len(leftovers))
        run_id, counts, seconds, part = new_run_id(started), Counter(), Counter(), 0
        seen = ingest.Seen(set(), set(), set()) if full_refresh else wh.seen()
        ledger = ingest.Ledger.of(seen)
        paths, early = [], []
        for p in ingest.discover(inputs):
            (early if isinstance(p, Item) else paths).append(p)
        if since:
            cutoff = datetime(since.year, since.month, since.day, tzinfo=timezone.utc).timestamp()
            counts["files_skipped"] = len(paths) - len(paths := [p for p in paths if p.stat().st_mtime >= cutoff])
        batches: deque = deque()  # futures of the batches in flight
        dq_parts: list[pa.Table] = []
        pending: list[dict] = []

        def next_part() -> int:
            nonlocal part
            part += 1
            return part - 1

        def collect() -> None:
            b: Batch = batches.popleft().result()
            dups = set(b.kids) & seen.docs  # split-off articles count only when new
            seen.docs.update(b.kids)
            counts["admitted"] += len(b.kids) - len(dups)
            counts.update(b.counts)
            counts.subtract(wh.drop(run_id, b.part, dups) if dups else {})
            seconds.update(b.seconds)
            dq_parts.append(b.dq)
            log.info("documents %d/%d, %.1f documents/s", counts["documents"], counts["admitted"],
                     counts["documents"] / (time.monotonic() - t0))

        def flush(final: bool) -> None:
            nonlocal pending
            while n := batch_cut(pending, batch_size, batch_chars) or (final and len(pending)):
                batch, pending = pending[:n], pending[n:]
                batches.append(batch_task.submit(wh, run_id, next_part(), Docs(batch), max_reject_share))
                while len(batches) > window:
                    collect()
            while final and batches:
                collect()

        def admit(items: list[Item]) -> None:
            docs, sources, rejects = ingest.admit(items, seen)
            ledger.reads(it.row for it in items)
            ledger.keeps(sources + rejects)
            counts["records"] += len(items)
            counts["admitted"] += len(docs)
            pending.extend(docs)
            counts.update(stage_task(wh, run_id, next_part(), {"sources": sources, "rejects": rejects}))
            flush(final=False)

        try:
            admit(early)
            groups = list(ingest.file_groups(paths))
            # a text several records give becomes the document of the least of them, not of the first read
            seen.firsts = ingest.firsts(x for g in groups for x in rank_task(g, fields))
            done = 0
            for group in groups:
                admit(read_task(group, fields))
                done += len(group)
                log.info("files %d/%d, %d records, %.0f records/s", done, len(paths), counts["records"],
                         counts["records"] / (time.monotonic() - t0))
            docs, sources = ingest.settle(seen)
            ledger.keeps(sources)
            counts["admitted"] += len(docs)
            pending.extend(docs)
            if sources:
                counts.update(stage_task(wh, run_id, next_part(), {"sources": sources}))
            flush(final=True)
            counts["accounted"] = ledger.check()  # before anything is published
            row = run_row(started, inputs, counts, PIPELINE_VERSION, full_refresh)
            t1 = time.perf_counter()
            commit_task(wh, run_id, row, dq_parts)
            t2 = time.perf_counter()
            if dq_parts:
                data_docs(wh, window // 2)
            seconds.update({"commit": t2 - t1, "data-docs": time.perf_counter() - t2})
            if full_refresh:
                log.info("full refresh: retired %d files of earlier runs", len(wh.recover()))
        except BaseException as e:
            for f in batches:
                f.wait(60)  # let in-flight batches finish before their staging is removed
            wh.abort(run_id)
            if isinstance(e, dq.QualityError):  # show why in Data Docs
                data_docs(wh, window // 2, committed=False)
            raise
    summary = {"run_id": run_id, **counts, "seconds": round(time.monotonic() - t0, 1),
               "stage_seconds": {**stage_seconds(flow_run.get_id()), **{k: round(v, 2) for k, v in seconds.items()}}}
    publish_artifacts(summary, wh.root, run_id)
    log.info("run %s: %s", run_id, summary if row["status"] == "completed"
             else "nothing new: every input is already in the warehouse")
    return summary


def stage_seconds(run: str) -> dict[str, float]:
    """Run time summed per task name for one flow run, as Prefect recorded it."""
    out: Counter = Counter()
    flt = TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[run]))
    offset = 0
    with get_client(sync_client=True) as client:
        while page := client.read_task_runs(task_run_filter=flt, limit=200, offset=offset):
            offset += len(page)
            for tr in page:
                out[tr.name.rsplit("-", 1)[0]] += tr.total_run_time.total_seconds()
    return {k: round(v, 2) for k, v in sorted(out.items())}
