"""`khabar` command line: run the flow, (later) report and serve."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date

from flows.params import BATCH_CHARS, BATCH_SIZE
from flows.report_cli import add_report_command


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="khabar", description="Arabic news -> event warehouse")
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="ingest inputs and add what is new to the warehouse")
    run.add_argument("--input", nargs="+", default=["seeds/*.txt"], metavar="PATH",
                     help="files, folders or globs (.txt .json .jsonl .html, optionally .gz)")
    run.add_argument("--warehouse", default="warehouse", metavar="DIR")
    run.add_argument("--batch-size", type=_positive, default=BATCH_SIZE, help="documents per task batch, at most")
    run.add_argument("--batch-chars", type=_positive, default=BATCH_CHARS,
                     help="characters of text per task batch, at most")
    run.add_argument("--runner", choices=["thread", "process", "dask"], default="thread",
                     help="where batches run: this process, a local process pool, or Dask")
    run.add_argument("--workers", type=_positive, default=2, help="processes for the process/local Dask runner")
    run.add_argument("--dask-address", metavar="tcp://HOST:PORT", help="use this existing Dask cluster")
    run.add_argument("--full-refresh", action="store_true", help="rebuild the warehouse from these inputs")
    run.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD",
                     help="skip input files last modified before this date")
    run.add_argument("--wait", type=float, default=0.0, help="seconds to wait for a concurrent run's lock")
    run.add_argument("--json", action="store_true", help="print the run summary as one JSON line")
    add_report_command(sub)
    a = ap.parse_args(argv)
    if a.cmd == "report":  # no Prefect needed
        return a.handler(a)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    from flows.pipeline import khabar  # imports prefect: after the environment is set
    from tasks.publish import WarehouseBusy

    try:
        with ExitStack() as stack:
            if not os.environ.get("PREFECT_API_URL"):
                stack.enter_context(_temporary_server())
            summary = khabar(inputs=a.input, warehouse=a.warehouse, batch_size=a.batch_size,
                             batch_chars=a.batch_chars, runner=a.runner,
                             workers=a.workers, dask_address=a.dask_address, full_refresh=a.full_refresh,
                             since=a.since, wait=a.wait)
    except WarehouseBusy as e:
        print(f"khabar: {e}", file=sys.stderr)
        return 3
    print(json.dumps(summary, default=str) if a.json else summary)
    return 0


def _positive(value: str) -> int:
    n = int(value)
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be over 0, not {n}")
    return n


@contextmanager
def _temporary_server() -> Iterator[None]:
    """A temporary local Prefect server for this run, announced in the environment so that worker
    processes report to it instead of each starting its own."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = SubprocessASGIServer()
    server.start(timeout=int(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]))
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield
    finally:
        for worker in (APILogWorker, EventsWorker):  # the run's last logs and events, before the server goes
            worker.drain_all(timeout=10)
        del os.environ["PREFECT_API_URL"]
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
