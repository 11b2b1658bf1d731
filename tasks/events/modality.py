"""Negation, modality (hypothetical, future, conditional, ...) and evidence cues of a match."""
from __future__ import annotations

import bisect
from collections import Counter

from tasks.events.match import Match, Sent
from tasks.events.seeds import seeds
from tasks.events.tokens import Tok, has


def is_negated(toks: list[Tok], m: Match) -> bool:
    c = seeds().cues
    for j in range(m.a - 1, max(m.a - 5, -1), -1):
        t = toks[j]
        if t.boundary:
            break
        neg = t.norm in c["neg"] and t.norm not in ("ما", "الا") or t.pos == "part_neg" or t.lemma == "ليس" \
            or "لا" in t.segs[1:]
        if neg and not (j + 1 < len(toks) and has(toks[j + 1], c["neg_exempt"])):
            return True
        if t.comp or t.verb and j < m.a - 1:
            break
    # "رفضها مناقشة ..." / "تعارض إرسال القوات": a nominal event opposed is not happening.
    return not toks[m.t].verb and any(has(toks[j], c["oppose"]) for j in range(max(m.a - 2, 0), m.a))


def modality_of(s: Sent, m: Match) -> str:
    toks, c = s.toks, seeds().cues
    if m.t in s.in_cond:
        return "hypothetical"
    planned = False
    for j in range(m.a - 1, max(m.a - 6, -1), -1):
        if toks[j].boundary:
            break
        if has(toks[j], c["request"] | c["hypo"]):
            if not any(has(toks[k], c["accept"]) for k in range(max(j - 8, 0), j)):
                return "hypothetical"
            planned = True  # an accepted invitation
    if any(has(toks[j], c["hypo_after"]) for j in range(m.b + 1, min(m.b + 4, len(toks)))):
        return "hypothetical"
    if s.question:
        return "question"
    k = bisect.bisect_left(s.cond_starts, m.t - 15)
    if k < len(s.cond_starts) and s.cond_starts[k] <= m.t + 15:
        return "conditional"
    before = range(max(m.a - 5, 0), m.a)
    if any(has(toks[j], c["ready"]) for j in before):
        return "readiness"

    def fut(t: Tok) -> bool:
        return t.verb and t.segs[0] == "س" or t.norm in c["future"] or t.norm == "لن"

    if planned or fut(toks[m.t]) or any(fut(toks[j]) or has(toks[j], c["intent"])
                                        for j in range(max(m.a - 4, 0), m.a)):
        return "future"
    return "asserted"


def evidence(s: Sent, m: Match) -> dict[str, float]:
    """Signs that a concrete event took place here and now (a time, a count, a place, a verb of
    occurrence, other triggers of the type) or that it is only referred to or talked about: features
    of the trigger model (tasks/events/model.py)."""
    c, p, toks = seeds().cues, m.pat, s.toks
    t = toks[m.t]
    inside = Counter(f for x in toks[m.a:m.b + 1] for f in x.flags | ({"when"} if x.when else set()))

    def outside(f: str) -> bool:
        return s.totals[f] > inside[f]

    near = [toks[j] for j in range(max(m.a - 3, 0), min(m.b + 4, len(toks))) if not m.a <= j <= m.b]
    before = []
    for j in range(m.a - 1, max(m.a - 9, -1), -1):
        if toks[j].boundary:
            break
        before.append(toks[j])
    protester, count = s.first["protester"], s.first["count"]
    return {
        "when": outside("when"),
        "count": outside("count"),
        "place": s.place_entity or outside("place"),
        "corroboration": min(s.types[p.type] - 1, 2),
        "occurrence": not t.verbal and any(has(x, c["occur"]) for x in near),
        "casualties": outside("toll"),
        "violence": outside("toll") or outside("violence"),
        "crowd": outside("crowd"),
        "frame": any(has(x, c["frame"]) for x in before),
        "relative": any(has(x, c["relative"]) for x in before[:2]),
        "since": outside("old"),
        "definite": not t.verbal and t.definite and p.roles != "S",
        "year": outside("year"),
        "habitual": t.imperfect,
        "length": min(max(len(toks) - 30, 0) / 30, 1.0),
        "late": m.t > len(toks) / 2,
        # "وهتف المتظاهرون": definite protesters, not introduced by a count, are a detail of a known protest
        "anaphoric": protester is not None and protester <= m.b + 3 and toks[protester].definite
        and (count is None or count > protester),
    }
