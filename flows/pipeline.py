"""The khabar flow: ingest -> text -> extract -> quality -> publish, on batches of documents."""
from __future__ import annotations

import time
from collections import Counter, deque
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Literal

from prefect import flow, get_client, get_run_logger, task
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId
from prefect.runtime import flow_run
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from tasks import ingest
from tasks.ingest import Item
from tasks.publish import Warehouse, new_run_id, run_row
from tasks.schema import PIPELINE_VERSION

Runner = Literal["thread", "process", "dask"]
read_task = task(ingest.read_files, name="read", retries=2, retry_delay_seconds=[1, 5])


@task(name="stage", retries=2, retry_delay_seconds=[1, 5])
def stage_task(wh: Warehouse, run_id: str, part: int, tables: dict[str, list[dict]]) -> dict[str, int]:
    return {t: wh.stage(run_id, t, rows, part) for t, rows in tables.items() if len(rows)}


@task(name="commit")
def commit_task(wh: Warehouse, run_id: str, row: dict) -> Path:
    wh.commit(run_id, row)
    return wh.write_views()


@task(name="documents")
def documents_task(docs: list[dict]) -> dict[str, list[dict]]:
    return {"documents": [{**d, "pipeline_version": PIPELINE_VERSION} for d in docs]}


def task_runner(runner: Runner, workers: int, dask_address: str | None):
    if runner == "thread":
        return ThreadPoolTaskRunner(max_workers=workers)
    if runner == "process":
        return ProcessPoolTaskRunner(max_workers=workers)
    from prefect_dask import DaskTaskRunner

    if dask_address:
        return DaskTaskRunner(address=dask_address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                          "processes": True, "local_directory": "/tmp/khabar-dask"})


@flow(name="khabar", log_prints=True)
def khabar(inputs: list[str], warehouse: str = "warehouse", batch_size: int = 200, runner: Runner = "thread",
           workers: int = 2, dask_address: str | None = None, full_refresh: bool = False,
           since: date | None = None, wait: float = 0.0) -> dict:
    """Read `inputs` (files, folders, globs) and add what is new to the warehouse at `warehouse`.

    runner: where batches run (thread: this process; process: a local process pool; dask: a Dask
    cluster, local with `workers` processes unless dask_address names one). full_refresh rebuilds
    the warehouse from these inputs; since skips input files last modified before that date."""
    sub = pipeline.with_options(task_runner=task_runner(runner, workers, dask_address))
    return sub(inputs=inputs, warehouse=warehouse, batch_size=batch_size, window=2 * workers,
               full_refresh=full_refresh, since=since, wait=wait)


@flow(name="khabar-pipeline")
def pipeline(inputs: list[str], warehouse: str, batch_size: int, window: int, full_refresh: bool,
             since: date | None, wait: float) -> dict:
    log = get_run_logger()
    wh, started, t0 = Warehouse(Path(warehouse)), datetime.now(timezone.utc), time.monotonic()
    fields = ingest.load_fields()
    with wh.lock(wait):
        if leftovers := wh.recover():
            log.warning("removed %d leftovers of an interrupted run", len(leftovers))
        run_id, counts, part = new_run_id(started), Counter(), 0
        seen = ingest.Seen(set(), set(), set()) if full_refresh else wh.seen()
        paths, early = [], []
        for p in ingest.discover(inputs):
            (early if isinstance(p, Item) else paths).append(p)
        if since:
            cutoff = datetime(since.year, since.month, since.day, tzinfo=timezone.utc).timestamp()
            counts["files_skipped"] = len(paths) - len(paths := [p for p in paths if p.stat().st_mtime >= cutoff])
        inflight: deque = deque()
        pending: list[dict] = []

        def drain(limit: int) -> None:
            while len(inflight) > limit:
                counts.update(inflight.popleft().result())

        def submit(tables) -> None:
            nonlocal part
            inflight.append(stage_task.submit(wh, run_id, part, tables))
            part += 1
            drain(window)

        def flush(final: bool) -> None:
            nonlocal pending
            while len(pending) >= batch_size or (final and pending):
                batch, pending = pending[:batch_size], pending[batch_size:]
                submit(documents_task.submit(batch))

        def admit(items: list[Item]) -> None:
            docs, sources, rejects = ingest.admit(items, seen)
            counts["records"] += len(items)
            pending.extend(docs)
            submit({"sources": sources, "rejects": rejects})
            flush(final=False)

        try:
            admit(early)
            done = 0
            for group in ingest.file_groups(paths):
                admit(read_task(group, fields))
                done += len(group)
                log.info("files %d/%d, %d records, %.0f records/s", done, len(paths), counts["records"],
                         counts["records"] / (time.monotonic() - t0))
            flush(final=True)
            drain(0)
            commit_task(wh, run_id, run_row(started, inputs, counts, PIPELINE_VERSION, full_refresh))
            if full_refresh:
                log.info("full refresh: retired %d files of earlier runs", len(wh.recover()))
        except BaseException:
            drain_quietly(inflight)
            wh.abort(run_id)
            raise
    summary = {"run_id": run_id, **counts, "seconds": round(time.monotonic() - t0, 1),
               "stage_seconds": stage_seconds(flow_run.get_id())}
    new = counts["documents"] or counts["sources"] or counts["rejects"] or full_refresh
    log.info("run %s: %s", run_id, summary if new else "nothing new: every input is already in the warehouse")
    return summary


def drain_quietly(futures: deque) -> None:
    """Wait for in-flight tasks before cleaning their staging up (their own errors are already raised)."""
    for f in futures:
        f.wait()


def stage_seconds(run: str) -> dict[str, float]:
    """Run time summed per task name for one flow run, as Prefect recorded it."""
    out: Counter = Counter()
    flt = TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[run]))
    offset = 0
    with get_client(sync_client=True) as client:
        while page := client.read_task_runs(task_run_filter=flt, limit=200, offset=offset):
            offset += len(page)
            for tr in page:
                out[tr.task_key.rsplit("-", 1)[0] if not tr.name else tr.name.rsplit("-", 1)[0]] += \
                    tr.total_run_time.total_seconds()
    return {k: round(v, 2) for k, v in sorted(out.items())}
