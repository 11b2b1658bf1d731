"""Failure safety: a real run killed with SIGKILL, then re-run, equals an uninterrupted run;
hostile inputs are handled one by one without stopping the batch."""
import gzip
import json
import os
import signal
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from tasks.publish import DATA_TABLES, Warehouse
from tasks.schema import TABLES


def snapshot(wh: Path) -> dict:
    """Row counts and sorted keys of every table, read through the DuckDB views."""
    out = {}
    with duckdb.connect(str(wh / "khabar.duckdb"), read_only=True) as con:
        for t in DATA_TABLES:
            if t == "dq_results":
                continue  # per-run bookkeeping, keyed by run_id
            keys = ", ".join(f'"{k}"' for k in TABLES[t].key)
            rows = con.execute(f"select {keys} from {t} order by all").fetchall()
            assert len(rows) == len(set(rows)), f"duplicate keys in {t}"
            out[t] = rows
    return out


def assert_no_orphans(wh: Path) -> None:
    done = Warehouse(wh).committed()
    assert not (wh / "_staging").exists()
    for t in DATA_TABLES:
        for f in (wh / t).glob("*.parquet"):
            assert f.name.split("-part")[0] in done, f"orphan file {f}"
            pq.read_metadata(f)  # complete, readable Parquet


def corpus_slice(shared: Path, tmp: Path, n: int) -> Path:
    recs = json.load(gzip.open(sorted((shared / "corpus/saudinewsnet").glob("*.json.gz"))[0]))[:n]
    out = tmp / "slice.jsonl"
    out.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs), encoding="utf-8")
    return out


def finish(proc) -> str:
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, out[-3000:]
    return out


def test_kill_9_then_rerun_equals_an_uninterrupted_run(khabar_cli, shared, tmp_path):
    src = corpus_slice(shared, tmp_path, 120)
    ref, wh = tmp_path / "ref", tmp_path / "wh"
    finish(khabar_cli("run", "--input", str(src), "--warehouse", str(ref), "--batch-size", "10"))
    for moment in ("staging", "commit"):  # killed while batches are being staged, then while committing
        proc = khabar_cli("run", "--input", str(src), "--warehouse", str(wh), "--batch-size", "10")
        before = set(Warehouse(wh).committed()) if wh.exists() else set()
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            staged = list((wh / "_staging").glob("*/*/*.parquet")) if wh.exists() else []
            moved = [f for f in (wh / "documents").glob("*.parquet") if f.name.split("-part")[0] not in before] \
                if (wh / "documents").exists() else []
            if (moment == "staging" and len(staged) >= 3) or (moment == "commit" and moved):
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.001)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, f"run ended before the {moment} kill"
        if (wh / "khabar.duckdb").exists():  # readers see all of the run or none of it
            assert snapshot(wh) in (snapshot(ref), {t: [] for t in snapshot(ref)})
    finish(khabar_cli("run", "--input", str(src), "--warehouse", str(wh), "--batch-size", "10"))
    assert_no_orphans(wh)
    assert snapshot(wh) == snapshot(ref)
