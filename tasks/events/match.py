"""Trigger matches of a sentence (lexicon patterns with their context words) and its context."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tasks.events.seeds import Pattern, seeds
from tasks.events.tokens import Tok, cue_len, has, speech_verb


@dataclass
class Match:
    pat: Pattern
    a: int  # first and last token of the match (trigger plus context)
    b: int
    t: int  # the trigger token


def find_matches(toks: list[Tok], stop: frozenset[str]) -> list[Match]:
    """Matches that do not overlap: longer and context-bound patterns first, then more confident ones."""
    sd, found = seeds(), []
    for t in toks:
        if t.norm in stop or t.base in stop:
            continue
        for p in {p for k in t.keys for p in sd.index.get(k, ())}:
            if p.pos == "V" and not t.verbal or p.pos == "N" and t.verb or p.roles == "S" and t.prep:
                continue
            a = b = t.i
            if p.context:
                lo = t.i - p.window if p.where in ("before", "around") else t.i + 1
                hi = t.i + p.window if p.where in ("after", "around") else t.i - 1
                hits = [j for j in range(max(lo, 0), min(hi, len(toks) - 1) + 1)
                        if j != t.i and (has(toks[j], p.context) or "@verb" in p.context and _governs(toks, j, t.i))]
                if not hits:
                    continue
                a, b = min(a, hits[0]), max(b, hits[-1])
            found.append(Match(p, a, b, t.i))
    lexical = {m_id: bool(m.pat.context - {"@verb"}) for m_id, m in enumerate(found)}
    order = sorted(range(len(found)), reverse=True, key=lambda k: (
        lexical[k], (found[k].b - found[k].a) * lexical[k], found[k].pat.conf, -found[k].t))
    found = [found[k] for k in order]
    taken: set[int] = set()
    out = []
    for m in found:
        if m.t in taken:
            continue
        out.append(m)
        taken.update(range(m.a, m.b + 1))
    return sorted(out, key=lambda m: m.t)


def _governs(toks: list[Tok], v: int, n: int) -> bool:
    """Verb v has noun n as its subject: only a count (آلاف، عشرات من) between them, and n nominative
    when right after the verb (المتظاهرون, not the object المتظاهرين)."""
    c = seeds().cues
    if not toks[v].verb or v > n or speech_verb(toks[v]) or has(toks[v], c["intent"] | c["request"]):
        return False
    between = toks[v + 1:n]
    count = c["count"]
    if not between:
        return not toks[n].norm.endswith("ين")
    return all(x.pos == "digit" or has(x, count) and x.norm != "عدد" or x.norm in ("من", "بعض", "احد")
               or x.norm == "عدد" and k + 1 < len(between) and between[k + 1].norm == "من"
               for k, x in enumerate(between))


@dataclass
class Sent:
    """Per-sentence context: tokens, entities, condition clauses and quotations."""
    row: dict
    toks: list[Tok]
    ents: list[dict]
    conds: list[tuple[int, int]]  # token ranges of if-clauses
    question: bool
    quotes: list[dict]
    headline: list[dict]  # "بايدن: ..." as a quote without a verb
    dates: list[dict]  # date expressions in the sentence
    types: dict[str, int]  # number of matches per event type
    # Computed once per sentence, so that each trigger costs O(its window), not O(sentence):
    totals: Counter = field(init=False)  # tokens per flag (and "when")
    place_entity: bool = field(init=False)
    first: dict[str, int | None] = field(init=False)  # first protester / count token
    agents: list[int] = field(init=False)  # attacker nouns
    cond_starts: list[int] = field(init=False)
    in_cond: set[int] = field(init=False)  # tokens inside if-clauses

    def __post_init__(self) -> None:
        self.totals = Counter(f for t in self.toks for f in t.flags | ({"when"} if t.when else set()))
        self.place_entity = any(x["label"] in ("LOC", "GPE") for x in self.ents)
        self.first = {f: next((t.i for t in self.toks if f in t.flags), None) for f in ("protester", "count")}
        self.agents = [t.i for t in self.toks if "agent" in t.flags]
        self.cond_starts = [a for a, _ in self.conds]
        self.in_cond = {i for a, b in self.conds for i in range(a, b)}


def conditions(toks: list[Tok]) -> list[tuple[int, int]]:
    out, cond = [], seeds().cues["cond"]
    for j in range(len(toks)):
        n = cue_len(toks, j, cond)
        if n:
            e = j + n
            while e < len(toks) and not toks[e].boundary and not (e > j + n and toks[e].segs[0] == "ف"):
                e += 1
            out.append((j, e))
    return out
