"""Train the NER CRF on ANERcorp's training part and measure it; writes models/ner/.

    python -m tasks.ner.train [--out DIR] [--dev-only] [--dev-out DIR]

The gold sentences go through the real text stage (tasks.segment.process_text: the tokens, ATB
segments and camel-tools readings the pipeline tags at run time), each token takes the BIO/BILOU
tag of the gold entity it lies in, and python-crfsuite trains a linear-chain CRF (L-BFGS with L1 and
L2 penalties, rows in file order, so the same inputs give the same model bytes). The word clusters
(clusters.py) must be built first. Dev: the last 10% of the file (by file
order) and AQMAR dev, measured on a model trained on the first 90% only. The shipped model is the
same recipe trained on 100%; its card records the 90% model's dev figures and the input hashes.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

from tasks.config import SHARED, SEEDS
from tasks.ingest import doc_id
from tasks.ner import VERSION
from tasks.ner.features import Featurizer, gazetteer, list_hashes, load_clusters
from tasks.ner.tag import MODEL_DIR, char_span, decode, encode

TRAIN = Path("train") / "ner_anercorp_train.jsonl"  # under ../shared
AQMAR = Path("eval") / "ner_aqmar_dev.jsonl"
DEV_SHARE = 0.1
SCORED = ("PERS", "LOC", "ORG")
RECIPE = {
    "groups": ["word", "affix", "morph", "gaz", "clusters", "context"],  # each kept by the ablation; shape cost 0.002
    "window": 1,  # 2 scored 0.023 less on ANERcorp dev
    "scheme": "BIO",  # BILOU scored 0.007 less (without clusters)
    "labels": ["PERS", "LOC", "ORG", "MISC"],  # MISC is learnt, not output
    # averaged perceptron: 0.010 less; possible_transitions (weights for label pairs never seen): 0.006 more
    "crf": {"algorithm": "lbfgs", "c1": 0.1, "c2": 0.05, "max_iterations": 200, "feature.possible_transitions": True},
}


def read_gold(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(first 90%, last 10%) of the training file, by file order."""
    cut = len(rows) - round(len(rows) * DEV_SHARE)
    return rows[:cut], rows[cut:]


def analyse(rows: list[dict]) -> list[tuple[dict, list[list[dict]], list[dict]]]:
    """(document, tokens per sentence, sentences) of each distinct gold text, through the text stage."""
    from tasks.segment import process_text

    docs: dict[str, dict] = {}
    for r in rows:
        docs.setdefault(doc_id(r["text"]), {"doc_id": doc_id(r["text"]), "text": r["text"], "published_at": None,
                                            "entities": r["entities"]})
    out = process_text([{k: v for k, v in d.items() if k != "entities"} for d in docs.values()])
    sents: dict[str, list[dict]] = {}
    toks: dict[tuple[str, int], list[dict]] = {}
    for s in out["sentences"]:
        sents.setdefault(s["doc_id"], []).append(s)
    for t in out["tokens"]:
        toks.setdefault((t["doc_id"], t["sentence_id"]), []).append(t)
    return [(d, [toks.get((d["doc_id"], s["sentence_id"]), []) for s in sents.get(d["doc_id"], [])],
             sents.get(d["doc_id"], [])) for d in docs.values()]


def gold_spans(toks: list[dict], entities: list[dict], labels: list[str]) -> list[tuple[int, int, str]]:
    """Token ranges of the gold entities inside one sentence (tokens overlapping each entity)."""
    out = []
    for e in entities:
        if e["label"] not in labels:
            continue
        inside = [i for i, t in enumerate(toks) if t["start"] < e["end"] and e["start"] < t["end"]]
        if inside:
            out.append((inside[0], inside[-1] + 1, e["label"]))
    return sorted(out)


def sequences(data, feats: Featurizer, recipe: dict):
    """(features, tags) per sentence of analysed gold documents."""
    for d, tok_lists, _ in data:
        for toks in tok_lists:
            if toks:
                tags = encode(len(toks), gold_spans(toks, d["entities"], recipe["labels"]), recipe["scheme"])
                yield feats.sentence(toks), tags


def fit(data, feats: Featurizer, recipe: dict, path: Path) -> None:
    """Train a CRF on analysed gold documents and write it to `path`."""
    import pycrfsuite

    params = dict(recipe["crf"])
    trainer = pycrfsuite.Trainer(params.pop("algorithm"), verbose=False)
    for x, y in sequences(data, feats, recipe):
        trainer.append(x, y)
    trainer.set_params(params)
    trainer.train(str(path))


def predict(data, feats: Featurizer, tagger) -> set[tuple[str, int, int, str]]:
    """(doc_id, start, end, label) of the tagged entities, spans widened to whole words."""
    out = set()
    for d, tok_lists, sents in data:
        for toks, s in zip(tok_lists, sents):
            if not toks:
                continue
            for a, b, label in decode(tagger.tag(feats.sentence(toks))):
                out.add((d["doc_id"], *char_span(d["text"], toks, a, b, s["start"], s["end"]), label))
    return out


def score(data, pred: set[tuple[str, int, int, str]]) -> dict:
    """Per-label P/R/F1 and macro-F1 over PERS/LOC/ORG on exact character spans (as score.py ner)."""
    gold = {(d["doc_id"], e["start"], e["end"], e["label"]) for d, _, _ in data for e in d["entities"]}
    out = {}
    for label in SCORED:
        g, p = {x for x in gold if x[3] == label}, {x for x in pred if x[3] == label}
        tp = len(g & p)
        prec, rec = tp / len(p) if p else 0.0, tp / len(g) if g else 0.0
        out[label] = {"P": round(prec, 4), "R": round(rec, 4),
                      "F1": round(2 * prec * rec / (prec + rec), 4) if tp else 0.0}
    out["macro_F1"] = round(sum(out[k]["F1"] for k in SCORED) / len(SCORED), 4)
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dev_run(train_data, dev_sets: dict, clusters: dict, recipe: dict, gaz: dict | None = None) -> dict:
    """Train on `train_data` in a scratch folder and score each dev set."""
    import pycrfsuite

    feats = Featurizer(recipe["groups"], recipe["window"], clusters, gaz)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dev.crfsuite"
        fit(train_data, feats, recipe, path)
        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        return {name: score(data, predict(data, feats, tagger)) for name, data in dev_sets.items()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder (default ../shared)")
    ap.add_argument("--out", type=Path, default=MODEL_DIR)
    ap.add_argument("--dev-only", action="store_true", help="measure the 90%% model; write nothing")
    ap.add_argument("--dev-out", type=Path, default=None,
                    help="also write the 90%% model there (a model folder for KHABAR_NER_MODEL) with the dev tail as "
                         "anercorp_dev.jsonl, to measure the whole pipeline on sentences the model never saw")
    args = ap.parse_args(argv)
    clusters_path = args.out / "clusters.tsv"
    clusters = load_clusters(clusters_path) if "clusters" in RECIPE["groups"] else {}
    lists = args.shared / TRAIN.parent  # ANERGazet's lists, beside the training file
    gaz = gazetteer(lists)
    rows = read_gold(args.shared / TRAIN)
    head, tail = split(rows)
    t0 = time.time()
    data_head, data_tail, aqmar = analyse(head), analyse(tail), analyse(read_gold(args.shared / AQMAR))
    dev = dev_run(data_head, {"anercorp_dev": data_tail, "aqmar_dev": aqmar}, clusters, RECIPE, gaz)
    print(json.dumps(dev), f"({time.time() - t0:.0f}s)", flush=True)
    if args.dev_out:
        args.dev_out.mkdir(parents=True, exist_ok=True)
        if clusters:
            shutil.copyfile(clusters_path, args.dev_out / clusters_path.name)
        with (args.dev_out / "anercorp_dev.jsonl").open("w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in tail)
        write(args.dev_out, data_head, "the first 90% of ner_anercorp_train.jsonl (the dev model)", dev, head, tail,
              clusters, gaz, args.shared, lists)
    if not args.dev_only:
        write(args.out, data_head + data_tail, "all of ner_anercorp_train.jsonl (3,922 sentences); dev figures from "
              "the same recipe trained on its first 90% and measured on its last 10% and on AQMAR dev",
              dev, head, tail, clusters, gaz, args.shared, lists)


def write(out: Path, data, trained_on: str, dev: dict, head: list, tail: list, clusters: dict, gaz: dict,
          shared: Path, lists: Path) -> None:
    """Train the recipe on `data` into out/ner.crfsuite and write its card."""
    model = out / "ner.crfsuite"
    clusters_path = out / "clusters.tsv"
    fit(data, Featurizer(RECIPE["groups"], RECIPE["window"], clusters, gaz), RECIPE, model)
    seeds = sorted(p for p in SEEDS.glob("*.csv"))
    card = {
        "name": "khabar-ner", "version": VERSION,
        "model": "linear-chain CRF (python-crfsuite, L-BFGS, L1 + L2) over text-stage tokens",
        "trained_on": trained_on,
        "recipe": RECIPE,
        "dev": dev,
        "dev_split": {"train_rows": len(head), "dev_rows": len(tail)},
        "files": {"model": {"name": model.name, "sha256": sha256(model)}} | (
            {"clusters": {"name": clusters_path.name, "sha256": sha256(clusters_path)}} if clusters else {}),
        "lists": list_hashes(lists),  # the tagger refuses other lists than these
        "inputs": {str(p): sha256(shared / p) for p in (TRAIN, AQMAR)} | {f"seeds/{p.name}": sha256(p) for p in seeds},
    }
    (out / "card.json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {model} ({model.stat().st_size / 2**20:.1f} MB) and card.json")


if __name__ == "__main__":
    main()
