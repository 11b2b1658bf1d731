"""The khabar flow: ingest -> text -> extract -> quality -> publish, on batches of documents."""
from __future__ import annotations

import itertools
import time
from collections import Counter
from datetime import date, datetime, timezone
from logging import Logger
from pathlib import Path

import pyarrow as pa
from prefect import flow, get_client, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId
from prefect.exceptions import TerminationSignal
from prefect.runtime import flow_run
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from flows.artifacts import publish_artifacts
from flows.params import RunParams, cores, takes
from flows.tally import Tally, Window
from tasks import dq, ingest
from tasks.ingest import Item
from tasks.publish import Warehouse, new_run_id, run_row
from tasks.schema import PIPELINE_VERSION

# `--runner auto` takes the process pool above this many bytes of input text (ingest.text_bytes): the
# break-even measured by bench/runner_threshold.py (SaudiNewsNet slices from an empty cache, one worker
# per core on 2 cores: 1.18 MB thread 31.7 s vs pool 34.7 s, 3.32 MB 53.9 s vs 48.6 s; about 1.95 MB).
AUTO_PROCESS_BYTES = 2_000_000
read_task = task(ingest.read_files, name="read", retries=2, retry_delay_seconds=[1, 5])
rank_task = task(ingest.ranks, name="rank", retries=2, retry_delay_seconds=[1, 5])


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


def task_runner(runner: str, workers: int, dask_address: str | None):
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


def choose_runner(p: RunParams, log: Logger) -> str:
    """p.runner, or for "auto" the thread runner on small inputs and the process pool on large ones."""
    if p.runner != "auto":
        return p.runner
    _, paths, _ = input_files(p.inputs, p.since)
    size = sum(map(ingest.text_bytes, paths))
    runner = "process" if size > AUTO_PROCESS_BYTES else "thread"
    log.info("runner auto: %s, for %d input files of about %s bytes (%s AUTO_PROCESS_BYTES, %s)", runner,
             len(paths), f"{size:,}", "over" if runner == "process" else "at most", f"{AUTO_PROCESS_BYTES:,}")
    return runner


def input_files(inputs: list[str], since: date | None) -> tuple[list[Item], list[Path], int]:
    """Rejects of input paths that are not files (missing, loops...), the files to read (modified since
    `since`), and how many files `since` skips."""
    paths, early = [], []
    for p in ingest.discover(inputs):
        (early if isinstance(p, Item) else paths).append(p)
    if not since:
        return early, paths, 0
    cutoff = datetime(since.year, since.month, since.day, tzinfo=timezone.utc).timestamp()
    kept = [p for p in paths if p.stat().st_mtime >= cutoff]
    return early, kept, len(paths) - len(kept)


@flow(name="khabar", log_prints=True)
@takes(RunParams)
def khabar(**given) -> dict:
    """Read `inputs` (files, folders, globs) and add what is new to the warehouse at `warehouse`.

    A batch is at most batch_size documents and batch_chars characters of text (memory follows
    the text: a batch of long articles is shorter; an article longer than batch_chars goes alone)."""
    p = RunParams(**given)
    workers = p.workers or cores()
    sub = pipeline.with_options(task_runner=task_runner(choose_runner(p, get_run_logger()), workers, p.dask_address))
    return sub(params=p, window=2 * workers)


@flow(name="khabar-pipeline")
def pipeline(params: RunParams, window: int) -> dict:
    log, p = get_run_logger(), params
    wh, started, t0 = Warehouse(Path(p.warehouse)), datetime.now(timezone.utc), time.monotonic()
    with wh.lock(p.wait):
        if leftovers := wh.recover():
            log.warning("removed %d leftovers of an interrupted run", len(leftovers))
        run = Tally(wh, new_run_id(started), ingest.Seen(set(), set(), set()) if p.full_refresh else wh.seen(), t0)
        early, paths, skipped = input_files(p.inputs, p.since)
        run.counts.update({"files_skipped": skipped} if p.since else {})
        batches = Window(run, window, p, log)
        try:
            admit(run, batches, early)
            read(run, batches, paths, log)
            batches.finish()
            run.counts["accounted"] = run.ledger.check()  # before anything is published
            row = run_row(started, p.inputs, run.counts, PIPELINE_VERSION, p.full_refresh)
            commit(run, row, window // 2, p.full_refresh, log)
        except BaseException as e:
            if not (isinstance(e, (KeyboardInterrupt, TerminationSignal)) and batches.stop()):
                batches.wait(60)  # in-flight batches finish before their staging is removed
            wh.abort(run.run_id)
            if isinstance(e, dq.QualityError):  # show why in Data Docs
                data_docs(wh, window // 2, committed=False)
            raise
    summary = {"run_id": run.run_id, **run.counts, "seconds": round(time.monotonic() - t0, 1),
               "stage_seconds": {**stage_seconds(flow_run.get_id()), **{k: round(v, 2) for k, v in run.seconds.items()}}}
    publish_artifacts(summary, wh.root, run.run_id)
    log.info("run %s: %s", run.run_id, summary if row["status"] == "completed"
             else "nothing new: every input is already in the warehouse")
    return summary


def read(run: Tally, batches: Window, paths: list[Path], log: Logger) -> None:
    """Every record of the input files, a group of files at a time, ranked first: a text several
    records give becomes the document of the least of them, not of the first read."""
    fields = ingest.load_fields()
    groups = list(ingest.file_groups(paths))
    run.seen.firsts = ingest.firsts(x for g in groups for x in rank_task(g, fields))
    for done, group in zip(itertools.accumulate(map(len, groups)), groups):
        admit(run, batches, read_task(group, fields))
        log.info("files %d/%d, %d records, %.0f records/s", done, len(paths), run.counts["records"], run.rate("records"))
    docs, sources = ingest.settle(run.seen)
    run.ledger.keeps(sources)
    if sources:
        run.stage({"sources": sources})
    batches.add(docs)


def admit(run: Tally, batches: Window, items: list[Item]) -> None:
    """Ingest's decision on records: their sources and rejects staged, their new documents queued."""
    docs, sources, rejects = ingest.admit(items, run.seen)
    run.ledger.reads(it.row for it in items)
    run.ledger.keeps(sources + rejects)
    run.counts["records"] += len(items)
    run.stage({"sources": sources, "rejects": rejects})
    batches.add(docs)


def commit(run: Tally, row: dict, docs_workers: int, full_refresh: bool, log: Logger) -> None:
    """The atomic commit, then GX Data Docs of the run; a full refresh then retires earlier runs' files."""
    t1 = time.perf_counter()
    commit_task(run.wh, run.run_id, row, run.dq)
    t2 = time.perf_counter()
    if run.dq:
        data_docs(run.wh, docs_workers)
    run.seconds.update({"commit": t2 - t1, "data-docs": time.perf_counter() - t2})
    if full_refresh:
        log.info("full refresh: retired %d files of earlier runs", len(run.wh.recover()))


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
