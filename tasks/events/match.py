"""Trigger matches of a sentence (lexicon patterns with their context words) and its context."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tasks.events.seeds import Pattern, seeds
from tasks.events.tokens import Tok, cue_len, has, speech_verb


# A conflict event that is intended becomes a threat by its source, with the CAMEO threat code.
THREAT_OF = {"ASSAULT": "138", "SANCTION": "1312", "COERCE": "137", "PROTEST": "133"}


@dataclass
class Match:
    pat: Pattern
    a: int  # first and last token of the match (trigger plus context)
    b: int
    t: int  # the trigger token


def find_matches(toks: list[Tok], stop: frozenset[str]) -> list[Match]:
    """Every pattern that fires in the sentence: its trigger word (of the right part of speech) with its
    context words in their window."""
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
    return sorted(found, key=lambda m: (m.t, m.pat.id))


def candidates(matches: list[Match]) -> list[tuple[str, Match]]:
    """(event type, match) per trigger token and type: of a type's patterns at the token, the one with
    context words, then the widest, then the most confident. A conflict trigger is also a candidate
    THREATEN (its intended form: "ستقصف")."""
    best: dict[tuple[int, str], Match] = {}
    for m in matches:
        k = (m.t, m.pat.type)
        o = best.get(k)
        if o is None or _rank(m) > _rank(o):
            best[k] = m
    out = [(t, m) for (_, t), m in best.items()]
    out += [("THREATEN", m) for (i, t), m in best.items() if t in THREAT_OF and (i, "THREATEN") not in best]
    return sorted(out, key=lambda c: (c[1].t, c[0]))


def _rank(m: Match) -> tuple:
    return bool(m.pat.context - {"@verb"}), m.b - m.a, m.pat.conf, m.pat.id


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
    matches: list[Match]
    token_rows: list[dict]  # the text stage's token rows of the sentence (event_place reads them)
    # Computed once per sentence, so that each trigger costs O(its window), not O(sentence):
    types: Counter = field(init=False)  # number of matches per event type
    totals: Counter = field(init=False)  # tokens per flag (and "when")
    place_entity: bool = field(init=False)
    first: dict[str, int | None] = field(init=False)  # first protester / count token
    agents: list[int] = field(init=False)  # attacker nouns
    cond_starts: list[int] = field(init=False)
    in_cond: set[int] = field(init=False)  # tokens inside if-clauses

    def __post_init__(self) -> None:
        self.types = Counter(m.pat.type for m in self.matches)
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
