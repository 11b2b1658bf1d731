"""Events and quotes on the seed articles (expectations checked by reading them), the seeds' contract
and examples, and the shipped model on the dev gold."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from functools import cache

import pytest

from events_support import analyse, analyse_many
from tasks.config import ROOT, SHARED
from tasks.events import cluster, extract_events, seeds
from tasks.events.extract import sentence_candidates, sentences_of
from tasks.events.model import MODEL, from_json, shipped
from tasks.events.seeds import SeedError, load_seeds
from tasks.schema import MODALITIES, PIPELINE_VERSION, PLOVER_TYPES, TABLES, to_table

SEED = {p.name[:3]: p for p in sorted((ROOT / "seeds").glob("*.txt"))}


@cache
def seed(name: str, published_at=None) -> list[tuple[dict, list[dict], list[dict], list[dict]]]:
    """(document, sentences, events, quotes) per document of a seed article (a glued article is its own)."""
    out = []
    for doc, sents, toks, ents in analyse(SEED[name].read_text(encoding="utf-8"), name, published_at):
        out.append((doc, sents, *extract_events(doc, sents, toks, ents)))
    return out


def find(name: str, part: str, etype: str, published_at=None) -> list[dict]:
    """Events of a type in the seed sentence that contains `part`."""
    found, hits = False, []
    for _, sents, events, _ in seed(name, published_at):
        for s in sents:
            if part in s["text"]:
                found = True
                hits += [e for e in events if e["sentence_id"] == s["sentence_id"] and e["event_type"] == etype]
    assert found, part
    return hits


def test_patterns_cover_all_plover_types_with_known_codes():
    sd = seeds()
    types = {p.type for ps in sd.index.values() for p in ps}
    assert types == set(PLOVER_TYPES)
    for ps in sd.index.values():
        for p in ps:
            code = sd.codes[p.cameo]  # every pattern's CAMEO code is in plover.csv
            assert code.type == p.type and -10 <= code.goldstein <= 10 and code.quad in (1, 2, 3, 4)
    assert sd.codes["0874"].type == "RETREAT" and sd.codes["183"].goldstein == -10.0
    assert sd.codes["141"].quad == 4 and sd.codes["046"].quad == 1


def candidates_in(name: str, part: str) -> list:
    """Trigger candidates (tasks.events.extract.Candidate) of the seed sentence containing `part`."""
    for doc, sents, toks, ents in analyse(SEED[name].read_text(encoding="utf-8"), name):
        for s, _ in sentences_of(doc, sents, toks, ents):
            if part in s.row["text"]:
                return sentence_candidates(s)
    raise AssertionError(part)


@pytest.mark.parametrize("name, part, pattern", [
    # وقال بلينكن ... إن "سياسة الرئيس جو بايدن واضحة تماما: لن تكون هناك أي قوات أمريكية على أراضي أوكرانيا"
    ("000", "لن تكون هناك أي قوات أمريكية", "mobilize.presence"),
    # بلينكن يلتقي لافروف الأسبوع المقبل.. وبايدن: لن نرسل قوات للقتال في أوكرانيا
    ("001", "وبايدن: لن نرسل قوات", "mobilize.deploy"),
])
def test_troops_that_will_not_be_sent_are_negated_and_not_events(name, part, pattern):
    (c,) = [c for c in candidates_in(name, part) if c.m.pat.id == pattern]
    assert c.negated and c.modality == "future"
    assert shipped().trigger.prob(c.feats) < shipped().trigger.threshold
    assert not [e for e in find(name, part, "MOBILIZE") if not e["negated"]]


def test_blinken_accepts_to_meet_lavrov_on_23_february_if_russia_does_not_invade():
    # أعلنت ... بساكي ... عن قبول وزير الخارجية الأميركي أنتوني بلينكن دعوة للقاء وزير الخارجية الروسي،
    # سيرغي لافروف يوم 23 شباط/فبراير الجاري، بشرط ألا "تغزو روسيا أوكرانيا". (published Friday 18 Feb 2022)
    part = "دعوة للقاء وزير الخارجية الروسي، سيرغي لافروف يوم 23"
    (e,) = find("001", part, "CONSULT", dt.datetime(2022, 2, 18, 12, tzinfo=dt.timezone.utc))
    assert (e["source_code"], e["target_code"]) == ("USAGOV", "RUSGOV")
    assert e["modality"] == "conditional" and not e["negated"]
    assert (e["event_date"], e["date_granularity"]) == (dt.date(2022, 2, 23), "day")
    # without a publication date the day is known but not the year
    (e,) = find("001", part, "CONSULT")
    assert (e["event_date"], e["date_granularity"]) == (None, "day")
    # the invasion in the condition did not happen: no ASSAULT from that sentence
    assert not find("001", "بشرط ألا \"تغزو روسيا أوكرانيا\"", "ASSAULT")


def test_biden_we_gave_aid_to_ukraine_is_aid_from_the_us():
    # الرئيس الأميركي تحدث عن "الاستمرار في دعم الشعب الأوكراني وقدمنا مساعدات لأوكرانيا ..."
    (e,) = find("001", "وقدمنا مساعدات لأوكرانيا", "AID")
    assert (e["source_code"], e["target_code"]) == ("USAGOV", "UKR") and e["target_text"] == "أوكرانيا"
    # ready for sanctions ("بلاده مستعدة لفرض عقوبات"): the readiness is read, not an imposed sanction
    sanction = [c for c in candidates_in("001", "بلاده مستعدة لفرض") if c.m.pat.id == "sanction.impose"]
    assert sanction and all(c.modality == "readiness" for c in sanction)
    assert not find("001", "بلاده مستعدة لفرض", "SANCTION")


def test_zakharovas_words_are_reported_speech_of_the_russian_foreign_ministry():
    # وقالت المتحدثة باسم وزارة الخارجية الروسية ماريا زاخاروفا ... محذّرة من أنّ هكذا تدخّل «... سيكون غير مقبول بتاتا»
    (c,) = [c for c in candidates_in("003", "سيكون غير مقبول بتاتا") if c.m.pat.id == "reject.unacceptable"]
    assert c.quote and c.quote["speaker"]["code"] == "RUSGOV" and not c.negated


def test_putin_slovakia_offered_to_host_talks_on_27_december_2024():
    # أعلن الرئيس الروسي فلاديمير بوتين في 27 ديسمبر 2024 أن سلوفاكيا عرضت استضافة مفاوضات سلام بين الطرفين
    (e,) = find("000", "أن سلوفاكيا عرضت استضافة مفاوضات سلام", "CONSULT")
    assert e["trigger_text"] == "استضافة" and e["target_text"] == "الطرفين"
    assert (e["event_date"], e["date_granularity"]) == (dt.date(2024, 12, 27), "day")


@pytest.mark.parametrize("name, part, etype, src, tgt", [
    # جدد وزير الخارجية الأميركي أنتوني بلينكن في اتصال هاتفي مع نظيره الروسي سيرغي لافروف
    ("002", "في اتصال هاتفي مع نظيره الروسي", "CONSULT", "USAGOV", "RUSGOV"),
    # التقى المبعوث الأميركي الخاص ستيف ويتكوف بالقادة الأوروبيين في باريس
    ("003", "التقى المبعوث الأميركي الخاص ستيف ويتكوف", "CONSULT", "USAGOV", None),
    # وقالت وزارة الدفاع الروسية في بيان يوم السبت إن 10 آلاف جندي عادوا إلى قواعدهم الدائمة
    ("004", "10 آلاف جندي عادوا إلى قواعدهم", "RETREAT", None, None),
    # بلينكن يلتقي لافروف الأسبوع المقبل
    ("001", "بلينكن يلتقي لافروف الأسبوع المقبل", "CONSULT", "USAGOV", "RUSGOV"),
])
def test_more_seed_events(name, part, etype, src, tgt):
    (e,) = find(name, part, etype)
    assert e["source_code"] == src and e["target_code"] == tgt and not e["negated"]


def test_hypothetical_attacks_are_not_events():
    # حيث قال: "إذا هاجمت روسيا الولايات المتحدة أو الحلفاء ... فنحن مستعدون للرّد"
    assert not find("001", "إذا هاجمت روسيا الولايات المتحدة", "ASSAULT")


def test_quotes_have_speaker_verb_and_the_quoted_words():
    (doc, _, _, quotes), = seed("003")
    z = [q for q in quotes if q["text"] == "روسيا ليست لديها أيّ نيّة لمناقشة تدخّل أجنبي في أوكرانيا"]
    assert len(z) == 1 and z[0]["verb"] == "قال" and z[0]["speaker_code"] == "RUSGOV"
    assert doc["text"][z[0]["speaker_start"]:z[0]["speaker_end"]] == z[0]["speaker_text"] == "ماريا زاخاروفا"
    doc, _, _, quotes = seed("000")[0]
    b = [q for q in quotes if q["text"].startswith("سياسة الرئيس جو بايدن واضحة تماما")]
    assert len(b) == 1 and b[0]["verb"] == "قال" and b[0]["speaker_code"] == "USAGOV"
    # "وأضاف أن ..." with no subject keeps the previous speaker
    assert any(q["verb"] == "أضاف" and q["speaker_code"] == "USAGOV" and q["text"].startswith("ذلك لا يصب")
               for q in quotes)


def test_rows_fit_the_contract():
    for name in SEED:
        for doc, _, events, quotes in seed(name):
            text = doc["text"]
            to_table("events", events), to_table("quotes", quotes)  # types and nullability
            assert len({e["mention_id"] for e in events}) == len(events)
            assert len({q["quote_id"] for q in quotes}) == len(quotes)
            for e in events:
                assert e["event_type"] in PLOVER_TYPES and e["modality"] in MODALITIES
                assert 0 <= e["confidence"] <= 1 and e["rule"]
                assert text[e["start"]:e["end"]] == e["trigger_text"]
                for role in ("source", "target"):
                    if e[f"{role}_text"] is not None:
                        assert text[e[f"{role}_start"]:e[f"{role}_end"]] == e[f"{role}_text"]
                for c in TABLES["events"].cols:
                    if c.regex and e.get(c.name) is not None:
                        assert re.match(c.regex, str(e[c.name])), (c.name, e[c.name])
            for q in quotes:
                assert text[q["start"]:q["end"]] == q["text"]
                assert text[q["speaker_start"]:q["speaker_end"]] == q["speaker_text"]


def test_the_same_event_in_two_documents_is_one_event_with_two_mentions():
    text = SEED["003"].read_text(encoding="utf-8")
    a, b = analyse_many([(text, "outlet-a"), (text + "\n", "outlet-b")])
    events = cluster(extract_events(*a)[0] + extract_events(*b)[0])
    first = [e for e in events if e["doc_id"] == a[0]["doc_id"]]
    second = [e for e in events if e["doc_id"] == b[0]["doc_id"]]
    assert len(first) == len(second) > 0
    for e, f in zip(first, second):  # an event with actors or a place is recognised in both documents
        if e["source_text"] or e["target_text"] or e["location_text"]:
            assert e["event_id"] == f["event_id"] and e["mentions"] == f["mentions"] == 2
        else:  # one with neither stays a single mention
            assert e["event_id"] == e["mention_id"] and e["mentions"] == 1


def test_every_pattern_fires_on_its_example():
    sd = seeds()
    analysed = analyse_many([(p.example, p.id) for p in sd.patterns])
    fired = {}
    for doc, sents, toks, ents in analysed:
        fired[doc["source_id"]] = {m.pat.id for s, _ in sentences_of(doc, sents, toks, ents) for m in s.matches}
    missed = [(p.id, p.example) for p in sd.patterns if p.id not in fired.get(p.id, set())]
    assert not missed


@pytest.mark.parametrize("file, column, old, new", [
    ("event_patterns.csv", "roles", ",AT,0.5,khabar,", ",XY,0.5,khabar,"),
    ("event_patterns.csv", "pos", "نفي,,,,,AT", "نفي,Q,,,,AT"),
    ("event_patterns.csv", "event_type", "reject.deny,REJECT,", "reject.deny,DENY,"),
    ("event_cues.csv", "kind", "neg,لم,", "negation,لم,"),
])
def test_seed_contract_names_the_file_line_and_column(tmp_path, file, column, old, new):
    for name in ("event_patterns.csv", "event_cues.csv", "plover.csv"):
        shutil.copy(ROOT / "seeds" / name, tmp_path / name)
    text = (tmp_path / file).read_text(encoding="utf-8")
    line = text[:text.index(old)].count("\n") + 1
    (tmp_path / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SeedError, match=rf"{file}:{line}: column '{column}'"):
        load_seeds(tmp_path)


def test_seed_contract_checks_the_cameo_code_against_plover_csv(tmp_path):
    for name in ("event_patterns.csv", "event_cues.csv", "plover.csv"):
        shutil.copy(ROOT / "seeds" / name, tmp_path / name)
    p = tmp_path / "event_patterns.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("reject.deny,REJECT,120,", "reject.deny,REJECT,190,"),
                 encoding="utf-8")
    with pytest.raises(SeedError, match="cameo '190' is not a REJECT code"):
        load_seeds(tmp_path)


def _dev(name: str) -> list[dict]:
    return [json.loads(line) for line in (SHARED / "eval" / name).open(encoding="utf-8")]


def test_the_shipped_model_finds_real_events_in_real_sentences():
    model = shipped()
    assert model.version and model.version in PIPELINE_VERSION
    assert model.source and model.target and 0 < model.trigger.threshold < 1
    # GSR dev sentences that every annotator labelled as an assault or a protest
    gold = {g["id"]: g for g in _dev("events_dev_gold.jsonl")}
    yes = [d for d in _dev("events_dev.jsonl") if gold[d["id"]]["label"] == "yes"][:40]
    found = 0
    for doc, sents, toks, ents in analyse_many([(d["text"], d["id"]) for d in yes]):
        events, _ = extract_events(doc, sents, toks, ents)
        want = gold.get(doc["source_id"], {}).get("event_type")
        found += any(e["event_type"] == want and not e["negated"] for e in events)
        for e in events:
            assert model.trigger.threshold <= e["confidence"] <= 1
    assert found >= 0.6 * len(yes), found


def test_retraining_reproduces_the_shipped_model():
    # The shipped recipe (C and thresholds) refitted on the dev gold gives the shipped weights.
    from tasks.events import train

    shipped_json = json.loads(MODEL.read_text(encoding="utf-8"))
    data = {name: train.analyse(train.EVAL / docs) for name, (docs, _, _) in train.SETS.items()}
    rows, docs, arows = train.dev_rows(data)
    model, info = train.train(rows, docs, arows, 5, "", fixed=shipped_json["recipe"])
    again = from_json(train.to_json(model, info))
    for part in ("trigger", "source", "target"):
        new, old = getattr(again, part), getattr(from_json(shipped_json), part)
        assert new.threshold == old.threshold and abs(new.bias - old.bias) < 1e-3
        assert max(abs(new.weights.get(f, 0) - old.weights.get(f, 0)) for f in new.weights.keys() | old.weights.keys()) < 1e-3


def test_two_patterns_on_one_span_are_one_mention():
    """SaudiNewsNet articles where two PROTEST patterns match the same words from different anchors
    ("تجمع متظاهرون", "خرجوا في مظاهرة") with different actors: one event per span, so the gate's unique
    mention_id holds (both documents were quality rejects before)."""
    import gzip

    recs = json.load(gzip.open(SHARED / "corpus/saudinewsnet/2015-07-24.json.gz"))
    analysed = analyse_many([(recs[i]["content"], f"snn-{i}") for i in (738, 1843)])
    for (doc, *rest), trigger in zip(analysed, ("خرجوا في مظاهرة", "تجمع متظاهرون")):
        events = extract_events(doc, *rest)[0]
        ids = [e["mention_id"] for e in events]
        assert len(ids) == len(set(ids)) and ids
        assert [e["event_type"] for e in events if e["trigger_text"] == trigger] == ["PROTEST"]
