"""CRF features of the text stage's tokens: per word type once (cached), then a context window.

A token's features come in groups (the recipe in the model card names the ones in use):
  word      its matching form, its stem (the ATB segment left after proclitics and enclitics),
            the stem without the article ال
  affix     first and last 2 and 3 letters of the stem
  shape     script (Arabic, Latin, digit, punctuation), length, article, tatweel or digits inside
  morph     camel-tools' reading: part of speech, lemma, a capitalised English gloss (a proper
            noun the database knows), the proclitics split off, an enclitic
  gaz       membership of the stem in the seed dictionaries (seeds/*.csv: actors, places, given
            names, demonyms, agents, triggers) and in ANERGazet's person, place and organisation
            lists (copied from ../shared/train by `make setup`) as single-word names or the first /
            a later word
  clusters  word2vec + k-means cluster ids of the word and of its stem (models/ner/clusters.tsv)
  context   words, stems, parts of speech and clusters of the neighbours up to `window` away
"""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from tasks.arabic import key
from tasks.config import ROOT, SetupError
from tasks.dictionaries import load, variants

GROUPS = ("word", "affix", "shape", "morph", "gaz", "clusters", "context")
_LATIN = re.compile(r"[A-Za-z]")
_CLITIC_SEGMENTS = frozenset("و ف ب ل ك س".split())
LISTS = {"PERS": "anergazet_pers.txt", "LOC": "anergazet_loc.txt", "ORG": "anergazet_org.txt"}  # label -> file
LISTS_DIR = Path(os.environ.get("KHABAR_NER_LISTS") or ROOT / ".ner_lists")  # where `make setup` copies them


def load_clusters(path: Path) -> dict[str, tuple[str, ...]]:
    """word -> cluster ids (one per granularity, as strings) from a clusters.tsv file."""
    out = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            w, *ids = line.rstrip("\n").split("\t")
            out[w] = tuple(ids)
    return out


def _tag(gaz: dict[str, set[str]], phrase: tuple[str, ...], name: str) -> None:
    if len(phrase) == 1:
        gaz.setdefault(phrase[0], set()).add(name + ":U")
        return
    gaz.setdefault(phrase[0], set()).add(name + ":B")
    for w in phrase[1:]:
        gaz.setdefault(w, set()).add(name + ":I")


@cache
def seed_gazetteer() -> dict[str, tuple[str, ...]]:
    """normalised word -> sorted gazetteer tags from the seed dictionaries."""
    gaz: dict[str, set[str]] = {}
    for r in load("actors"):
        for v in variants(r["surface"]):
            _tag(gaz, v, "a" + r["label"])
    for r in load("places"):
        for v in variants(r["surface"]):
            _tag(gaz, v, "p" + r["label"])
    for name, label in (("names", "given"), ("demonyms", "dem"), ("agents", "agent")):
        for r in load(name):
            for v in variants(r["surface"]):
                _tag(gaz, v, label)
    for r in load("triggers"):
        for v in variants(r["surface"]):
            _tag(gaz, v, "t" + r["label"])
    return {w: tuple(sorted(t)) for w, t in gaz.items()}


def list_hashes(folder: Path) -> dict[str, str]:
    """file name -> sha256 of each ANERGazet list in `folder`; fails clearly when one is missing."""
    out = {}
    for name in LISTS.values():
        path = folder / name
        if not path.is_file():
            raise SetupError(f"NER name list {path} not found: run `make setup` (copies it from ../shared/train)")
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@cache
def gazetteer(lists: Path = LISTS_DIR) -> dict[str, tuple[str, ...]]:
    """The seed gazetteer plus n<label> tags from the ANERGazet lists in `lists` (lines without a letter skipped)."""
    list_hashes(lists)
    gaz = {w: set(t) for w, t in seed_gazetteer().items()}
    for label, name in LISTS.items():
        for line in (lists / name).read_text(encoding="utf-8").splitlines():
            if any(c.isalpha() for c in line):
                for v in variants(line):
                    _tag(gaz, v, "n" + label)
    return {w: tuple(sorted(t)) for w, t in gaz.items()}


def stem_of(segments: Iterable[str]) -> tuple[str, str]:
    """(proclitics, stem) of a token's ATB segments: the longest segment is the stem."""
    segs = list(segments)
    if len(segs) < 2:
        return "", segs[0] if segs else ""
    k = max(range(len(segs)), key=lambda i: (len(segs[i]), -i))
    return "+".join(s for s in segs[:k] if s in _CLITIC_SEGMENTS), segs[k]


class Featurizer:
    """Feature strings of tokens (text-stage token rows), cached per word type."""

    def __init__(self, groups: Iterable[str], window: int, clusters: Mapping[str, tuple[str, ...]],
                 gaz: Mapping[str, tuple[str, ...]] | None = None, known: frozenset[str] | None = None):
        self.groups = frozenset(groups)
        unknown = self.groups - set(GROUPS)
        if unknown:
            raise ValueError(f"unknown feature groups: {sorted(unknown)}")
        self.window = window if "context" in self.groups else 0
        self.offsets = [o for o in range(-self.window, self.window + 1) if o]
        self.clusters = clusters
        self.gazetteer = gaz if gaz is not None else gazetteer() if "gaz" in self.groups else {}
        self.known = known  # when tagging: the model's attributes (others carry no weight, so are left out)
        self._cache: dict[tuple, tuple[list[str], dict[int, list[str]]]] = {}

    @staticmethod
    def key(t: dict) -> tuple:
        """What a token's features depend on: its word type and reading."""
        return t["norm"], t["pos"], t["lemma"], t["gloss"], *t["segments"]

    def type_of(self, t: dict) -> tuple[list[str], dict[int, list[str]]]:
        """(own features, {offset: features it gives the token that far away}) of a token, cached."""
        key = self.key(t)
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) > 200_000:
                self._cache.clear()
            hit = self._cache[key] = self.features(key)
        return hit

    def features(self, key: tuple) -> tuple[list[str], dict[int, list[str]]]:
        """type_of for a token's key, uncached (the tagger caches the score vectors these give)."""
        own, ctx = self._compute(*key[:4], key[4:])
        if (k := self.known) is None:
            return own, ctx
        return [x for x in own if x in k], {o: [x for x in c if x in k] for o, c in ctx.items()}

    def _compute(self, w: str, pos: str | None, lemma: str | None, gloss: str | None,
                 segs: tuple[str, ...]) -> tuple[list[str], dict[int, list[str]]]:
        g = self.groups
        pre, stem = stem_of(segs or (w,))
        s = key(stem) or w
        bare = s[2:] if s.startswith("ال") and len(s) > 3 else s
        f = ["b"]
        if "word" in g:
            f += ["w=" + w, "s=" + s, "sb=" + bare]
        if "affix" in g:
            f += ["p2=" + bare[:2], "p3=" + bare[:3], "x2=" + bare[-2:], "x3=" + bare[-3:]]
        if "shape" in g:
            kind = "d" if w[:1].isdigit() else "l" if _LATIN.match(w) else "a" if w[:1].isalpha() else "p"
            f += ["k=" + kind, f"n={min(len(bare), 9)}"]
            if s.startswith("ال"):
                f.append("al")
        if "morph" in g:
            f += ["pos=" + (pos or ""), "lem=" + key(lemma or w)]
            if gloss and any(p[:1].isupper() for p in gloss.split("+") if not p.startswith("[")):
                f.append("cap")
            if pre:
                f.append("pre=" + pre)
            if len(segs) > 1 and segs[-1] != stem:
                f.append("enc")
            if pos == "noun_prop" and not gloss:
                f.append("unk")
        gz: tuple[str, ...] = ()
        if "gaz" in g:
            gz = tuple(sorted(set(self.gazetteer.get(s, ()) + self.gazetteer.get(bare, ()))))
            f += ["g=" + x for x in gz]
        cl: tuple[str, ...] = ()
        if "clusters" in g:
            cl = self.clusters.get(w) or ()
            f += [f"c{i}={c}" for i, c in enumerate(cl)]
            if s != w:
                f += [f"sc{i}={c}" for i, c in enumerate(self.clusters.get(s) or ())]
        ctx = {}
        for o in self.offsets:
            c = [f"{o}w={w}", f"{o}s={s}"]
            if "morph" in g:
                c.append(f"{o}pos={pos or ''}")
            if cl:
                c += [f"{o}c{i}={x}" for i, x in enumerate(cl)]
            if abs(o) == 1:
                c += [f"{o}g={x}" for x in gz]
            ctx[o] = c
        return f, ctx

    def sentence(self, toks: list[dict]) -> list[list[str]]:
        """Feature strings of each token of one sentence (tokens in order)."""
        infos = [self.type_of(t) for t in toks]
        n = len(toks)
        out = []
        for i, (own, _) in enumerate(infos):
            f = list(own)
            for o in self.offsets:
                j = i + o
                if 0 <= j < n:
                    f += infos[j][1][o]
                elif j == -1 or j == n:
                    f.append(f"{o}w=<s>")  # a sentence edge (no harm when unknown: the tagger skips it)
            out.append(f)
        return out
