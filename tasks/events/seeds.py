"""The event seeds: trigger patterns (seeds/event_patterns.csv), CAMEO codes (seeds/plover.csv) and
cue words (seeds/event_cues.csv), read once and checked against their contract (tasks/events/contract.py)."""
from __future__ import annotations

import csv
import functools
import hashlib
from dataclasses import dataclass

from camel_tools.utils.dediac import dediac_ar

from tasks.config import SEEDS

_KEYMAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": None})


@functools.lru_cache(maxsize=50_000)
def key(s: str | None) -> str:
    """Matching key: no diacritics or tatweel, alef/ya/ta-marbuta variants folded."""
    return dediac_ar(s or "").translate(_KEYMAP)


def digest(*parts) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


# ------------------------------------------------------------------------------------------ seeds

@dataclass(frozen=True)
class Pattern:
    id: str
    type: str
    cameo: str
    pos: str  # V verb, N not a verb, "" any
    context: frozenset[str]  # one of these keys must occur near the trigger
    where: str  # before / after / around
    window: int
    roles: str  # AT agent->target; P the same, read passive without an object (اغتيل كرامي); T undergoer;
    # A agent (a target only after a preposition); S the trigger is the source (المتظاهرون)
    conf: float


@dataclass(frozen=True)
class Code:
    type: str
    goldstein: float
    quad: int


@dataclass(frozen=True)
class Seeds:
    index: dict[str, tuple[Pattern, ...]]
    codes: dict[str, Code]
    cues: dict[str, frozenset[str]]  # kind -> keys (multiword cues joined by a space)
    speech: dict[str, str]  # key -> canonical speech verb
    evidence: dict[str, tuple[float, frozenset[str]]]  # name -> (weight, event types or "*")


@functools.cache
def seeds() -> Seeds:
    """Patterns, CAMEO table and cues, read once; patterns indexed by trigger key."""
    index: dict[str, list[Pattern]] = {}
    with open(SEEDS / "event_patterns.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            p = Pattern(r["id"], r["event_type"], r["cameo"], r["pos"],
                        frozenset(key(w) for w in r["with"].split("|") if w), r["where"] or "after",
                        int(r["window"] or 0), r["roles"], float(r["confidence"]))
            for k in {key(w) for w in r["trigger"].split("|")}:
                index.setdefault(k, []).append(p)
    with open(SEEDS / "plover.csv", encoding="utf-8") as f:
        codes = {r["cameo_code"]: Code(r["event_type"], float(r["goldstein"]), int(r["quad_class"]))
                 for r in csv.DictReader(f)}
    cues: dict[str, set[str]] = {}
    speech = {}
    with open(SEEDS / "event_cues.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            cues.setdefault(r["kind"], set()).add(key(r["cue"]))
            if r["kind"] == "speech":
                speech[key(r["cue"])] = r["verb_or_note"]
    with open(SEEDS / "event_evidence.csv", encoding="utf-8") as f:
        evidence = {r["evidence"]: (float(r["weight"]), frozenset(r["types"].split())) for r in csv.DictReader(f)}
    return Seeds({k: tuple(v) for k, v in index.items()}, codes, {k: frozenset(v) for k, v in cues.items()},
                 speech, evidence)
