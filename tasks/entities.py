"""Entities and actors: persons, organisations, places and dates, with CAMEO actor codes.

Per sentence, over the text stage's tokens:
1. dictionaries, longest match: curated and CLDR names (seeds/actors.csv, places.csv) as written,
   also without proclitics (و ف ب ل ك; لل -> ال); UniversalPetrarch's lemma-like names on looser keys
   (no article, nisba/plural endings reduced, lemma). A trigger such as منتخب / شمال / مطار right
   before a place opens the mention. These matches code role phrases (step 2); outside the
   model's entities only the coded ones are mentions (actors for events: البيت الأبيض, MISC in
   ANERcorp), UniversalPetrarch's with label ACTOR (mostly words: نهار, قاعدة; no named entity);
2. roles: an agent (seeds/agents.csv: وزير الخارجية, الجيش) tied to a country by a demonym
   (seeds/demonyms.csv: الأمريكي), a country in construct state (وزارة دفاع أوكرانيا) or an actor
   (المتحدثة باسم البيت الأبيض) gives country + sector (USAGOV, UKRMIL);
3. the entities are the NER model's (tasks.ner: a CRF trained on ANERcorp) PERS / LOC / ORG spans:
   whole whitespace words, clitics included, as ANERcorp marks them. The dictionaries give a span
   its canonical name, actor code and Wikidata id when they know exactly that name (clitic-free
   keys); a span that is or holds a role phrase takes the role's code; a LOC the dictionaries
   call a GPE is a GPE. A name the dictionaries lack is still an entity, with no code. A GeoNames
   name the model leaves untagged is a LOC after a place head (محافظة الضالع: rule gazetteer+head)
   or a locative preposition (ببنغازي, في دير الزور: gazetteer+pp; a proper-noun reading, or
   several words of a large place);
4. a person right after (or before) a role phrase takes the role's code; a role phrase outside the
   model's entities is a mention of its own, label ROLE (an actor for events, no named entity);
5. within a document a bare surname without a code repeats the coded full name's (rule "+coref");
6. DATE mentions from tasks.dates, canonical = ISO date (or --MM-DD without a year).
Actor codes follow the role valid at the publication date (start/end columns of actors.csv).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import itemgetter


from tasks.arabic import NISBA_ENDS, key, unclitic
from tasks.dates import MONTH, WEEKDAY, publication_date, resolve_dates
from tasks.dictionaries import CURATED, load, variants
from tasks.geo.gazetteer import gazetteer
from tasks.geo.resolve import HEADS
from tasks.ner import tag as ner
from tasks.ner.tag import char_span

MAX_WORDS = 8
_CLOSED = ("prep", "conj", "part", "pron", "punc", "digit")  # closed-class parts of speech
_CONNECTORS = frozenset({"بن", "ابن", "ابو", "ابي", "ابا", "عبد", "بنت", "دي", "دا", "فون", "فان", "لو", "ولد", "اب"})
_DATE_WORDS = frozenset(w for k in (*MONTH, *WEEKDAY) for w in k.split() if w not in ("الاول", "الثاني"))
NER_LABELS = frozenset({"PERS", "LOC", "ORG"})  # the model's labels kept as entities
_LEADING = frozenset({"،", ",", ":", "-"})
# a place the model misses: a GeoNames name after a place head (محافظة الضالع, قضاء مخمور) or a
# locative preposition (ببنغازي, في دير الزور)
_PLACE_HEADS = frozenset("محافظه مديريه ناحيه قضاء مدينه بلده قريه ولايه اقليم مقاطعه".split())
_LOCATIVE = frozenset("في وفي داخل وداخل قرب".split())
_PLACE_WORDS = 2  # words of such a name at most
_PLACE_POPULATION = 10_000  # people of a place named after a preposition only, at least
_COMMON_POPULATION = 100_000  # ... of a name of several words none read as a proper noun (في دير الزور)


@dataclass(frozen=True)
class Entry:
    label: str
    canonical: str
    roles: tuple[tuple[str, str, str, str], ...]  # (code, start, end, wikidata) in CSV order
    rule: str
    trusted: bool  # curated or CLDR: no part-of-speech check on one-word matches


@dataclass(frozen=True)
class Lexicon:
    exact: dict  # trie of word keys -> Entry: curated and CLDR names, matched as written
    loose: dict  # trie -> Entry: UniversalPetrarch's lemma-like names, matched on any key
    agents: dict  # trie -> (sector, label)
    demonyms: dict[str, str]  # key -> country code
    given: frozenset[str]
    triggers: dict  # trie -> (label, in_span)
    stop: frozenset[str]  # proper-noun readings that are not names (الله, الإنترنت, month names)


def _add(trie: dict, words: tuple[str, ...], value) -> None:
    """Add a phrase to a trie of word keys; the first value for a phrase wins."""
    node = trie
    for w in words:
        node = node.setdefault(w, {})
    node.setdefault("", value)


@cache
def lexicon() -> Lexicon:
    """The seed dictionaries compiled into tries, once per process."""
    exact: dict = {}
    loose: dict = {}
    groups: dict[tuple, list] = {}
    for r in load("actors"):  # an actor's dated roles are consecutive rows with the same surface
        key = (r["surface"], r["canonical"], r["label"], r["source"])
        groups.setdefault(key, []).append((r["actor_code"], r["start"], r["end"], r["wikidata"]))
    entries = [((s, lab, src), Entry(lab, can, tuple(roles), f"actors.csv:{src}", src == CURATED))
               for (s, can, lab, src), roles in groups.items()]
    entries += [((r["surface"], r["label"], r["source"]),
                 Entry(r["label"], r["canonical"], ((r["country"], "", "", r["wikidata"]),), f"places.csv:{r['source']}",
                       r["source"] in (CURATED, "cldr")))
                for r in load("places")]
    # curated entries first, so they win a shared key
    for (surface, _, src), e in sorted(entries, key=lambda x: x[0][2] != CURATED):
        for v in variants(surface):
            _add(exact if e.trusted else loose, v, e)
    agents: dict = {}
    for r in sorted(load("agents"), key=lambda r: r["source"] != CURATED):
        for v in variants(r["surface"]):
            _add(agents, v, (r["sector"], r["label"]))
            _add(agents, tuple(w[2:] if w.startswith("ال") and len(w) > 3 else w for w in v), (r["sector"], r["label"]))
    demonyms = {}
    for r in sorted(load("demonyms"), key=lambda r: r["source"] != CURATED):
        for v in variants(r["surface"]):
            if len(v) == 1:
                for k in _keys_of(v[0]):
                    demonyms.setdefault(k, r["country"])
    triggers: dict = {}
    for r in load("triggers"):
        for v in variants(r["surface"]):
            _add(triggers, v, (r["label"], r["in_span"] == "yes"))
    given = frozenset(k for r in load("names") for v in variants(r["surface"]) for k in v)
    stop = frozenset(k for r in load("not_names") for v in variants(r["surface"]) for k in v)
    return Lexicon(exact, loose, agents, demonyms, given, triggers, stop | _DATE_WORDS)


def _keys_of(w: str) -> list[str]:
    """A normalised word and its forms without article and nisba/plural ending."""
    out = [w]
    if w.startswith("ال") and len(w) > 3:
        out.append(w[2:])
    for f in list(out):
        for end, cut in (*NISBA_ENDS, ("يات", 2)):
            if f.endswith(end) and len(f) - cut >= 3:
                out.append(f[:-cut])
    return out


@lru_cache(maxsize=25_000)
def token_keys(surface: str, lemma: str | None, last: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(exact, loose) lookup keys of one token. Exact: the matching form, the same without proclitics
    (و ف ب ل ك; لل -> ال) and the last ATB segment. Loose adds forms without the article, with nisba
    and plural endings reduced, and the lemma."""
    exact = unclitic(key(surface))
    if last:
        exact.append(key(last))
    loose = [k for b in exact for k in _keys_of(b)]
    if lemma:
        loose.append(key(lemma))
    exact = tuple(dict.fromkeys(exact))
    return exact, exact + tuple(k for k in dict.fromkeys(loose) if k not in exact)


def _last_segment(tok: dict) -> str | None:
    """The stem of a token split into proclitics + stem (none when it carries an enclitic)."""
    segs = tok.get("segments") or []
    return segs[-1] if len(segs) > 1 and len(segs[-1]) == max(map(len, segs)) else None


def _is_word(tok: dict) -> bool:
    return tok["surface"][:1].isalpha() and tok.get("pos") not in ("punc", "digit")


def _walk(trie: dict, keys: list[tuple[str, ...]], i: int) -> tuple[int, object] | None:
    """Longest trie match starting at token i: (end token index, value)."""
    if trie.keys().isdisjoint(keys[i]):  # most tokens start nothing
        return None
    frontier, best = [trie], None
    for j in range(i, min(len(keys), i + MAX_WORDS)):
        nxt = [n[k] for n in frontier for k in keys[j] if k in n]
        if not nxt:
            break
        frontier = nxt
        hit = next((n[""] for n in frontier if "" in n), None)
        if hit is not None:
            best = (j + 1, hit)
    return best


def role_of(entry: Entry, when: dt.date | None) -> tuple[str | None, str | None]:
    """(actor code, wikidata) of the role valid at `when`: a dated role covering it, else the first
    undated role, else the first role (also when `when` is unknown)."""
    roles = entry.roles
    if when is not None:
        w = when.isoformat()
        for code, s, e, wd in roles:
            if (s or e) and (not s or s <= w) and (not e or w < e):
                return code or None, wd or None
        for code, s, e, wd in roles:
            if not s and not e:
                return code or None, wd or None
    code, _, _, wd = roles[0]
    return code or None, wd or None


def _span(doc: dict, toks: list[dict], i: int, j: int, label: str, rule: str, canonical=None, code=None,
          wikidata=None) -> dict:
    s, e = toks[i]["start"], toks[j - 1]["end"]
    return {"doc_id": doc["doc_id"], "sentence_id": toks[i]["sentence_id"], "start": s, "end": e,
            "text": doc["text"][s:e], "label": label, "canonical": canonical, "actor_code": code or None,
            "wikidata": wikidata or None, "rule": rule}


def _sentence(doc: dict, sent: dict, toks: list[dict], spans: list[tuple[int, int, str]], when: dt.date | None,
              lex: Lexicon) -> list[dict]:
    """Entity rows of one sentence's tokens (punctuation tokens are barriers)."""
    n = len(toks)
    words = [_is_word(t) for t in toks]
    keys = [token_keys(t["surface"], t.get("lemma"), _last_segment(t)) if w else ((), ()) for t, w in zip(toks, words)]
    ex, lo = [k[0] for k in keys], [k[1] for k in keys]
    pos = [t.get("pos") or "" for t in toks]
    taken = [False] * n
    found: list[list] = []  # [start token, end token, row, trusted entry]

    # 1. dictionary names (curated/CLDR as written; UniversalPetrarch on any key), longest first
    i = 0
    while i < n:
        hit = None
        if words[i]:
            he, hl = _walk(lex.exact, ex, i), _walk(lex.loose, lo, i)
            if he and (he[0] - i > 1 or not pos[i].startswith(_CLOSED)):
                hit = he
            if hl and (hl[0] - i > 1 or pos[i] in ("noun_prop", "foreign")) and (not hit or hl[0] > hit[0]):
                hit = hl
        if not hit:
            i += 1
            continue
        j, e = hit
        if e.label == "PERS" and ((i > 0 and ex[i - 1] and ex[i - 1][0] in _CONNECTORS) or (
                j < n and ex[j] and ex[j][0] in _CONNECTORS) or (j - i == 1 and any(k in lex.stop for k in ex[i]))):
            i += 1  # part of a longer name (عمر بن عبد العزيز) or a title: left to the proper-noun runs
            continue
        code, wd = role_of(e, when)
        row = _span(doc, toks, i, j, e.label, e.rule, e.canonical, code, wd)
        trig = _trigger_before(lex, lo, words, taken, i)
        if trig and trig[1][1]:  # منتخب البرتغال, شمال سوريا: the trigger opens the mention
            i0, (label, _) = trig
            row = _span(doc, toks, i0, j, label, row["rule"] + "+trigger", row["canonical"] if label != "ORG" else None,
                        code if label != "ORG" else None)
            i = i0
        found.append([i, j, row, e.trusted])
        taken[i:j] = [True] * (j - i)
        i = j

    # 2. roles: agent (+ nested agents) + demonym / country / actor -> country + sector
    demonym = [next((lex.demonyms[k] for k in lo[x] if k in lex.demonyms), None) if words[x] and not taken[x] else None
               for x in range(n)]
    by_start = {a: (b, row) for a, b, row, _ in found}
    roles = []
    i = 0
    while i < n:
        hit = _walk(lex.agents, lo, i) if words[i] and not taken[i] and pos[i] in ("noun", "adj", "noun_prop") else None
        if not hit:
            i += 1
            continue
        j, (sector, label) = hit
        code, end, k = None, j, j
        while k < n and k < end + 3 and words[k]:
            if demonym[k]:
                code, end = demonym[k] + sector, k + 1
                break
            if k in by_start:
                b, row = by_start[k]
                c = row["actor_code"]
                construct = not ex[k - 1][0].startswith("ال") and not ex[k][0].startswith("ل")  # رئيس وزراء بريطانيا
                if c and (row["label"] == "ORG" or (row["label"] == "GPE" and construct)):
                    code, end = (c + sector if len(c) == 3 and row["label"] == "GPE" else c), b
                break
            more = _walk(lex.agents, lo, k) if not taken[k] else None
            if more:
                end = k = more[0]
                sector = more[1][0]
                continue
            if not (pos[k] in ("noun", "adj") and ex[k][0].startswith("ال")):
                break  # only definite modifiers in between: وزير الخارجية الأمريكي
            k += 1
        if code:
            roles.append((i, end, code, label))
            taken[i:end] = [True] * (end - i)
            i = end
        else:
            i = j

    # 3. the model's entities (MISC is learnt, not kept); a span the dictionaries know takes its
    # canonical name, code and Wikidata id, one that is (or holds) a role phrase takes the role's code
    rows: dict[int, tuple[int, dict]] = {}  # start token -> (end token, row)
    for a, j, label in spans:
        if label not in NER_LABELS:
            continue
        s, e = char_span(doc["text"], toks, a, j, sent["start"], sent["end"])
        row = {**_span(doc, toks, a, j, label, "ner"), "start": s, "end": e, "text": doc["text"][s:e]}
        hit = _lookup(lex, ex, lo, a, j)
        role = next((c for i, end, c, _ in roles if a <= i and end <= j), None)
        if hit:
            code, wd = role_of(hit, when)
            row.update(canonical=hit.canonical, actor_code=code, wikidata=wd, rule="ner+" + hit.rule)
            if label == "LOC" and hit.label == "GPE":
                row["label"] = "GPE"
        elif role and label in ("PERS", "ORG"):
            row.update(actor_code=role, rule="ner+role")
        rows[a] = (j, row)

    # a coded dictionary name the model does not tag (البيت الأبيض is MISC in ANERcorp) stays an actor
    # mention; UniversalPetrarch's alone are mostly words, so label ACTOR, no named entity (مشعل, نهار,
    # قاعدة: 4 of 55 were names on the ANERcorp tail and AQMAR dev)
    for i, j, row, trusted in found:
        if row["actor_code"] and not any(a < j and i < b for a, (b, _) in rows.items()):
            rows[i] = (j, row if trusted else {**row, "label": "ACTOR"})

    for i, j, rule in _missed_places(ex, pos, toks, words, taken, rows):
        s, e = char_span(doc["text"], toks, i, j, sent["start"], sent["end"])
        rows[i] = (j, {**_span(doc, toks, i, j, "LOC", rule), "start": s, "end": e, "text": doc["text"][s:e]})

    # a name next to a role phrase takes its code; a role phrase outside the model's entities is a ROLE
    ends = {row["end"]: a for a, (_, row) in rows.items()}
    spans = [(a, j) for a, (j, _) in rows.items()]
    for i, end, code, label in roles:
        if any(a < end and i < b for a, b in spans):
            continue
        after = end + (1 if end < n and toks[end]["surface"] in _LEADING else 0)
        prev = i - 2 if i >= 2 and toks[i - 1]["surface"] in _LEADING else i - 1
        before = ends.get(toks[prev]["end"]) if prev >= 0 else None
        target = rows[after][1] if after in rows else rows[before][1] if before is not None else None
        if target is not None and target["label"] == "PERS" and label == "PERS":
            if not target["actor_code"]:
                target["actor_code"] = code
                target["rule"] += "+role"
        else:
            rows[i] = (end, _span(doc, toks, i, end, "ROLE", "role", code=code))
    return [row for _, row in rows.values()]


def _missed_places(ex: list, pos: list, toks: list[dict], words: list[bool], taken: list[bool],
                   rows: dict[int, tuple[int, dict]]) -> list[tuple[int, int, str]]:
    """(first token, end token, rule) of the GeoNames names the model and the dictionaries left untagged
    after a place head (rule gazetteer+head) or a locative preposition (gazetteer+pp)."""
    free = [w and not t for w, t in zip(words, taken)]
    for a, (b, _) in rows.items():
        free[a:b] = [False] * (b - a)
    gz, out, i = gazetteer(), [], 0
    while i < len(toks):
        hit = _place_at(gz, ex, pos, toks, free, i) if free[i] else None
        out += [hit] if hit else []
        i = hit[1] if hit else i + 1
    return out


def _place_at(gz, ex: list, pos: list, toks: list[dict], free: list[bool], i: int) -> tuple[int, int, str] | None:
    """The longest GeoNames name from token i on that its cue admits, as (i, end token, rule)."""
    head = i > 0 and any(k in _PLACE_HEADS for k in ex[i - 1])
    pp = i > 0 and bool(ex[i - 1]) and ex[i - 1][0] in _LOCATIVE or "ب" in (toks[i].get("segments") or ())[:-1]
    if not (head or pp) or pos[i].startswith(_CLOSED) or not head and pos[i] == "adj" or any(
            k in _DATE_WORDS for k in ex[i]):
        return None  # مقاطعة وأنا, وفي الأربعاء; an adjective only after a head (قضاء مخمور)
    proper = pos[i] == "noun_prop" or any(g[:1].isupper() for g in re.split("[+;]", toks[i].get("gloss") or ""))  # by;with+Benghazi
    for j in range(min(len(toks), i + _PLACE_WORDS), i, -1):
        if not all(free[i:j]):
            continue
        if head:
            least = 0
        elif proper:
            least = _PLACE_POPULATION
        elif j - i > 1 and not any(k.removeprefix("ال") in HEADS for x in range(i, j) for k in ex[x]):
            least = _COMMON_POPULATION  # not بالمنطقة الجنوبية: a head and an adjective
        else:
            continue
        rest = [ex[x][0] for x in range(i + 1, j)]
        names = [name for first in ex[i] if len(name := " ".join([first, *rest])) > 2]  # not بآل: ال (Halle)
        if any(p.feature in ("region", "city") and p.population >= least for name in names for p in gz.places(name)):
            return i, j, "gazetteer+head" if head else "gazetteer+pp"
    return None


def _lookup(lex: Lexicon, ex: list, lo: list, a: int, j: int) -> Entry | None:
    """The dictionary entry whose name is exactly tokens a..j-1: curated/CLDR names on exact keys
    (clitics off), else UniversalPetrarch's on loose keys."""
    for trie, keys in ((lex.exact, ex), (lex.loose, lo)):
        frontier = [trie]
        for x in range(a, j):
            frontier = [nd[k] for nd in frontier for k in keys[x] if k in nd]
            if not frontier:
                break
        hit = next((nd[""] for nd in frontier if "" in nd), None)
        if hit is not None:
            return hit
    return None


def _trigger_before(lex: Lexicon, lo: list, words: list[bool], taken: list[bool], i: int):
    """A trigger phrase ending right before token i: (its first token, (label, in_span))."""
    for a in range(max(0, i - 3), i):
        if all(words[a:i]) and not any(taken[a:i]):
            hit = _walk(lex.triggers, lo, a)
            if hit and hit[0] == i:
                return a, hit[1]
    return None


def _corefer(rows: list[dict], lex: Lexicon) -> None:
    """A one-word person without a code (a bare surname or first name) takes the canonical name and
    code of a coded full name in the same document whose last word it is."""
    full = {}
    for r in rows:
        if r["label"] == "PERS" and r["actor_code"] and len(r["text"].split()) > 1:
            k = key(r["text"].split()[-1])
            if k not in lex.given and k not in _CONNECTORS and k not in lex.stop and len(k) > 2:
                full.setdefault(k, r)
    if not full:
        return
    for r in rows:
        if r["label"] == "PERS" and not r["actor_code"] and " " not in r["text"]:
            src = next((full[k] for k in token_keys(r["text"], None, None)[1] if k in full), None)
            if src is not None:
                r.update(canonical=src["canonical"], actor_code=src["actor_code"], wikidata=src["wikidata"],
                         rule=r["rule"] + "+coref")


def _by_sentence(tokens: list[dict]) -> dict[int, list[dict]]:
    by_sent: dict[int, list[dict]] = {}
    for t in sorted(tokens, key=itemgetter("sentence_id", "token_index")):
        by_sent.setdefault(t["sentence_id"], []).append(t)
    return by_sent


def find_entities(doc: dict, sentences: list[dict], tokens: list[dict]) -> list[dict]:
    """Entity rows (contract table `entities`, without run_id) of one document."""
    by_sent = _by_sentence(tokens)
    return _document(doc, sentences, by_sent, dict(zip(by_sent, ner.model().spans(list(by_sent.values())))))


def _document(doc: dict, sentences: list[dict], by_sent: dict[int, list[dict]],
              spans: dict[int, list[tuple[int, int, str]]]) -> list[dict]:
    """find_entities given the tokens and the model's entities per sentence_id."""
    lex, when = lexicon(), publication_date(doc.get("published_at"))
    rows = []
    for s in sentences:
        if s["sentence_id"] in by_sent:
            rows += _sentence(doc, s, by_sent[s["sentence_id"]], spans[s["sentence_id"]], when, lex)
    _corefer(rows, lex)
    for s in sentences:
        for d in resolve_dates(doc["text"], s["start"], s["end"], doc.get("published_at")):
            iso = d["date"].isoformat() if d["date"] else (
                f"--{d['month']:02d}-{d['day']:02d}" if d["month"] and d["day"] else None)
            rows.append({"doc_id": doc["doc_id"], "sentence_id": s["sentence_id"], "start": d["start"], "end": d["end"],
                         "text": d["text"], "label": "DATE", "canonical": iso, "actor_code": None, "wikidata": None,
                         "rule": d["rule"]})
    seen, out = set(), []
    for r in sorted(rows, key=lambda r: (r["start"], -r["end"])):
        k = (r["start"], r["end"], r["label"])
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def entities_of(docs: list[dict], sentences: list[dict], tokens: list[dict]) -> list[dict]:
    """find_entities over a batch (rows of several documents); the model tags all its sentences at once."""
    sents: dict[str, list[dict]] = {}
    toks: dict[str, list[dict]] = {}
    for s in sentences:
        sents.setdefault(s["doc_id"], []).append(s)
    for t in tokens:
        toks.setdefault(t["doc_id"], []).append(t)
    by_doc = {d["doc_id"]: _by_sentence(toks.get(d["doc_id"], [])) for d in docs}
    keys = [(d, sid) for d, by_sent in by_doc.items() for sid in by_sent]
    tagged = ner.model().spans([by_doc[d][sid] for d, sid in keys])
    spans: dict[str, dict[int, list]] = {d: {} for d in by_doc}
    for (d, sid), found in zip(keys, tagged):
        spans[d][sid] = found
    return [e for d in docs for e in _document(d, sents.get(d["doc_id"], []), by_doc[d["doc_id"]], spans[d["doc_id"]])]
