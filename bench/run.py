"""`make bench`: the whole pipeline (every stage, quality gates included) on SaudiNewsNet slices.

Prints, per slice (1k, 5k, all 31,030 articles): articles/s and tokens/s end to end and per stage,
peak RSS of the run's process tree, the re-run time over unchanged inputs; then Dask with 1 vs 2
workers (on the 5k slice and the corpus), and the uncached camel-tools Analyzer rate on a sample of
the same text (measured before the runs and after each slice; the ratio is to the median).
A Dask size's three warehouses (the process pool's over the cache as the slices before it left it,
Dask 1 and 2 workers' over the warm cache) must hold the same rows: the bench prints "tables
identical across runners" or each table's first difference (tasks.digest).
One local Prefect server serves all runs, so its start-up is not counted. The analysis cache starts
empty (bench/out/cache) and the slices run in order: the 1k run is cold, later ones reuse what the
earlier slices analysed. Per-stage times are summed over worker processes (CPU seconds, roughly).
First of all (unless --no-cold-default), the whole corpus as a new user runs it: `khabar run` with the
CLI's defaults (runner auto), Prefect's embedded server, an empty analysis cache; wall, peak RSS and the
ratio to the uncached analyzer measured right after (issue 19's bars: 600 s, 2 GiB, 20x).
usage: python bench/run.py [--sizes 1000 5000 all] [--dask-sizes 5000 all] [--runner process] [--out bench/out]
       [--no-cold-default]   (the cold-default run alone: --sizes --dask-sizes)
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import duckdb
import psutil

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "saudinewsnet"
sys.path.insert(0, str(ROOT))


def records(n: int | None) -> list[dict]:
    out: list[dict] = []
    for f in sorted(CORPUS.glob("*.json.gz")):
        out += json.load(gzip.open(f))
        if n and len(out) >= n:
            return out[:n]
    return out


def slice_file(n: int, out: Path) -> Path:
    p = out / f"saudinewsnet-{n}.jsonl"
    if not p.exists():
        p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records(n)), encoding="utf-8")
    return p


@contextmanager
def prefect_server(home: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    proc = subprocess.Popen([str(ROOT / ".venv/bin/prefect"), "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("Prefect server did not start")
        yield env
    finally:
        proc.terminate()
        proc.wait(30)


def run(env: dict, inputs: list[str], wh: Path, *extra: str, log: Path | None = None) -> dict:
    """One `khabar run` in a subprocess: its summary, wall time and peak RSS of the process tree;
    its stderr (the log) goes to `log`, if given."""
    cmd = [sys.executable, "-m", "flows.cli", "run", "--warehouse", str(wh), "--json", "--input", *inputs, *extra]
    t0, peak = time.monotonic(), 0
    err = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            peak = max(peak, sum(p.memory_info().rss for p in [ps, *ps.children(recursive=True)]))
        except psutil.Error:
            pass
        time.sleep(0.2)
    out = proc.stdout.read()
    if log:
        err.close()
    if proc.returncode:
        raise RuntimeError(f"run failed ({proc.returncode}): {out[-2000:]}")
    summary = json.loads(out.strip().splitlines()[-1])
    return {**summary, "wall": time.monotonic() - t0, "peak_rss_mb": peak / 2**20}


def cold_default(out: Path, meter) -> None:
    """`khabar run` on the whole corpus as a new user starts it: the CLI's defaults (runner auto, one
    worker per core), Prefect's embedded server (its start-up counted) and an empty analysis cache;
    then the uncached analyzer, measured right after."""
    cache, wh, log = out / "cold-cache", out / "wh-cold", out / "cold-default.log"
    subprocess.run(["rm", "-rf", str(cache), str(wh)], check=True)
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        r = run({**env, "PREFECT_HOME": home, "KHABAR_CACHE_DIR": str(cache)}, [str(CORPUS)], wh, log=log)
    n_tok, n_words = tokens(wh)
    rate = meter()
    chose = next((ln.split("runner auto: ", 1)[1].split(",")[0] for ln in log.open() if "runner auto: " in ln), "?")
    print(line("[cold default] all", r, n_tok, n_words), flush=True)
    print(f"[cold default] runner auto chose {chose}; wall {r['wall']:.1f}s (bar 600 s, goal 300 s), peak RSS "
          f"{r['peak_rss_mb']:,.0f} MiB (bar 2,048), {n_words / r['wall']:,.0f} Arabic words/s of wall time = "
          f"{n_words / r['wall'] / rate:.1f}x the uncached analyzer's {rate:,.0f} words/s measured right after (bar 20x)",
          flush=True)


def tokens(wh: Path) -> tuple[int, int]:
    """Tokens, and the Arabic words among them (what the analyzer sees)."""
    with duckdb.connect(str(wh / "khabar.duckdb"), read_only=True) as con:
        return con.execute("select count(*), count(*) filter (where pos not in ('punc', 'digit', 'foreign')) "
                           "from tokens").fetchone()


def analyzer_meter(sample_words: int = 3000):
    """A function timing camel-tools' Analyzer, no cache, on distinct words of the corpus's first
    articles: words/s. Called between runs, so each figure sees the machine as the runs did."""
    from tasks.config import use_camel_data

    use_camel_data()
    from camel_tools.morphology.analyzer import Analyzer
    from camel_tools.morphology.database import MorphologyDB
    from camel_tools.tokenizers.word import simple_word_tokenize

    words: dict[str, None] = {}
    for r in records(2000):
        for w in simple_word_tokenize(r["content"]):
            words.setdefault(w)
        if len(words) >= sample_words:
            break
    sample = list(words)[:sample_words]
    an = Analyzer(MorphologyDB.builtin_db("calima-msa-r13"), "NOAN_PROP")  # cache_size=0: no cache

    def rate() -> float:
        t0 = time.perf_counter()
        for w in sample:
            an.analyze(w)
        return len(sample) / (time.perf_counter() - t0)
    return rate


def same_rows(first: Path, *others: Path) -> str:
    """"tables identical across runners", else each table's first difference (tasks.digest)."""
    from tasks import digest

    diff = [f"{first.name} vs {o.name}: {d}" for o in others for d in digest.compare(first, o)]
    rows = sum(n for n, _ in digest.digest(first).values())
    return "\n".join(diff) or f"tables identical across runners ({', '.join(p.name for p in (first, *others))}; {rows:,} rows)"


STAGES = ("read", "text", "entities", "geo", "events", "tables", "gate", "write", "commit", "data-docs")


def line(label: str, r: dict, n_tok: int, n_words: int) -> str:
    s, docs = r["seconds"], r.get("documents", 0)
    per = r.get("stage_seconds", {})
    stages = "\n".join(f"      {k:<10}{per[k]:8.1f}s {docs / per[k]:9,.0f} articles/s {n_tok / per[k]:11,.0f} tokens/s"
                       for k in STAGES if per.get(k))
    return (f"{label}: {r.get('records', 0):,} records, {docs:,} documents, {n_tok:,} tokens ({n_words:,} Arabic "
            f"words) in {s:.1f}s of flow time (wall {r['wall']:.1f}s with Prefect start-up): "
            f"{r.get('records', 0) / s:,.1f} articles/s, {n_tok / s:,.0f} tokens/s, {n_words / s:,.0f} words/s; "
            f"peak RSS {r['peak_rss_mb']:,.0f} MiB\n    time per stage, summed over workers:\n{stages}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", default=["1000", "5000", "all"])
    ap.add_argument("--cold-default", action=argparse.BooleanOptionalAction, default=True,
                    help="first, the whole corpus with the CLI's defaults from an empty cache")
    ap.add_argument("--runner", default="process")
    ap.add_argument("--workers", default="2")
    ap.add_argument("--dask-sizes", nargs="*", default=["5000", "all"])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    a = ap.parse_args()
    if not set(a.dask_sizes) <= set(a.sizes):
        ap.error("--dask-sizes must be among --sizes: the Dask runs compare workers over a warm cache")
    a.out.mkdir(parents=True, exist_ok=True)
    meter, rates, words_per_s = analyzer_meter(), [], {}

    def measure() -> None:
        rates.append(meter())
        print(f"camel-tools Analyzer, no cache: {rates[-1]:,.0f} words/s (one process)", flush=True)
    measure()
    if a.cold_default:
        cold_default(a.out, meter)
    cache = a.out / "cache"
    subprocess.run(["rm", "-rf", str(cache)], check=True)
    with tempfile.TemporaryDirectory() as home, prefect_server(Path(home)) as env:
        env["KHABAR_CACHE_DIR"] = str(cache)
        for size in a.sizes:
            inputs = [str(CORPUS)] if size == "all" else [str(slice_file(int(size), a.out))]
            wh = a.out / f"wh-{size}"
            subprocess.run(["rm", "-rf", str(wh)], check=True)
            r = run(env, inputs, wh, "--runner", a.runner, "--workers", a.workers)
            n_tok, n_words = tokens(wh)
            print(line(f"[{size}] first run", r, n_tok, n_words), flush=True)
            again = run(env, inputs, wh, "--runner", a.runner, "--workers", a.workers)
            print(f"[{size}] re-run over unchanged inputs: {again['seconds']:.1f}s "
                  f"({again['seconds'] / r['seconds']:.1%} of the first run), {again.get('documents', 0)} new documents",
                  flush=True)
            words_per_s[size] = n_words / r["seconds"]
            measure()
        # Dask with 1 and 2 workers over the warm cache. A run's fixed costs (worker start-up and imports,
        # Data Docs: ~10 s) weigh on the 5k slice (a minute with 2 workers), hardly on the corpus.
        for size in a.dask_sizes:
            inputs = [str(CORPUS)] if size == "all" else [str(slice_file(int(size), a.out))]
            secs = {}
            for w in ("1", "2"):
                wh = a.out / f"wh-dask-{w}"
                subprocess.run(["rm", "-rf", str(wh)], check=True)
                secs[w] = run(env, inputs, wh, "--runner", "dask", "--workers", w)["seconds"]
                print(f"[{size}] dask {w} worker(s): {secs[w]:.1f}s", flush=True)
            print(f"[{size}] dask speed-up 2 vs 1 workers: {secs['1'] / secs['2']:.2f}x", flush=True)
            print(f"[{size}] {same_rows(a.out / f'wh-{size}', a.out / 'wh-dask-1', a.out / 'wh-dask-2')}", flush=True)
    rate = statistics.median(rates)
    print(f"camel-tools Analyzer, no cache: median {rate:,.0f} words/s of {len(rates)} measurements "
          f"({min(rates):,.0f} to {max(rates):,.0f}), one before the runs and one after each slice")
    for size, wps in words_per_s.items():
        print(f"[{size}] end-to-end Arabic words/s vs the uncached analyzer's: {wps / rate:.1f}x "
              f"({wps / max(rates):.1f}x to {wps / min(rates):.1f}x)")


if __name__ == "__main__":
    main()
