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
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from tasks.config import SHARED
from tasks.events.extract import Candidate, cluster, extract_events, sentence_candidates, sentences_of, span_features
from tasks.events.match import Sent
from tasks.events.model import Linear, Model
from tasks.schema import PLOVER_TYPES, to_table

EVAL = SHARED / "eval"
SCORER = SHARED / "tools" / "score.py"
SETS = {  # name -> (documents, gold, score.py kinds)
    "plover": ("plover_dev.jsonl", "plover_dev_gold.jsonl", ("plover", "actors", "dates", "location")),
    "gsr": ("events_dev.jsonl", "events_dev_gold.jsonl", ("events", "spans")),
}
RUN = "20260101T000000Z-000000"


def analyse(path: Path, cache: Path | None = None) -> list[dict]:
    """Each input record of a dev file through ingest, text, entity and geo stages, as flows/batch.py runs them:
    {"doc", "sentences", "tokens", "entities", "source_id"} per document (a split-off article is its own)."""
    from tasks.entities import entities_of
    from tasks.geo import geocode
    from tasks.ingest import Seen, admit, load_fields, read_items
    from tasks.segment import process_text

    tag = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    hit = cache / f"{path.stem}-{tag}.pkl" if cache else None
    if hit and hit.exists():
        return pickle.loads(hit.read_bytes())
    docs, sources, _ = admit(read_items(path, load_fields()), Seen(set(), set(), set()))
    text = process_text(docs, known={d["doc_id"] for d in docs})
    documents = docs + text.pop("documents")
    ents = geocode(documents, entities_of(documents, text["sentences"], text["tokens"]))
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


def fold_of(doc_id: str, k: int) -> int:
    """A document's fold: a stable hash of its doc_id (a text given twice is one document, in one fold)."""
    return int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest(), 16) % k


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


def predict(items: list[dict], model: Model) -> list[dict]:
    events = []
    for it in items:
        events += extract_events(it["doc"], it["sentences"], it["tokens"], it["entities"], model=model)[0]
    return cluster(events)


# ------------------------------------------------------------------------------------ labelling

def _spans(text: str, needle: str) -> list[tuple[int, int]]:
    out, i = [], text.find(needle)
    while needle and i >= 0:
        out.append((i, i + len(needle)))
        i = text.find(needle, i + 1)
    return out


def doc_labels(name: str, g: dict) -> dict[str, int]:
    """Per event type, whether the document reports it (1) or not (0); types it says nothing about are
    absent. PLOVER leads: required types 1, also_ok ones absent, the rest 0. GSR: only its one type."""
    if name == "plover":
        return {t: int(t in g["types"]) for t in PLOVER_TYPES if t not in g["also_ok"]}
    return {} if g["label"] == "ambiguous" else {g["event_type"]: int(g["label"] == "yes")}


def gold_triggers(name: str, g: dict, text: str) -> dict[str, list[tuple[int, int]]]:
    """Character spans of the gold trigger words per type (PLOVER: asserted events; GSR: the verb)."""
    out: dict[str, list[tuple[int, int]]] = {}
    if name == "plover":
        for e in g["events"]:
            if e["type"] in g["types"] and not e.get("negated") and not e.get("hypothetical") and e.get("trigger"):
                out.setdefault(e["type"], []).extend(_spans(text, e["trigger"]))
    elif g["label"] == "yes":
        words = [w for s in g["spans"][:1] for w in s["verb"].split()]
        out[g["event_type"]] = [sp for w in words for sp in _spans(text, w)]
    return out


def label(c: Candidate, s: Sent, labels: dict[str, int], trig: dict[str, list[tuple[int, int]]],
          soft: float) -> float | None:
    """A candidate's training target: where the document does not report its type, the share of
    annotators who said it does (GSR "difficult no": 1 of 3; else 0); 1 where it does and the candidate
    is on a gold trigger of the type (or the gold names no trigger word); None (not trained) where the
    type is allowed either way, unknown, or reported by another word."""
    y = labels.get(c.etype)
    if y is None or y == 0:
        return y if y is None else soft
    spans = trig.get(c.etype)
    if not spans:
        return 1
    t = s.toks[c.m.t]
    return 1 if any(a < t.end and t.start < b for a, b in spans) else None


@dataclass
class Row:
    doc: str  # doc_id
    etype: str
    feats: list[str]
    y: float | None  # training target (see label)
    negated: bool


@dataclass
class ActorRow:
    doc: str
    event: tuple  # (doc_id, sentence_id, trigger token): the rows of one event compete
    role: str
    feats: list[str]
    y: int


def gold_actors(name: str, g: dict, c: Candidate, s: Sent, text: str) -> dict[str, object] | None:
    """The gold actors of the event a positive candidate is on, per role: a character span (PLOVER),
    a list of words (GSR), None (no such actor); a role absent where the gold does not say."""
    t = s.toks[c.m.t]
    if name == "gsr":
        sp = g["spans"][0] if g["spans"] else None
        if sp is None:
            return None
        return {role: words for role in ("source", "target")
                if (words := [w for w in sp[role + "_actor"].split() if len(w) > 1])}
    for e in g["events"]:
        if e["type"] == c.etype and any(a < t.end and t.start < b for a, b in _spans(text, e.get("trigger") or "")):
            out = {}
            for role in ("source", "target"):
                occ = _spans(text, e.get(role) or "")
                out[role] = min(occ, key=lambda x: abs(x[0] - t.start)) if occ else None
            return out
    return None


def actor_label(gold: object, sp, text: str) -> int:
    if gold is None:
        return 0
    if isinstance(gold, tuple):
        return int(gold[0] < sp.end and sp.start < gold[1])
    return int(any(w in text[sp.start:sp.end] for w in gold))


def rows_of(name: str, items: list[dict], gold: dict[str, dict]) -> tuple[list[Row], dict, list[ActorRow]]:
    """Candidate rows of a dev set, the document-level labels (doc_id, type) -> 0/1 they are judged by,
    and the actor rows of the candidates that are gold events."""
    rows, docs, arows = [], {}, []
    for it in items:
        for g in (gold[sid] for sid in it["source_ids"][:1]):
            labels, text, doc = doc_labels(name, g), it["doc"]["text"], it["doc"]["doc_id"]
            trig = gold_triggers(name, g, text)
            docs.update({(doc, t): (name, y) for t, y in labels.items()})
            for s, _ in sentences_of(it["doc"], it["sentences"], it["tokens"], it["entities"]):
                for c in sentence_candidates(s):
                    y = label(c, s, labels, trig, g["accept"] / max(g["accept"] + g["reject"], 1)
                              if name == "gsr" else 0.0)
                    rows.append(Row(doc, c.etype, c.feats, y, c.negated))
                    ga = gold_actors(name, g, c, s, text) if y == 1 and trig.get(c.etype) else None
                    if ga:
                        key = (doc, s.row["sentence_id"], c.m.t, c.etype)
                        for sp, f in span_features(text, s, c):
                            arows += [ActorRow(doc, key, role, f, actor_label(ga[role], sp, text))
                                      for role in ("source", "target") if role in ga]
    return rows, docs, arows


# -------------------------------------------------------------------------------------- fitting

C_GRID = (0.03, 0.1, 0.3)
MIN_COUNT = 2  # a feature seen in fewer training rows gets no weight


def _fit(rows: list[Row] | list[ActorRow], c: float) -> Linear:
    from sklearn.feature_extraction import DictVectorizer
    from scipy.sparse import vstack
    from sklearn.linear_model import LogisticRegression

    rows = [r for r in rows if r.y is not None]
    seen = Counter(f for r in rows for f in set(r.feats))
    vec = DictVectorizer()
    x = vec.fit_transform([{f: 1 for f in r.feats if seen[f] >= MIN_COUNT} for r in rows])
    # a soft target y in (0, 1) is the row twice: positive with weight y, negative with weight 1 - y
    soft = [i for i, r in enumerate(rows) if 0 < r.y < 1]
    x = vstack([x, x[soft]]) if soft else x
    y = [int(r.y >= 1) for r in rows] + [1] * len(soft)
    w = [1.0 if r.y in (0, 1) else 1 - r.y for r in rows] + [rows[i].y for i in soft]
    lr = LogisticRegression(C=c, max_iter=2000).fit(x, y, sample_weight=w)
    w = {f: round(float(v), 5) for f, v in zip(vec.feature_names_, lr.coef_[0]) if round(float(v), 5)}
    return Linear(round(float(lr.intercept_[0]), 5), dict(sorted(w.items())), 0.5)


def doc_f1(rows: list[Row], probs: list[float], docs: dict[tuple[str, str], tuple[str, int]], thr: float) -> float:
    """The dev headline the threshold is chosen for: the mean of PLOVER micro-F1 and GSR macro-F1 over
    labelled (document, type) pairs, a pair predicted when a non-negated candidate of the type reaches
    the threshold."""
    hit = {(r.doc, r.etype) for r, p in zip(rows, probs) if p >= thr and not r.negated}
    counts: dict[tuple[str, str], list[int]] = {}
    for k, (name, y) in docs.items():
        c = counts.setdefault((name, k[1] if name == "gsr" else "*"), [0, 0, 0])
        c[0] += y and k in hit
        c[1] += (not y) and k in hit
        c[2] += y and k not in hit
    f1 = {k: 2 * tp / max(2 * tp + fp + fn, 1) for k, (tp, fp, fn) in counts.items()}
    means = [sum(v for (n, _), v in f1.items() if n == name) / max(sum(1 for n, _ in f1 if n == name), 1)
             for name in {n for n, _ in f1}]
    return sum(means) / max(len(means), 1)


def oof(rows: list[Row] | list[ActorRow], k: int, c: float) -> list[float]:
    """Out-of-fold probabilities: each row scored by a model trained on the other folds' documents."""
    probs = [0.0] * len(rows)
    for f in sorted({fold_of(r.doc, k) for r in rows}):
        m = _fit([r for r in rows if fold_of(r.doc, k) != f], c)
        for i, r in enumerate(rows):
            if fold_of(r.doc, k) == f:
                probs[i] = m.prob(r.feats)
    return probs


THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(2, 19))


def fit(rows: list[Row], docs: dict[tuple[str, str], tuple[str, int]], k: int = 5) -> tuple[Linear, dict]:
    """The trigger model: C and threshold chosen on k-fold out-of-fold predictions of `rows` (by
    document), then fitted on all of them."""
    best = (-1.0, 0.0, 0.0, [])
    for c in C_GRID:
        probs = oof(rows, k, c)
        for thr in THRESHOLDS:
            f1 = doc_f1(rows, probs, docs, thr)
            if f1 > best[0]:
                best = (f1, c, thr, probs)
    f1, c, thr, probs = best
    m = _fit(rows, c)
    return Linear(m.bias, m.weights, thr), {"C": c, "threshold": thr, "oof_doc_f1": round(f1, 4),
                                            "reliability": reliability(rows, probs)}


def reliability(rows: list[Row], probs: list[float], bins: int = 10) -> list[tuple[str, int, float, float, float]]:
    """Per probability bin over labelled rows: (bin, rows, mean predicted probability, mean training
    target, share that are gold events)."""
    out = []
    for b in range(bins):
        sel = [(p, r.y) for r, p in zip(rows, probs) if r.y is not None and b / bins <= p < (b + 1) / bins + (b == bins - 1)]
        if sel:
            n = len(sel)
            out.append((f"{b / bins:.1f}-{(b + 1) / bins:.1f}", n, round(sum(p for p, _ in sel) / n, 3),
                        round(sum(y for _, y in sel) / n, 3), round(sum(y >= 1 for _, y in sel) / n, 3)))
    return out


def role_f1(rows: list[ActorRow], probs: list[float], thr: float) -> float:
    """F1 of one role over events: the event's most probable span is its actor when it reaches the
    threshold; right where that span is a gold actor's."""
    best: dict[tuple, tuple[float, int]] = {}
    gold: dict[tuple, int] = {}
    for r, p in zip(rows, probs):
        gold[r.event] = max(gold.get(r.event, 0), r.y)
        if p > best.get(r.event, (-1.0, 0))[0]:
            best[r.event] = (p, r.y)
    tp = sum(1 for p, y in best.values() if p >= thr and y)
    fp = sum(1 for p, y in best.values() if p >= thr and not y)
    return 2 * tp / max(2 * tp + fp + (sum(gold.values()) - tp), 1)


def fit_role(rows: list[ActorRow], k: int = 5) -> tuple[Linear, dict]:
    """One role's ranker, C and threshold chosen on out-of-fold predictions like the trigger model's."""
    best = (-1.0, 0.0, 0.0)
    for c in C_GRID:
        probs = oof(rows, k, c)
        for thr in THRESHOLDS:
            f1 = role_f1(rows, probs, thr)
            if f1 > best[0]:
                best = (f1, c, thr)
    f1, c, thr = best
    m = _fit(rows, c)
    return Linear(m.bias, m.weights, thr), {"C": c, "threshold": thr, "oof_f1": round(f1, 4)}


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


def dev_rows(data: dict[str, list[dict]]) -> tuple[list[Row], dict[tuple[str, str], tuple[str, int]], list[ActorRow]]:
    rows, docs, arows = [], {}, []
    for name, items in data.items():
        r, d, a = rows_of(name, items, gold_of(name))
        rows += r
        docs.update(d)
        arows += a
    return rows, docs, arows


def train(rows: list[Row], docs: dict[tuple[str, str], tuple[str, int]], arows: list[ActorRow], k: int,
          version: str, fixed: dict | None = None) -> tuple[Model, dict]:
    """Trigger, source and target models; `fixed` (a recipe of models/events.json) gives C and the
    thresholds instead of choosing them by inner cross-validation."""
    parts = {"source": [r for r in arows if r.role == "source"], "target": [r for r in arows if r.role == "target"]}
    if fixed:
        lin = {"trigger": _fit(rows, fixed["trigger"]["C"]),
               **{role: _fit(rs, fixed[role]["C"]) for role, rs in parts.items()}}
        lin = {p: Linear(m.bias, m.weights, fixed[p]["threshold"]) for p, m in lin.items()}
        return Model(version, lin["trigger"], lin["source"], lin["target"]), fixed
    trig, info = fit(rows, docs, k)
    (src, si), (tgt, ti) = (fit_role(rs, k) for rs in parts.values())
    return Model(version, trig, src, tgt), {"trigger": info, "source": si, "target": ti}


def to_json(model: Model, info: dict) -> dict:
    """models/events.json: the recipe (C and threshold per part), the weights, and a version that is a
    hash of both."""
    recipe = {p: {"C": i["C"], "threshold": i["threshold"]} for p, i in info.items()}
    parts = {p: {"bias": m.bias, "threshold": m.threshold, "weights": m.weights}
             for p, m in (("trigger", model.trigger), ("source", model.source), ("target", model.target))}
    body = json.dumps({"recipe": recipe, "models": parts}, ensure_ascii=False, sort_keys=True)
    return {"version": hashlib.sha256(body.encode("utf-8")).hexdigest()[:8], "recipe": recipe, "models": parts}


def cross_validate(data: dict[str, list[dict]], rows: list[Row], docs: dict, arows: list[ActorRow],
                   k: int) -> tuple[dict[str, list[dict]], list[str]]:
    """Out-of-fold events of every dev document (fold f predicted by a model trained on the others,
    its hyper-parameters and thresholds chosen by an inner cross-validation on those) and notes."""
    events: dict[str, list[dict]] = {name: [] for name in data}
    notes, probs, held = [], [], []
    for f in range(k):
        model, info = train([r for r in rows if fold_of(r.doc, k) != f],
                            {d: y for d, y in docs.items() if fold_of(d[0], k) != f},
                            [r for r in arows if fold_of(r.doc, k) != f], k, f"cv{f}")
        notes.append(f"fold {f}: " + "; ".join(f"{part} C={i['C']} threshold={i['threshold']}"
                                               for part, i in info.items()))
        test = [r for r in rows if fold_of(r.doc, k) == f]
        probs += [model.trigger.prob(r.feats) for r in test]
        held += test
        for name, items in data.items():
            events[name] += predict([it for it in items if fold_of(it["doc"]["doc_id"], k) == f], model)
    notes.append("reliability (out-of-fold trigger candidates): bin, rows, mean p, mean target, share gold events")
    notes += [f"  {b} {n:5d} {p:.3f} {y:.3f} {g:.3f}" for b, n, p, y, g in reliability(held, probs)]
    return events, notes


FEATURES = """\
Trigger model (one row per candidate word and type; every feature also joined to the type):
pattern id, lemma, part of speech, pattern prior, verb/verbal noun/definite/imperfective/clitic
preposition/first person, neighbours' forms and POS (two either side), cue kinds (event_cues.csv)
within 4 words either side and in the sentence, entity labels and coded actors within 6 words,
negation, modality (asserted/future/conditional/readiness/hypothetical/question), inside a quotation,
relative position, sentence length, evidence cues (time word, count, place, corroborating triggers,
casualties, crowd, frame verb, relative clause, year, منذ, ...), the other types proposed at the word;
joined to the type only: lemmas within 5 words and every lemma of the sentence.
Source and target models (one row per event and candidate span; spans are entities, noun phrases
within 15 words, the word-order rules' source and target): side and distance from the trigger,
pattern roles, quad class, type, verbal trigger, span length and first POS, kind (entity/np/rule),
entity label, coded, code prefix, governing preposition (على ضد مع إلى من في عن ...) or clitic,
و/ف, -ون/-ين ending, a count, a verb/أن/full stop/comma/speech verb/noun between, adjacent, the
quotation's speaker, inside/outside the quotation."""


def card(model: dict, info: dict, cv: list[str], k: int) -> str:
    rel = info["trigger"]["reliability"]
    lines = [
        "# Events model card (models/events.json)", "",
        f"Version `{model['version']}`, rebuilt by `make models` (`python -m tasks.events.train --cv {k} --write models`)",
        "from ../shared/eval/plover_dev(_gold).jsonl and events_dev(_gold).jsonl; deterministic (fixed folds by",
        "doc_id hash, lbfgs logistic regression, scikit-learn pinned in constraints.txt). Inference is",
        "tasks/events/model.py (no scikit-learn).", "",
        "## Recipe",
        "Candidates: every seeds/event_patterns.csv pattern firing on a word (a conflict type also as",
        "THREATEN). Targets: PLOVER leads: a candidate of a required type on a gold trigger word 1 (another",
        "word of that type: not trained), a type neither required nor also_ok 0, also_ok not trained; GSR:",
        "only the sentence's labelled type, yes and on the gold verb 1, easy/difficult no = the share of",
        "annotators who accepted it (soft target), ambiguous not trained. Actors: for candidates that are",
        "gold events, a span is a positive source/target when it overlaps the gold span (PLOVER) or holds a",
        "gold actor word (GSR); an event whose gold has no such actor makes every span negative.",
        f"L2 logistic regression; features seen in fewer than {MIN_COUNT} rows dropped; C from {C_GRID} and the",
        f"threshold from {THRESHOLDS[0]}..{THRESHOLDS[-1]} chosen on {k}-fold out-of-fold predictions (by document):",
        "trigger for the mean of PLOVER micro-F1 and GSR macro-F1 at the document level, source/target",
        "for F1 of the top-ranked span per event. Per event word, the type of highest probability is emitted",
        "when it reaches the threshold; its probability is `confidence`. An actor below its threshold is null.", "",
        "| part | C | threshold | out-of-fold objective |", "|---|---|---|---|",
        *(f"| {p} | {i['C']} | {i['threshold']} | {i.get('oof_doc_f1', i.get('oof_f1'))} |" for p, i in info.items()), "",
        "## Features", "", FEATURES, "",
        "## Calibration (out-of-fold trigger candidates of the final recipe's selection)", "",
        "| p bin | rows | mean p | mean target | share gold events |", "|---|---|---|---|---|",
        *(f"| {b} | {n} | {p:.3f} | {y:.3f} | {g:.3f} |" for b, n, p, y, g in rel), "",
    ]
    if cv:
        lines += [f"## {k}-fold cross-validation by document (score.py on out-of-fold predictions)", "",
                  "Each fold predicted by a model trained on the other folds (C and thresholds chosen by an",
                  "inner cross-validation on those) through extract_events.", "", "```", *cv, "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tasks.events.train", description=__doc__.split("\n\n")[0])
    ap.add_argument("--cv", type=int, default=0, help="k-fold cross-validation by document first (0: none)")
    ap.add_argument("--folds", type=int, default=5, help="folds choosing C and thresholds")
    ap.add_argument("--write", type=Path, default=None, help="folder to write events.json and EVENTS_CARD.md to")
    ap.add_argument("--out", type=Path, default=Path("/tmp/khabar-events-cv"), help="warehouse folders for score.py")
    ap.add_argument("--cache", type=Path, default=None, help="folder caching the analysed dev documents")
    a = ap.parse_args(argv)
    data = {name: analyse(EVAL / docs, a.cache) for name, (docs, _, _) in SETS.items()}
    rows, docs, arows = dev_rows(data)
    cv = []
    if a.cv:
        events, notes = cross_validate(data, rows, docs, arows, a.cv)
        cv = notes + report(a.out, data, events)
        print("\n".join(cv), flush=True)
    if a.write:
        model, info = train(rows, docs, arows, a.folds, "")
        body = to_json(model, info)
        a.write.mkdir(parents=True, exist_ok=True)
        (a.write / "events.json").write_text(json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                            encoding="utf-8")
        (a.write / "EVENTS_CARD.md").write_text(card(body, info, cv, a.cv or a.folds), encoding="utf-8")
        print(f"wrote {a.write / 'events.json'} version {body['version']}")


if __name__ == "__main__":
    main()
