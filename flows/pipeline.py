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
from tasks import ingest, quality
from tasks.entities import entities_task
from tasks.events import events_task
from tasks.ingest import Item
from tasks.publish import Warehouse, new_run_id, run_row
from tasks.schema import PIPELINE_VERSION, to_table
from tasks.segment import text_task

Runner = Literal["thread", "process", "dask"]
read_task = task(ingest.read_files, name="read", retries=2, retry_delay_seconds=[1, 5])


@task(name="stage", retries=2, retry_delay_seconds=[1, 5], cache_policy=NONE)
def stage_task(wh: Warehouse, run_id: str, part: int,
               tables: dict[str, pa.Table | list[dict]]) -> tuple[dict[str, int], pa.Table | None]:
    """Stage a batch's tables; its dq_results come back to be combined into one set per run."""
    counts = {t: wh.stage(run_id, t, rows, part) for t, rows in tables.items() if len(rows) and t != "dq_results"}
    return counts, tables.get("dq_results")


@task(name="commit", cache_policy=NONE)
def commit_task(wh: Warehouse, run_id: str, row: dict, dq: list[pa.Table]) -> Path:
    """The run's quality results (one row per table and expectation), then the atomic commit."""
    if dq:
        wh.stage(run_id, "dq_results", quality.combine(dq), 0)
    wh.commit(run_id, row)
    return wh.write_views()


@task(name="gate", cache_policy=NONE)
def gate_task(run_id: str, rows: dict[str, list[dict]], extracted: tuple[list[dict], list[dict]],
              entities: list[dict], docs_dir: Path | None, max_reject_share: float) -> dict[str, pa.Table]:
    """Contract tables of one batch through the quality gates: what passes, plus rejects and dq_results."""
    events, quotes = extracted
    tables = {t: to_table(t, [{**r, "run_id": run_id} for r in rs]) for t, rs in
              {**rows, "entities": entities, "events": events, "quotes": quotes}.items()}
    q = quality.check(tables, run_id, docs_dir, max_reject_share)
    return {**q.tables, "rejects": q.rejects, "dq_results": q.dq_results}


@task(name="data-docs", cache_policy=NONE)
def docs_task(wh: Warehouse) -> Path:
    """GX Data Docs of the committed runs (results of killed or failed runs are dropped)."""
    return quality.build_docs(wh.root / "dq_docs", keep=wh.committed())


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
           since: date | None = None, wait: float = 0.0, max_reject_share: float = 0.2) -> dict:
    """Read `inputs` (files, folders, globs) and add what is new to the warehouse at `warehouse`.

    runner: where batches run (thread: this process; process: a local process pool; dask: a Dask
    cluster, local with `workers` processes unless dask_address names one). full_refresh rebuilds
    the warehouse from these inputs; since skips input files last modified before that date;
    a batch with a larger share of documents failing quality than max_reject_share fails the run."""
    sub = pipeline.with_options(task_runner=task_runner(runner, workers, dask_address))
    # GX's file context (Data Docs) is one process's: runs spread over processes keep dq_results only.
    return sub(inputs=inputs, warehouse=warehouse, batch_size=batch_size, window=2 * workers,
               full_refresh=full_refresh, since=since, wait=wait, max_reject_share=max_reject_share,
               data_docs=runner == "thread")


@flow(name="khabar-pipeline")
def pipeline(inputs: list[str], warehouse: str, batch_size: int, window: int, full_refresh: bool,
             since: date | None, wait: float, max_reject_share: float, data_docs: bool) -> dict:
    log = get_run_logger()
    wh, started, t0 = Warehouse(Path(warehouse)), datetime.now(timezone.utc), time.monotonic()
    fields = ingest.load_fields()
    with wh.lock(wait):
        if leftovers := wh.recover():
            log.warning("removed %d leftovers of an interrupted run", len(leftovers))
        run_id, counts, part = new_run_id(started), Counter(), 0
        docs_dir = wh.root / "dq_docs" if data_docs else None
        seen = ingest.Seen(set(), set(), set()) if full_refresh else wh.seen()
        paths, early = [], []
        for p in ingest.discover(inputs):
            (early if isinstance(p, Item) else paths).append(p)
        if since:
            cutoff = datetime(since.year, since.month, since.day, tzinfo=timezone.utc).timestamp()
            counts["files_skipped"] = len(paths) - len(paths := [p for p in paths if p.stat().st_mtime >= cutoff])
        texts: deque = deque()  # (batch, text future): first phase of the batches in flight
        stages: deque = deque()  # stage futures: second phase
        dq: list[pa.Table] = []
        pending: list[dict] = []

        def stage(tables) -> None:
            nonlocal part
            stages.append(stage_task.submit(wh, run_id, part, tables))
            part += 1
            while len(stages) > window:
                collect()

        def collect() -> None:
            n, q = stages.popleft().result()
            counts.update(n)
            dq.extend([q] if q is not None else [])
            if n.get("documents"):
                log.info("documents %d/%d, %.1f documents/s", counts["documents"], counts["admitted"],
                         counts["documents"] / (time.monotonic() - t0))

        def extract(batch: list[dict], text: dict[str, list[dict]]) -> None:
            """Second phase, once a batch's text is ready: split-off articles count only when new."""
            kids = [d for d in text["documents"] if d["doc_id"] not in seen.docs]
            seen.docs.update(d["doc_id"] for d in kids)
            counts["admitted"] += len(kids)
            keep = {d["doc_id"] for d in batch + kids}
            rows = {t: [r for r in rs if r["doc_id"] in keep] for t, rs in text.items() if t != "documents"}
            rows["documents"] = [{**d, "pipeline_version": PIPELINE_VERSION} for d in batch + kids]
            ents = entities_task.submit(rows["documents"], rows["sentences"], rows["tokens"])
            evq = events_task.submit(rows["documents"], rows["sentences"], rows["tokens"], ents)
            stage(gate_task.submit(run_id, rows, evq, ents, docs_dir, max_reject_share))

        def flush(final: bool) -> None:
            nonlocal pending
            while len(pending) >= batch_size or (final and pending):
                batch, pending = pending[:batch_size], pending[batch_size:]
                texts.append((batch, text_task.submit(batch)))
                while len(texts) > window:
                    extract(*next_text())
            while final and texts:
                extract(*next_text())

        def next_text() -> tuple[list[dict], dict[str, list[dict]]]:
            batch, f = texts.popleft()
            return batch, f.result()

        def admit(items: list[Item]) -> None:
            docs, sources, rejects = ingest.admit(items, seen)
            counts["records"] += len(items)
            counts["admitted"] += len(docs)
            pending.extend(docs)
            stage({"sources": sources, "rejects": rejects})
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
            while stages:
                collect()
            row = run_row(started, inputs, counts, PIPELINE_VERSION, full_refresh)
            commit_task(wh, run_id, row, dq)
            if dq and docs_dir:
                docs_task(wh)
            if full_refresh:
                log.info("full refresh: retired %d files of earlier runs", len(wh.recover()))
        except BaseException:
            for f in [*stages, *(f for _, f in texts)]:
                f.wait(60)  # let in-flight tasks finish before their staging is removed
            wh.abort(run_id)
            raise
    summary = {"run_id": run_id, **counts, "seconds": round(time.monotonic() - t0, 1),
               "stage_seconds": stage_seconds(flow_run.get_id())}
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
