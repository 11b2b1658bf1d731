"""Actor phrases around a trigger: noun phrases, VSO/SVO subjects, objects and prepositional targets."""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from tasks.events.match import Match, Sent
from tasks.events.seeds import seeds
from tasks.events.tokens import QUOTES, Tok, has, trim

ACTOR_LABELS = ("PERS", "ORG", "GPE", "LOC", "ROLE", "ACTOR")  # entity labels that name actors (tasks.schema)

_TARGET_PREP = {"علي", "ضد", "مع", "الي", "بين", "تجاه", "نحو"}
_TIME_PREP = {"قبل", "بعد", "خلال", "منذ", "اثناء", "حوالي"}
_SELF_WORDS = frozenset({"نفس", "نفسه", "نفسها", "انفسهم", "انفسهن"})


def noun_phrase(toks: list[Tok], j: int, fwd: bool = True, size: int = 4) -> tuple[int, int] | None:
    """Token range [a, b] of the noun phrase starting (fwd) or ending (backwards) at token j."""
    c = seeds().cues
    if not 0 <= j < len(toks) or not toks[j].nominal or toks[j].date or toks[j].when or has(toks[j], c["np_stop"]):
        return None
    a = b = j
    while fwd and b + 1 < len(toks) and b - a + 1 < size:
        t = toks[b + 1]
        counting = all(x.pos == "digit" or has(x, c["count"]) for x in toks[a:b + 1])
        if counting and t.norm == "من" and b + 2 < len(toks) and toks[b + 2].nominal:  # "سبعة من عناصر الشرطة"
            b += 1
            continue
        if not t.nominal or t.date or t.when or has(t, c["np_stop"]) or t.segs[0] in ("و", "ف") or t.prep \
                or not counting and (t.pos == "digit" or has(t, c["count"])) \
                or t.surface.endswith(("اً", "ًا")) and t.pos != "noun_prop" and not counting:
            break
        b += 1
    while not fwd and a - 1 >= 0 and b - a + 1 < size:
        t = toks[a - 1]
        if not t.nominal or t.date or t.when or has(t, c["np_stop"]) or toks[a].segs[0] in ("و", "ف") or toks[a].prep:
            break
        a -= 1
    return None if not fwd and toks[a].prep else (a, b)


def actor_of(text: str, toks: list[Tok], rng: tuple[int, int] | None, ents: list[dict]) -> dict | None:
    """Actor of a noun phrase, widened to a dictionary entity overlapping it (whose code it takes)."""
    if rng is None:
        return None
    s, e = toks[rng[0]].start, toks[rng[1]].end
    hit = [x for x in ents if x["start"] < e and x["end"] > s]
    b = rng[1]
    if not any(x.get("actor_code") for x in hit) and b + 2 < len(toks) and toks[b + 1].surface in ",،":
        # "وزير الخارجية الروسي، سيرغي لافروف": the name in apposition after a comma
        hit += [x for x in ents if x["start"] == toks[b + 2].start and x.get("actor_code") and x["label"] == "PERS"]
    code = None
    if hit:
        x = max(hit, key=lambda x: (x.get("actor_code") is not None, x["end"] - x["start"]))
        s, e, code = min(s, x["start"]), max(e, x["end"]), x.get("actor_code")
    s, e = trim(text, s, e)
    return {"text": text[s:e], "code": code, "start": s, "end": e} if e > s else None


def entity_actor(x: dict) -> dict:
    return {"text": x["text"], "code": x.get("actor_code"), "start": x["start"], "end": x["end"]}


def _widen(toks: list[Tok], rng: tuple[int, int] | None, ents: list[dict]) -> tuple[int, int] | None:
    """A noun phrase extended to the whole of a named actor it cuts ("المبعوث الأميركي الخاص ستيف ويتكوف")."""
    if rng is None:
        return None
    a, b = rng
    for x in ents:
        if x.get("actor_code") and x["start"] < toks[b].end < x["end"]:
            while b + 1 < len(toks) and toks[b + 1].start < x["end"]:
                b += 1
    return a, b


def subject_of(toks: list[Tok], j: int, end: int, ents: list[dict]) -> tuple[int, int] | None:
    """The noun phrase after a verb (VSO subject): time words skipped, not a prepositional phrase."""
    while j <= end and (toks[j].when or toks[j].date or toks[j].norm in ("قد", "ايضا", "كذلك")):
        j += 1
    return _widen(toks, noun_phrase(toks, j), ents) if j <= end and not toks[j].prep else None


def _object(toks: list[Tok], j: int, end: int, clitics: tuple[str, ...] = ("ل",)) -> tuple[int, int] | None:
    """The object or prepositional target from token j: على/ضد/مع/إلى X, else the next bare noun phrase;
    skips adjectives, time words, other prepositional phrases and commas."""
    while j <= end and toks[j].pos == "adj":
        j += 1
    for k in range(j, min(j + 3, end + 1)):  # "عقوبات قاسية على روسيا": the prepositional target first
        if toks[k].norm in _TARGET_PREP or toks[k].base in _TARGET_PREP:
            return noun_phrase(toks, k + 1)
        if toks[k].verb or toks[k].boundary:
            break
    while j <= end:
        t = toks[j]
        if t.norm in _TARGET_PREP or t.base in _TARGET_PREP:
            return noun_phrase(toks, j + 1)
        if t.norm in _TIME_PREP or has(t, seeds().cues["np_stop"]) or t.keys & _SELF_WORDS:
            j += 1  # "اغتالت قبل ظهر امس ناشطا", "فجر نفسه"
            continue
        if t.nominal and t.prep and t.segs[0] in clitics or t.nominal and not t.prep and not t.when and not t.date:
            return noun_phrase(toks, j)
        if t.verb or t.comp or t.punct and t.surface not in ",،":
            return None
        j += 1
    return None


def _owner(toks: list[Tok], a: int, ents: list[dict]) -> dict | None:
    """Source of a nominal trigger: the nearest actor before it in its clause chain ("قبول بلينكن
    دعوة للقاء", "أعلنت روسيا، اليوم، رفضها"), not across أن/إن or a full stop; at most 12 tokens."""
    lo = a
    while lo > 0 and a - lo < 12 and not toks[lo - 1].comp \
            and not (toks[lo - 1].boundary and toks[lo - 1].surface not in ",،"):
        lo -= 1
    before = [x for x in ents if toks[lo].start <= x["start"] < toks[a].start and x.get("actor_code")
              and x["label"] in ACTOR_LABELS]
    return entity_actor(before[-1]) if before else None


def _pre_subject(toks: list[Tok], v: int) -> tuple[int, int] | None:
    """The noun phrase before verb v when it opens its clause (SVO): "إن مسلحين مجهولين اغتالوا",
    "قوات الأمن قد قتلت", "إن مهاجما انتحاريا من طالبان، فجر" (a comma only after أن/إن)."""
    j = v - 1
    while j >= 0 and toks[j].norm in ("قد", "لقد", "لا", "لم", "لن"):
        j -= 1
    comma = j >= 1 and toks[j].surface in ",،"
    pre = noun_phrase(toks, j - comma, fwd=False)
    if pre and pre[0] >= 2 and toks[pre[0] - 1].norm == "من":  # "... من حركة طالبان"
        head = noun_phrase(toks, pre[0] - 2, fwd=False)
        pre = (head[0], pre[1]) if head else pre
    if pre is None:
        return None
    k = pre[0] - 1
    if k < 0 or toks[k].comp or toks[k].surface in QUOTES or toks[k].lemma == "كان":  # وكانت X قد قتلت
        return pre
    return pre if toks[k].boundary and not comma else None


def _roles_of(text: str, s: Sent, m: Match) -> tuple[dict | None, dict | None]:
    """(source, target) around the trigger: VSO or SVO for verbs, genitive and prepositions for nouns."""
    toks, ents, p, t = s.toks, s.ents, m.pat, s.toks[m.t]
    cb = t.cb
    if p.roles == "S":
        return actor_of(text, toks, noun_phrase(toks, m.t), ents), actor_of(text, toks, _object(toks, m.t + 1, cb), ents)
    pre = _pre_subject(toks, m.a)
    if t.verbal:
        subj = pre or subject_of(toks, m.t + 1, cb, ents)  # "أحرق متظاهرون أعلام"
        if subj and not pre and subj[0] <= m.b and m.b > m.t:  # "أطلق النار على": the context is no subject
            subj = subject_of(toks, m.b + 1, cb, ents)
        clitics = ("ل", "ب") if p.type == "CONSULT" else ("ل",)  # "التقى ويتكوف بالقادة"
        obj = _object(toks, (subj[1] if subj and not pre else m.b) + 1, cb, clitics)
        counted = subj and (toks[subj[0]].pos in ("digit", "noun_num", "noun_quant")
                            or has(toks[subj[0]], seeds().cues["count"]))
        if counted and p.type in ("ASSAULT", "COERCE"):
            subj, obj = None, subj  # "قتل 18 شخصا", "ثلاثة عراقيين قتلوا": a count is who suffered it
    else:
        src = _owner(toks, m.a, ents)
        if p.roles == "T":
            return None, actor_of(text, toks, noun_phrase(toks, m.b + 1) or _object(toks, m.b + 1, cb), ents)
        return src, actor_of(text, toks, _object(toks, m.b + 1, cb), ents)
    if p.roles == "T" or p.roles == "P" and subj and not pre and obj is None:
        return None, actor_of(text, toks, subj or obj, ents)  # "اغتيل كرامي": no object, the subject suffered it
    if p.roles == "A" and obj and not any(toks[j].norm in _TARGET_PREP or toks[j].prep
                                          for j in range(m.b + 1, obj[0] + 1)):
        obj = None
    return actor_of(text, toks, subj, ents), actor_of(text, toks, obj, ents)


def roles(text: str, s: Sent, m: Match) -> tuple[dict | None, dict | None]:
    """(source, target); a violent event without a source takes the nearest attacker noun of the
    sentence (انتحاريا، مسلحون مجهولون), the one before the trigger first."""
    src, tgt = _roles_of(text, s, m)
    if src is None and m.pat.type in ("ASSAULT", "COERCE"):
        agents = [i for i in s.agents if not m.a <= i <= m.b]
        if agents:
            j = max((i for i in agents if i < m.a), default=min(agents))
            src = actor_of(text, s.toks, noun_phrase(s.toks, j), s.ents)
    return src, tgt


# ------------------------------------------------------------------------------ learned ranking

ACTOR_WINDOW = 15  # tokens either side of a trigger searched for actor candidates
_CLITICS = {"و", "ف", "ب", "ل", "ك"}
_MARKS = {chr(c) for c in range(0x064B, 0x0653)} | {"\u0670", "ـ"}  # diacritics and tatweel


def _clitic_chars(t: Tok) -> int:
    """Surface characters of a token's leading clitics (و ب ل ف ك; the article ال stays)."""
    n = 0
    for seg in t.segs[:-1]:
        if seg not in _CLITICS:
            break
        n += len(seg)
    if not n:
        return 0
    i = 0
    while i < len(t.surface) and n:
        n -= t.surface[i] not in _MARKS
        i += 1
    while i < len(t.surface) and t.surface[i] in _MARKS:
        i += 1
    return i if i < len(t.surface) else 0


@dataclass
class Span:
    """An actor candidate: token range, clean character span, the dictionary code and how it was found."""
    a: int
    b: int
    start: int
    end: int
    code: str | None
    label: str | None  # entity label when an entity covers it
    kinds: set[str]


def _span_of(text: str, toks: list[Tok], a: int, b: int, ents: list[dict], kind: str) -> Span | None:
    s, e = trim(text, toks[a].start + _clitic_chars(toks[a]), toks[b].end)
    if e <= s:
        return None
    hit = [x for x in ents if x["start"] < e and x["end"] > s]
    x = max(hit, key=lambda x: (x.get("actor_code") is not None, x["end"] - x["start"]), default=None)
    return Span(a, b, s, e, x.get("actor_code") if x else None, x["label"] if x else None, {kind})


def actor_candidates(text: str, s: Sent, m: Match, rule: dict[str, dict | None]) -> list[Span]:
    """Spans that may be the source or target of the event at m: the sentence's entities and noun
    phrases near the trigger, and what the word-order rules chose (kind rule_source / rule_target)."""
    toks, ents = s.toks, s.ents
    lo, hi = max(m.a - ACTOR_WINDOW, 0), min(m.b + ACTOR_WINDOW, len(toks) - 1)
    found: dict[tuple[int, int], Span] = {}

    def add(sp: Span | None) -> None:
        if sp and not (sp.a <= m.t <= sp.b):
            o = found.setdefault((sp.start, sp.end), sp)
            o.kinds |= sp.kinds

    starts = [t.start for t in toks]
    for x in ents:
        if x["label"] in ACTOR_LABELS:
            a = bisect.bisect_right(starts, x["start"]) - 1
            b = bisect.bisect_left(starts, x["end"]) - 1
            if lo <= a <= hi and a <= b:
                add(_span_of(text, toks, a, b, ents, "entity"))
    for j in range(lo, hi + 1):
        t = toks[j]
        if t.nominal and (j == 0 or not toks[j - 1].nominal or t.prep or t.segs[0] in ("و", "ف")):
            rng = _widen(toks, noun_phrase(toks, j), ents)
            if rng:
                add(_span_of(text, toks, rng[0], rng[1], ents, "np"))
    for role, x in rule.items():
        if x:
            a = bisect.bisect_right(starts, x["start"]) - 1
            b = bisect.bisect_left(starts, x["end"]) - 1
            if 0 <= a <= b:
                add(_span_of(text, toks, a, b, ents, f"rule_{role}"))
    return sorted(found.values(), key=lambda sp: sp.start)
