"""Event places on the PLOVER dev leads (../shared/eval/plover_dev*.jsonl, gold `location`), in process.

For every located sentence with required types (score.py's `location` population), with score.py's
match (a word of the gold place, ب/و/ل stripped, inside the chosen location text):
  pipeline       the events' location_text (tasks.geo.event_place on the events stage's own triggers:
                 what `score.py location` gives on a warehouse)
  gold trigger   event_place on the gold events' triggers (found in the text): the selection alone,
                 free of event-detection errors; beside it the earlier rule, the sentence's place
                 nearest the trigger (after it first), on the same triggers
and the share of the chosen places (event_place on the pipeline's events) that carry coordinates.

    PYTHONPATH=. .venv/bin/python tests/geo_eval.py        # prints the figures
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from events_support import analyse_many  # noqa: E402

from tasks.config import SHARED  # noqa: E402
from tasks.events import extract_events  # noqa: E402
from tasks.geo import dateline, event_place, gazetteer, geocode  # noqa: E402

EVAL = SHARED / "eval"


def load() -> tuple[list[dict], dict[str, dict]]:
    docs = [json.loads(x) for x in (EVAL / "plover_dev.jsonl").open(encoding="utf-8")]
    gold = {g["id"]: g for g in map(json.loads, (EVAL / "plover_dev_gold.jsonl").open(encoding="utf-8"))}
    return docs, gold


def hit(gold_place: str, text: str | None) -> bool:
    """score.py's location match."""
    words = [w.lstrip("وبل") if len(w.lstrip("وبل")) > 2 else w for w in gold_place.split()]
    return bool(text) and any(w in text for w in words)


def analyse(docs: list[dict]) -> list[tuple[dict, dict, list[dict], list[dict], list[dict]]]:
    """(source doc, document row, sentences, tokens, geocoded entities) per document."""
    out = []
    for d in docs:
        doc, sents, toks, ents = analyse_many([(d["text"], d["id"])], d.get("published_at"))[0]
        out.append((d, doc, sents, toks, geocode([doc], ents)))
    return out


def place_of(doc: dict, toks: list[dict], ents: list[dict], sid: int, start: int, end: int):
    return event_place(start, end, [t for t in toks if t["sentence_id"] == sid],
                       [e for e in ents if e["sentence_id"] == sid], dateline(gazetteer(), doc["text"]))


def nearest(ents: list[dict], trig: int) -> str | None:
    """The earlier rule, the baseline: the sentence's place nearest the trigger, after it first."""
    places = [x for x in ents if x["label"] in ("LOC", "GPE")]
    return min(places, key=lambda x: (x["start"] < trig, abs(x["start"] - trig)))["text"] if places else None


def evaluate(analysed, gold: dict[str, dict]) -> dict[str, float]:
    n = ours = oracle = oracle_today = n_oracle = chosen = placed = 0
    for d, doc, sents, toks, ents in analysed:
        g = gold[d["id"]]
        events = [e for e in extract_events(doc, sents, toks, ents)[0] if not e["negated"]]
        chosen += sum(e["location_text"] is not None for e in events)  # coverage of the events' places
        placed += sum(e["location_geonames_id"] is not None for e in events)
        if not g["location"] or not g["types"]:
            continue
        n += 1
        req = [e for e in events if e["event_type"] in g["types"]]
        ours += any(hit(g["location"], e["location_text"]) for e in req)
        triggers = [(i, i + len(ge["trigger"])) for ge in g["events"] if ge.get("trigger")
                    and (i := doc["text"].find(ge["trigger"])) >= 0]
        if triggers:
            n_oracle += 1
            oracle += any(hit(g["location"], (loc := place_of(doc, toks, ents, _sentence(sents, a), a, b))
                              and loc.text) for a, b in triggers)
            oracle_today += any(hit(g["location"], nearest([e for e in ents if e["sentence_id"] == _sentence(sents, a)], a))
                                for a, b in triggers)
    return {"located sentences": n, "pipeline": ours / n,
            "gold-trigger sentences": n_oracle, "event_place on gold triggers": oracle / max(n_oracle, 1),
            "nearest place on gold triggers": oracle_today / max(n_oracle, 1),
            "event places chosen": chosen, "with coordinates": placed / max(chosen, 1)}


def _sentence(sents: list[dict], offset: int) -> int:
    return next((s["sentence_id"] for s in sents if s["start"] <= offset < s["end"]), sents[0]["sentence_id"])


if __name__ == "__main__":
    docs, gold = load()
    for k, v in evaluate(analyse(docs), gold).items():
        print(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}")
