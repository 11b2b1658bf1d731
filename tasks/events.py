"""Political events (PLOVER types, CAMEO codes) and quotations from tokenised Arabic sentences.

Triggers are lemma patterns in seeds/event_patterns.csv, indexed once by lemma key; CAMEO codes map
to PLOVER types, Goldstein scores and quad classes in seeds/plover.csv; cue words (negation,
modality, speech verbs, evidence that an event took place) are in seeds/event_cues.csv.
Per trigger: negation, modality, reported speech, source/target actors (dictionary entities first,
else the noun phrase in Arabic VSO or SVO order), location, date, a confidence and the rule id.
Events that did not happen are not emitted as such: a conflict event that is only intended
(future, readiness, conditional) becomes the source's THREATEN; one inside an if-clause, a request
or a question is dropped; a negated one is kept with negated = true.
"""
from __future__ import annotations

import bisect
import csv
import functools
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import attrgetter, itemgetter
from typing import NamedTuple

from camel_tools.utils.dediac import dediac_ar

from tasks.config import SEEDS
from tasks.dates import publication_date, resolve_dates
from tasks.dictionaries import load

MIN_CONFIDENCE = 0.5
_KEYMAP = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": None})
_NOMINAL = {"noun", "noun_prop", "adj", "noun_num", "noun_quant", "adj_comp", "adj_num", "digit", "abbrev",
            "foreign", "latin"}
_PUNCT = set(".,،؛;:!?؟()[]{}-–—/…")
_QUOTES = {"«": "»", '"': '"', "“": "”", "”": "”", "„": "“"}
_CLOSE = set(_QUOTES.values()) | set(_QUOTES)
_PREP_CLITIC = ("ب", "ل", "ك")
_TARGET_PREP = {"علي", "ضد", "مع", "الي", "بين", "تجاه", "نحو"}
_COMPLEMENTIZER = {"ان", "لان", "بان"}
_TIME_PREP = {"قبل", "بعد", "خلال", "منذ", "اثناء", "حوالي"}
_SELF_WORDS = frozenset({"نفس", "نفسه", "نفسها", "انفسهم", "انفسهن"})
_SELF = {"بلاده", "بلادها", "بلادنا", "نحن", "حكومته", "حكومتها", "حكومتنا"}
# A conflict event that is intended becomes a threat by its source, with the CAMEO threat code.
_THREAT_OF = {"ASSAULT": "138", "SANCTION": "1312", "COERCE": "137", "PROTEST": "133"}
_MATERIAL = {2, 4}  # quad classes of material cooperation / conflict
_VERBAL = {1, 3}
_DAY_RULES = {"date:rel_day", "date:today_wd", "date:wd"}
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# Cue kinds kept on each token, so that evidence over a sentence is counted once, not per trigger.
_FLAGS = ("toll", "violence", "crowd", "place", "old", "protester", "agent")


@functools.lru_cache(maxsize=50_000)
def key(s: str | None) -> str:
    """Matching key: no diacritics or tatweel, alef/ya/ta-marbuta variants folded."""
    return dediac_ar(s or "").translate(_KEYMAP)


def _hash(*parts) -> str:
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
    row: int  # its row in event_patterns.csv: of two equally good matches the earlier row wins


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
        for n, r in enumerate(csv.DictReader(f)):
            p = Pattern(r["id"], r["event_type"], r["cameo"], r["pos"],
                        frozenset(key(w) for w in r["with"].split("|") if w), r["where"] or "after",
                        int(r["window"] or 0), r["roles"], float(r["confidence"]), n)
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


# ----------------------------------------------------------------------------------------- tokens

@dataclass
class Tok:
    i: int
    start: int
    end: int
    surface: str
    lemma: str  # keys (see key())
    norm: str
    base: str  # the word without clitics or article
    pos: str
    segs: list[str]
    keys: frozenset[str]
    after_noun: bool = False  # the previous token is a noun or a preposition (a construct or a PP)
    after_prep: bool = False  # the previous token is a preposition
    date: bool = False  # inside a date expression
    when: bool = False  # a time word naming a recent day (أمس، اليوم، الخميس)
    flags: frozenset[str] = frozenset()  # cue kinds of the word (see _FLAGS), "count", "year"
    ca: int = 0  # first and last token of its clause
    cb: int = 0
    punct: bool = False
    boundary: bool = False  # punctuation that ends a clause (quotation marks do not)

    @property
    def comp(self) -> bool:
        """The complementizer أن / إن (not the name آن)."""
        return self.lemma in _COMPLEMENTIZER and "آ" not in self.surface

    @property
    def verb(self) -> bool:
        """Tagged a verb and not right after a preposition ("إلى قتل": a masdar)."""
        return self.pos == "verb" and not (self.after_prep and len(self.segs) == 1)

    @property
    def definite(self) -> bool:
        return self.base != self.segs[-1] or self.segs[-1].startswith("ال")

    @property
    def imperfect(self) -> bool:
        """An imperfective verb (يقتل، تتظاهر): habits and plans more often than reports."""
        return self.verb and self.base[:1] in "يتنا" and self.lemma[:1] != self.base[:1]

    @property
    def verbal(self) -> bool:
        """A verb, or a bare masdar spelled like its verb (قصف، قتل; تظاهر، تجمع) read as the verb."""
        masdar = self.base == self.lemma and (len(self.base) == 3 or len(self.base) == 5 and self.base[0] == "ت")
        return self.verb or (self.pos == "noun" and masdar and not self.definite and not self.prep
                             and not self.after_noun)

    @property
    def nominal(self) -> bool:
        return self.pos in _NOMINAL

    @property
    def prep(self) -> bool:
        """Starts with a preposition clitic (ب ل ك)."""
        return any(s in _PREP_CLITIC for s in self.segs[:min(2, len(self.segs) - 1)])

    @property
    def first_person(self) -> bool:
        """A verb inflected for "we" (نرسل، قدمنا): its agent is whoever speaks."""
        return self.verb and (self.base.startswith("ن") and not self.lemma.startswith("ن")
                              or self.base.endswith("نا") and not self.lemma.endswith("نا"))


class _Word(NamedTuple):
    """What a token's matching needs that does not depend on its context (cached per word form)."""
    lemma: str
    norm: str
    base: str
    segs: list[str]  # shared between tokens of the same form: never mutate
    keys: frozenset[str]
    flags: frozenset[str]
    punct: bool
    boundary: bool
    when: bool


@functools.lru_cache(maxsize=25_000)
def _word(surface: str, norm_form: str | None, segments: tuple[str, ...], lemma_form: str | None, pos: str) -> _Word:
    cues = seeds().cues
    norm = key(norm_form or surface)
    segs = [key(s) for s in segments]
    if not segs or "".join(segs) != key(surface):  # segments must spell the word
        segs = [key(surface)]
    main = max(range(len(segs)), key=lambda j: len(segs[j]))
    base = segs[main]
    bases = {base, base[2:] if base.startswith("ال") and len(base) > 4 else base}
    if main and segs[main - 1] == "ل" and base.startswith("ل") and len(base) > 3:
        bases.add(base[1:])  # ل + الـ written لل
    bare = norm[len(segs[0]):] if len(segs) > 1 and segs[0] in ("و", "ف") else norm
    lemma = key(lemma_form)
    keys = frozenset({lemma, norm, bare, *bases} - {""})
    flags = {f for f in _FLAGS if not keys.isdisjoint(cues[f])}
    if pos == "digit":
        flags.add("year" if _YEAR.match(surface) else "count")
    elif not keys.isdisjoint(cues["count"]):
        flags.add("count")
    punct = pos == "punc" or all(c in _PUNCT or c in _CLOSE for c in surface)
    return _Word(lemma, norm, min(bases, key=len), segs, keys, frozenset(flags), punct,
                 punct and not any(c in _CLOSE for c in surface), not keys.isdisjoint(cues["when"]))


def _toks(rows: list[dict], dates: list[dict]) -> list[Tok]:
    """Tokens of one sentence with their matching keys; `dates` are the date spans in it."""
    dates = sorted(dates, key=itemgetter("start"))
    k, out = 0, []
    prev_pos = prev_norm = None
    for n, r in enumerate(sorted(rows, key=itemgetter("token_index"))):
        pos = r.get("pos") or ""
        w = _word(r["surface"], r.get("norm"), tuple(r.get("segments") or ()), r.get("lemma"), pos)
        while k < len(dates) and dates[k]["end"] <= r["start"]:
            k += 1
        inside = dates[k:k + 1] if k < len(dates) and dates[k]["start"] <= r["start"] else []
        flags = w.flags | {"place"} if prev_norm == "في" and pos == "noun_prop" else w.flags  # "في سريناجار"
        out.append(Tok(n, r["start"], r["end"], r["surface"], w.lemma, w.norm, w.base, pos, w.segs, w.keys,
                       prev_pos in _NOMINAL or prev_pos == "prep", prev_pos == "prep", bool(inside),
                       w.when or any(d["rule"] in _DAY_RULES for d in inside), flags,
                       punct=w.punct, boundary=w.boundary))
        prev_pos, prev_norm = pos, w.norm
    a = 0
    for t in out:  # clause bounds: between clause-ending punctuation
        t.ca = a
        if t.boundary:
            a = t.i + 1
    b = len(out) - 1
    for t in reversed(out):
        t.cb = b
        if t.boundary:
            b = t.i - 1
    return out


def _has(t: Tok, keys: frozenset[str]) -> bool:
    return not t.keys.isdisjoint(keys)


@functools.cache
def _cue_index(keys: frozenset[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Cues (possibly multiword) by their first word, longest first."""
    idx: dict[str, list[tuple[str, ...]]] = {}
    for k in keys:
        parts = tuple(k.split(" "))
        idx.setdefault(parts[0], []).append(parts)
    return {w: tuple(sorted(ps, key=len, reverse=True)) for w, ps in idx.items()}


def _cue_len(toks: list[Tok], i: int, keys: frozenset[str]) -> int:
    """Length of the longest (possibly multiword) cue starting at token i, else 0."""
    idx, best = _cue_index(keys), 0
    for w in toks[i].keys & idx.keys():
        for parts in idx[w]:
            n = len(parts)
            if n > best and i + n <= len(toks) and all(parts[j] in toks[i + j].keys for j in range(1, n)):
                best = n
                break
    return best


def _span(text: str, s: int, e: int) -> tuple[int, int]:
    """A character span trimmed of whitespace and punctuation."""
    while s < e and (text[s].isspace() or text[s] in _PUNCT or text[s] in _CLOSE):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in _PUNCT or text[e - 1] in _CLOSE):
        e -= 1
    return s, e


# ---------------------------------------------------------------------------------------- actors

def _np(toks: list[Tok], j: int, fwd: bool = True, size: int = 4) -> tuple[int, int] | None:
    """Token range [a, b] of the noun phrase starting (fwd) or ending (backwards) at token j."""
    c = seeds().cues
    if not 0 <= j < len(toks) or not toks[j].nominal or toks[j].date or toks[j].when or _has(toks[j], c["np_stop"]):
        return None
    a = b = j
    while fwd and b + 1 < len(toks) and b - a + 1 < size:
        t = toks[b + 1]
        counting = all(x.pos == "digit" or _has(x, c["count"]) for x in toks[a:b + 1])
        if counting and t.norm == "من" and b + 2 < len(toks) and toks[b + 2].nominal:  # "سبعة من عناصر الشرطة"
            b += 1
            continue
        if not t.nominal or t.date or t.when or _has(t, c["np_stop"]) or t.segs[0] in ("و", "ف") or t.prep \
                or not counting and (t.pos == "digit" or _has(t, c["count"])) \
                or t.surface.endswith(("اً", "ًا")) and t.pos != "noun_prop" and not counting:
            break
        b += 1
    while not fwd and a - 1 >= 0 and b - a + 1 < size:
        t = toks[a - 1]
        if not t.nominal or t.date or t.when or _has(t, c["np_stop"]) or toks[a].segs[0] in ("و", "ف") or toks[a].prep:
            break
        a -= 1
    return None if not fwd and toks[a].prep else (a, b)


def _actor(text: str, toks: list[Tok], rng: tuple[int, int] | None, ents: list[dict]) -> dict | None:
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
    s, e = _span(text, s, e)
    return {"text": text[s:e], "code": code, "start": s, "end": e} if e > s else None


def _entity_actor(x: dict) -> dict:
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


def _subject(toks: list[Tok], j: int, end: int, ents: list[dict]) -> tuple[int, int] | None:
    """The noun phrase after a verb (VSO subject): time words skipped, not a prepositional phrase."""
    while j <= end and (toks[j].when or toks[j].date or toks[j].norm in ("قد", "ايضا", "كذلك")):
        j += 1
    return _widen(toks, _np(toks, j), ents) if j <= end and not toks[j].prep else None


def _object(toks: list[Tok], j: int, end: int, clitics: tuple[str, ...] = ("ل",)) -> tuple[int, int] | None:
    """The object or prepositional target from token j: على/ضد/مع/إلى X, else the next bare noun phrase;
    skips adjectives, time words, other prepositional phrases and commas."""
    while j <= end and toks[j].pos == "adj":
        j += 1
    for k in range(j, min(j + 3, end + 1)):  # "عقوبات قاسية على روسيا": the prepositional target first
        if toks[k].norm in _TARGET_PREP or toks[k].base in _TARGET_PREP:
            return _np(toks, k + 1)
        if toks[k].verb or toks[k].boundary:
            break
    while j <= end:
        t = toks[j]
        if t.norm in _TARGET_PREP or t.base in _TARGET_PREP:
            return _np(toks, j + 1)
        if t.norm in _TIME_PREP or _has(t, seeds().cues["np_stop"]) or t.keys & _SELF_WORDS:
            j += 1  # "اغتالت قبل ظهر امس ناشطا", "فجر نفسه"
            continue
        if t.nominal and t.prep and t.segs[0] in clitics or t.nominal and not t.prep and not t.when and not t.date:
            return _np(toks, j)
        if t.verb or t.comp or t.punct and t.surface not in ",،":
            return None
        j += 1
    return None


# --------------------------------------------------------------------------------------- matching

@dataclass
class Match:
    pat: Pattern
    a: int  # first and last token of the match (trigger plus context)
    b: int
    t: int  # the trigger token


def _match(toks: list[Tok], stop: frozenset[str]) -> list[Match]:
    """Matches that do not overlap: longer and context-bound patterns first, then more confident ones."""
    sd, found = seeds(), []
    for t in toks:
        if t.norm in stop or t.base in stop:
            continue
        # in file order, not set order: a set of Patterns iterates in hash order, which differs per
        # process (PYTHONHASHSEED), and it decided ties (أرسل سلاح: mobilize.deploy or aid.provide)
        for p in sorted({p for k in t.keys for p in sd.index.get(k, ())}, key=attrgetter("row")):
            if p.pos == "V" and not t.verbal or p.pos == "N" and t.verb or p.roles == "S" and t.prep:
                continue
            a = b = t.i
            if p.context:
                lo = t.i - p.window if p.where in ("before", "around") else t.i + 1
                hi = t.i + p.window if p.where in ("after", "around") else t.i - 1
                hits = [j for j in range(max(lo, 0), min(hi, len(toks) - 1) + 1)
                        if j != t.i and (_has(toks[j], p.context) or "@verb" in p.context and _governs(toks, j, t.i))]
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
    if not toks[v].verb or v > n or _speech_verb(toks[v]) or _has(toks[v], c["intent"] | c["request"]):
        return False
    between = toks[v + 1:n]
    count = c["count"]
    if not between:
        return not toks[n].norm.endswith("ين")
    return all(x.pos == "digit" or _has(x, count) and x.norm != "عدد" or x.norm in ("من", "بعض", "احد")
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


def _conditions(toks: list[Tok]) -> list[tuple[int, int]]:
    out, cond = [], seeds().cues["cond"]
    for j in range(len(toks)):
        n = _cue_len(toks, j, cond)
        if n:
            e = j + n
            while e < len(toks) and not toks[e].boundary and not (e > j + n and toks[e].segs[0] == "ف"):
                e += 1
            out.append((j, e))
    return out


def _negated(toks: list[Tok], m: Match) -> bool:
    c = seeds().cues
    for j in range(m.a - 1, max(m.a - 5, -1), -1):
        t = toks[j]
        if t.boundary:
            break
        neg = t.norm in c["neg"] and t.norm not in ("ما", "الا") or t.pos == "part_neg" or t.lemma == "ليس" \
            or "لا" in t.segs[1:]
        if neg and not (j + 1 < len(toks) and _has(toks[j + 1], c["neg_exempt"])):
            return True
        if t.comp or t.verb and j < m.a - 1:
            break
    # "رفضها مناقشة ..." / "تعارض إرسال القوات": a nominal event opposed is not happening.
    return not toks[m.t].verb and any(_has(toks[j], c["oppose"]) for j in range(max(m.a - 2, 0), m.a))


def _modality(s: Sent, m: Match) -> str:
    toks, c = s.toks, seeds().cues
    if m.t in s.in_cond:
        return "hypothetical"
    planned = False
    for j in range(m.a - 1, max(m.a - 6, -1), -1):
        if toks[j].boundary:
            break
        if _has(toks[j], c["request"] | c["hypo"]):
            if not any(_has(toks[k], c["accept"]) for k in range(max(j - 8, 0), j)):
                return "hypothetical"
            planned = True  # an accepted invitation
    if any(_has(toks[j], c["hypo_after"]) for j in range(m.b + 1, min(m.b + 4, len(toks)))):
        return "hypothetical"
    if s.question:
        return "question"
    k = bisect.bisect_left(s.cond_starts, m.t - 15)
    if k < len(s.cond_starts) and s.cond_starts[k] <= m.t + 15:
        return "conditional"
    before = range(max(m.a - 5, 0), m.a)
    if any(_has(toks[j], c["ready"]) for j in before):
        return "readiness"

    def fut(t: Tok) -> bool:
        return t.verb and t.segs[0] == "س" or t.norm in c["future"] or t.norm == "لن"

    if planned or fut(toks[m.t]) or any(fut(toks[j]) or _has(toks[j], c["intent"])
                                        for j in range(max(m.a - 4, 0), m.a)):
        return "future"
    return "asserted"


def _evidence(s: Sent, m: Match) -> dict[str, float]:
    """Signs that a concrete event took place here and now (a time, a count, a place, a verb of
    occurrence, other triggers of the type) or that it is only referred to or talked about; weighted
    by seeds/event_evidence.csv."""
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
        "occurrence": not t.verbal and any(_has(x, c["occur"]) for x in near),
        "casualties": outside("toll"),
        "violence": outside("toll") or outside("violence"),
        "crowd": outside("crowd"),
        "frame": any(_has(x, c["frame"]) for x in before),
        "relative": any(_has(x, c["relative"]) for x in before[:2]),
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


def _confidence(m: Match, evidence: dict[str, float]) -> float:
    """The pattern's confidence plus the weighted evidence, in [0, 1]."""
    w = seeds().evidence
    conf = m.pat.conf + sum(v * w[k][0] for k, v in evidence.items()
                            if v and ("*" in w[k][1] or m.pat.type in w[k][1]))
    return round(min(max(conf, 0.0), 1.0), 3)


def _owner(toks: list[Tok], a: int, ents: list[dict]) -> dict | None:
    """Source of a nominal trigger: the nearest actor before it in its clause chain ("قبول بلينكن
    دعوة للقاء", "أعلنت روسيا، اليوم، رفضها"), not across أن/إن or a full stop; at most 12 tokens."""
    lo = a
    while lo > 0 and a - lo < 12 and not toks[lo - 1].comp \
            and not (toks[lo - 1].boundary and toks[lo - 1].surface not in ",،"):
        lo -= 1
    before = [x for x in ents if toks[lo].start <= x["start"] < toks[a].start and x.get("actor_code")
              and x["label"] in ("PERS", "ORG", "GPE", "LOC")]
    return _entity_actor(before[-1]) if before else None


def _pre_subject(toks: list[Tok], v: int) -> tuple[int, int] | None:
    """The noun phrase before verb v when it opens its clause (SVO): "إن مسلحين مجهولين اغتالوا",
    "قوات الأمن قد قتلت", "إن مهاجما انتحاريا من طالبان، فجر" (a comma only after أن/إن)."""
    j = v - 1
    while j >= 0 and toks[j].norm in ("قد", "لقد", "لا", "لم", "لن"):
        j -= 1
    comma = j >= 1 and toks[j].surface in ",،"
    pre = _np(toks, j - comma, fwd=False)
    if pre and pre[0] >= 2 and toks[pre[0] - 1].norm == "من":  # "... من حركة طالبان"
        head = _np(toks, pre[0] - 2, fwd=False)
        pre = (head[0], pre[1]) if head else pre
    if pre is None:
        return None
    k = pre[0] - 1
    if k < 0 or toks[k].comp or toks[k].surface in _QUOTES or toks[k].lemma == "كان":  # وكانت X قد قتلت
        return pre
    return pre if toks[k].boundary and not comma else None


def _roles_of(text: str, s: Sent, m: Match) -> tuple[dict | None, dict | None]:
    """(source, target) around the trigger: VSO or SVO for verbs, genitive and prepositions for nouns."""
    toks, ents, p, t = s.toks, s.ents, m.pat, s.toks[m.t]
    ca, cb = t.ca, t.cb
    if p.roles == "S":
        return _actor(text, toks, _np(toks, m.t), ents), _actor(text, toks, _object(toks, m.t + 1, cb), ents)
    pre = _pre_subject(toks, m.a)
    if t.verbal:
        subj = pre or _subject(toks, m.t + 1, cb, ents)  # "أحرق متظاهرون أعلام"
        if subj and not pre and subj[0] <= m.b and m.b > m.t:  # "أطلق النار على": the context is no subject
            subj = _subject(toks, m.b + 1, cb, ents)
        clitics = ("ل", "ب") if p.type == "CONSULT" else ("ل",)  # "التقى ويتكوف بالقادة"
        obj = _object(toks, (subj[1] if subj and not pre else m.b) + 1, cb, clitics)
        counted = subj and (toks[subj[0]].pos in ("digit", "noun_num", "noun_quant")
                            or _has(toks[subj[0]], seeds().cues["count"]))
        if counted and p.type in ("ASSAULT", "COERCE"):
            subj, obj = None, subj  # "قتل 18 شخصا", "ثلاثة عراقيين قتلوا": a count is who suffered it
    else:
        src = _owner(toks, m.a, ents)
        if p.roles == "T":
            return None, _actor(text, toks, _np(toks, m.b + 1) or _object(toks, m.b + 1, cb), ents)
        return src, _actor(text, toks, _object(toks, m.b + 1, cb), ents)
    if p.roles == "T" or p.roles == "P" and subj and not pre and obj is None:
        return None, _actor(text, toks, subj or obj, ents)  # "اغتيل كرامي": no object, the subject suffered it
    if p.roles == "A" and obj and not any(toks[j].norm in _TARGET_PREP or toks[j].prep
                                          for j in range(m.b + 1, obj[0] + 1)):
        obj = None
    return _actor(text, toks, subj, ents), _actor(text, toks, obj, ents)


def _roles(text: str, s: Sent, m: Match) -> tuple[dict | None, dict | None]:
    """(source, target); a violent event without a source takes the nearest attacker noun of the
    sentence (انتحاريا، مسلحون مجهولون), the one before the trigger first."""
    src, tgt = _roles_of(text, s, m)
    if src is None and m.pat.type in ("ASSAULT", "COERCE"):
        agents = [i for i in s.agents if not m.a <= i <= m.b]
        if agents:
            j = max((i for i in agents if i < m.a), default=min(agents))
            src = _actor(text, s.toks, _np(s.toks, j), s.ents)
    return src, tgt


# ---------------------------------------------------------------------------------------- quotes

def _speech_verb(t: Tok) -> str | None:
    """Canonical verb when t is a speech verb (قال) or its participle (مشيرا، قائلة)."""
    sp = seeds().speech
    if t.norm in seeds().cues["not_trigger"]:
        return None
    for k in (t.lemma, t.base):
        v = sp.get(k)
        if v and (t.verb or key(v) != k):
            return v
    return None


def _new_statement(toks: list[Tok], j: int) -> bool:
    """A speech verb that starts a new statement (وأضاف، مشيرا) rather than one reported inside it."""
    return not toks[j].verb or toks[j].segs[0] in ("و", "ف")


def _quoted(text: str, mark: Tok, sent_end: int) -> tuple[int, int] | None:
    """The text between an opening quotation mark and its closing one; a quotation running on past
    the sentence is kept up to the sentence's end."""
    close = text.find(_QUOTES[mark.surface], mark.end, sent_end)
    s, e = _span(text, mark.end, sent_end if close == -1 else close)
    return (s, e) if e > s else None


def _quote_span(text: str, toks: list[Tok], v: int, stop: int, sent_end: int) -> tuple[int, int] | None:
    """The quoted text after speech verb v (up to the next statement at `stop`): "..." or «...» opening
    before the next clause, else the أن/إن clause."""
    for j in range(v + 1, min(stop, v + 16)):
        t = toks[j]
        if t.norm == "الي" and not (j + 1 < len(toks) and toks[j + 1].comp):
            return None  # "أشار إلى كلام الرئيس": an object, not a statement
        if t.surface in _QUOTES:
            return _quoted(text, t, sent_end)
        if t.comp or t.surface == ":":
            nxt = toks[j + 1] if j + 1 < len(toks) else None
            if nxt and nxt.surface in _QUOTES:
                return _quoted(text, nxt, sent_end)
            end = toks[stop - 1].end if stop < len(toks) else sent_end
            s, e = _span(text, t.end, end)
            return (s, e) if e > s else None
        if t.verb:
            return None
    return None


def _speaker(text: str, toks: list[Tok], v: int, ents: list[dict], prev: dict | None) -> dict | None:
    """Who speaks: the actor right after a clause-initial verb (VSO), else the noun phrase before it
    (SVO), else the previous speaker (وأضاف، مشيرا)."""
    t = toks[v]
    ca, cb = t.ca, t.cb
    initial = v == ca or toks[v - 1].comp or t.segs[0] in ("و", "ف")
    if t.verb and initial:
        # "وقالت المتحدثة باسم وزارة الخارجية الروسية ماريا زاخاروفا للصحفيين إن": the named actor
        end = next((j for j in range(v + 1, min(v + 12, len(toks)))
                    if toks[j].verb or toks[j].comp or toks[j].surface in _QUOTES), len(toks))
        named = [x for x in ents if t.end <= x["start"] < toks[end - 1].end and x.get("actor_code")
                 and x["label"] in ("PERS", "ORG")]
        if named:
            return _entity_actor(next((x for x in named if x["label"] == "PERS"), named[0]))
        subj = _subject(toks, v + 1, cb, ents)
        if subj and not toks[subj[0]].comp:
            return _actor(text, toks, subj, ents)
    if t.verb and v - 1 >= 0:
        pre = _np(toks, v - 1, fwd=False)
        if pre is None and v >= 2 and toks[v - 1].surface in ",،":
            pre = _np(toks, v - 2, fwd=False)
        if pre:
            return _actor(text, toks, pre, ents)
    return prev


def _quotes(text: str, toks: list[Tok], ents: list[dict], sent_end: int, prev: dict | None) -> list[dict]:
    """Statements of one sentence: verb, quoted span and speaker; a speech verb inside an earlier
    quotation is part of it, and a participle (مشيرا) shares the speaker of the sentence's first verb."""
    out: list[dict] = []
    verbs = [_speech_verb(t) for t in toks]
    stops, stop = [len(toks)] * len(toks), len(toks)  # the next new statement after each token
    for j in range(len(toks) - 1, -1, -1):
        stops[j] = stop
        if verbs[j] and _new_statement(toks, j):
            stop = j
    first = next((x for x in toks if x.verb), None)
    for t, verb in zip(toks, verbs):
        if not verb or out and out[-1]["start"] <= t.start < out[-1]["end"]:
            continue
        span = _quote_span(text, toks, t.i, stops[t.i], sent_end)
        if out:
            prior = out[-1]["speaker"]
        elif not t.verb:  # "وأعلنت روسيا ...، محذّرة من أن"
            prior = (_speaker(text, toks, first.i, ents, prev) if first and first.i < t.i else None) or prev
        else:
            prior = prev
        speaker = _speaker(text, toks, t.i, ents, prior)
        if span and speaker:
            out.append({"verb": verb, "verb_start": t.start, "start": span[0], "end": span[1], "speaker": speaker})
    return out


def _headline_speaker(text: str, toks: list[Tok], ents: list[dict]) -> dict | None:
    """"بايدن: لن نرسل قوات": the actor just before a colon near the start speaks what follows
    (the returned quote spans from the colon to the end of the sentence)."""
    colon = next((j for j in range(min(len(toks), 8)) if toks[j].surface == ":"), None)
    if colon:
        hit = [x for x in ents if toks[colon - 1].start <= x["start"] and x["end"] <= toks[colon].start
               and x.get("actor_code")]
        if hit:
            return {"speaker": _entity_actor(hit[-1]), "start": toks[colon].end, "end": toks[-1].end}
    return None


# ---------------------------------------------------------------------------------------- extract

def _date(s: Sent, trig: int, pub: date | None) -> tuple[date | None, str]:
    """The date expression after the trigger in its sentence, else the nearest one, else publication.
    A date more than a year after publication (or today) is a plan or a target ("رؤية 2030"), not when
    the event happened: it is not used."""
    latest = (pub or date.today()) + timedelta(days=366)
    here = [d for d in s.dates if d["date"] is None or d["date"] <= latest]
    if here:
        after = [d for d in here if d["start"] >= trig]
        d = min(after, key=lambda d: d["start"]) if after else max(here, key=lambda d: d["start"])
        return d["date"], d["granularity"]
    return pub, "publication"


@functools.cache
def _precision() -> dict[str, str]:
    """Place precision (country, region, city) by canonical name, from seeds/places.csv."""
    return {r["canonical"]: r["precision"] for r in load("places") if r["precision"]}


def _location(ents: list[dict], trig: int) -> dict:
    """The place of the sentence nearest the trigger (after it first: "... في بغداد")."""
    places = [x for x in ents if x["label"] in ("LOC", "GPE")]
    if not places:
        return {"location_text": None, "location_code": None, "location_precision": None}
    x = min(places, key=lambda x: (x["start"] < trig, abs(x["start"] - trig)))
    return {"location_text": x["text"], "location_code": x.get("actor_code"),
            "location_precision": _precision().get(x.get("canonical"))}


def _event(doc: dict, s: Sent, m: Match, pub: date | None) -> dict | None:
    sd, text, toks = seeds(), doc["text"], s.toks
    etype, cameo = m.pat.type, m.pat.cameo
    negated, modality = _negated(toks, m), _modality(s, m)
    material = sd.codes[cameo].quad in _MATERIAL
    if material and (modality == "hypothetical" or modality == "question" and not negated):
        return None
    if not negated and modality in ("future", "readiness", "conditional") and etype in _THREAT_OF:
        etype, cameo = "THREATEN", _THREAT_OF[etype]
    conf = _confidence(m, _evidence(s, m))
    if conf < MIN_CONFIDENCE:
        return None
    start, end = toks[m.a].start, toks[m.b].end
    quote = next((q for q in s.quotes + s.headline if q["start"] <= start < q["end"]), None)
    speaker = quote["speaker"] if quote else None
    said = [q for q in s.quotes if q["verb_start"] <= start]  # a statement act's default source
    src, tgt = _roles(text, s, m)
    if said and toks[m.t].pos in ("adj", "adv") and m.t and toks[m.t - 1].boundary:
        src = said[-1]["speaker"]  # "..., محذّرة من أن": a circumstantial participle shares the speaker
    elif speaker and (toks[m.t].first_person or src and src["text"] in _SELF):
        src = speaker
    elif src is None and sd.codes[cameo].quad in _VERBAL and (speaker or said):
        src = speaker or said[-1]["speaker"]
    day, gran = _date(s, start, pub)
    code = sd.codes[cameo]
    ev = {
        "mention_id": _hash(doc["doc_id"], start, end), "doc_id": doc["doc_id"], "sentence_id": s.row["sentence_id"],
        "event_type": etype, "cameo_code": cameo, "goldstein": code.goldstein, "quad_class": code.quad,
        **{f"{role}_{k}": (a or {}).get(k) for role, a in (("source", src), ("target", tgt))
           for k in ("text", "code", "start", "end")},
        "trigger_text": text[start:end], "start": start, "end": end, "negated": negated, "modality": modality,
        "reported_speech": quote is not None, **_location(s.ents, start),
        "event_date": day, "date_granularity": gran, "confidence": conf, "rule": m.pat.id, "mentions": 1,
    }
    ev["event_id"] = event_id(ev)
    return ev


def extract_events(doc: dict, sentences: list[dict], tokens: list[dict],
                   entities: list[dict]) -> tuple[list[dict], list[dict]]:
    """(events rows, quotes rows) of one document; rows keyed by the contract columns (no run_id)."""
    text, stop = doc["text"], seeds().cues["not_trigger"]
    pub = publication_date(doc.get("published_at"))
    rows = sorted(sentences, key=lambda r: r["start"])
    by_sent: dict[int, list[dict]] = {}
    for r in tokens:
        by_sent.setdefault(r["sentence_id"], []).append(r)
    ents_of: dict[int, list[dict]] = {}
    for x in sorted((x for x in entities if x["label"] != "DATE"), key=lambda x: x["start"]):
        ents_of.setdefault(x["sentence_id"], []).append(x)
    dates_of = {r["sentence_id"]: resolve_dates(text, r["start"], r["end"], doc.get("published_at")) for r in rows}
    events, quotes, prev = [], [], None
    for row in sorted(rows, key=lambda r: r["sentence_id"]):
        sid = row["sentence_id"]
        toks = _toks(by_sent.get(sid, []), dates_of.get(sid, []))
        if not toks:
            continue
        ents = ents_of.get(sid, [])
        sq = _quotes(text, toks, ents, row["end"], prev)
        prev = sq[-1]["speaker"] if sq else prev
        matches = _match(toks, stop)
        s = Sent(row, toks, ents, _conditions(toks), row["text"].rstrip().endswith(("؟", "?")) or "هل" in toks[0].keys,
                 sq, list(filter(None, [_headline_speaker(text, toks, ents)])), dates_of.get(sid, []),
                 Counter(m.pat.type for m in matches))
        for q in sq:
            sp = q["speaker"]
            quotes.append({"quote_id": _hash(doc["doc_id"], q["verb_start"], q["start"], q["end"]),
                           "doc_id": doc["doc_id"], "sentence_id": sid, "speaker_text": sp["text"],
                           "speaker_code": sp["code"], "speaker_start": sp["start"], "speaker_end": sp["end"],
                           "verb": q["verb"], "start": q["start"], "end": q["end"], "text": text[q["start"]:q["end"]]})
        events += filter(None, (_event(doc, s, m, pub) for m in matches))
    return _dedupe(events), quotes


def event_id(ev: dict) -> str:
    """Content hash of type, source, target and date: the same event reported twice has one id.
    Without actors the place and trigger word stand in for them; with neither, the mention is its own event."""
    if ev.get("source_text") or ev.get("target_text"):
        return _hash(ev["event_type"], ev.get("source_code") or ev.get("source_text"),
                     ev.get("target_code") or ev.get("target_text"), ev.get("event_date"))
    if ev.get("location_text"):
        return _hash(ev["event_type"], ev.get("location_code") or ev["location_text"], ev.get("event_date"),
                     key(ev["trigger_text"]))
    return ev["mention_id"]


def _dedupe(events: list[dict]) -> list[dict]:
    """One mention per sentence, type, polarity and coded actors ("قتل 18 شخصا في انفجار سيارة
    مفخخة" is one assault): the most confident, with actors the others found when it has none."""
    groups: dict[tuple, list[dict]] = {}
    for e in events:
        k = (e["sentence_id"], e["event_type"], e["negated"], e["source_code"], e["target_code"])
        groups.setdefault(k, []).append(e)
    out = []
    for g in groups.values():
        best = dict(max(g, key=lambda e: e["confidence"]))
        for role in ("source", "target"):
            other = next((e for e in g if best[f"{role}_text"] is None and e[f"{role}_text"] is not None), None)
            if other:
                best.update({k: other[k] for k in other if k.startswith(role + "_")})
        best["event_id"] = event_id(best)
        out.append(best)
    return sorted(out, key=lambda e: e["start"])


def cluster(events: list[dict]) -> list[dict]:
    """Set event_id and mentions across documents: the same type, actors and date is one event."""
    ids = [event_id(e) for e in events]
    counts: dict[str, int] = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    return [{**e, "event_id": i, "mentions": counts[i]} for e, i in zip(events, ids)]


def events_of(documents: list[dict], sentences: list[dict], tokens: list[dict],
                entities: list[dict]) -> tuple[list[dict], list[dict]]:
    """Events (clustered across the batch) and quotes of a batch of documents."""
    group: dict[str, tuple[list, list, list]] = {d["doc_id"]: ([], [], []) for d in documents}
    for i, rows in enumerate((sentences, tokens, entities)):
        for r in rows:
            if r["doc_id"] in group:
                group[r["doc_id"]][i].append(r)
    events, quotes = [], []
    for d in documents:
        e, q = extract_events(d, *group[d["doc_id"]])
        events += e
        quotes += q
    return cluster(events), quotes
