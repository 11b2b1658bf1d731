"""Runs the stages before events (text, entities) on raw texts, as the flow does, for the events tests."""
from __future__ import annotations

from tasks.entities import find_entities
from tasks.ingest import doc_id
from tasks.segment import process_text


Analysed = list[tuple[dict, list[dict], list[dict], list[dict]]]


def analyse_many(items: list[tuple[str, str]], published_at=None) -> Analysed:
    """(document row, sentences, tokens, entities) per document of (text, source_id) items; a glued
    second article comes back as a document of its own."""
    docs = [{"doc_id": doc_id(text), "source_id": sid, "text": text, "published_at": published_at}
            for text, sid in items]
    out = process_text(docs)
    sents: dict[str, list[dict]] = {}
    toks: dict[str, list[dict]] = {}
    for r in out["sentences"]:
        sents.setdefault(r["doc_id"], []).append(r)
    for r in out["tokens"]:
        toks.setdefault(r["doc_id"], []).append(r)
    res = []
    for d in docs + out["documents"]:
        s, t = sents.get(d["doc_id"], []), toks.get(d["doc_id"], [])
        res.append((d, s, t, find_entities(d, s, t)))
    return res


def analyse(text: str, source_id: str = "doc", published_at=None) -> Analysed:
    return analyse_many([(text, source_id)], published_at)
