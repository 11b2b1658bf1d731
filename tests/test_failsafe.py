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


def assert_every_source_has_its_document(wh: Path) -> None:
    with duckdb.connect(str(wh / "khabar.duckdb"), read_only=True) as con:
        lost = con.execute("""select count(*) from sources where doc_id not in (select doc_id from documents)
                              and doc_id not in (select doc_id from rejects where doc_id is not null)""").fetchone()[0]
    assert lost == 0, f"{lost} sources point to no document and no reject"


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


def files(d: Path, pattern: str) -> list[Path]:
    """A glob that a running run may change under it: what was there, or nothing."""
    try:
        return list(d.glob(pattern))
    except OSError:
        return []


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
            staged = files(wh / "_staging", "*/*/*.parquet")
            moved = [f for f in files(wh / "documents", "*.parquet") if f.name.split("-part")[0] not in before]
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
    assert_every_source_has_its_document(ref)
    assert snapshot(wh) == snapshot(ref)


def test_sigterm_stops_a_process_pool_run_at_once(khabar_cli, shared, tmp_path):
    """SIGTERM (a scheduler's or `kill`'s stop) ends the run and its pool's workers mid-batch, not
    after the batches in flight; nothing of the run is published."""
    import psutil

    src, wh = corpus_slice(shared, tmp_path, 400), tmp_path / "wh"
    proc = khabar_cli("run", "--input", str(src), "--warehouse", str(wh), "--runner", "process", "--workers", "2",
                      "--batch-size", "40")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None and len(files(wh / "_staging", "*/*/*.parquet")) < 3:
        time.sleep(0.05)
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert proc.poll() is None and len(workers) >= 2, "the run ended before the pool's batches were under way"
    os.kill(proc.pid, signal.SIGTERM)
    t0 = time.monotonic()
    out, _ = proc.communicate(timeout=60)
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert time.monotonic() - t0 < 30 and alive == [], (time.monotonic() - t0, alive)
    assert proc.returncode == 128 + signal.SIGTERM and "stopped by SIGTERM; nothing of this run is published" in out
    assert Warehouse(wh).committed() == set() and files(wh / "_staging", "*/*/*.parquet") == []


def test_hostile_inputs_are_handled_one_by_one(khabar_cli, tmp_path, seed_paths):
    art = seed_paths[1].read_text(encoding="utf-8")
    d = tmp_path / "in"
    (d / "dir.txt").mkdir(parents=True)  # a folder named like a file, holding a good article
    files = {
        "dir.txt/good.txt": art.encode(),
        "binary.txt": bytes(range(256)) * 64,
        "empty.txt": b"",
        "blank.txt": b" \n\t\r\n ",
        "legacy.txt": art.replace("ی", "ي").encode("cp1256", errors="ignore") + " ١".encode("cp1256", errors="ignore"),
        "utf16.txt": ("أ" + art[:800]).encode("utf-16"),
        "truncated.txt": ("ب" + art[:900]).encode()[:-1],
        "nul.txt": (art[:400] + "\x00\x00" + art[400:900]).encode(),
        "bidi.txt": ("\u202b" + art[:300].replace(" ", " \u200f", 20) + "\u200d\u202c" + art[300:700]).encode(),
        "huge.txt": ("ن" * 25_000_000).encode(),  # a 50 MB "article"
        "word.txt": ("قال " + "ب" * 1_000_000 + " انتهى").encode(),  # one 2 MB word inside an article
        "nothing.html": b"<html><head><script>x()</script></head><body><img src=a.png></body></html>",
        "english.txt": b"Nothing Arabic here, only an English sentence about the weather. " * 5,
        "bad.json": b'{"id": "x", "text": ',
        "lines.jsonl": ('{"id": "ok", "text": "' + art[:200].replace('"', "'").replace("\n", " ") +
                        '"}\n{oops\n{"id": "t", "text": ["list"]}\n').encode(),
        "corrupt.json.gz": b"\x1f\x8b\x08\x00garbage",
    }
    for name, data in files.items():
        (d / name).write_bytes(data)
    os.mkfifo(d / "pipe.txt")
    os.symlink(d, d / "dir.txt" / "loop")
    wh = tmp_path / "wh"
    finish(khabar_cli("run", "--input", str(d), "--warehouse", str(wh), "--batch-size", "4"))
    with duckdb.connect(str(wh / "khabar.duckdb"), read_only=True) as con:
        rej = dict(con.execute("select regexp_extract(source_id, '[^/]+$'), reason from rejects").fetchall())
        docs = {r[0].rsplit("/", 1)[-1] for r in con.execute("select source_id from sources").fetchall()}
        bad = con.execute("""select count(*) from tokens t join documents d using (doc_id)
                             where substring(d.text, t.start + 1, t."end" - t.start) <> t.surface""").fetchone()[0]
    assert rej == {"binary.txt": "binary", "empty.txt": "empty", "blank.txt": "empty", "huge.txt": "too_large",
                   "nothing.html": "empty", "english.txt": "not_arabic", "bad.json": "malformed_json",
                   "lines.jsonl:2": "malformed_json", "t": "wrong_type", "corrupt.json.gz": "corrupt_gzip",
                   "pipe.txt": "unreadable", "loop": "symlink_loop"}
    assert docs == {"good.txt", "legacy.txt", "utf16.txt", "truncated.txt", "nul.txt", "bidi.txt", "word.txt", "ok"}
    assert bad == 0  # offsets stay exact through controls, NULs and legacy encodings
    assert_every_source_has_its_document(wh)
