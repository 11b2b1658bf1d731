"""Text stage: clean, normalise, split sentences, tokenise and analyse; the flow calls `process_text`.

Sentences: every kept line is at least one sentence. The first line, and later short lines
without final punctuation, are headlines; bulleted or numbered lines are list items; body lines
split after . ? ! ; and ... (and their Arabic forms), but not inside numbers (3.5), after a
single-letter abbreviation (د.), at a ".." headline separator, or inside a quotation.
Tokens follow camel-tools' simple_word_tokenize (whitespace, then every punctuation or symbol
character alone) with three exceptions the UD/ATB gold needs: numbers keep their inner
separators (3.5, 1,165, 26/02/2024), a run of dots is one token, and digits split from letters
(ال3 -> ال 3). All offsets are raw: clean-form spans go back through tasks.normalize's map.
"""
from __future__ import annotations

import gc
import re
import threading
from contextlib import contextmanager
from pathlib import Path

import regex

from tasks.arabic import BLOCK, LETTERS
from tasks.clean import clean
from tasks.ingest import doc_id, title_from_text
from tasks.morph import Morph, resolve
from tasks.normalize import match_form, normalize

HEADLINE_WORDS = 15  # a line this short (the first line: twice), without final punctuation, is a heading
_TOKEN = regex.compile(r"\d+(?:[.,:/]\d+)*|\.{2,}|[\p{P}\p{S}]|[^\s\p{P}\p{S}\d]+")
_PUNC = regex.compile(r"[\p{P}\p{S}]|\.{2,}")
_END = re.compile(r"[.?!;]+[\"')\]]*")
_BULLET = re.compile(r"^(?:[•·▪●◦‣∙*■□►▸\-]+|\d{1,2}[.)-])\s+")
_FINAL = frozenset(".?!:;,")
_ARABIC = re.compile(f"[{LETTERS}]+")
_HAS_ARABIC = re.compile(f"[{BLOCK}]")  # not the ligatures: ﷺ is no name

_MORPH: dict[str, Morph] = {}
_LOCK = threading.Lock()
_WORDS: dict[str, tuple[str, str | None]] = {}  # clean word -> (matching form, POS if not analysed)


@contextmanager
def gc_paused():
    """The cyclic GC off: rows are acyclic dicts that die by reference counting, and GC passes over
    millions of fresh ones cost a quarter of the time. Nested uses leave it to the outermost."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def morph(cache_dir: Path | str | None = None) -> Morph:
    """One Morph (analyzer and caches) per process and cache folder."""
    key = str(cache_dir or "")
    with _LOCK:
        if key not in _MORPH:
            _MORPH[key] = Morph(cache_dir)
        return _MORPH[key]


def sentences(norm: str, lines: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Sentences of the kept lines as clean-form (start, end, kind)."""
    out = []
    for k, (a, b) in enumerate(lines):
        line = norm[a:b]
        bullet = _BULLET.match(line)
        if bullet:
            if bullet.end() < len(line):
                out.append((a + bullet.end(), b, "list_item"))
            continue
        short = len(line.split()) <= HEADLINE_WORDS * (2 if k == 0 else 1)
        if line[-1] not in _FINAL and short and k < len(lines) - 1:
            out.append((a, b, "headline"))
            continue
        s = a
        for cut in [*_breaks(line), len(line)]:
            if norm[s:a + cut].strip():
                out.append((*_strip(norm, s, a + cut), "body"))
            s = a + cut
    return out


def _strip(norm: str, a: int, b: int) -> tuple[int, int]:
    while norm[a].isspace():
        a += 1
    while norm[b - 1].isspace():
        b -= 1
    return a, b


def _breaks(line: str) -> list[int]:
    """Offsets in `line` after which a sentence ends (the line end excluded)."""
    quotes = [q.start() for q in re.finditer('"', line)]
    pairs = list(zip(quotes[::2], quotes[1::2]))
    cuts = []
    for m in _END.finditer(line):
        i, j = m.span()
        core = m.group().rstrip("\"')]")
        if j >= len(line) or not line[j].isspace() or core == "..":
            continue
        if core == "." and i and line[i - 1].isalpha() and (i == 1 or not line[i - 2].isalnum()):
            continue  # single-letter abbreviation
        if any(q < i and j <= c for q, c in pairs):
            continue  # inside a quotation
        cuts.append(j)
    return cuts


def tokenize(norm: str, starts: list[int], ends: list[int], a: int, b: int) -> list[tuple[int, int, str]]:
    """Tokens inside clean-form [a, b) as (raw start, raw end, clean-form word)."""
    out: list[tuple[int, int, str]] = []
    for m in _TOKEN.finditer(norm, a, b):
        x, y = m.span()
        s, e = starts[x], ends[y - 1]
        if out and s < out[-1][1]:  # one raw character expanded into two tokens (e.g. U+2030): rejoin
            s, _, w = out.pop()
            out.append((s, e, w + m.group()))
        else:
            out.append((s, e, m.group()))
    return out


def _word(w: str) -> tuple[str, str | None]:
    """Matching form of a token and, unless it is an Arabic word to analyse, its POS."""
    info = _WORDS.get(w)
    if info is None:
        if len(_WORDS) > 100_000:
            _WORDS.clear()
        pos = None if _ARABIC.fullmatch(w) else "digit" if w[0].isdigit() else "punc" if _PUNC.fullmatch(w) else (
            "noun_prop" if _HAS_ARABIC.search(w) else "foreign")
        info = _WORDS[w] = (match_form(w), pos)
    return info


def _doc_rows(doc_id: str, text: str, m: Morph) -> tuple[list[dict], list[dict], list[dict], int | None]:
    """Sentences, tokens and removed rows of one document, and where a glued article starts."""
    norm, starts, ends = normalize(text)
    c = clean(doc_id, text, norm, starts, ends)
    sents, toks, words, firsts, slots = [], [], [], [], []
    for sid, (a, b, kind) in enumerate(sentences(norm, c.lines)):
        rs, re_ = starts[a], ends[b - 1]
        sents.append({"doc_id": doc_id, "sentence_id": sid, "start": rs, "end": re_, "text": text[rs:re_],
                      "kind": kind})
        first = True
        for ti, (s, e, w) in enumerate(tokenize(norm, starts, ends, a, b)):
            nf, pos = _word(w)
            row = {"doc_id": doc_id, "sentence_id": sid, "token_index": ti, "start": s, "end": e,
                   "surface": text[s:e], "norm": nf, "lemma": w, "pos": pos, "gloss": None, "segments": [w]}
            if pos is None:
                words.append(w)
                firsts.append(first)
                slots.append(row)
                first = False
            toks.append(row)
    for row, r in zip(slots, resolve(words, m.read_all(words), firsts, m.names)):
        row.update(lemma=r.lemma, pos=r.pos, gloss=r.gloss, segments=list(r.segments))
    return sents, toks, c.removed, c.child_at


def process_text(docs: list[dict], cache_dir: Path | str | None = None,
                 known: set[str] | frozenset[str] = frozenset()) -> dict[str, list[dict]]:
    """Clean, segment and analyse documents (documents-table rows).

    Returns rows for `documents` (child documents split off a glued second article, with
    parent_doc_id and parent_offset; their own rows follow), `removed`, `sentences` and `tokens`.
    A child that is one of `docs`, an earlier child or in `known` (doc_ids) is not split off again.
    Every offset is into the text of the row's own document. `cache_dir` holds the persistent
    analysis cache (default $KHABAR_CACHE_DIR, else ~/.cache/khabar).
    """
    m = morph(cache_dir)
    out: dict[str, list[dict]] = {"documents": [], "removed": [], "sentences": [], "tokens": []}
    todo, i, ids = list(docs), 0, set(known) | {d["doc_id"] for d in docs}
    with gc_paused():
        while i < len(todo):  # children are appended and processed in turn
            doc, i = todo[i], i + 1
            sents, toks, removed, child_at = _doc_rows(doc["doc_id"], doc["text"], m)
            out["sentences"] += sents
            out["tokens"] += toks
            out["removed"] += removed
            text = doc["text"][child_at:].rstrip() if child_at is not None else ""
            kid = doc_id(text) if text else None
            if kid and kid not in ids:
                ids.add(kid)
                child = {**doc, "doc_id": kid, "text": text, "n_chars": len(text), "title": title_from_text(text),
                         "parent_doc_id": doc["doc_id"], "parent_offset": child_at}
                out["documents"].append(child)
                todo.append(child)
    m.save()
    return out

