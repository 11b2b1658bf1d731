"""Where `--runner auto` should switch from threads to the process pool: both runners on SaudiNewsNet
slices of growing size, each run from an empty analysis cache (as a first run is), one worker per core.

Prints each slice's input bytes (tasks.ingest.text_bytes) and both runs' wall times (Prefect's server
already up), then the break-even in bytes, interpolated between the last slice the thread runner
won and the first the pool won: flows/pipeline.py's AUTO_PROCESS_BYTES comes from it.
usage: python bench/runner_threshold.py [--sizes 50 100 200 400 800 1600] [--out bench/out]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.run import ROOT, prefect_server, run, slice_file  # noqa: E402
from tasks.ingest import text_bytes  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", type=int, default=[50, 100, 200, 400, 800, 1600])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as home, prefect_server(Path(home)) as env:
        for n in a.sizes:
            src = slice_file(n, a.out)
            wall = {}
            for runner in ("thread", "process"):
                cache, wh = a.out / "threshold-cache", a.out / "threshold-wh"
                shutil.rmtree(cache, ignore_errors=True)
                shutil.rmtree(wh, ignore_errors=True)
                wall[runner] = run({**env, "KHABAR_CACHE_DIR": str(cache)}, [str(src)], wh, "--runner", runner)["wall"]
            rows.append((text_bytes(src), wall["thread"], wall["process"]))
            print(f"{n:>6} articles, {rows[-1][0]:>11,} bytes: thread {wall['thread']:6.1f}s, "
                  f"process {wall['process']:6.1f}s", flush=True)
    won = [i for i, (_, t, p) in enumerate(rows) if p < t]
    if not won:
        print("the thread runner won on every slice: no break-even below", f"{rows[-1][0]:,} bytes")
        return
    i = won[0]
    if i == 0:
        print(f"the process pool won from the smallest slice: break-even at most {rows[0][0]:,} bytes")
        return
    (b0, t0, p0), (b1, t1, p1) = rows[i - 1], rows[i]
    even = b0 + (b1 - b0) * (t0 - p0) / ((t0 - p0) - (t1 - p1))  # where process - thread crosses 0
    print(f"break-even about {even:,.0f} bytes (between {b0:,} and {b1:,})")


if __name__ == "__main__":
    main()
