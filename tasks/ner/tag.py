"""Tagging with the shipped CRF: token ranges and labels of the named entities of a sentence."""
from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import numpy as np

from tasks.config import ROOT, SetupError
from tasks.ner.features import LISTS_DIR, Featurizer, gazetteer, list_hashes, load_clusters

MODEL_DIR = Path(os.environ.get("KHABAR_NER_MODEL") or ROOT / "models" / "ner")  # another model folder: to measure one


class Model:
    """The CRF's weights, read from the python-crfsuite model file, and its features.

    A token's state score is the sum of the weights of its own features and of those its
    neighbours contribute at each offset; each of these depends on one word type only, so the
    score vectors are cached per word type and a sentence's scores are a few array sums. Viterbi
    over them with the transition weights gives what pycrfsuite's Tagger gives (tests check it),
    without turning ~20 feature strings per token into crfsuite attributes each time. Features the
model never weighted are left out of the lists summed.
    """

    CACHE = 100_000  # word types whose score vectors are kept (~0.5 kB each)
    GROUP = 64  # sentences decoded together

    def __init__(self, path: Path, featurizer: Featurizer, card: dict):
        import pycrfsuite

        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(path))
        info = self.tagger.info()
        self.labels = sorted(info.labels, key=lambda x: int(info.labels[x]))
        ix = {x: i for i, x in enumerate(self.labels)}
        self.weights: dict[str, np.ndarray] = {}
        for (attr, label), w in info.state_features.items():
            self.weights.setdefault(attr, np.zeros(len(ix)))[ix[label]] = w
        featurizer.known = frozenset(self.weights)
        self.trans = np.zeros((len(ix), len(ix)))
        for (a, b), w in info.transitions.items():
            self.trans[ix[a], ix[b]] = w
        self.featurizer, self.card = featurizer, card
        self.offsets = featurizer.offsets
        zero = np.zeros(len(ix))
        self.edge = {o: self.weights.get(f"{o}w=<s>", zero) for o in self.offsets}
        self._scores: dict[int, np.ndarray] = {}

    def _score(self, t: dict) -> np.ndarray:
        """(1 + 2 * window, labels) score vectors of one token's word type: row 0 its own features,
        then one row per offset (what it adds to the token that far away from it)."""
        key = self.featurizer.key(t)
        hit = self._scores.get(key)
        if hit is None:
            if len(self._scores) > self.CACHE:
                self._scores.clear()
            own, ctx = self.featurizer.features(key)
            w, zero = self.weights, np.zeros(len(self.labels))
            hit = self._scores[key] = np.array([sum((w[x] for x in own), zero)]
                                               + [sum((w[x] for x in ctx[o]), zero) for o in self.offsets])
        return hit

    def tags(self, sents: list[list[dict]]) -> list[list[str]]:
        """One BIO/BILOU tag per token of each sentence (Viterbi; all sentences at once, padded)."""
        lens = np.array([len(x) for x in sents], dtype=np.intp)
        flat = [t for x in sents for t in x]
        if not flat:
            return [[] for _ in sents]
        a = np.stack([self._score(t) for t in flat])  # (tokens, 1 + offsets, labels)
        pos = np.concatenate([np.arange(n) for n in lens])
        size = np.repeat(lens, lens)
        em = a[:, 0].copy()
        for k, o in enumerate(self.offsets, 1):  # token i + o of the same sentence adds a[i + o, k] to token i
            q = pos + o
            inside = np.nonzero((q >= 0) & (q < size))[0]
            em[inside] += a[inside + o, k]
            em[(q == -1) | (q == size)] += self.edge[o]  # the neighbour at o is the sentence edge
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        out: list[list[str]] = [[] for _ in sents]
        order = [i for i in np.argsort(lens, kind="stable") if lens[i]]
        for g in range(0, len(order), self.GROUP):  # sentences of similar length together: little padding
            group = order[g:g + self.GROUP]
            for i, path in zip(group, self._viterbi([em[starts[i]:starts[i] + lens[i]] for i in group])):
                out[i] = [self.labels[k] for k in path]
        return out

    def _viterbi(self, ems: list[np.ndarray]) -> list[np.ndarray]:
        """Best label index path of each sentence's (tokens, labels) state scores, all at once."""
        lens = np.array([len(e) for e in ems], dtype=np.intp)
        n_s, n_t, n_l = len(ems), int(lens.max()), len(self.labels)
        scores = np.zeros((n_s, n_t, n_l))
        for i, e in enumerate(ems):
            scores[i, :len(e)] = e
        live = np.arange(n_t)[None, :] < lens[:, None]
        same = np.broadcast_to(np.arange(n_l), (n_s, n_l))
        back = np.empty((n_s, n_t, n_l), dtype=np.intp)
        best = scores[:, 0]
        for t in range(1, n_t):  # past a sentence's end its scores stand still and its path points to itself
            cand = best[:, :, None] + self.trans
            arg = cand.argmax(1)
            step = cand.max(1) + scores[:, t]
            m = live[:, t, None]
            back[:, t] = np.where(m, arg, same)
            best = np.where(m, step, best)
        path = np.empty((n_s, n_t), dtype=np.intp)
        path[:, -1] = cur = best.argmax(1)
        rows = np.arange(n_s)
        for t in range(n_t - 1, 0, -1):
            path[:, t - 1] = cur = back[rows, t, cur]
        return [path[i, :n] for i, n in enumerate(lens)]

    def spans(self, sents: list[list[dict]]) -> list[list[tuple[int, int, str]]]:
        """(first token, end token, label) of each entity, per sentence."""
        return [decode(t) for t in self.tags(sents)]


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
    card = json.loads((path / "card.json").read_text(encoding="utf-8"))
    recipe = card["recipe"]
    clusters = card["files"].get("clusters")
    gaz = None
    if "gaz" in recipe["groups"]:
        if list_hashes(LISTS_DIR) != card["lists"]:
            raise SetupError(f"the NER name lists in {LISTS_DIR} are not the ones {path} was trained on: "
                             "run `make setup` (copies them from ../shared/train), or `make models`")
        gaz = gazetteer(LISTS_DIR)
    feats = Featurizer(recipe["groups"], recipe["window"],
                       load_clusters(path / clusters["name"]) if clusters else {}, gaz)
    return Model(path / card["files"]["model"]["name"], feats, card)
