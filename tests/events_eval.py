"""Event detection on the dev gold (../shared/eval/events_dev*.jsonl), scored by ../shared/tools/score.py.

The dev documents go through the text, entity and event stages; the events and a sources table are
written as Parquet into a scratch warehouse and the official scorer is run on it, so the figures
are exactly those of `score.py events` and `score.py spans`.

    .venv/bin/python tests/events_eval.py        # prints both score lines
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from events_support import analyse_many  # noqa: E402

from tasks.config import SHARED  # noqa: E402
from tasks.events import cluster, extract_events  # noqa: E402
from tasks.schema import to_table  # noqa: E402

EVAL = SHARED / "eval"
SCORER = SHARED / "tools" / "score.py"


def dev_docs() -> list[dict]:
    return [json.loads(line) for line in (EVAL / "events_dev.jsonl").open(encoding="utf-8")]


def run_events(analysed: list[tuple[dict, list[dict], list[dict], list[dict]]]) -> list[dict]:
    events = []
    for doc, sents, toks, ents in analysed:
        events += extract_events(doc, sents, toks, ents)[0]
    return cluster(events)


def score(analysed: list[tuple[dict, list[dict], list[dict], list[dict]]], events: list[dict]) -> dict[str, str]:
    """score.py's `events` and `spans` lines for these events."""
    run = "20260101T000000Z-000000"
    with tempfile.TemporaryDirectory() as wh:
        for name, rows in (
            ("sources", [{"source_id": d["source_id"], "source_path": "dev", "doc_id": d["doc_id"], "is_new": True,
                          "run_id": run} for d, *_ in analysed]),
            ("events", [{**e, "run_id": run} for e in events]),
        ):
            (Path(wh) / name).mkdir()
            pq.write_table(to_table(name, rows), Path(wh) / name / "part-0.parquet")
        out = {}
        for kind in ("events", "spans"):
            res = subprocess.run([sys.executable, str(SCORER), kind, str(EVAL / "events_dev_gold.jsonl"), wh],
                                 capture_output=True, text=True, check=True)
            out[kind] = res.stdout.strip()
        return out


def headline(line: str) -> float:
    """The last figure of a score.py line."""
    return float(line.split()[-1])


if __name__ == "__main__":
    analysed = analyse_many([(d["text"], d["id"]) for d in dev_docs()])
    for k, v in score(analysed, run_events(analysed)).items():
        print(f"{k}: {v}")
