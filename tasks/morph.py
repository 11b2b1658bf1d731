"""Morphology: camel-tools' Analyzer on calima-msa-r13, disambiguated without a trained model.

Per distinct word (context-free; cached in memory and in a sqlite file that persists across runs):
the analyses whose ATB segments spell the word (hamza on alef and final yeh may differ, at a cost)
are ranked by the DB's pos_lex_logprob (-99, "never counted", is lifted to a floor), minus a cost
per clitic split and a cost per oddity: a clitic rare in news (1st/2nd person pronoun, emphatic
la) or a spelling variant. ال stays on its word (ATB); عندما/مما stay one word (PADT).
A word with no fitting analysis, or whose best one splits it with an oddity at a low score
(بلينكن = ب+لين+كن "by+flexible+your"), is *unknown*: a name or foreign word, one segment.

Per document (context). A known name (words of the `surface` columns of seeds/actors.csv,
places.csv and names.csv, those that exist) is never split when unknown or when its best reading
is an uncounted split (ويتكوف, not و+يتكوف "and he bands together"). Any other unknown word loses
a leading proclitic when the rest occurs alone in the same document, is a known name, or
(after و / ل) starts with the article; a leading و also goes when the word opens its sentence,
or occurs once in the document and does not follow another proper noun (ستيف ويتكوف).
"""
from __future__ import annotations

import atexit
import csv
import gc
import os
import re
import sqlite3
import sys
import threading
from collections import Counter
from collections.abc import Iterable
from contextlib import closing
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

from tasks.arabic import LETTERS, PROCLITICS, variant
from tasks.config import SEEDS, use_camel_data
from tasks.normalize import match_form

DB_NAME = "calima-msa-r13"
# Persisted readings are valid for this reading logic and camel-tools version only (another: a new
# file). Bump READINGS with any change to what `choose` returns (its costs, Reading's fields).
READINGS = 1
VERSION = f"{READINGS}-{metadata.version('camel-tools')}"
FLOOR = -7.0  # score for analyses the DB never counted (pos_lex_logprob -99)
PER_SPLIT = 1.5  # cost of each clitic split
ODD = 1.0  # cost of a clitic rare in news (1st/2nd person, emphatic la) or of a hamza/yeh variant
WEAK = -4.5  # a split best analysis with such an oddity and a lower score counts as a guess
_RARE_ENC = re.compile(r"^(?:1s|2)")
_RARE_PRC1 = frozenset({"la_emph", "la_rc"})
_DIAC = re.compile("[\u064b-\u0652\u0670\u0640]")
# the only features `choose` reads, and diac, from which camel-tools tells spelling variants ("spvar")
FEATS = frozenset({"diac", "lex", "pos", "gloss", "atbseg", "enc0", "prc1", "pos_lex_logprob", "source"})
NAME_FILES = (SEEDS / "actors.csv", SEEDS / "places.csv", SEEDS / "names.csv")


class Reading(NamedTuple):
    lemma: str | None
    pos: str
    gloss: str | None
    segments: tuple[str, ...]  # ATB segments: slices of the word itself, in order
    score: float  # DB score of the chosen analysis (FLOOR: never counted or no analysis)
    known: bool  # False: no DB analysis fits; context may still split a proclitic


def _segments(atbseg: str) -> list[str]:
    return [_DIAC.sub("", s).replace("+", "") for s in atbseg.split("_")]


def choose(word: str, analyses: Iterable[dict]) -> Reading:
    """The context-free reading of `word` (clean form, no diacritics) from its analyses."""
    target = variant(word)
    best, best_key = None, None
    for a in analyses:
        if a.get("source") == "backoff":
            continue
        segs = _segments(a["atbseg"])
        joined = "".join(segs)
        if not all(segs) or variant(joined) != target:
            continue
        if len(segs) > 1 and str(a.get("enc0", "")).startswith("mA_"):
            segs = [joined]  # عندما, مما: one word in ATB/PADT
        raw = float(a["pos_lex_logprob"])
        raw = raw if raw > -90 else FLOOR
        odd = bool(_RARE_ENC.match(str(a.get("enc0", "")))) + (a.get("prc1") in _RARE_PRC1) + (joined != word)
        key = (raw - PER_SPLIT * (len(segs) - 1) - ODD * odd, -len(segs))
        if best_key is None or key > best_key:
            best, best_key = (a, segs, raw, odd), key
    if best is None:
        return Reading(word, "noun_prop", None, (word,), FLOOR, False)
    a, segs, raw, odd = best
    if len(segs) > 1 and odd and raw < WEAK:
        return Reading(word, "noun_prop", None, (word,), FLOOR, False)
    cut, i = [], 0
    for s in segs:  # slice the word itself: its spelling may differ from the analysis's
        cut.append(word[i:i + len(s)])
        i += len(s)
    return Reading(_DIAC.sub("", a["lex"]), a["pos"], a.get("gloss"), tuple(cut), raw, True)


def load_names(paths: Iterable[Path] = NAME_FILES) -> frozenset[str]:
    """Matching forms of the words in the `surface` column of the name dictionaries that exist."""
    words = set()
    for path in paths:
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                for w in re.findall(f"[{LETTERS}]{{3,}}", row.get("surface") or ""):
                    if not w.startswith("ال"):
                        words.add(match_form(w))
    return frozenset(words)


def resolve(words: list[str], readings: list[Reading], firsts: list[bool], names: frozenset[str]) -> list[Reading]:
    """Context step over one document's Arabic words (`firsts`: the word opens its sentence)."""
    alone = set(words)
    counts = Counter(words)
    out = []
    prev_name = False
    for w, r, first in zip(words, readings, firsts):
        if names and len(r.segments) > 1 and r.score <= FLOOR and match_form(w) in names:
            r = Reading(w, "noun_prop", None, (w,), FLOOR, False)  # ويتكوف, not و+يتكوف "band together"
        if not r.known and len(r.segments) == 1:
            cut = _proclitic(w, alone, counts, names, first, prev_name and not first)
            if cut:
                r = r._replace(lemma=w[cut:], segments=(w[:cut], w[cut:]))
        out.append(r)
        prev_name = r.pos == "noun_prop"
    return out


def _proclitic(w: str, alone: set[str], counts: Counter, names: frozenset[str], first: bool, after_name: bool) -> int:
    """How many leading characters of an unknown word are clitics (0: none)."""
    if names and match_form(w) in names:
        return 0
    for p in PROCLITICS:
        rest = w[len(p):]
        if len(rest) < 2 or not w.startswith(p):
            continue
        if rest in alone or (names and match_form(rest) in names):
            return len(p)
        if len(p) == 1 and len(rest) >= 4 and (
            (p == "و" and rest.startswith("ال")) or (p == "ل" and rest.startswith("ل"))
        ):
            return 1
    if w.startswith("وو") and len(w) >= 5:
        return 1
    if w.startswith("و") and len(w) >= 4 and (first or (counts[w] == 1 and not after_name)):
        return 1  # a sentence opening with و is and-...
    return 0


def char_class(chars: Iterable[str]) -> str:
    """A regex character class matching exactly `chars`, written as sorted ranges."""
    cs, runs = sorted(set(map(ord, chars))), []
    for c in cs:
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "[" + "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in runs) + "]"


def load_analyzer():
    """camel-tools' Analyzer on calima-msa-r13, computing only FEATS. No backoff: `choose` reads
    a word without a DB analysis as unknown, whatever a backoff analysis would say."""
    use_camel_data()
    from camel_tools.data import CATALOGUE
    from camel_tools.morphology import analyzer as ca
    from camel_tools.morphology.analyzer import Analyzer
    from camel_tools.morphology.database import MorphologyDB
    from camel_tools.utils.charsets import UNICODE_PUNCT_SYMBOL_CHARSET

    # analyze() first asks whether a word is or has punctuation with a class of its 8,560 characters
    # in set order: sre tests them one by one (90 us a word, a fifth of analyze). The same class
    # as 338 sorted ranges takes 4 us.
    punc = char_class(UNICODE_PUNCT_SYMBOL_CHARSET)
    ca._IS_PUNC_RE, ca._HAS_PUNC_RE = re.compile(f"^{punc}+$"), re.compile(punc)

    class CompactDB(MorphologyDB):
        """The DB with only FEATS, names and values interned: 66 MiB in memory instead of 400."""

        def _parse_analysis_line_toks(self, toks):
            feats = super()._parse_analysis_line_toks(toks)
            return {sys.intern(k): sys.intern(v) for k, v in feats.items() if k in FEATS}

    db = CompactDB(str(Path(CATALOGUE.components["MorphologyDB"].datasets[DB_NAME].path, "morphology.db")))
    db.defines = {f: v for f, v in db.defines.items() if f in FEATS}  # camel-tools computes the defined ones
    db.compute_feats = db.compute_feats & FEATS
    gc.freeze()  # the DB is a huge immutable object graph: keep it out of GC passes
    # ...until exit: frozen objects outlive the interpreter's last collection, and duckdb's bindings
    # (nanobind) report their module's objects frozen with the DB as leaks (a screen of stderr)
    atexit.register(gc.unfreeze)
    return Analyzer(db)


class Morph:
    """Analyzer plus caches: readings in memory (bounded), then in the sqlite file, then from the
    analyzer; the DB is loaded only when a word is in neither cache."""

    MEMORY = 30_000  # readings per in-memory generation: a full young one replaces the old (sqlite keeps all)

    def __init__(self, cache_dir: Path | str | None = None):
        d = Path(cache_dir or os.environ.get("KHABAR_CACHE_DIR") or Path.home() / ".cache" / "khabar")
        d.mkdir(parents=True, exist_ok=True)
        self.path = d / f"morph-{DB_NAME}-{VERSION}.sqlite"
        self._analyzer = None
        self._new: dict[str, Reading] = {}
        self._lock = threading.Lock()  # the flow's thread runner may run batches at once
        with closing(sqlite3.connect(self.path, timeout=60)) as con, con:
            con.execute(
                "create table if not exists readings (word text primary key, lemma text, pos text,"
                " gloss text, segments text, score real, known integer)"
            )
        self._db = threading.local()  # one read connection per thread
        self.cache: dict[str, Reading] = {}  # young generation; a word read from the old one moves here
        self._old: dict[str, Reading] = {}
        self.names = load_names()

    @property
    def analyzer(self):
        if self._analyzer is None:
            with self._lock:
                if self._analyzer is None:
                    self._analyzer = load_analyzer()
        return self._analyzer

    def _stored(self, words: list[str]) -> dict[str, Reading]:
        con = getattr(self._db, "con", None)
        if con is None:
            con = self._db.con = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        out = {}
        for i in range(0, len(words), 500):
            part = words[i:i + 500]
            for w, lem, pos, gl, seg, sc, k in con.execute(
                    "select word, lemma, pos, gloss, segments, score, known from readings where word in"
                    f" ({','.join('?' * len(part))})", part):
                out[w] = Reading(lem, pos, gl, tuple(seg.split("+")), sc, bool(k))
        return out

    def _keep(self, word: str, r: Reading) -> None:
        if len(self.cache) >= self.MEMORY:
            self._old, self.cache = self.cache, {}
        self.cache[word] = r

    def _recall(self, word: str) -> Reading | None:
        r = self.cache.get(word)
        if r is None and (r := self._old.get(word)) is not None:
            self._keep(word, r)
        return r

    def read_all(self, words: list[str]) -> list[Reading]:
        """Context-free readings of Arabic words (clean forms): from memory, else from the sqlite
        file (one query for all the missing), else from the analyzer."""
        distinct = set(words)
        with self._lock:
            found = {w: r for w in distinct if (r := self._recall(w)) is not None}
        if missing := [w for w in distinct if w not in found]:
            stored = self._stored(missing)
            new = {w: choose(w, self.analyzer.analyze(w)) for w in missing if w not in stored}
            with self._lock:
                self._new.update(new)
                for w, r in (*stored.items(), *new.items()):
                    self._keep(w, r)
            found |= stored | new
        return [found[w] for w in words]

    def save(self) -> None:
        """Add this process's new readings to the persistent cache."""
        with self._lock:
            new, self._new = self._new, {}
        if new:
            rows = [(w, *r[:3], "+".join(r.segments), r.score, int(r.known)) for w, r in new.items()]
            with closing(sqlite3.connect(self.path, timeout=60)) as con, con:
                con.executemany("insert or ignore into readings values (?, ?, ?, ?, ?, ?, ?)", rows)
