"""`khabar` command line: run the flow, (later) report and serve."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from flows.params import RunParams, add_options, from_options
from flows.report_cli import add_report_command


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="khabar", description="Arabic news -> event warehouse")
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="ingest inputs and add what is new to the warehouse")
    add_options(run, RunParams, {})
    run.add_argument("--json", action="store_true", help="print the run summary as one JSON line")
    add_report_command(sub)
    a = ap.parse_args(argv)
    if a.cmd == "report":  # no Prefect needed
        return a.handler(a)
    params = from_options(run, a, RunParams)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    from flows.pipeline import khabar  # imports prefect: after the environment is set
    from tasks.publish import WarehouseBusy

    # Prefect turns a SIGTERM into a crashed flow run (the pipeline stops its workers and removes the
    # run's staging), then sends it again to the handler it found: this one, so the temporary server stops.
    signal.signal(signal.SIGTERM, _stopped)
    try:
        with ExitStack() as stack:
            if not os.environ.get("PREFECT_API_URL"):
                stack.enter_context(_temporary_server())
            summary = khabar(**dict(params))
    except WarehouseBusy as e:
        print(f"khabar: {e}", file=sys.stderr)
        return 3
    if a.json:
        print(json.dumps(summary, default=str))
    else:
        from flows.artifacts import run_figures, summary_table

        print(summary_table(run_figures(Path(params.warehouse), summary["run_id"]), summary, Path(params.warehouse)))
    return 0


def _stopped(signum: int, frame) -> None:
    print(f"khabar: stopped by {signal.Signals(signum).name}; nothing of this run is published", file=sys.stderr)
    raise SystemExit(128 + signum)


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
