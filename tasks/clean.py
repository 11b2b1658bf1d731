"""Boilerplate removal by the line rules in seeds/boilerplate.csv, with an audit of what went.

Rules are regular expressions searched in each line's clean form (tasks.normalize: no diacritics
or tatweel, unified quotes/spaces/digits), first matching rule wins. Scopes:
  line   remove the line;
  rest   remove the line and everything after it (related lists, comment forms, author boxes);
  split  a heading after which a glued second article starts: when enough article text follows,
         that text becomes a child document (its raw offset is returned), else it is removed as
         by `rest`.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tasks.config import SEEDS

SCOPES = ("line", "rest", "split")
MIN_ARTICLE = 400  # characters in lines of >= LONG_LINE characters that make a glued article
LONG_LINE = 80


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern
    scope: str
    reason: str


@lru_cache(maxsize=4)
def load_rules(path: Path = SEEDS / "boilerplate.csv") -> tuple[Rule, ...]:
    with path.open(encoding="utf-8", newline="") as f:
        rules = tuple(Rule(r["rule"], re.compile(r["pattern"]), r["scope"], r["reason"]) for r in csv.DictReader(f))
    bad = [r.id for r in rules if r.scope not in SCOPES]
    if bad:
        raise ValueError(f"{path}: unknown scope in rules {bad}; use one of {SCOPES}")
    return rules


@dataclass
class Cleaned:
    lines: list[tuple[int, int]]  # kept non-blank lines, stripped, as clean-form [start, end)
    removed: list[dict]  # removed rows: doc_id, start, end (raw), rule, text
    child_at: int | None  # raw offset where a glued article starts


def _lines(norm: str) -> list[tuple[int, int]]:
    """Non-blank lines of the clean form, stripped, as [start, end)."""
    return [(m.start(), m.end()) for m in re.finditer(r"[^\s][^\n]*(?<=\S)", norm)]


def clean(doc_id: str, text: str, norm: str, starts: list[int], ends: list[int],
          rules: tuple[Rule, ...] | None = None) -> Cleaned:
    """Apply the rules to one document given its clean form and offset map (tasks.normalize)."""
    rules = load_rules() if rules is None else rules
    lines = _lines(norm)
    kept, removed, child_at = [], [], None
    end = len(text.rstrip()) if text.strip() else 0
    for k, (a, b) in enumerate(lines):
        line = norm[a:b]
        rule = next((r for r in rules if r.pattern.search(line)), None)
        if rule is None:
            kept.append((a, b))
            continue
        rs = starts[a]
        if rule.scope == "line":
            removed.append(_row(doc_id, text, rs, ends[b - 1], rule))
            continue
        if rule.scope == "split":
            after = lines[k + 1:]
            if sum(y - x for x, y in after if y - x >= LONG_LINE) >= MIN_ARTICLE:
                child_at = starts[after[0][0]]
        removed.append(_row(doc_id, text, rs, end, rule))
        break
    return Cleaned(kept, removed, child_at)


def _row(doc_id: str, text: str, start: int, end: int, rule: Rule) -> dict:
    return {"doc_id": doc_id, "start": start, "end": end, "rule": rule.id, "text": text[start:end]}
