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

from prefect import flow, get_client, serve
from prefect.schedules import Cron

from flows.params import (RunParams, add_options, check_inputs, check_warehouse, from_options, input_roots, takes,
                          warehouse_roots)
from flows.pipeline import khabar

NAME = "daily"


@flow(name="khabar", log_prints=True)
@takes(RunParams, **RunParams.DEPLOYED)
def deployed(**given) -> dict:
    """Add what is new in the inputs to the warehouse.

    The deployment's entry: the khabar flow with its inputs and warehouse checked against the allowed
    folders (KHABAR_INPUT_ROOTS, KHABAR_WAREHOUSE_ROOTS) before anything is read or written, since
    they may come from the UI or the API."""
    p = RunParams(**given)
    checked = {"inputs": check_inputs(p.inputs, input_roots()), "warehouse": check_warehouse(p.warehouse, warehouse_roots())}
    # khabar's body runs as this flow run (no extra nesting): same subflow and task runner as `khabar run`
    return khabar.fn(**{**dict(p), **checked})


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
    ap.add_argument("--paused", action="store_true", help="register the schedule paused (runs only on demand)")
    ap.add_argument("--api-timeout", type=float, default=0.0, metavar="SECONDS",
                    help="wait this long for the Prefect API to come up first")
    runs = ap.add_argument_group("defaults of the deployment's runs (the UI's form starts from them)")
    add_options(runs, RunParams, RunParams.DEPLOYED)
    a = ap.parse_args(argv)
    p = from_options(ap, a, RunParams)
    given = {**p.model_dump(mode="json", include=p.model_fields_set), "inputs": check_inputs(p.inputs, input_roots()),
             "warehouse": check_warehouse(p.warehouse, warehouse_roots())}
    if a.api_timeout:
        wait_for_api(a.api_timeout)
    # prefect.serve of a deployment (not flow.serve): each run loads flows/deploy.py afresh in
    # `python -m prefect.engine` instead of unpickling this process's flow objects.
    serve(deployed.to_deployment(
        name=a.name, schedule=Cron(a.cron, timezone=a.timezone), paused=a.paused, tags=["khabar"],
        parameters=given,
        description=f"khabar on a schedule ({a.cron}, {a.timezone}) or on demand from the UI or CLI",
    ), limit=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
