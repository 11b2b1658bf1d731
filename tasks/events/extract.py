"""Events and quotes of a document: matches, their modality, actors, place and date; dedup and clustering."""
from __future__ import annotations

import functools
from collections import Counter
from datetime import date, timedelta

from tasks.dates import publication_date, resolve_dates
from tasks.dictionaries import load
from tasks.events.actors import roles
from tasks.events.match import Match, Sent, conditions, find_matches
from tasks.events.modality import evidence, is_negated, modality_of, rule_confidence
from tasks.events.quotes import headline_speaker, sentence_quotes
from tasks.events.seeds import digest, key, seeds
from tasks.events.tokens import sentence_tokens

MIN_CONFIDENCE = 0.5
_SELF = {"بلاده", "بلادها", "بلادنا", "نحن", "حكومته", "حكومتها", "حكومتنا"}
# A conflict event that is intended becomes a threat by its source, with the CAMEO threat code.
_THREAT_OF = {"ASSAULT": "138", "SANCTION": "1312", "COERCE": "137", "PROTEST": "133"}
_MATERIAL = {2, 4}  # quad classes of material cooperation / conflict
_VERBAL = {1, 3}


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
    negated, modality = is_negated(toks, m), modality_of(s, m)
    material = sd.codes[cameo].quad in _MATERIAL
    if material and (modality == "hypothetical" or modality == "question" and not negated):
        return None
    if not negated and modality in ("future", "readiness", "conditional") and etype in _THREAT_OF:
        etype, cameo = "THREATEN", _THREAT_OF[etype]
    conf = rule_confidence(m, evidence(s, m))
    if conf < MIN_CONFIDENCE:
        return None
    start, end = toks[m.a].start, toks[m.b].end
    quote = next((q for q in s.quotes + s.headline if q["start"] <= start < q["end"]), None)
    speaker = quote["speaker"] if quote else None
    said = [q for q in s.quotes if q["verb_start"] <= start]  # a statement act's default source
    src, tgt = roles(text, s, m)
    if said and toks[m.t].pos in ("adj", "adv") and m.t and toks[m.t - 1].boundary:
        src = said[-1]["speaker"]  # "..., محذّرة من أن": a circumstantial participle shares the speaker
    elif speaker and (toks[m.t].first_person or src and src["text"] in _SELF):
        src = speaker
    elif src is None and sd.codes[cameo].quad in _VERBAL and (speaker or said):
        src = speaker or said[-1]["speaker"]
    day, gran = _date(s, start, pub)
    code = sd.codes[cameo]
    ev = {
        "mention_id": digest(doc["doc_id"], start, end), "doc_id": doc["doc_id"], "sentence_id": s.row["sentence_id"],
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
                   entities: list[dict], model=None) -> tuple[list[dict], list[dict]]:
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
        toks = sentence_tokens(by_sent.get(sid, []), dates_of.get(sid, []))
        if not toks:
            continue
        ents = ents_of.get(sid, [])
        sq = sentence_quotes(text, toks, ents, row["end"], prev)
        prev = sq[-1]["speaker"] if sq else prev
        matches = find_matches(toks, stop)
        s = Sent(row, toks, ents, conditions(toks), row["text"].rstrip().endswith(("؟", "?")) or "هل" in toks[0].keys,
                 sq, list(filter(None, [headline_speaker(text, toks, ents)])), dates_of.get(sid, []),
                 Counter(m.pat.type for m in matches))
        for q in sq:
            sp = q["speaker"]
            quotes.append({"quote_id": digest(doc["doc_id"], q["verb_start"], q["start"], q["end"]),
                           "doc_id": doc["doc_id"], "sentence_id": sid, "speaker_text": sp["text"],
                           "speaker_code": sp["code"], "speaker_start": sp["start"], "speaker_end": sp["end"],
                           "verb": q["verb"], "start": q["start"], "end": q["end"], "text": text[q["start"]:q["end"]]})
        events += filter(None, (_event(doc, s, m, pub) for m in matches))
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
