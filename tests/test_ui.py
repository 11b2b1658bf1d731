"""The deployment through the real Prefect UI, in headless Chromium, and through `prefect deployment run`.

A real server (temporary PREFECT_HOME, SQLite, free port) and `python -m flows.deploy` run as subprocesses
in their own process groups; both groups are ended however the tests end. Screenshots of every UI step go
to a temporary folder whose path the UI test prints.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tasks.config import ROOT

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
         "--no-first-run", "--disable-component-update", "--disable-sync"]
DEFAULT_INPUTS = str(ROOT / "seeds" / "000*.txt")  # the deployment's default: one seed file
TZ = "Asia/Riyadh"
DONE = ("Completed", "Failed", "Crashed", "Cancelled")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen, grace: float) -> None:
    """End the process group we started: SIGTERM, then SIGKILL for whatever is left (flow-run children too)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def wait_until(ok, timeout: float, what: str, procs: dict[str, tuple[subprocess.Popen, Path]]) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        for name, (p, log) in procs.items():
            assert p.poll() is None, f"{name} exited with {p.returncode}:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"no {what} after {timeout:.0f} s"
        time.sleep(1)


def answers(url: str) -> bool:
    try:
        return get_json(url) is not None
    except OSError:
        return False


def articles(warehouse: Path) -> set[str]:
    """Input files whose article is in the warehouse (split-off second articles have a parent and are left out)."""
    with duckdb.connect(str(warehouse / "khabar.duckdb"), read_only=True) as con:
        rows = con.execute("select source_path from documents where parent_doc_id is null").fetchall()
    assert len(rows) == len({r[0] for r in rows})
    return {Path(r[0]).name for r in rows}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A Prefect server and the khabar deployment served against it; yields (ui url, env, tmp, serve log)."""
    tmp = tmp_path_factory.mktemp("ui")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(tmp / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(port), "PREFECT_API_URL": api,
           "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp}/prefect.db",
           "PREFECT_RUNNER_POLL_FREQUENCY": "2", "KHABAR_TIMEZONE": TZ, "KHABAR_WAREHOUSE_ROOTS": str(tmp / "ok")}
    bin_ = Path(sys.executable).parent
    procs = {}
    try:
        procs["server"] = start([str(bin_ / "prefect"), "server", "start"], env, tmp / "server.log"), tmp / "server.log"
        wait_until(lambda: answers(f"{api}/health"), 240, "healthy Prefect server", procs)
        procs["serve"] = (start([sys.executable, "-m", "flows.deploy", "--paused", "--input", DEFAULT_INPUTS,
                                 "--warehouse", str(tmp / "ok" / "default-wh")], env, tmp / "serve.log"), tmp / "serve.log")
        wait_until(lambda: "polling for scheduled runs" in (tmp / "serve.log").read_text(), 120,
                   "deployment being served", procs)
        yield f"http://127.0.0.1:{port}", env, tmp, tmp / "serve.log"
    finally:
        for name, grace in (("serve", 30), ("server", 30)):
            if name in procs:
                stop(procs[name][0], grace)


def test_deployment_has_the_schedule_and_a_typed_form(served):
    ui, env, tmp, _ = served
    d = get_json(f"{ui}/api/deployments/name/khabar/daily")
    assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in d["schedules"]] == [("0 3 * * *", TZ)]
    props = d["parameter_openapi_schema"]["properties"]
    assert props["inputs"]["type"] == "array" and props["warehouse"]["type"] == "string"
    assert props["batch_size"]["type"] == "integer" and props["runner"]["enum"] == ["auto", "thread", "process", "dask"]
    assert props["runner"]["default"] == "auto" and props["wait"]["default"] == 600
    assert props["max_reject_share"] == {**props["max_reject_share"], "type": "number", "minimum": 0, "maximum": 1}
    assert {"format": "date", "type": "string"} in props["since"]["anyOf"]
    assert d["parameters"] == {"inputs": [DEFAULT_INPUTS], "warehouse": str(tmp / "ok" / "default-wh")}


def test_custom_run_from_the_ui_fills_the_given_warehouse(served):
    from playwright.sync_api import sync_playwright

    ui, env, tmp, _ = served
    assert CHROMIUM.exists(), "Debian's chromium is missing: apt-get install -y chromium chromium-driver"
    shots, warehouse, name = tmp / "screenshots", tmp / "ok" / "ui-wh", f"ui-test-{os.getpid()}"
    shots.mkdir()
    print(f"screenshots: {shots}")
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp / "chromium-profile"), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 1000})
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)

            def shot(step: str) -> None:
                page.screenshot(path=str(shots / f"{step}.png"), full_page=True)

            page.goto(f"{ui}/deployments")
            shot("1-deployments")
            page.get_by_role("link", name="daily", exact=True).click()
            page.wait_for_url(re.compile(r"/deployments/deployment/"))
            run = page.get_by_role("button", name="Run", exact=True)
            run.wait_for()
            page.get_by_text("At 03:00 AM every day").wait_for()
            shot("2-deployment")
            run.click()
            page.get_by_text("Custom run").click()

            def field(label: str):
                return page.locator(".schema-form-property").filter(
                    has=page.locator(".schema-form-property__label", has_text=re.compile(rf"^{label}( \(Optional\))?$")))

            field("warehouse").locator("textarea").wait_for()
            shot("3-form")
            page.locator(".p-text-input__control").first.fill(name)  # the run's name
            field("inputs").locator("textarea").first.fill(str(ROOT / "seeds" / "*.txt"))
            field("warehouse").locator("textarea").fill(str(warehouse))
            shot("4-filled")
            page.get_by_role("button", name="Submit").click()
            open_run(page, f"{ui}/runs", name)
            page.wait_for_url(re.compile(r"/runs/flow-run/"))
            badge = page.locator(".page-heading-flow-run__meta .state-badge")
            badge.wait_for()
            page.get_by_text(name, exact=True).first.wait_for()
            shot("5-run-started")
            deadline = time.monotonic() + 300
            while (state := badge.inner_text().strip()) not in DONE and time.monotonic() < deadline:
                page.wait_for_timeout(1000)  # the page follows the run's state by itself
            shot("6-run-finished")
            assert state == "Completed", (tmp / "serve.log").read_text()[-3000:]
            page.get_by_text("Parameters", exact=True).click()
            page.get_by_text(str(warehouse)).first.wait_for()
            shot("7-run-parameters")
        finally:
            browser.close()
    seeds = {p.name for p in (ROOT / "seeds").glob("*.txt")}
    assert len(seeds) == 5 and articles(warehouse) == seeds  # the form's inputs, not the deployment's default
    assert not (tmp / "ok" / "default-wh").exists()


def open_run(page, runs: str, name: str, timeout: float = 180) -> None:
    """Open the flow run called `name` from the runs list (on a loaded machine the toast that links
    to it may come and go before it can be clicked); the list is reloaded until the run is in it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    deadline = time.monotonic() + timeout
    # the form's page (deployment/<id>/run) is left once the run is created
    page.wait_for_url(lambda url: not urllib.parse.urlparse(url).path.rstrip("/").endswith("/run"))
    while True:
        page.goto(runs)
        link = page.get_by_role("link", name=name, exact=True).first
        try:
            link.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            assert time.monotonic() < deadline, f"flow run {name} not in the runs list after {timeout:.0f} s"
    link.click()


def test_cli_trigger_writes_to_the_given_warehouse_and_refuses_outside_inputs(served):
    ui, env, tmp, serve_log = served
    prefect = str(Path(sys.executable).parent / "prefect")

    def run(*params: str) -> subprocess.CompletedProcess:
        args = [a for p in params for a in ("--param", p)]
        return subprocess.run([prefect, "deployment", "run", "khabar/daily", *args, "--watch"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    done = run(f"warehouse={tmp / 'ok' / 'cli-wh'}")
    assert done.returncode == 0 and "Completed" in done.stdout, done.stdout + done.stderr
    assert articles(tmp / "ok" / "cli-wh") == {p.name for p in (ROOT / "seeds").glob("000*.txt")}  # the default inputs
    refused = run(f"warehouse={tmp / 'ok' / 'bad-wh'}", 'inputs=["/etc/*"]')
    assert refused.returncode != 0 and "Failed" in refused.stdout, refused.stdout + refused.stderr
    assert "outside the allowed input folders" in serve_log.read_text()
    assert not (tmp / "ok" / "bad-wh").exists()
    for bad in (tmp / "elsewhere", tmp / "ok" / ".." / "elsewhere"):
        refused = run(f"warehouse={bad}")
        assert refused.returncode != 0 and "Failed" in refused.stdout, refused.stdout + refused.stderr
        assert not (tmp / "elsewhere").exists()
    log = serve_log.read_text()
    assert f"warehouse '{tmp / 'elsewhere'}' is outside the allowed warehouse folders" in log
    assert "contains '..'; path traversal is not allowed" in log
