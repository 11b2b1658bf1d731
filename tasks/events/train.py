"""Training and honest measurement of the event models on the dev gold in ../shared/eval.

    python -m tasks.events.train --cv 5 [--out DIR]   # out-of-fold figures, scored by score.py
    python -m tasks.events.train                      # train on all dev, write models/events.json

Cross-validation is by document: fold k's model is trained on the other folds and predicts fold k
through extract_events, the pipeline's own code path; the out-of-fold events of every fold are
written as a warehouse folder (sources and events Parquet tables, tasks/schema.to_table) that
../shared/tools/score.py scores unchanged.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from tasks.config import SHARED
from tasks.events.extract import cluster, extract_events
from tasks.schema import PLOVER_TYPES, to_table

EVAL = SHARED / "eval"
SCORER = SHARED / "tools" / "score.py"
SETS = {  # name -> (documents, gold, score.py kinds)
    "plover": ("plover_dev.jsonl", "plover_dev_gold.jsonl", ("plover", "actors", "dates", "location")),
    "gsr": ("events_dev.jsonl", "events_dev_gold.jsonl", ("events", "spans")),
}
RUN = "20260101T000000Z-000000"


def analyse(path: Path, cache: Path | None = None) -> list[dict]:
    """Each input record of a dev file through ingest, text and entity stages, as flows/batch.py runs them:
    {"doc", "sentences", "tokens", "entities", "source_id"} per document (a split-off article is its own)."""
    from tasks.entities import entities_of
    from tasks.ingest import Seen, admit, load_fields, read_items
    from tasks.segment import process_text

    tag = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    hit = cache / f"{path.stem}-{tag}.pkl" if cache else None
    if hit and hit.exists():
        return pickle.loads(hit.read_bytes())
    docs, sources, _ = admit(read_items(path, load_fields()), Seen(set(), set(), set()))
    text = process_text(docs, known={d["doc_id"] for d in docs})
    documents = docs + text.pop("documents")
    ents = entities_of(documents, text["sentences"], text["tokens"])
    by: dict[str, dict] = {d["doc_id"]: {"doc": d, "sentences": [], "tokens": [], "entities": []} for d in documents}
    for name, rows in (("sentences", text["sentences"]), ("tokens", text["tokens"]), ("entities", ents)):
        for r in rows:
            by[r["doc_id"]][name].append(r)
    for s in sources:  # a record repeating another's text is another source of its document
        by[s["doc_id"]].setdefault("source_ids", []).append(s["source_id"])
    out = [{"source_ids": [], **v} for v in by.values()]  # a split-off article has none
    if hit:
        hit.parent.mkdir(parents=True, exist_ok=True)
        hit.write_bytes(pickle.dumps(out))
    return out


def gold_of(name: str) -> dict[str, dict]:
    return {g["id"]: g for g in map(json.loads, (EVAL / SETS[name][1]).open(encoding="utf-8"))}


def fold_of(source_id: str, k: int) -> int:
    """A document's fold: a stable hash of its input id."""
    return int(hashlib.sha256(source_id.encode("utf-8")).hexdigest(), 16) % k


def write_warehouse(out: Path, items: list[dict], events: list[dict]) -> None:
    """A warehouse-shaped folder: sources and events Parquet tables in the contract schema."""
    sources = [{"source_id": sid, "source_path": "dev", "doc_id": it["doc"]["doc_id"], "is_new": True,
                "run_id": RUN} for it in items for sid in it["source_ids"]]
    for name, rows in (("sources", sources), ("events", [{**e, "run_id": RUN} for e in events])):
        (out / name).mkdir(parents=True, exist_ok=True)
        pq.write_table(to_table(name, rows), out / name / "part-0.parquet")


def score(kind: str, gold: Path, wh: Path) -> str:
    res = subprocess.run([sys.executable, str(SCORER), kind, str(gold), str(wh)],
                         capture_output=True, text=True, check=True)
    return res.stdout.strip()


def per_type(items: list[dict], events: list[dict], gold: dict[str, dict]) -> dict[str, tuple[int, int, int]]:
    """(tp, fp, fn) per PLOVER type over (sentence, type), as score.py's plover kind counts them."""
    pred: dict[str, set[str]] = {}
    for e in events:
        if not e["negated"]:
            pred.setdefault(e["doc_id"], set()).add(e["event_type"])
    counts = {t: [0, 0, 0] for t in PLOVER_TYPES}
    for it in items:
        for g in (gold[sid] for sid in it["source_ids"]):
            p, req = pred.get(it["doc"]["doc_id"], set()) - set(g["also_ok"]), set(g["types"])
            for t in p & req:
                counts[t][0] += 1
            for t in p - req:
                counts[t][1] += 1
            for t in req - p:
                counts[t][2] += 1
    return {t: tuple(c) for t, c in counts.items()}


def predict(items: list[dict], model) -> list[dict]:
    events = []
    for it in items:
        events += extract_events(it["doc"], it["sentences"], it["tokens"], it["entities"], model=model)[0]
    return cluster(events)


def report(out: Path, data: dict[str, list[dict]], events: dict[str, list[dict]]) -> list[str]:
    lines = []
    for name, (_, gold_file, kinds) in SETS.items():
        wh = out / name
        write_warehouse(wh, data[name], events[name])
        lines += [f"{name} {k}: {score(k, EVAL / gold_file, wh)}" for k in kinds]
    for t, (tp, fp, fn) in per_type(data["plover"], events["plover"], gold_of("plover")).items():
        if tp + fp + fn:
            p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
            lines.append(f"plover {t:<9} tp={tp:3d} fp={fp:3d} fn={fn:3d} P={p:.3f} R={r:.3f} "
                         f"F1={2 * p * r / (p + r) if p + r else 0:.3f}")
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tasks.events.train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--cv", type=int, default=0, help="k-fold cross-validation by document (0: train on all)")
    ap.add_argument("--rules", action="store_true", help="score the rules alone (no trained model)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/khabar-events-cv"), help="warehouse folders for score.py")
    ap.add_argument("--cache", type=Path, default=None, help="folder caching the analysed dev documents")
    a = ap.parse_args(argv)
    data = {name: analyse(EVAL / docs, a.cache) for name, (docs, _, _) in SETS.items()}
    if a.rules or not a.cv:
        events = {name: predict(items, None) for name, items in data.items()}
    else:
        raise SystemExit("no model yet")
    print("\n".join(report(a.out, data, events)))


if __name__ == "__main__":
    main()
