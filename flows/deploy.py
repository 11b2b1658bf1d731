"""The khabar deployment: a daily cron schedule and a typed parameter form in the Prefect UI.

`python -m flows.deploy` (what `make serve` runs, from the project root) registers the deployment
'khabar/daily' with the Prefect API at $PREFECT_API_URL and serves it in the foreground: runs from
the schedule, from the UI ("Run > Custom run") and from
`prefect deployment run 'khabar/daily' --param warehouse=DIR` execute in subprocesses of this one.
Ctrl-C stops serving and pauses the schedule.
"""

import argparse
import inspect
import os
import sys
import time
from datetime import date
from typing import Literal

from prefect import flow, get_client
from prefect.schedules import Cron
from prefect.utilities.asyncutils import run_coro_as_sync

from flows.params import check_inputs, input_roots
from flows.pipeline import khabar
from tasks.config import ROOT

NAME = "daily"


@flow(name="khabar", log_prints=True)
def deployed(inputs: list[str], warehouse: str, since: date | None = None, batch_size: int = 200,
             runner: Literal["local", "dask"] = "local", full_refresh: bool = False, wait: float = 600.0) -> dict:
    """Add what is new in the inputs to the warehouse (the deployment's entry: checks the parameters, then runs khabar).

    Args:
        inputs: files, folders or globs (.txt .json .jsonl .html, optionally .gz); absolute paths under the allowed input folders (KHABAR_INPUT_ROOTS)
        warehouse: folder of the warehouse to add to; created when missing
        since: only documents published on or after this date (empty: all)
        batch_size: documents per task batch
        runner: where tasks run: local threads, or Dask
        full_refresh: recompute every document under a new pipeline_version
        wait: seconds to wait when another run holds the warehouse's lock
    """
    given = {"inputs": check_inputs(inputs, input_roots()), "warehouse": warehouse, "since": since,
             "batch_size": batch_size, "runner": runner, "full_refresh": full_refresh, "wait": wait}
    accepted = inspect.signature(khabar.fn).parameters
    defaults = inspect.signature(deployed.fn).parameters
    if unsupported := [k for k, v in given.items() if k not in accepted and v != defaults[k].default]:
        raise ValueError(f"this version of the khabar flow has no parameter {', '.join(unsupported)}; "
                         "leave it at its default")
    return khabar(**{k: v for k, v in given.items() if k in accepted})


def wait_for_api(timeout: float) -> None:
    """Block until the Prefect API answers its health check, or raise TimeoutError."""
    async def healthy() -> bool:
        async with get_client() as c:
            return await c.api_healthcheck() is None

    deadline = time.monotonic() + timeout
    while not run_coro_as_sync(healthy()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no Prefect API at {os.environ.get('PREFECT_API_URL', '(PREFECT_API_URL unset)')} "
                               f"after {timeout:.0f} s")
        time.sleep(1)


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
    deployed.serve(
        name=a.name, schedule=Cron(a.cron, timezone=a.timezone), paused=a.paused, limit=1, tags=["khabar"],
        parameters={"inputs": check_inputs(a.input, input_roots()), "warehouse": a.warehouse},
        description=f"khabar on a schedule ({a.cron}, {a.timezone}) or on demand from the UI or CLI",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
