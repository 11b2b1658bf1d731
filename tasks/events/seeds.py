"""The event seeds: trigger patterns (seeds/event_patterns.csv), CAMEO codes (seeds/plover.csv) and
cue words (seeds/event_cues.csv), read once and checked against their contract (CONTRACT below;
seeds/README.md explains each column)."""
from __future__ import annotations

import csv
import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from tasks.arabic import key
from tasks.config import SEEDS
from tasks.schema import PLOVER_TYPES

def digest(*parts) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


# ------------------------------------------------------------------------------------- contract

class SeedError(ValueError):
    """A seed row that breaks its file's contract; the message names the file and line."""


@dataclass(frozen=True)
class Field:
    name: str
    required: bool = False  # must not be empty
    domain: tuple[str, ...] | None = None  # allowed values (empty allowed unless required)
    regex: str | None = None
    number: tuple[float, float] | None = None  # a number in [min, max]


CUE_KINDS = ("neg", "neg_exempt", "not_trigger", "np_stop", "count", "when", "cond", "hypo", "hypo_after",
             "request", "intent", "future", "ready", "accept", "oppose", "frame", "relative", "occur", "old",
             "toll", "violence", "crowd", "protester", "agent", "place", "background", "speech")
ROLES = ("AT", "P", "T", "A", "S")
CONTRACT: dict[str, tuple[Field, ...]] = {
    "event_patterns.csv": (
        Field("id", True, regex=r"^[a-z]+\.[a-z0-9_]+$"),
        Field("event_type", True, PLOVER_TYPES),
        Field("cameo", True, regex=r"^[0-9]{2,4}$"),
        Field("trigger", True, regex=r"^[^|\s]+(\|[^|\s]+)*$"),
        Field("pos", domain=("V", "N")),
        Field("with", regex=r"^([^|]+(\|[^|]+)*)?$"),
        Field("where", domain=("before", "after", "around")),
        Field("window", regex=r"^([1-9][0-9]?)?$"),
        Field("roles", True, ROLES),
        Field("confidence", True, number=(0.0, 1.0)),
        Field("origin", True, ("petrarch", "khabar")),
        Field("example", True),
    ),
    "plover.csv": (
        Field("cameo_code", True, regex=r"^[0-9]{2,4}$"),
        Field("cameo_name", True),
        Field("event_type", True, PLOVER_TYPES),
        Field("goldstein", True, number=(-10.0, 10.0)),
        Field("quad_class", True, ("1", "2", "3", "4")),
        Field("default", domain=("yes", "no")),
    ),
    "event_cues.csv": (
        Field("kind", True, CUE_KINDS),
        Field("cue", True),
        Field("verb_or_note"),
    ),
}


def read_seed(name: str, folder: Path = SEEDS) -> list[dict[str, str]]:
    """Rows of a seed file, each checked against CONTRACT: the header names exactly its columns, every
    value is allowed; SeedError names the file, line and column otherwise."""
    path, fields = folder / name, CONTRACT[name]
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != [c.name for c in fields]:
            raise SeedError(f"{path}:1: columns {reader.fieldnames} are not {[c.name for c in fields]}")
        rows = []
        for r in reader:
            line = reader.line_num
            for c in fields:
                v = r[c.name]
                if v is None or None in r:
                    raise SeedError(f"{path}:{line}: expected {len(fields)} values")
                bad = (c.required and not v) or v and (
                    c.domain is not None and v not in c.domain or c.regex and not re.match(c.regex, v)
                    or c.number and not _in_range(v, c.number))
                if bad:
                    allowed = f" (one of {', '.join(c.domain)})" if c.domain else ""
                    raise SeedError(f"{path}:{line}: column {c.name!r}: {v!r} is not allowed{allowed}")
            rows.append({**r, "_line": str(line)})
    return rows


def _in_range(v: str, bounds: tuple[float, float]) -> bool:
    try:
        return bounds[0] <= float(v) <= bounds[1]
    except ValueError:
        return False


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
    conf: float  # the pattern's prior: a feature of the trigger model and its rank among patterns at a word
    example: str  # a sentence it fires on (tests/test_events.py checks it)


@dataclass(frozen=True)
class Code:
    type: str
    goldstein: float
    quad: int


@dataclass(frozen=True)
class Seeds:
    index: dict[str, tuple[Pattern, ...]]
    patterns: tuple[Pattern, ...]
    codes: dict[str, Code]
    cues: dict[str, frozenset[str]]  # kind -> keys (multiword cues joined by a space)
    speech: dict[str, str]  # key -> canonical speech verb


def load_seeds(folder: Path = SEEDS) -> Seeds:
    """Patterns, CAMEO table and cues from `folder`, checked; patterns indexed by trigger key."""
    codes = {r["cameo_code"]: Code(r["event_type"], float(r["goldstein"]), int(r["quad_class"]))
             for r in read_seed("plover.csv", folder)}
    index: dict[str, list[Pattern]] = {}
    patterns, ids = [], set()
    where = folder / "event_patterns.csv"
    for r in read_seed("event_patterns.csv", folder):
        at = f"{where}:{r['_line']}"
        if r["id"] in ids:
            raise SeedError(f"{at}: id {r['id']!r} is used twice")
        if r["cameo"] not in codes or codes[r["cameo"]].type != r["event_type"]:
            raise SeedError(f"{at}: cameo {r['cameo']!r} is not a {r['event_type']} code of plover.csv")
        if bool(r["with"]) != bool(r["window"]):
            raise SeedError(f"{at}: context words ('with') and a 'window' go together")
        ids.add(r["id"])
        p = Pattern(r["id"], r["event_type"], r["cameo"], r["pos"],
                    frozenset(key(w) for w in r["with"].split("|") if w), r["where"] or "after",
                    int(r["window"] or 0), r["roles"], float(r["confidence"]), r["example"])
        patterns.append(p)
        for k in {key(w) for w in r["trigger"].split("|")}:
            index.setdefault(k, []).append(p)
    cues: dict[str, set[str]] = {k: set() for k in CUE_KINDS}
    speech = {}
    for r in read_seed("event_cues.csv", folder):
        cues[r["kind"]].add(key(r["cue"]))
        if r["kind"] == "speech":
            speech[key(r["cue"])] = r["verb_or_note"]
    return Seeds({k: tuple(v) for k, v in index.items()}, tuple(patterns), codes,
                 {k: frozenset(v) for k, v in cues.items()}, speech)


@functools.cache
def seeds() -> Seeds:
    """The project's seeds, read once."""
    return load_seeds()
