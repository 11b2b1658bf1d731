"""Entities and actors on the seed articles (real text, real camel-tools DB) and on the AQMAR dev gold."""
import datetime as dt
import json
import re

import pytest

from tasks.config import SHARED
from tasks.dictionaries import COLUMNS, load, variants
from tasks.entities import find_entities, role_of, lexicon
from tasks.schema import CODE, ENTITY_LABELS, to_table
from tasks.ingest import doc_id
from tasks.segment import process_text

SEEDS = SHARED / "seeds"


def analyse(text: str, published_at=None) -> tuple[dict, list[dict]]:
    doc = {"doc_id": doc_id(text), "text": text, "published_at": published_at}
    out = process_text([doc])
    mine = lambda rows: [r for r in rows if r["doc_id"] == doc["doc_id"]]  # noqa: E731
    return doc, find_entities(doc, mine(out["sentences"]), mine(out["tokens"]))


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[dict, list[dict]]]:
    """Entities of each seed article, published 18 Feb 2022 (the day of seed 001's briefing)."""
    when = dt.datetime(2022, 2, 18, 12, tzinfo=dt.timezone.utc)
    return {p.name[:3]: analyse(p.read_text(encoding="utf-8"), when) for p in sorted(SEEDS.glob("*.txt"))}


def mentions(ents: list[dict], text: str) -> list[dict]:
    return [e for e in ents if e["text"] == text]


def code_of(ents: list[dict], text: str) -> str:
    codes = {e["actor_code"] for e in mentions(ents, text)}
    assert len(codes) == 1, (text, codes)
    return codes.pop()


def test_rows_follow_the_contract(seeds):
    for doc, ents in seeds.values():
        assert ents
        for e in ents:
            assert doc["text"][e["start"]:e["end"]] == e["text"]
            assert e["label"] in ENTITY_LABELS
            assert e["actor_code"] is None or re.match(CODE, e["actor_code"])
            assert e["wikidata"] is None or re.match(r"^Q[0-9]+$", e["wikidata"])
        assert len({(e["start"], e["end"], e["label"]) for e in ents}) == len(ents)
        assert to_table("entities", ents).num_rows == len(ents)


def test_seed_actors(seeds):
    _, ents = seeds["001"]
    assert code_of(ents, "أنتوني بلينكن") == "USAGOV"
    assert code_of(ents, "بلينكين") == "USAGOV"  # spelling variant
    assert code_of(ents, "سيرغي لافروف") == code_of(ents, "لافروف") == "RUSGOV"
    assert code_of(ents, "جين بساكي") == "USAGOV"
    assert code_of(ents, "البيت الأبيض") == "USAGOV"
    assert mentions(ents, "البيت الأبيض")[0]["wikidata"] == "Q35525"
    assert mentions(ents, "البيت الأبيض")[0]["label"] == "ORG"  # curated: a named entity the model leaves untagged
    assert code_of(ents, "الناتو") == "IGOWSTNAT"
    assert code_of(ents, "ماريا زاخاروفا") == "RUSGOV"
    assert code_of(ents, "القوات الأوكرانية") == "UKRMIL"  # agent + demonym
    assert code_of(ents, "الحكومة الروسية") == "RUSGOV"
    _, ents = seeds["002"]
    assert code_of(ents, "ينس ستولتنبرغ") == "IGOWSTNAT"
    assert code_of(ents, "أولاف شولتز") == "DEUGOV"
    assert code_of(ents, "أنالينا بيربوك") == "DEUGOV"
    assert code_of(ents, "الجيش الروسي") == "RUSMIL"
    _, ents = seeds["004"]
    assert code_of(ents, "وزارة الدفاع الروسية") == "RUSMIL"
    assert code_of(ents, "المخابرات الأمريكية") == "USASPY"


def test_clitics_stay_inside_the_span(seeds):
    _, ents = seeds["001"]
    biden = mentions(ents, "وبايدن")  # headline "وبايدن: لن نرسل قوات"
    assert biden and biden[0]["actor_code"] == "USAGOV" and biden[0]["canonical"] == "Joe Biden"
    assert code_of(ents, "لأوكرانيا") == "UKR"


def test_titles_resolve_actors():
    text = "صرح وزير الخارجية الأمريكي أنتوني بلينكن بأن الولايات المتحدة تعارض إرسال القوات المسلحة إلى أوكرانيا"
    assert text in (SEEDS / "000_ee675b71be0a0a73.txt").read_text(encoding="utf-8")
    _, ents = analyse(text)
    assert code_of(ents, "أنتوني بلينكن") == "USAGOV"
    assert code_of(ents, "الولايات المتحدة") == "USA"
    _, ents = analyse("يستعد وزير الخارجية الأميركي للقيام بجولة أوروبية")  # seed 002, no name
    assert code_of(ents, "وزير الخارجية الأميركي") == "USAGOV"
    _, ents = analyse("وقال الرئيس الروسي فلاديمير بوتين، الأربعاء، إن الصراع مع أوكرانيا سيستمر")  # seed 003
    assert code_of(ents, "فلاديمير بوتين") == "RUSGOV"
    _, ents = analyse("وأوضح الرئيس الأوكراني «للأسف لم نرَ بعد مؤشرات من جانب روسيا»")  # seed 003
    assert code_of(ents, "الرئيس الأوكراني") == "UKRGOV"


def test_roles_follow_the_publication_date():
    text = "التقى المبعوث الأميركي الخاص ستيف ويتكوف بالقادة الأوروبيين، ودعا الرئيس الأميركي دونالد ترمب إلى محادثات"
    _, in_2025 = analyse(text, dt.date(2025, 9, 4))
    assert code_of(in_2025, "ستيف ويتكوف") == "USAGOV" and code_of(in_2025, "دونالد ترمب") == "USAGOV"
    _, in_2022 = analyse(text, dt.date(2022, 2, 18))
    assert code_of(in_2022, "ستيف ويتكوف") == "USABUS" and code_of(in_2022, "دونالد ترمب") == "USAELI"
    blinken = next(e for e in lexicon().exact["بلينكن"][""].roles)
    assert blinken[0] == "USAGOV"
    entry = lexicon().exact["بلينكن"][""]
    assert role_of(entry, dt.date(2022, 2, 18))[0] == "USAGOV" and role_of(entry, dt.date(2025, 6, 1))[0] == "USAELI"


def test_dates_are_entities(seeds):
    _, ents = seeds["001"]
    dates = {e["text"]: e["canonical"] for e in ents if e["label"] == "DATE"}
    assert dates["23 شباط/فبراير الجاري"] == "2022-02-23"
    assert dates["الأربعاء المقبل"] == "2022-02-23"
    assert dates["اليوم الجمعة"] == "2022-02-18"


@pytest.mark.parametrize("sid,word", [
    ("aqmar-Light-85", "مشعل"),  # مشعل اللحام: a welding torch, not Khaled Meshaal (PSEPTY)
    ("aqmar-Richard_Stallman-38", "نهار"),  # ليل نهار: day and night, not the newspaper An-Nahar
    ("aqmar-Solaris-6", "قاعدة"),  # قاعدة معلومات: a database, not al-Qaeda
])
def test_universalpetrarch_names_alone_are_no_named_entities(sid, word):
    """A UniversalPetrarch actor the model leaves untagged is an ACTOR mention for events, no named entity
    (on the ANERcorp tail and AQMAR dev 4 of 55 such were names); a curated one keeps its label
    (البيت الأبيض in test_seed_actors)."""
    row = next(json.loads(line) for line in (SHARED / "eval" / "ner_aqmar_dev.jsonl").open(encoding="utf-8")
               if json.loads(line)["id"] == sid)
    _, ents = analyse(row["text"])
    assert [e["label"] for e in ents if word in e["text"]] == ["ACTOR"]


def test_unknown_names_are_persons_without_a_code():
    """All of AQMAR dev (Wikipedia, never trained on, its names mostly in no dictionary): the model finds
    person names exactly as the gold marks them, most of them uncoded (rule 'ner', code null). Measured
    with models/ner version 2: 659 of 1,478 gold PERS spans, 592 of them uncoded."""
    rows = [json.loads(line) for line in (SHARED / "eval" / "ner_aqmar_dev.jsonl").open(encoding="utf-8")]
    gold = found = uncoded = 0
    for r in rows:
        _, ents = analyse(r["text"])
        mine = {(e["start"], e["end"]): e for e in ents if e["label"] == "PERS"}
        spans = {(e["start"], e["end"]) for e in r["entities"] if e["label"] == "PERS"}
        hits = [mine[x] for x in spans if x in mine]
        gold, found = gold + len(spans), found + len(hits)
        uncoded += sum(e["rule"] == "ner" and e["actor_code"] is None for e in hits)
    assert found >= 0.4 * gold and uncoded >= 0.8 * found


def test_bare_surname_repeats_the_coded_full_name():
    """A surname alone (not in the dictionaries) takes the code of the full name found earlier."""
    text = "قال رئيس الوزراء البريطاني غوردون براون إن بلاده ستدعم الاتفاق. وأضاف براون أن المحادثات ستستمر."
    _, ents = analyse(text, dt.date(2008, 5, 1))
    person = {e["text"]: e for e in ents if e["label"] == "PERS"}
    assert person["غوردون براون"]["actor_code"] == "GBRGOV"
    assert person["براون"]["actor_code"] == "GBRGOV" and person["براون"]["rule"].endswith("+coref")


def test_coded_actors_of_a_seed_article(seeds):
    doc, ents = seeds["001"]
    text = doc["text"]

    def coded(start: int, end: int) -> list[dict]:
        return [e for e in ents if e.get("actor_code") and e["start"] < end and start < e["end"]]

    s = text.index("وقالت بساكي")
    hit = max(coded(s, s + len("وقالت بساكي")), key=lambda e: e["end"] - e["start"])
    assert hit["canonical"] == "Jen Psaki" and hit["actor_code"] == "USAGOV"
    s = text.index("قبول وزير الخارجية الأميركي أنتوني بلينكن دعوة للقاء وزير الخارجية الروسي، سيرغي لافروف")
    assert [e["actor_code"] for e in coded(s, s + 90)][:2] == ["USAGOV", "RUSGOV"]


def test_dictionaries_are_well_formed():
    for name, cols in COLUMNS.items():
        rows = load(name)
        assert rows and tuple(rows[0]) == cols, name
        assert all(variants(r["surface"]) for r in rows), name
    for r in load("actors"):
        assert re.match(CODE, r["actor_code"]) and r["label"] in ENTITY_LABELS
        assert not r["end"] or not r["start"] or r["start"] < r["end"]
    assert all(not r["country"] or re.match(CODE, r["country"]) for r in load("places"))


def test_aqmar_dev_f1():
    """Exact character span and label on the AQMAR dev file (GPE counts as LOC), as score.py `ner` does."""
    gold = [json.loads(line) for line in (SHARED / "eval" / "ner_aqmar_dev.jsonl").open(encoding="utf-8")]
    docs = {}
    for g in gold:
        docs.setdefault(doc_id(g["text"]), {"doc_id": doc_id(g["text"]), "text": g["text"]})
    out = process_text(list(docs.values()))
    by_doc: dict[str, tuple[list, list]] = {d: ([], []) for d in docs}
    for s in out["sentences"]:
        by_doc[s["doc_id"]][0].append(s)
    for t in out["tokens"]:
        by_doc[t["doc_id"]][1].append(t)
    canon = {"PERS": "PERS", "ORG": "ORG", "LOC": "LOC", "GPE": "LOC"}
    pred = {(e["doc_id"], e["start"], e["end"], canon[e["label"]])
            for d in docs.values() for e in find_entities(d, *by_doc[d["doc_id"]]) if e["label"] in canon}
    truth = {(doc_id(g["text"]), e["start"], e["end"], e["label"]) for g in gold for e in g["entities"]}
    f1 = {}
    for label in ("PERS", "LOC", "ORG"):
        g, p = {x for x in truth if x[3] == label}, {x for x in pred if x[3] == label}
        tp = len(g & p)
        prec, rec = tp / max(len(p), 1), tp / max(len(g), 1)
        f1[label] = 2 * prec * rec / (prec + rec) if tp else 0.0
    print("AQMAR dev F1", {k: round(v, 3) for k, v in f1.items()}, "macro", round(sum(f1.values()) / 3, 3))
    # the ANERcorp-trained model (news) on Wikipedia: 0.49 / 0.61 / 0.26, macro 0.45 (the rules it replaced:
    # 0.42 / 0.64 / 0.36, 0.48; on ANERcorp's dev split the model gains 0.18): floors just below
    assert f1["PERS"] >= 0.46 and f1["LOC"] >= 0.58 and f1["ORG"] >= 0.23
    assert sum(f1.values()) / 3 >= 0.43
