"""Events and quotes of a document: matches, their modality, actors, place and date; dedup and clustering."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from tasks.arabic import key
from tasks.dates import publication_date, resolve_dates
from tasks.events.actors import Span, actor_candidates, roles
from tasks.events.match import THREAT_OF, Match, Sent, candidates, conditions, find_matches
from tasks.events.model import Model, actor_features, sentence_features, shipped, trigger_features
from tasks.events.modality import is_negated, modality_of
from tasks.events.quotes import headline_speaker, sentence_quotes
from tasks.events.seeds import digest, seeds
from tasks.events.tokens import sentence_tokens
from tasks.geo import dateline, event_place, gazetteer

_SELF = {"بلاده", "بلادها", "بلادنا", "نحن", "حكومته", "حكومتها", "حكومتنا"}
_VERBAL = {1, 3}  # quad classes of verbal cooperation / conflict


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


_PLACE = ("geonames_id", "latitude", "longitude", "country", "precision")


def _location(s: Sent, start: int, end: int, dl: dict | None) -> dict:
    """The place of the event's own clause (tasks.geo.event_place: the trigger's prepositional phrase,
    then the sentence, then the dateline), with its GeoNames id and coordinates when resolved."""
    loc = event_place(start, end, s.token_rows, s.ents, dl)
    p = loc.place if loc else {}
    return {"location_text": loc and loc.text, "location_code": p.get("actor_code") or p.get("country"),
            **{f"location_{k}": p.get(k) for k in _PLACE}, "location_rule": loc and loc.rule}


@dataclass
class Candidate:
    """A trigger candidate of one type, with what its features and its event row need."""
    etype: str
    cameo: str
    m: Match
    negated: bool
    modality: str
    quote: dict | None  # the quotation (or headline statement) it is part of
    feats: list[str]


def sentence_candidates(s: Sent) -> list[Candidate]:
    """Every lexicon candidate of the sentence with its features (the same for training and extraction)."""
    cands = candidates(s.matches)
    if not cands:
        return []
    at: dict[int, list[str]] = {}
    for etype, m in cands:
        at.setdefault(m.t, []).append(etype)
    out, shared = [], sentence_features(s)
    for etype, m in cands:
        negated, modality = is_negated(s.toks, m), modality_of(s, m)
        start = s.toks[m.a].start
        quote = next((q for q in s.quotes + s.headline if q["start"] <= start < q["end"]), None)
        cameo = THREAT_OF[m.pat.type] if etype != m.pat.type else m.pat.cameo
        out.append(Candidate(etype, cameo, m, negated, modality, quote,
                             trigger_features(s, etype, m, negated, modality, quote is not None, at[m.t], shared)))
    return out


def rule_actors(text: str, s: Sent, c: Candidate) -> dict[str, dict | None]:
    """The word-order rules' source and target: VSO/SVO around the trigger, the speaker of reported speech."""
    toks, m = s.toks, c.m
    start = toks[m.a].start
    speaker = c.quote["speaker"] if c.quote else None
    said = [q for q in s.quotes if q["verb_start"] <= start]  # a statement act's default source
    src, tgt = roles(text, s, m)
    if said and toks[m.t].pos in ("adj", "adv") and m.t and toks[m.t - 1].boundary:
        src = said[-1]["speaker"]  # "..., محذّرة من أن": a circumstantial participle shares the speaker
    elif speaker and (toks[m.t].first_person or src and src["text"] in _SELF):
        src = speaker
    elif src is None and seeds().codes[c.cameo].quad in _VERBAL and (speaker or said):
        src = speaker or said[-1]["speaker"]
    return {"source": src, "target": tgt}


def span_features(text: str, s: Sent, c: Candidate) -> list[tuple[Span, list[str]]]:
    """The event's actor candidates with their features (the same for training and extraction)."""
    quad = seeds().codes[c.cameo].quad
    return [(sp, actor_features(s, c.etype, c.m, sp, c.quote, quad))
            for sp in actor_candidates(text, s, c.m, rule_actors(text, s, c))]


def pick_actors(model: Model, spans: list[tuple[Span, list[str]]]) -> dict[str, Span | None]:
    """The most probable source, then the most probable target among the spans apart from it; none
    where the best is below its model's threshold."""
    out: dict[str, Span | None] = {}
    for role, lin in (("source", model.source), ("target", model.target)):
        taken = out.get("source")
        scored = [(lin.prob(f), sp) for sp, f in spans
                  if taken is None or sp.end <= taken.start or taken.end <= sp.start]  # not overlapping the source
        p, sp = max(scored, key=lambda x: (x[0], -x[1].start), default=(0.0, None))
        out[role] = sp if p >= lin.threshold else None
    return out


def _event(doc: dict, s: Sent, c: Candidate, conf: float, pub: date | None, model: Model, dl: dict | None) -> dict:
    sd, text, toks, m = seeds(), doc["text"], s.toks, c.m
    start, end = toks[m.a].start, toks[m.b].end
    code = sd.codes[c.cameo]
    chosen = pick_actors(model, span_features(text, s, c))
    src, tgt = ({"text": text[sp.start:sp.end], "code": sp.code, "start": sp.start, "end": sp.end} if sp else None
                for sp in (chosen["source"], chosen["target"]))
    day, gran = _date(s, start, pub)
    ev = {
        "mention_id": digest(doc["doc_id"], start, end), "doc_id": doc["doc_id"], "sentence_id": s.row["sentence_id"],
        "event_type": c.etype, "cameo_code": c.cameo, "goldstein": code.goldstein, "quad_class": code.quad,
        **{f"{role}_{k}": (a or {}).get(k) for role, a in (("source", src), ("target", tgt))
           for k in ("text", "code", "start", "end")},
        "trigger_text": text[start:end], "start": start, "end": end, "negated": c.negated, "modality": c.modality,
        "reported_speech": c.quote is not None, **_location(s, start, end, dl),
        "event_date": day, "date_granularity": gran, "confidence": round(conf, 3), "rule": m.pat.id, "mentions": 1,
    }
    ev["event_id"] = event_id(ev)
    return ev


def sentences_of(doc: dict, sentences: list[dict], tokens: list[dict],
                 entities: list[dict]) -> Iterator[tuple[Sent, list[dict]]]:
    """Each sentence of a document with its context, and its quotes rows."""
    text, stop = doc["text"], seeds().cues["not_trigger"]
    rows = sorted(sentences, key=lambda r: r["start"])
    by_sent: dict[int, list[dict]] = {}
    for r in tokens:
        by_sent.setdefault(r["sentence_id"], []).append(r)
    ents_of: dict[int, list[dict]] = {}
    for x in sorted((x for x in entities if x["label"] != "DATE"), key=lambda x: x["start"]):
        ents_of.setdefault(x["sentence_id"], []).append(x)
    dates_of = {r["sentence_id"]: resolve_dates(text, r["start"], r["end"], doc.get("published_at")) for r in rows}
    prev = None
    for row in sorted(rows, key=lambda r: r["sentence_id"]):
        sid = row["sentence_id"]
        toks = sentence_tokens(by_sent.get(sid, []), dates_of.get(sid, []))
        if not toks:
            continue
        ents = ents_of.get(sid, [])
        sq = sentence_quotes(text, toks, ents, row["end"], prev)
        prev = sq[-1]["speaker"] if sq else prev
        matches = find_matches(toks, stop)
        s = Sent(row, toks, ents, conditions(toks), row["text"].rstrip().endswith(("؟", "?")) or "هل" in toks[0].keys,
                 sq, list(filter(None, [headline_speaker(text, toks, ents)])), dates_of.get(sid, []), matches,
                 by_sent.get(sid, []))
        quotes = []
        for q in sq:
            sp = q["speaker"]
            quotes.append({"quote_id": digest(doc["doc_id"], q["verb_start"], q["start"], q["end"]),
                           "doc_id": doc["doc_id"], "sentence_id": sid, "speaker_text": sp["text"],
                           "speaker_code": sp["code"], "speaker_start": sp["start"], "speaker_end": sp["end"],
                           "verb": q["verb"], "start": q["start"], "end": q["end"], "text": text[q["start"]:q["end"]]})
        yield s, quotes


def extract_events(doc: dict, sentences: list[dict], tokens: list[dict],
                   entities: list[dict], model: Model | None = None) -> tuple[list[dict], list[dict]]:
    """(events rows, quotes rows) of one document; rows keyed by the contract columns (no run_id).
    Per trigger token, the candidate type the model scores highest is an event when its probability
    reaches the model's threshold; `model` defaults to the shipped one."""
    model = model or shipped()
    pub = publication_date(doc.get("published_at"))
    events, quotes, dl = [], [], dateline(gazetteer(), doc["text"])
    for s, q in sentences_of(doc, sentences, tokens, entities):
        quotes += q
        best: dict[int, tuple[float, Candidate]] = {}
        for c in sentence_candidates(s):
            p = model.trigger.prob(c.feats)
            if p >= model.trigger.threshold and p > best.get(c.m.t, (0.0, None))[0]:
                best[c.m.t] = (p, c)
        events += [_event(doc, s, c, p, pub, model, dl) for p, c in best.values()]
    return _dedupe(events), quotes


def event_id(ev: dict) -> str:
    """Content hash of type, source, target and date: the same event reported twice has one id.
    Without actors the place and trigger word stand in for them; with neither, the mention is its own event."""
    if ev.get("source_text") or ev.get("target_text"):
        return digest(ev["event_type"], ev.get("source_code") or ev.get("source_text"),
                     ev.get("target_code") or ev.get("target_text"), ev.get("event_date"))
    if ev.get("location_text"):
        return digest(ev["event_type"], ev.get("location_code") or ev["location_text"], ev.get("event_date"),
                     key(ev["trigger_text"]))
    return ev["mention_id"]


def _dedupe(events: list[dict]) -> list[dict]:
    """One event per text span (two patterns anchored on different words of "تجمع متظاهرون" are one
    mention), then one per sentence, type, polarity and coded actors ("قتل 18 شخصا في انفجار سيارة
    مفخخة" is one assault)."""
    out = _merged(events, lambda e: e["mention_id"])
    out = _merged(out, lambda e: (e["sentence_id"], e["event_type"], e["negated"], e["source_code"], e["target_code"]))
    for e in out:
        e["event_id"] = event_id(e)
    return sorted(out, key=lambda e: e["start"])


def _merged(events: list[dict], by) -> list[dict]:
    """Per group of `by`: the most confident event, with actors the others found when it has none."""
    groups: dict = {}
    for e in events:
        groups.setdefault(by(e), []).append(e)
    out = []
    for g in groups.values():
        best = dict(max(g, key=lambda e: e["confidence"]))
        for role in ("source", "target"):
            other = next((e for e in g if best[f"{role}_text"] is None and e[f"{role}_text"] is not None), None)
            if other:
                best.update({k: other[k] for k in other if k.startswith(role + "_")})
        out.append(best)
    return out


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
