import json
import os
from pathlib import Path

import pytest

from tasks.config import ROOT, SHARED

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def _need(p: Path) -> Path:
    assert p.exists(), f"test data missing: {p} (../shared must sit beside the checkout)"
    return p


@pytest.fixture(scope="session")
def shared() -> Path:
    return _need(SHARED)


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    return sorted((ROOT / "seeds").glob("*.txt"))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in _need(path).open(encoding="utf-8")]


@pytest.fixture(scope="session")
def prefect_api():
    """One temporary Prefect server for the whole session (flows need an API; starting one costs ~20 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def khabar_cli(prefect_api):
    """Run the real `khabar` command in a subprocess against the session's Prefect server."""
    import os
    import subprocess
    import sys

    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}

    def start(*args: str, **more_env: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env={**env, **more_env},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    return start
