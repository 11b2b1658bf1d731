"""The same inputs give the same tables on every task runner (thread, process pool, Dask)."""
import json

import duckdb

from tasks.publish import DATA_TABLES
from tests.conftest import read_jsonl
from tests.test_failsafe import finish


def tables(wh) -> dict:
    with duckdb.connect(str(wh / "khabar.duckdb"), read_only=True) as con:
        return {t: con.execute(f"select * exclude (run_id) from {t} order by all").fetchall() for t in DATA_TABLES}


def test_process_pool_and_dask_write_the_same_tables_as_the_thread_runner(khabar_cli, tmp_path, seed_paths, shared):
    recs = read_jsonl(shared / "eval/events_dev.jsonl")[:60]
    src = tmp_path / "ev.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs), encoding="utf-8")
    inputs = ["--input", *map(str, seed_paths), str(src), "--batch-size", "16"]
    finish(khabar_cli("run", *inputs, "--warehouse", str(tmp_path / "thread"), "--runner", "thread"))
    out = finish(khabar_cli("run", *inputs, "--warehouse", str(tmp_path / "dask"), "--runner", "dask", "--workers", "2"))
    assert "LocalCluster" in out or "dask" in out.lower()
    finish(khabar_cli("run", *inputs, "--warehouse", str(tmp_path / "process"), "--runner", "process", "--workers", "2"))
    a = tables(tmp_path / "thread")
    assert a["tokens"] and a["events"]  # the comparison covers real rows
    assert tables(tmp_path / "dask") == a
    assert tables(tmp_path / "process") == a
    pages = [sorted(p.relative_to(wh / "dq_docs").parts[-4] for p in (wh / "dq_docs").rglob("validations/*/*/*/*.html"))
             for wh in (tmp_path / "thread", tmp_path / "dask", tmp_path / "process")]
    assert pages[0] and pages[0] == pages[1] == pages[2]  # Data Docs of the batches validated in workers, too
