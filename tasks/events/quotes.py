"""Statements: speech verbs, the quoted span and its speaker."""
from __future__ import annotations

from tasks.events.actors import actor_of, entity_actor, noun_phrase, subject_of
from tasks.events.tokens import QUOTES, Tok, speech_verb, trim


def _new_statement(toks: list[Tok], j: int) -> bool:
    """A speech verb that starts a new statement (وأضاف، مشيرا) rather than one reported inside it."""
    return not toks[j].verb or toks[j].segs[0] in ("و", "ف")


def _quoted(text: str, mark: Tok, sent_end: int) -> tuple[int, int] | None:
    """The text between an opening quotation mark and its closing one; a quotation running on past
    the sentence is kept up to the sentence's end."""
    close = text.find(QUOTES[mark.surface], mark.end, sent_end)
    s, e = trim(text, mark.end, sent_end if close == -1 else close)
    return (s, e) if e > s else None


def _quote_span(text: str, toks: list[Tok], v: int, stop: int, sent_end: int) -> tuple[int, int] | None:
    """The quoted text after speech verb v (up to the next statement at `stop`): "..." or «...» opening
    before the next clause, else the أن/إن clause."""
    for j in range(v + 1, min(stop, v + 16)):
        t = toks[j]
        if t.norm == "الي" and not (j + 1 < len(toks) and toks[j + 1].comp):
            return None  # "أشار إلى كلام الرئيس": an object, not a statement
        if t.surface in QUOTES:
            return _quoted(text, t, sent_end)
        if t.comp or t.surface == ":":
            nxt = toks[j + 1] if j + 1 < len(toks) else None
            if nxt and nxt.surface in QUOTES:
                return _quoted(text, nxt, sent_end)
            end = toks[stop - 1].end if stop < len(toks) else sent_end
            s, e = trim(text, t.end, end)
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
                    if toks[j].verb or toks[j].comp or toks[j].surface in QUOTES), len(toks))
        named = [x for x in ents if t.end <= x["start"] < toks[end - 1].end and x.get("actor_code")
                 and x["label"] in ("PERS", "ORG", "ROLE", "ACTOR")]
        if named:
            return entity_actor(next((x for x in named if x["label"] == "PERS"), named[0]))
        subj = subject_of(toks, v + 1, cb, ents)
        if subj and not toks[subj[0]].comp:
            return actor_of(text, toks, subj, ents)
    if t.verb and v - 1 >= 0:
        pre = noun_phrase(toks, v - 1, fwd=False)
        if pre is None and v >= 2 and toks[v - 1].surface in ",،":
            pre = noun_phrase(toks, v - 2, fwd=False)
        if pre:
            return actor_of(text, toks, pre, ents)
    return prev


def sentence_quotes(text: str, toks: list[Tok], ents: list[dict], sent_end: int, prev: dict | None) -> list[dict]:
    """Statements of one sentence: verb, quoted span and speaker; a speech verb inside an earlier
    quotation is part of it, and a participle (مشيرا) shares the speaker of the sentence's first verb."""
    out: list[dict] = []
    verbs = [speech_verb(t) for t in toks]
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


def headline_speaker(text: str, toks: list[Tok], ents: list[dict]) -> dict | None:
    """"بايدن: لن نرسل قوات": the actor just before a colon near the start speaks what follows
    (the returned quote spans from the colon to the end of the sentence)."""
    colon = next((j for j in range(min(len(toks), 8)) if toks[j].surface == ":"), None)
    if colon:
        hit = [x for x in ents if toks[colon - 1].start <= x["start"] and x["end"] <= toks[colon].start
               and x.get("actor_code")]
        if hit:
            return {"speaker": entity_actor(hit[-1]), "start": toks[colon].end, "end": toks[-1].end}
    return None
