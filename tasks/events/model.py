"""The trained decisions of the events stage: linear models over named binary features.

models/events.json holds, per decision (trigger: is this candidate an event of its type; source /
target: is this span the event's source / target), a bias, a weight per feature and a threshold,
all learned by tasks/events/train.py. A score is the logistic of bias + the weights of the features
present: the probability, calibrated on out-of-fold predictions (models/EVENTS_CARD.md). Inference
needs no scikit-learn: a few dictionary look-ups per candidate.
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass

from tasks.config import ROOT
from tasks.events.actors import Span
from tasks.events.match import Match, Sent
from tasks.events.modality import evidence

MODEL = ROOT / "models" / "events.json"
NEAR = 4  # tokens either side of a trigger whose cue words are features
ENTITY_NEAR = 6  # tokens either side whose entity labels are features
WORDS_NEAR = 5  # tokens either side whose lemmas are features (besides every lemma of the sentence)
@dataclass(frozen=True)
class Linear:
    """A logistic model over binary features: p = 1 / (1 + exp(-(bias + sum of weights present)))."""
    bias: float
    weights: dict[str, float]
    threshold: float

    def prob(self, feats: list[str]) -> float:
        z = self.bias + sum(filter(None, map(self.weights.get, feats)))
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


@dataclass(frozen=True)
class Model:
    version: str
    trigger: Linear
    source: Linear | None = None
    target: Linear | None = None


def from_json(d: dict) -> Model:
    parts = {k: Linear(v["bias"], v["weights"], v["threshold"]) for k, v in d["models"].items()}
    return Model(d["version"], parts["trigger"], parts.get("source"), parts.get("target"))


@functools.cache
def shipped() -> Model:
    """The model in models/events.json (rebuilt by `make models`)."""
    return from_json(json.loads(MODEL.read_text(encoding="utf-8")))


def _bucket(x: float, edges: tuple[float, ...]) -> int:
    return sum(x >= e for e in edges)


@dataclass(frozen=True)
class Shared:
    """What the candidates of one sentence share, computed once per sentence."""
    kinds: list[tuple[str, ...]]  # cue kinds per token
    cues: list[str]  # cue kinds of the sentence, as features
    lemmas: list[str]


def sentence_features(s: Sent) -> Shared:
    kinds = [x.kinds for x in s.toks]
    return Shared(kinds, [f"cue_s={k}" for k in sorted({k for ks in kinds for k in ks})],
                  sorted({x.lemma for x in s.toks if not x.punct}))


def trigger_features(s: Sent, etype: str, m: Match, negated: bool, modality: str, quoted: bool,
                     others: list[str], shared: Shared) -> list[str]:
    """Features of one candidate: the trigger word and its pattern, its neighbours, cue words and
    entities nearby, negation, modality, reported speech and position. Each comes twice: as such
    (evidence that anything happened) and joined to the candidate's type."""
    toks, t, p = s.toks, s.toks[m.t], m.pat
    n = len(toks)
    f = [f"pat={p.id}", f"lem={t.lemma}", f"tpos={t.pos}", f"mod={modality}", f"at={_bucket(m.t / n, (.25, .5, .75))}",
         f"len={_bucket(n, (10, 20, 30, 45))}", f"conf={p.conf:.2f}"]
    f += [name for name, on in (("verb", t.verb), ("verbal", t.verbal), ("definite", t.definite),
                                ("imperfect", t.imperfect), ("clitic_prep", t.prep), ("we", t.first_person),
                                ("context", bool(p.context)), ("neg", negated), ("quoted", quoted),
                                ("first3", m.t < 3), ("question", s.question)) if on]
    for d, name in ((-2, "p2"), (-1, "p1"), (1, "n1"), (2, "n2")):
        j = m.t + d
        if 0 <= j < n:
            f += [f"{name}={toks[j].norm}", f"{name}pos={toks[j].pos}"]
        else:
            f.append(f"{name}=<edge>")
    for j in range(max(m.a - NEAR, 0), min(m.b + NEAR + 1, n)):
        if m.a <= j <= m.b:
            continue
        side = "<" if j < m.a else ">"
        f += [f"cue{side}{k}" for k in shared.kinds[j]]
        if toks[j].verb and side == "<":
            f.append("verb<")
    f += shared.cues
    lo, hi = toks[max(m.a - ENTITY_NEAR, 0)].start, toks[min(m.b + ENTITY_NEAR, n - 1)].end
    for x in s.ents:
        if lo <= x["start"] < hi:
            side = "<" if x["start"] < toks[m.a].start else ">"
            f.append(f"ent{side}{x['label']}")
            if x.get("actor_code"):
                f.append(f"actor{side}")
    for k, v in evidence(s, m).items():
        if v:
            f.append(f"ev={k}" if isinstance(v, bool) else f"ev={k}{_bucket(v, (.5, 1, 2))}")
    f += [f"also={o}" for o in others if o != etype]
    f += [f"types_s={_bucket(len(s.types), (2, 3, 5))}"]
    words = {f"{etype}|w={x.lemma}" for x in toks[max(m.a - WORDS_NEAR, 0):m.b + WORDS_NEAR + 1] if not x.punct}
    words |= {f"{etype}|s={x}" for x in shared.lemmas}
    return [*f, *(f"{etype}|{x}" for x in ["bias", *f]), *sorted(words)]


_PREPS = {"علي", "ضد", "مع", "الي", "من", "في", "عن", "بين", "تجاه", "نحو", "لدي", "عبر"}


def actor_features(s: Sent, etype: str, m: Match, sp: Span, quote: dict | None, quad: int) -> list[str]:
    """Features of a span as the source or target of the event at m: where it stands from the trigger
    (side, distance, what lies between), its governing preposition or clitic, its kind (entity label,
    noun phrase, the word-order rules' choice), its case ending, being the quotation's speaker."""
    toks, t = s.toks, s.toks[m.t]
    after = sp.a > m.b
    side = ">" if after else "<"
    gap = range(m.b + 1, sp.a) if after else range(sp.b + 1, m.a)
    dist = len(gap)
    first = toks[sp.a]
    prev = toks[sp.a - 1] if sp.a else None
    f = [f"side={side}", f"dist={side}{_bucket(dist, (1, 2, 4, 7, 11))}", f"roles={m.pat.roles}{side}",
         f"quad={quad}{side}", f"tverbal={t.verbal}{side}", f"type={etype}{side}",
         f"len={_bucket(sp.b - sp.a + 1, (2, 3, 5))}", f"fpos={first.pos}"]
    f += [f"kind={k}" for k in sp.kinds] + [f"kind={k}{side}" for k in sp.kinds]
    if sp.label:
        f += [f"label={sp.label}", f"label={sp.label}{side}"]
    if sp.code:
        f += ["coded", f"coded{side}", f"code={sp.code[:3]}"]
    if prev is not None and not prev.punct and prev.norm in _PREPS:
        f += [f"prep={prev.norm}", f"prep={prev.norm}{side}"]
    if first.prep:
        f += [f"clitic={first.segs[0]}{side}"]
    if first.segs[0] in ("و", "ف"):
        f.append(f"conj{side}")
    if first.norm.endswith("ون"):
        f.append(f"nom{side}")
    elif first.norm.endswith("ين"):
        f.append(f"obl{side}")
    if first.pos in ("digit", "noun_num", "noun_quant") or "count" in first.flags:
        f.append(f"count{side}")
    between = [toks[j] for j in gap]
    f += [name for name, on in ((f"verb_between{side}", any(x.verb for x in between)),
                                (f"comp_between{side}", any(x.comp for x in between)),
                                (f"stop_between{side}", any(x.boundary for x in between)),
                                (f"comma_between{side}", any(x.surface in ",،" for x in between)),
                                (f"speech_between{side}", any("speech" in x.kinds for x in between)),
                                (f"noun_between{side}", any(x.nominal for x in between)),
                                ("adjacent", not between)) if on]
    if quote:
        q = quote["speaker"]
        if q["start"] < sp.end and sp.start < q["end"]:
            f.append("speaker")
        f.append("in_quote" if quote["start"] <= sp.start < quote["end"] else "out_of_quote")
    return f
