"""Contract tables for the quality tests and bench, built from real seed text by simple rules.

Sentences split at line breaks and . ! ? ؟; tokens are whitespace runs with exact offsets; norm is
the matching key (tasks.arabic.key); one entity per known name,
one event and one quote per document. Good enough to exercise every gate with correct offsets.
"""
from __future__ import annotations

import hashlib
import random
import re
from datetime import date
from pathlib import Path

import pyarrow as pa

from tasks.arabic import key
from tasks.schema import PIPELINE_VERSION, to_table

RUN_ID = "20260101T000000Z-abc123"
_SENT = re.compile(r"[^\s.!?؟][^\n.!?؟]*[.!?؟]*")
_NAMES = {"بوتين": ("PERS", "RUSGOV"), "بلينكن": ("PERS", "USAGOV"), "روسيا": ("GPE", "RUS"),
          "أوكرانيا": ("GPE", "UKR"), "الناتو": ("ORG", "IGONAT")}


def h(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]


def batch(texts: list[tuple[str, str]], run_id: str = RUN_ID) -> dict[str, pa.Table]:
    """(source path, text) pairs -> one batch of every data table."""
    rows: dict[str, list[dict]] = {n: [] for n in (
        "documents", "sources", "removed", "sentences", "tokens", "entities", "events", "quotes")}
    for path, text in texts:
        d = h(text)
        rows["documents"].append({
            "doc_id": d, "source_id": Path(path).stem, "source_path": path, "title": text.split("\n", 1)[0][:80],
            "text": text, "n_chars": len(text), "encoding": "utf-8", "pipeline_version": PIPELINE_VERSION})
        rows["sources"].append({"source_id": Path(path).stem, "source_path": path, "doc_id": d, "is_new": True})
        sents = [(m.start(), m.start() + len(m.group().rstrip())) for m in _SENT.finditer(text)]
        for i, (s, e) in enumerate(sents):
            rows["sentences"].append({"doc_id": d, "sentence_id": i, "start": s, "end": e, "text": text[s:e],
                                      "kind": "headline" if i == 0 else "body"})
            for j, m in enumerate(re.finditer(r"\S+", text[s:e])):
                a, b = s + m.start(), s + m.end()
                rows["tokens"].append({"doc_id": d, "sentence_id": i, "token_index": j, "start": a, "end": b,
                                       "surface": text[a:b], "norm": key(text[a:b]), "segments": [text[a:b]]})
            for name, (label, code) in _NAMES.items():
                for m in re.finditer(name, text[s:e]):
                    a = s + m.start()
                    rows["entities"].append({"doc_id": d, "sentence_id": i, "start": a, "end": a + len(name),
                                             "text": name, "label": label, "actor_code": code, "rule": "test"})
        s, e = sents[1]
        ents = [x for x in rows["entities"] if x["doc_id"] == d and x["sentence_id"] == 1]
        src = ents[0] if ents else None
        trig = next(t for t in rows["tokens"] if t["doc_id"] == d and t["sentence_id"] == 1)
        rows["events"].append({
            "event_id": h("CONSULT", d), "mention_id": h(d, trig["start"], trig["end"]), "doc_id": d, "sentence_id": 1,
            "event_type": "CONSULT", "cameo_code": "040", "goldstein": 1.0, "quad_class": 1,
            "source_text": src and src["text"], "source_code": src and src["actor_code"],
            "source_start": src and src["start"], "source_end": src and src["end"],
            "trigger_text": trig["surface"], "start": trig["start"], "end": trig["end"], "negated": False,
            "modality": "asserted", "reported_speech": False, "event_date": date(2024, 2, 26),
            "date_granularity": "day", "confidence": 0.8, "rule": "test", "mentions": 1})
        rows["quotes"].append({"quote_id": h("q", d), "doc_id": d, "sentence_id": 1, "verb": "قال",
                               "start": s, "end": e, "text": text[s:e]})
        s, e = sents[-1]
        rows["removed"].append({"doc_id": d, "start": s, "end": e, "rule": "test", "text": text[s:e]})
    return {n: to_table(n, rs, run_id=run_id) for n, rs in rows.items()}


def seed_texts(seeds: list[Path]) -> list[tuple[str, str]]:
    return [(str(p), p.read_text(encoding="utf-8")) for p in seeds]


def seed_like(seeds: list[Path], n: int) -> list[tuple[str, str]]:
    """n seed-like articles (~300 words): ten seed paragraphs each, drawn with a per-article seed."""
    paras = [p.strip() for s in seeds for p in s.read_text(encoding="utf-8").split("\n") if len(p.strip()) > 80]
    return [(f"bench/{i:04d}.txt", "\n\n".join(random.Random(i).sample(paras, 10))) for i in range(n)]
