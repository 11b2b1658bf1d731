"""The khabar flow: ingest -> text -> extract -> quality -> publish, on batches of documents."""
from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task

from tasks import ingest
from tasks.ingest import Item
from tasks.publish import Warehouse, new_run_id, run_row
from tasks.schema import PIPELINE_VERSION

read_task = task(ingest.read_files, name="read", retries=2, retry_delay_seconds=[1, 5])


@task(name="stage", retries=2, retry_delay_seconds=[1, 5])
def stage_task(wh: Warehouse, run_id: str, part: int, tables: dict[str, list[dict]]) -> dict[str, int]:
    return {t: wh.stage(run_id, t, rows, part) for t, rows in tables.items() if rows}


@task(name="commit")
def commit_task(wh: Warehouse, run_id: str, row: dict) -> Path:
    wh.commit(run_id, row)
    return wh.write_views()


def process(docs: list[dict]) -> dict[str, list[dict]]:
    """All per-document stages for one batch of new documents."""
    return {"documents": [{**d, "pipeline_version": PIPELINE_VERSION} for d in docs]}


@flow(name="khabar", log_prints=True)
def khabar(inputs: list[str], warehouse: str = "warehouse", batch_size: int = 200, wait: float = 0.0) -> dict:
    """Read `inputs` (files, folders, globs) and add what is new to the warehouse at `warehouse`."""
    log = get_run_logger()
    wh, started, t0 = Warehouse(Path(warehouse)), datetime.now(timezone.utc), time.monotonic()
    fields = ingest.load_fields()
    with wh.lock(wait):
        if leftovers := wh.recover():
            log.warning("removed %d leftovers of an interrupted run", len(leftovers))
        seen, run_id, counts, part = wh.seen(), new_run_id(started), Counter(), 0
        paths, early = [], []
        for p in ingest.discover(inputs):
            (early if isinstance(p, Item) else paths).append(p)
        pending: list[dict] = []

        def admit(items: list[Item]) -> None:
            nonlocal part, pending
            docs, sources, rejects = ingest.admit(items, seen)
            counts["records"] += len(items)
            counts.update(stage_task(wh, run_id, part, {"sources": sources, "rejects": rejects}))
            part += 1
            pending += docs
            while len(pending) >= batch_size:
                flush()

        def flush() -> None:
            nonlocal part, pending
            batch, pending = pending[:batch_size], pending[batch_size:]
            counts.update(stage_task(wh, run_id, part, process(batch)))
            part += 1

        admit(early)
        done = 0
        for group in ingest.file_groups(paths):
            admit(read_task(group, fields))
            done += len(group)
            log.info("files %d/%d, %d documents, %.1f docs/s", done, len(paths), counts["documents"],
                     counts["documents"] / (time.monotonic() - t0))
        while pending:
            flush()
        commit_task(wh, run_id, run_row(started, inputs, counts, PIPELINE_VERSION))
    summary = {"run_id": run_id, **counts, "seconds": round(time.monotonic() - t0, 1)}
    log.info("run %s: %s", run_id, "nothing new" if not (counts["documents"] or counts["sources"] or counts["rejects"])
             else summary)
    return summary
