"""Publishing: staged runs stay invisible until commit; leftovers are recovered; one writer at a time."""
import subprocess
import sys

import duckdb
import pytest

from tasks.ingest import doc_id
from tasks.publish import Warehouse, WarehouseBusy, new_run_id, run_row
from tasks.schema import PIPELINE_VERSION, TABLES


def doc(text: str) -> dict:
    return {"doc_id": doc_id(text), "source_id": "s", "source_path": "p", "text": text, "n_chars": len(text),
            "pipeline_version": PIPELINE_VERSION}


def count(wh: Warehouse, table: str) -> int:
    with duckdb.connect(str(wh.root / "khabar.duckdb"), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def run(wh: Warehouse, texts: list[str], commit: bool = True, refresh: bool = False) -> str:
    from datetime import datetime, timezone

    rid = new_run_id()
    wh.stage(rid, "documents", [doc(t) for t in texts], 0)
    if commit:
        wh.commit(rid, run_row(datetime.now(timezone.utc), ["x"], {"documents": len(texts)}, PIPELINE_VERSION, refresh))
        wh.write_views()
    return rid


def test_views_show_only_committed_runs_and_recover_cleans_up(tmp_path, seed_paths):
    texts = [p.read_text(encoding="utf-8") for p in seed_paths]
    wh = Warehouse(tmp_path / "wh")
    run(wh, texts[:2])
    assert count(wh, "documents") == 2
    assert all(count(wh, t) == 0 for t in TABLES if t not in ("documents", "runs"))  # typed, empty, queryable
    staged = run(wh, texts[2:], commit=False)
    assert count(wh, "documents") == 2  # staged run invisible
    # a crash in the middle of commit: one part moved, no runs marker yet
    part = next((wh.root / "_staging" / staged / "documents").glob("*.parquet"))
    part.rename(wh.root / "documents" / part.name)
    assert count(wh, "documents") == 2  # views filter on the runs marker
    assert len(wh.recover()) == 2  # the staging folder and the moved part
    assert len(wh.files("documents")) == 1 and not (wh.root / "_staging").exists()
    assert wh.seen().docs == {doc_id(t) for t in texts[:2]}


def test_second_writer_is_refused_with_a_clear_message(tmp_path):
    wh = Warehouse(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from tasks.publish import Warehouse\n"
        f"with Warehouse({str(tmp_path)!r}).lock():\n print('locked', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseBusy, match=r"another khabar run is writing .*\(pid \d+ since"):
            with wh.lock(wait=1):
                pass
    finally:
        holder.kill()
        holder.wait()
    with wh.lock():  # released when the holder dies, even by SIGKILL
        pass


def test_an_open_reader_does_not_block_a_commit(tmp_path, seed_paths):
    texts = [p.read_text(encoding="utf-8") for p in seed_paths]
    wh = Warehouse(tmp_path)
    run(wh, texts[:1])
    reader = duckdb.connect(str(wh.root / "khabar.duckdb"))  # read-write, as the DuckDB CLI opens it
    try:
        run(wh, texts[1:3])
        assert reader.execute("select count(*) from documents").fetchone()[0] == 3  # old views see new parts
    finally:
        reader.close()
    assert count(wh, "documents") == 3


def test_full_refresh_retires_earlier_runs_atomically(tmp_path, seed_paths):
    texts = [p.read_text(encoding="utf-8") for p in seed_paths]
    wh = Warehouse(tmp_path)
    run(wh, texts[:3])
    run(wh, texts[3:])
    run(wh, texts[:2], refresh=True)
    assert count(wh, "documents") == 2  # only the refresh's generation is visible, at once
    assert count(wh, "runs") == 3  # run history is kept
    wh.recover()
    assert len(wh.files("documents")) == 1 and wh.seen().docs == {doc_id(t) for t in texts[:2]}


def test_pipeline_version_names_the_seed_dictionaries(tmp_path):
    import shutil

    from tasks.config import SEEDS as seeds
    from tasks.schema import seeds_version

    assert PIPELINE_VERSION.endswith(seeds_version(seeds))
    for p in seeds.glob("*.csv"):
        shutil.copy(p, tmp_path)
    assert seeds_version(tmp_path) == seeds_version(seeds)  # the contents, not where they are
    places = tmp_path / "places.csv"
    places.write_text(places.read_text(encoding="utf-8").replace("Central Asia", "Asia Minor"), encoding="utf-8")
    assert seeds_version(tmp_path) != seeds_version(seeds)
