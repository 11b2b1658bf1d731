"""The khabar deployment: a daily cron schedule and a typed parameter form in the Prefect UI.

`python -m flows.deploy` (what `make serve` runs, from the project root) registers the deployment
'khabar/daily' with the Prefect API at $PREFECT_API_URL and serves it in the foreground: runs from
the schedule, from the UI ("Run > Custom run") and from
`prefect deployment run 'khabar/daily' --param warehouse=DIR` execute in subprocesses of this one.
Ctrl-C stops serving and pauses the schedule.
"""

import argparse
import os
import sys
import time
from datetime import date

from prefect import flow, get_client, serve
from prefect.schedules import Cron

from flows.params import BATCH_CHARS, BATCH_SIZE, Positive, check_inputs, input_roots
from flows.pipeline import Runner, khabar
from tasks.config import ROOT

NAME = "daily"


@flow(name="khabar", log_prints=True)
def deployed(inputs: list[str], warehouse: str, since: date | None = None, batch_size: Positive = BATCH_SIZE,
             batch_chars: Positive = BATCH_CHARS, runner: Runner = "thread", workers: Positive = 2,
             dask_address: str | None = None, full_refresh: bool = False, wait: float = 600.0) -> dict:
    """Add what is new in the inputs to the warehouse.

    The deployment's entry: the khabar flow with its inputs checked, since they may come from the UI.

    Args:
        inputs: files, folders or globs (.txt .json .jsonl .html, optionally .gz) under the allowed
            input folders (KHABAR_INPUT_ROOTS)
        warehouse: folder of the warehouse to add to; created when missing
        since: skip input files last modified before this date (empty: read all)
        batch_size: documents per task batch, at most
        batch_chars: characters of text per task batch, at most
        runner: where batches run: threads in the run's process, a local process pool, or Dask
        workers: threads, processes or local Dask workers
        dask_address: address of an existing Dask scheduler, e.g. tcp://host:8786 (empty: a local cluster)
        full_refresh: rebuild the warehouse from these inputs (earlier runs' rows retire at the commit)
        wait: seconds to wait when another run holds the warehouse's lock
    """
    # khabar's body runs as this flow run (no extra nesting): same subflow and task runner as `khabar run`
    return khabar.fn(inputs=check_inputs(inputs, input_roots()), warehouse=warehouse, since=since,
                     batch_size=batch_size, batch_chars=batch_chars, runner=runner, workers=workers,
                     dask_address=dask_address, full_refresh=full_refresh, wait=wait)


def wait_for_api(timeout: float) -> None:
    """Block until the Prefect API answers its health check, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while (err := _health()) is not None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no Prefect API at {os.environ.get('PREFECT_API_URL', '(PREFECT_API_URL unset)')} "
                               f"after {timeout:.0f} s: {err}")
        time.sleep(1)


def _health() -> Exception | None:
    with get_client(sync_client=True) as c:
        return c.api_healthcheck()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flows.deploy", description=__doc__.splitlines()[0])
    ap.add_argument("--name", default=NAME, help="deployment name (default %(default)s)")
    ap.add_argument("--cron", default=os.environ.get("KHABAR_CRON", "0 3 * * *"),
                    help="schedule, cron syntax ($KHABAR_CRON, default '%(default)s')")
    ap.add_argument("--timezone", default=os.environ.get("KHABAR_TIMEZONE", "UTC"),
                    help="IANA timezone of the schedule ($KHABAR_TIMEZONE, default %(default)s)")
    ap.add_argument("--input", nargs="+", default=[str(ROOT / "seeds" / "*.txt")], metavar="PATH",
                    help="default inputs of scheduled runs")
    ap.add_argument("--warehouse", default=str(ROOT / "warehouse"), metavar="DIR",
                    help="default warehouse of scheduled runs")
    ap.add_argument("--paused", action="store_true", help="register the schedule paused (runs only on demand)")
    ap.add_argument("--api-timeout", type=float, default=0.0, metavar="SECONDS",
                    help="wait this long for the Prefect API to come up first")
    a = ap.parse_args(argv)
    if a.api_timeout:
        wait_for_api(a.api_timeout)
    # prefect.serve of a deployment (not flow.serve): each run loads flows/deploy.py afresh in
    # `python -m prefect.engine` instead of unpickling this process's flow objects.
    serve(deployed.to_deployment(
        name=a.name, schedule=Cron(a.cron, timezone=a.timezone), paused=a.paused, tags=["khabar"],
        parameters={"inputs": check_inputs(a.input, input_roots()), "warehouse": a.warehouse},
        description=f"khabar on a schedule ({a.cron}, {a.timezone}) or on demand from the UI or CLI",
    ), limit=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
