"""Tokens of one sentence as the event rules read them: matching keys, cue flags, clause bounds."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from tasks.arabic import key
from tasks.events.seeds import seeds

NOMINAL = {"noun", "noun_prop", "adj", "noun_num", "noun_quant", "adj_comp", "adj_num", "digit", "abbrev",
           "foreign", "latin"}
PUNCT = set(".,،؛;:!?؟()[]{}-–—/…")
QUOTES = {"«": "»", '"': '"', "“": "”", "”": "”", "„": "“"}
CLOSE = set(QUOTES.values()) | set(QUOTES)
_PREP_CLITIC = ("ب", "ل", "ك")
_COMPLEMENTIZER = {"ان", "لان", "بان"}
_DAY_RULES = {"date:rel_day", "date:today_wd", "date:wd"}
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# Cue kinds of seeds/event_cues.csv that are features of nearby words in the trigger model.
CUE_FEATURES = ("neg", "hypo", "hypo_after", "request", "intent", "future", "ready", "accept", "oppose", "frame",
                "relative", "occur", "toll", "violence", "crowd", "protester", "agent", "count", "when", "place",
                "speech", "cond", "background", "old")
# Cue kinds kept on each token, so that evidence over a sentence is counted once, not per trigger.
_FLAGS = ("toll", "violence", "crowd", "place", "old", "protester", "agent")


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
    kinds: tuple[str, ...] = ()  # cue kinds among CUE_FEATURES (features of the trigger model)
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
        return self.pos in NOMINAL

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
    kinds: tuple[str, ...]  # its cue kinds among CUE_FEATURES


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
    punct = pos == "punc" or all(c in PUNCT or c in CLOSE for c in surface)
    return _Word(lemma, norm, min(bases, key=len), segs, keys, frozenset(flags), punct,
                 punct and not any(c in CLOSE for c in surface), not keys.isdisjoint(cues["when"]),
                 tuple(k for k in CUE_FEATURES if not keys.isdisjoint(cues[k])))


def sentence_tokens(rows: list[dict], dates: list[dict]) -> list[Tok]:
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
                       prev_pos in NOMINAL or prev_pos == "prep", prev_pos == "prep", bool(inside),
                       w.when or any(d["rule"] in _DAY_RULES for d in inside), flags,
                       punct=w.punct, boundary=w.boundary, kinds=w.kinds))
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


def has(t: Tok, keys: frozenset[str]) -> bool:
    return not t.keys.isdisjoint(keys)


@functools.cache
def _cue_index(keys: frozenset[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """Cues (possibly multiword) by their first word, longest first."""
    idx: dict[str, list[tuple[str, ...]]] = {}
    for k in keys:
        parts = tuple(k.split(" "))
        idx.setdefault(parts[0], []).append(parts)
    return {w: tuple(sorted(ps, key=len, reverse=True)) for w, ps in idx.items()}


def cue_len(toks: list[Tok], i: int, keys: frozenset[str]) -> int:
    """Length of the longest (possibly multiword) cue starting at token i, else 0."""
    idx, best = _cue_index(keys), 0
    for w in toks[i].keys & idx.keys():
        for parts in idx[w]:
            n = len(parts)
            if n > best and i + n <= len(toks) and all(parts[j] in toks[i + j].keys for j in range(1, n)):
                best = n
                break
    return best


def trim(text: str, s: int, e: int) -> tuple[int, int]:
    """A character span trimmed of whitespace and punctuation."""
    while s < e and (text[s].isspace() or text[s] in PUNCT or text[s] in CLOSE):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in PUNCT or text[e - 1] in CLOSE):
        e -= 1
    return s, e


def speech_verb(t: Tok) -> str | None:
    """Canonical verb when t is a speech verb (قال) or its participle (مشيرا، قائلة)."""
    sp = seeds().speech
    if t.norm in seeds().cues["not_trigger"]:
        return None
    for k in (t.lemma, t.base):
        v = sp.get(k)
        if v and (t.verb or key(v) != k):
            return v
    return None
