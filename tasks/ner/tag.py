"""Tagging with the shipped CRF: token ranges and labels of the named entities of a sentence."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tasks.config import ROOT
from tasks.ner.features import Featurizer, load_clusters

MODEL_DIR = ROOT / "models" / "ner"


@dataclass(frozen=True)
class Model:
    tagger: object  # pycrfsuite.Tagger
    featurizer: Featurizer
    card: dict

    def tags(self, toks: list[dict]) -> list[str]:
        """One BIO/BILOU tag per token of one sentence."""
        return self.tagger.tag(self.featurizer.sentence(toks)) if toks else []

    def spans(self, toks: list[dict]) -> list[tuple[int, int, str]]:
        """(first token, end token, label) of each entity in one sentence."""
        return decode(self.tags(toks))


def decode(tags: list[str]) -> list[tuple[int, int, str]]:
    """Entity token ranges of a BIO or BILOU tag sequence; an I/L without its B opens an entity."""
    out: list[tuple[int, int, str]] = []
    cur: list | None = None
    for i, t in enumerate(tags):
        if t == "O":
            cur = None
            continue
        p, label = t.split("-", 1)
        if p in ("B", "U") or cur is None or cur[2] != label:
            cur = [i, i + 1, label]
            out.append(cur)
        else:
            cur[1] = i + 1
        if p in ("U", "L"):
            cur = None
    return [tuple(x) for x in out]


def encode(n: int, spans: list[tuple[int, int, str]], scheme: str) -> list[str]:
    """Tags of n tokens from entity token ranges, in the BIO or BILOU scheme."""
    tags = ["O"] * n
    for a, b, label in spans:
        if scheme == "BILOU" and b - a == 1:
            tags[a] = "U-" + label
            continue
        tags[a] = "B-" + label
        for i in range(a + 1, b):
            tags[i] = "I-" + label
        if scheme == "BILOU":
            tags[b - 1] = "L-" + label
    return tags


def char_span(text: str, toks: list[dict], a: int, b: int, lo: int, hi: int) -> tuple[int, int]:
    """Character span of tokens a..b-1, widened over the characters no token covers and that are
    no space (a right-to-left mark, a leading tatweel) up to the neighbouring tokens, within [lo, hi):
    the whole whitespace-separated words, as the gold marks them."""
    s, e = toks[a]["start"], toks[b - 1]["end"]
    left = max(toks[a - 1]["end"] if a else lo, lo)
    right = min(toks[b]["start"] if b < len(toks) else hi, hi)
    while s > left and not text[s - 1].isspace():
        s -= 1
    while e < right and not text[e].isspace():
        e += 1
    return s, e


@cache
def model(path: Path = MODEL_DIR) -> Model:
    """The CRF, its features and its card from `path`, loaded once per process."""
    import pycrfsuite

    card = json.loads((path / "card.json").read_text(encoding="utf-8"))
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path / card["files"]["model"]["name"]))
    recipe = card["recipe"]
    feats = Featurizer(recipe["groups"], recipe["window"], load_clusters(path / card["files"]["clusters"]["name"]))
    return Model(tagger, feats, card)
