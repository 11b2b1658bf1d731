"""Report queries, terminal tables, HTML and CLI, on warehouses built from the seed articles.

`build_warehouse` writes a small warehouse through tasks.publish.Warehouse (stage + commit + views)
in three runs: the seed files go through the real ingest code; sentences, entities, events, quotes
and quality results are derived from the seed texts by the simple rules below, with offsets
computed from the text (so `text[start:end]` holds), and the events are hand-picked sentences of
the seeds; the entities are placed by the real geo stage and each event takes tasks.geo.event_place's
place among its sentence's. Every query is also run on what the real flow writes from the seeds.
"""
from __future__ import annotations

import argparse
import hashlib
import re
from collections import Counter
from datetime import date, datetime, timezone
from itertools import combinations
from pathlib import Path

import duckdb
import pytest

from flows.report_cli import add_report_command
from tasks import ingest
from tasks.config import ROOT
from tasks.geo import dateline, event_place, gazetteer, geocode
from tasks.publish import Warehouse, new_run_id, run_row
from tasks.report import build_report, connect, highlight, load_queries, run_all, terminal_tables
from tasks.schema import PIPELINE_VERSION, PLOVER_TYPES, TABLES

SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
# Publication times as a feed would give them (the seed files carry none); seed 000 stays undated.
UTC = timezone.utc
PUBLISHED = {"001": datetime(2022, 2, 18, 15, tzinfo=UTC), "002": datetime(2022, 1, 18, 9, tzinfo=UTC),
             "003": datetime(2025, 9, 4, 11, tzinfo=UTC), "004": datetime(2021, 12, 27, 20, tzinfo=UTC)}
# surface, label, canonical, actor code
NAMES = [
    ("أنتوني بلينكن", "PERS", "Antony Blinken", "USAGOV"), ("بلينكن", "PERS", "Antony Blinken", "USAGOV"),
    ("بلينكين", "PERS", "Antony Blinken", "USAGOV"), ("جو بايدن", "PERS", "Joe Biden", "USAGOV"),
    ("بايدن", "PERS", "Joe Biden", "USAGOV"), ("بساكي", "PERS", "Jen Psaki", "USAGOV"),
    ("نيوبرغر", "PERS", "Anne Neuberger", "USAGOV"), ("ويتكوف", "PERS", "Steve Witkoff", "USAGOV"),
    ("دونالد ترامب", "PERS", "Donald Trump", "USAELI"), ("ترامب", "PERS", "Donald Trump", "USAELI"),
    ("سيرغي لافروف", "PERS", "Sergey Lavrov", "RUSGOV"), ("لافروف", "PERS", "Sergey Lavrov", "RUSGOV"),
    ("فلاديمير بوتين", "PERS", "Vladimir Putin", "RUSGOV"), ("بوتين", "PERS", "Vladimir Putin", "RUSGOV"),
    ("زاخاروفا", "PERS", "Maria Zakharova", "RUSGOV"), ("روبرت فيكو", "PERS", "Robert Fico", "SVKGOV"),
    ("فيكو", "PERS", "Robert Fico", "SVKGOV"), ("زيلينسكي", "PERS", "Volodymyr Zelensky", "UKRGOV"),
    ("ستولتنبرغ", "PERS", "Jens Stoltenberg", "IGOWSTNAT"), ("بيربوك", "PERS", "Annalena Baerbock", "DEUGOV"),
    ("إيمانويل ماكرون", "PERS", "Emmanuel Macron", "FRAGOV"), ("ماكرون", "PERS", "Emmanuel Macron", "FRAGOV"),
    ("البيت الأبيض", "ORG", "White House", "USAGOV"), ("الكرملين", "ORG", "Kremlin", "RUSGOV"),
    ("الناتو", "ORG", "NATO", "IGOWSTNAT"), ("الولايات المتحدة", "GPE", "United States", "USA"),
    ("واشنطن", "GPE", "United States", "USA"), ("روسيا", "GPE", "Russia", "RUS"), ("موسكو", "GPE", "Russia", "RUS"),
    ("أوكرانيا", "GPE", "Ukraine", "UKR"), ("كييف", "GPE", "Ukraine", "UKR"), ("سلوفاكيا", "GPE", "Slovakia", "SVK"),
    ("فرنسا", "GPE", "France", "FRA"), ("باريس", "LOC", "Paris", "FRA"), ("الصين", "GPE", "China", "CHN"),
    ("ألمانيا", "GPE", "Germany", "DEU"),
]
NAME = {n[0]: n for n in NAMES}
NAME_RE = re.compile(r"(?<!\w)(?:[وفبلك])?("  # an optional proclitic, then the longest name that fits
                     + "|".join(re.escape(n[0]) for n in sorted(NAMES, key=lambda n: -len(n[0]))) + r")(?!\w)")
MONTHS = "يناير|فبراير|مارس|أبريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر"
DATE_RE = re.compile(rf"(?<!\w)\d{{1,2}} (?:{MONTHS})(?: \d{{4}})?")
SENT_RE = re.compile(r"[^\n.!?؟]+[.!?؟]*")
QUOTE_RE = re.compile(r"(?<!\w)(?P<verb>وقال|قال|وقالت|وأضاف|وأضافت|وتابع|وتابعت|تقول|وأوضح|وأشار)(?!\w)"
                      r"(?P<who>[^\"«“\n]{0,120}?)[\"«“](?P<q>[^\"»”\n]{5,})[\"»”]")
# Hand-picked events of the seeds: seed, trigger, (source, code), (target, code), type, CAMEO, Goldstein,
# quad class, negated, modality, own event date.
EVENTS = [
    ("000", "تعارض", ("الولايات المتحدة", "USA"), ("أوكرانيا", "UKR"), "REJECT", "12", -4.0, 3, False, "asserted",
     None),
    ("000", "عرضت", ("سلوفاكيا", "SVK"), ("روسيا", "RUS"), "CONSULT", "039", 4.0, 1, False, "asserted",
     date(2024, 12, 27)),
    ("000", "زيارة نادرة", ("فيكو", "SVKGOV"), ("موسكو", "RUS"), "CONSULT", "042", 1.9, 1, False, "asserted",
     date(2024, 12, 22)),
    ("000", "وقف المساعدات العسكرية", ("فيكو", "SVKGOV"), ("أوكرانيا", "UKR"), "SANCTION", "1623", -5.6, 4, False,
     "asserted", None),
    ("000", "بشن ضربات", ("بوتين", "RUSGOV"), ("كييف", "UKR"), "THREATEN", "138", -7.0, 3, False, "readiness", None),
    ("000", "استُخدم", (None, None), ("أهداف أوكرانية", "UKRMIL"), "ASSAULT", "195", -9.5, 4, False, "asserted",
     date(2024, 11, 21)),
    ("001", "قبول", ("أنتوني بلينكن", "USAGOV"), ("سيرغي لافروف", "RUSGOV"), "CONSULT", "036", 4.0, 1, False, "future",
     date(2022, 2, 23)),
    ("001", "لن نرسل قوات", ("بايدن", "USAGOV"), ("أوكرانيا", "UKR"), "MOBILIZE", None, None, None, True, "future",
     None),
    ("001", "اتهمت", ("نيوبرغر", "USAGOV"), ("روسيا", "RUS"), "ACCUSE", "112", -2.0, 3, False, "asserted", None),
    ("001", "عمل عسكري", ("روسيا", "RUS"), (None, None), "ASSAULT", "190", -10.0, 4, False, "conditional", None),
    ("002", "اتصال هاتفي", ("أنتوني بلينكن", "USAGOV"), ("سيرغي لافروف", "RUSGOV"), "CONSULT", "041", 1.0, 1, False,
     "asserted", None),
    ("002", "وأكد", ("بلينكن", "USAGOV"), ("لافروف", "RUSGOV"), "CONSULT", "041", 1.0, 1, False,
     "asserted", None),
    ("002", "دعم الحلف", ("ستولتنبرغ", "IGOWSTNAT"), ("أوكرانيا", "UKR"), "SUPPORT", "051", 3.4, 1, False,
     "asserted", None),
    ("002", "وحذّرها", ("ستولتنبرغ", "IGOWSTNAT"), ("روسيا", "RUS"), "THREATEN", "1312", -5.8, 3, False, "asserted",
     None),
    ("002", "مباحثات", ("بيربوك", "DEUGOV"), ("سيرغي لافروف", "RUSGOV"), "CONSULT", "040", 1.0, 1, False, "asserted",
     None),
    ("002", "تهدد أحدا", ("لافروف", "RUSGOV"), (None, None), "THREATEN", "130", -4.4, 3, True, "asserted", None),
    ("003", "التقى", ("ستيف ويتكوف", "USAGOV"), ("القادة الأوروبيين", "EURGOV"), "CONSULT", "043", 2.8, 1, False,
     "asserted", None),
    ("003", "رفضها", ("روسيا", "RUS"), (None, None), "REJECT", "12", -4.0, 3, False, "asserted", None),
    ("004", "تجمعت", ("روسيا", "RUS"), (None, None), "MOBILIZE", "154", -7.2, 4, False, "asserted", None),
    ("004", "وهددت بفرض عقوبات", ("إدارة بايدن", "USAGOV"), ("روسيا", "RUS"), "THREATEN", "1312", -5.8, 3, False,
     "asserted", None),
    ("004", "استأنف", ("جو بايدن", "USAGOV"), ("فلاديمير بوتين", "RUSGOV"), "REQUEST", "020", 3.0, 1, False,
     "asserted", None),
    ("004", "وطالبت", ("روسيا", "RUS"), ("الولايات المتحدة", "USA"), "REQUEST", "10", -5.0, 3, False, "asserted", None),
]
SPAN_TABLES = {"sentences": "text", "entities": "text", "events": "trigger_text", "quotes": "text"}


def h(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]


def sentences(doc: dict) -> list[dict]:
    out = []
    for m in SENT_RE.finditer(doc["text"]):
        s = m.group()
        if not s.strip():
            continue
        start = m.start() + len(s) - len(s.lstrip())
        end = m.end() - (len(s) - len(s.rstrip()))
        out.append({"doc_id": doc["doc_id"], "sentence_id": len(out), "start": start, "end": end,
                    "text": doc["text"][start:end], "kind": "headline" if not out else "body"})
    return out


def sentence_at(sents: list[dict], pos: int) -> dict:
    return next(s for s in sents if s["start"] <= pos < s["end"])


def entities(doc: dict, sents: list[dict]) -> list[dict]:
    out = []
    for m in NAME_RE.finditer(doc["text"]):
        _, label, canonical, code = NAME[m.group(1)]
        out.append({"start": m.start(1), "end": m.end(1), "label": label, "canonical": canonical, "actor_code": code})
    out += [{"start": m.start(), "end": m.end(), "label": "DATE"} for m in DATE_RE.finditer(doc["text"])]
    return [{**e, "doc_id": doc["doc_id"], "sentence_id": sentence_at(sents, e["start"])["sentence_id"],
             "text": doc["text"][e["start"]:e["end"]], "rule": "test_names"} for e in out]


def events(doc: dict, seed: str, sents: list[dict], ents: list[dict]) -> list[dict]:
    out = []
    for sd, trig, (src, scode), (tgt, tcode), typ, cameo, gold, quad, neg, mod, day in EVENTS:
        if sd != seed:
            continue
        s = next(s for s in sents if trig in s["text"] and all(a in s["text"] for a in (src, tgt) if a))
        span = lambda a: (None, None) if a is None else (s["start"] + s["text"].index(a),  # noqa: E731
                                                         s["start"] + s["text"].index(a) + len(a))
        (ts, te), (ss, se), (gs, ge) = span(trig), span(src), span(tgt)
        out.append({"event_id": h(typ, scode, tcode, day), "mention_id": h(doc["doc_id"], ts, te),
                    "doc_id": doc["doc_id"], "sentence_id": s["sentence_id"], "event_type": typ, "cameo_code": cameo,
                    "goldstein": gold, "quad_class": quad, "source_text": src, "source_code": scode,
                    "source_start": ss, "source_end": se, "target_text": tgt, "target_code": tcode,
                    "target_start": gs, "target_end": ge, "trigger_text": trig, "start": ts, "end": te,
                    "negated": neg, "modality": mod, "reported_speech": False, "event_date": day,
                    "date_granularity": "day" if day else None, "confidence": 0.9, "rule": "test_pick"})
        loc = event_place(ts, te, [], [e for e in ents if e["sentence_id"] == s["sentence_id"]],
                          dateline(gazetteer(), doc["text"]))
        if loc:
            p = loc.place
            out[-1].update(location_text=loc.text, location_rule=loc.rule, location_geonames_id=p["geonames_id"],
                           location_latitude=p["latitude"], location_longitude=p["longitude"],
                           location_country=p["country"])
    return out


def quotes(doc: dict, sents: list[dict], ents: list[dict]) -> list[dict]:
    out = []
    for m in QUOTE_RE.finditer(doc["text"]):
        who = [e for e in ents
               if m.start("who") <= e["start"] and e["end"] <= m.end("who") and e["label"] in ("PERS", "ORG")]
        sp = max(who, key=lambda e: e["end"] - e["start"], default=None)
        out.append({"quote_id": h(doc["doc_id"], m.start("q")), "doc_id": doc["doc_id"],
                    "sentence_id": sentence_at(sents, m.start("q"))["sentence_id"],
                    "speaker_text": sp and sp["text"], "speaker_code": sp and sp["actor_code"],
                    "speaker_start": sp and sp["start"], "speaker_end": sp and sp["end"], "verb": m.group("verb"),
                    "start": m.start("q"), "end": m.end("q"), "text": m.group("q")})
    return out


def checks(tables: dict[str, list[dict]], texts: dict[str, str]) -> list[dict]:
    """Quality results computed on the rows: row counts, spans matching the text, event dates present."""
    out = []
    for t, rows in tables.items():
        out.append({"table": t, "expectation": "expect_table_row_count_to_be_between", "column": None,
                    "success": bool(rows), "observed_value": str(len(rows)), "element_count": len(rows)})
        if t in SPAN_TABLES:
            bad = sum(texts[r["doc_id"]][r["start"]:r["end"]] != r[SPAN_TABLES[t]] for r in rows)
            out.append({"table": t, "expectation": "expect_span_to_match_text", "column": "start", "success": not bad,
                        "observed_value": f"{bad} mismatches", "unexpected_count": bad, "element_count": len(rows)})
    ev = tables["events"]
    nulls = sum(r["event_date"] is None for r in ev)
    out.append({"table": "events", "expectation": "expect_column_values_to_not_be_null", "column": "event_date",
                "success": not nulls, "observed_value": f"{nulls} null", "unexpected_count": nulls,
                "element_count": len(ev)})
    off = sum(r["event_type"] not in PLOVER_TYPES for r in ev)
    out.append({"table": "events", "expectation": "expect_column_values_to_be_in_set", "column": "event_type",
                "success": not off, "unexpected_count": off, "element_count": len(ev)})
    return out


def build_warehouse(root: Path) -> Path:
    """Three committed runs: seeds 000-002; seeds 003-004 plus bad inputs; a re-run with nothing new."""
    bad = root.parent / f"{root.name}_bad"
    bad.mkdir(parents=True, exist_ok=True)
    (bad / "blank.txt").write_text("  \n", encoding="utf-8")
    (bad / "blank2.txt").write_text("\t", encoding="utf-8")
    (bad / "english.txt").write_text("Blinken said the United States opposes sending troops to Ukraine.\n",
                                     encoding="utf-8")
    wh, fields = Warehouse(root), ingest.load_fields()
    seen = ingest.Seen(set(), set(), set())
    runs = [(SEEDS[:3], []), (SEEDS[3:], sorted(bad.iterdir())), ([], [])]
    for day, (seeds, extra) in enumerate(runs, start=5):
        started = datetime(2026, 1, day, 8, tzinfo=timezone.utc)
        run_id = new_run_id(started)
        items = [it for p in seeds + extra for it in ingest.read_items(p, fields)]
        docs, srcs, rejs = ingest.admit(items, seen)
        tables: dict[str, list[dict]] = {t: [] for t in ("documents", "sentences", "entities", "events", "quotes")}
        for d in docs:
            seed = Path(d["source_path"]).name[:3]
            d.update(published_at=PUBLISHED.get(seed), pipeline_version=PIPELINE_VERSION)
            sents = sentences(d)
            ents = geocode([d], entities(d, sents))
            tables["documents"].append(d)
            tables["sentences"] += sents
            tables["entities"] += ents
            tables["events"] += events(d, seed, sents, ents)
            tables["quotes"] += quotes(d, sents, ents)
        n = Counter(r["event_id"] for r in tables["events"])
        for r in tables["events"]:
            r["mentions"] = n[r["event_id"]]
        with wh.lock():
            for t, rows in [*tables.items(), ("sources", srcs), ("rejects", rejs)]:
                wh.stage(run_id, t, rows, 0)
            if docs:
                wh.stage(run_id, "dq_results", checks(tables, {d["doc_id"]: d["text"] for d in docs}), 0)
            counts = {"records": len(items), "documents": len(docs), "sources": len(srcs), "rejects": len(rejs)}
            wh.commit(run_id, run_row(started, [str(p) for p in seeds + extra], counts, PIPELINE_VERSION))
            wh.write_views()
    return root


@pytest.fixture(scope="session")
def fixture_wh(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("report") / "wh")


@pytest.fixture(scope="session")
def flow_wh(prefect_api, tmp_path_factory) -> Path:
    from flows.pipeline import khabar

    d = tmp_path_factory.mktemp("report_flow")
    (d / "empty.txt").write_text("   ", encoding="utf-8")
    khabar(inputs=[str(p) for p in SEEDS] + [str(d / "empty.txt")], warehouse=str(d / "wh"))
    return d / "wh"


def one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def check_queries(wh: Path) -> dict[str, list[dict]]:
    """Run every named query and check it against the base views; returns the results."""
    queries = load_queries()
    with connect(wh) as con:
        res = run_all(con, queries)
        n_events = one(con, "select count(*) from events")

        assert {r["table"]: r["rows"] for r in res["overview"]} == {
            t: one(con, f"select count(*) from {t}") for t in
            ("runs", "documents", "sentences", "tokens", "entities", "events", "quotes", "rejects", "dq_results")}

        per_day = res["events_per_day"]
        assert sum(r["mentions"] for r in per_day) == n_events
        assert sum(r["events"] for r in per_day) >= one(con, "select count(distinct event_id) from events")
        assert all(r["asserted"] <= r["mentions"] and r["events"] <= r["mentions"] for r in per_day)
        assert all(r["event_type"] in PLOVER_TYPES for r in per_day)
        assert {(r["day"], r["event_type"]) for r in per_day if r["day"]} >= set(con.execute(
            "select event_date, event_type from events where event_date is not null").fetchall())

        both = ("coalesce(source_code, source_text) is not null and coalesce(target_code, target_text) is not null")
        dyads = res["actor_dyads"]
        assert sum(r["mentions"] for r in dyads) == one(con, f"select count(*) from events where {both}")
        assert len({(r["source"], r["target"]) for r in dyads}) == len(dyads)
        for r in dyads:
            quads = r["verbal_coop"] + r["material_coop"] + r["verbal_conflict"] + r["material_conflict"]
            assert quads <= r["mentions"] and r["events"] <= r["mentions"]
            assert r["goldstein_mean"] is None or -10 <= r["goldstein_mean"] <= 10
        assert sum(r["verbal_coop"] + r["material_coop"] + r["verbal_conflict"] + r["material_conflict"]
                   for r in dyads) == one(con, f"select count(*) from events where {both} and quad_class is not null")

        actors = res["top_actors"]
        assert sum(r["as_source"] for r in actors) == one(
            con, "select count(*) from events where coalesce(source_code, source_text) is not null")
        assert sum(r["as_target"] for r in actors) == one(
            con, "select count(*) from events where coalesce(target_code, target_text) is not null")
        assert [r["mentions"] for r in actors] == sorted((r["mentions"] for r in actors), reverse=True)
        for r in actors:
            assert r["text_mentions"] == one(con, f"select count(*) from entities where actor_code = '{r['actor']}'")

        speakers = res["quotes_per_speaker"]
        assert sum(r["quotes"] for r in speakers) == one(con, "select count(*) from quotes")
        assert all(r["example"] and r["verbs"] for r in speakers)

        ents = con.execute("select distinct doc_id, sentence_id, coalesce(canonical, text), label from entities "
                           "where label <> 'DATE'").fetchall()
        by_sent: dict[tuple, list] = {}
        for d, s, e, lab in ents:
            by_sent.setdefault((d, s), []).append((e, lab))
        pairs = Counter(tuple(sorted(p)) for v in by_sent.values() for p in combinations(v, 2))
        co = res["entity_cooccurrence"]
        assert {((r["entity_a"], r["label_a"]), (r["entity_b"], r["label_b"])): r["sentences"] for r in co} == pairs
        assert all(r["label_a"] != "DATE" and r["label_b"] != "DATE" for r in co)

        rej = res["rejects_by_reason"]
        assert sum(r["rejects"] for r in rej) == one(con, "select count(*) from rejects")
        assert len({(r["stage"], r["reason"]) for r in rej}) == len(rej)

        hist = res["quality_history"]
        assert {r["run_id"] for r in hist} == {r[0] for r in con.execute("select run_id from current_runs").fetchall()}
        assert sum(r["expectations"] for r in hist) == one(con, "select count(*) from dq_results")
        for r in hist:
            assert r["passed"] + r["failed"] == r["expectations"]
            assert len(r["failing"] or []) == r["failed"]
        assert [r["started_at"] for r in hist] == sorted(r["started_at"] for r in hist)

        ev = res["event_sentences"]
        assert len(ev) == n_events and len({r["mention_id"] for r in ev}) == n_events
        for r in ev:
            doc = one(con, f"select text from documents where doc_id = '{r['doc_id']}'")
            assert doc[r["start"]:r["end"]] == r["trigger_text"]
            if r["sentence_text"] is not None:
                assert r["sentence_text"][r["trigger_at"]:r["trigger_to"]] == r["trigger_text"]
                for k in ("source", "target"):
                    if r[f"{k}_at"] is not None:
                        assert r["sentence_text"][r[f"{k}_at"]:r[f"{k}_to"]] == r[f"{k}_text"]
    return res


def test_every_query_file_has_a_title_and_description():
    queries = load_queries()
    assert set(queries) == {"overview", "events_per_day", "actor_dyads", "top_actors", "quotes_per_speaker",
                            "entity_cooccurrence", "rejects_by_reason", "quality_history", "event_sentences",
                            "events_per_place"}
    assert all(q.title and len(q.doc) > 40 for q in queries.values())


def test_fixture_rows_keep_the_contract(fixture_wh):
    spans = [("sentences", "start", "end", "text"), ("entities", "start", "end", "text"),
             ("events", "start", "end", "trigger_text"), ("events", "source_start", "source_end", "source_text"),
             ("events", "target_start", "target_end", "target_text"), ("quotes", "start", "end", "text"),
             ("quotes", "speaker_start", "speaker_end", "speaker_text")]
    assert {(t, s, e) for t, s, e, _ in spans} == {(t, s, e) for t, spec in TABLES.items() for s, e in spec.spans
                                                   if t not in ("removed", "tokens")}  # not filled here
    with connect(fixture_wh) as con:
        for t, s, e, col in spans:
            n, bad = con.execute(f'select count(x."{s}"), count(*) filter (substring(d.text, x."{s}" + 1, '
                                 f'x."{e}" - x."{s}") <> x.{col}) '
                                 f"from {t} x join documents d using (doc_id)").fetchone()
            assert n > 0 and bad == 0, (t, s)
        assert one(con, "select count(*) from runs") == 3


def test_queries_on_the_seed_fixture(fixture_wh):
    res = check_queries(fixture_wh)
    for name in ("events_per_day", "actor_dyads", "top_actors", "quotes_per_speaker", "entity_cooccurrence",
                 "rejects_by_reason", "event_sentences"):
        assert res[name], name
    dyads = {(r["source"], r["target"]): r for r in res["actor_dyads"]}
    # US government -> Russian government: the accepted invitation (001), the call and its follow-up (002, one
    # undated event), Biden's appeal to Putin (004)
    assert dyads[("USAGOV", "RUSGOV")]["mentions"] == 4 and dyads[("USAGOV", "RUSGOV")]["events"] == 3
    assert dyads[("USAGOV", "RUSGOV")]["verbal_coop"] == 4
    assert {(r["stage"], r["reason"]): r["rejects"] for r in res["rejects_by_reason"]} == {
        ("ingest", "empty"): 2, ("ingest", "not_arabic"): 1}
    hist = res["quality_history"]
    assert [r["status"] for r in hist][-1] == "nothing_new" and hist[-1]["table"] is None
    failing = [f for r in hist for f in r["failing"] or []]
    assert failing == ["expect_column_values_to_not_be_null(event_date)"] * 2  # undated events in both runs
    undated = {r["event_type"]: r["mentions"] for r in res["events_per_day"] if r["day"] is None}
    assert undated == {"REJECT": 1, "SANCTION": 1, "THREATEN": 1}  # seed 000 has no publication date
    assert any(r["speaker"] == "RUSGOV" for r in res["quotes_per_speaker"])


def test_queries_on_what_the_flow_writes(flow_wh):
    res = check_queries(flow_wh)
    assert {r["table"]: r["rows"] for r in res["overview"]}["documents"] >= len(SEEDS)
    assert ("ingest", "empty") in {(r["stage"], r["reason"]) for r in res["rejects_by_reason"]}
    out = build_report(flow_wh, flow_wh / "report.html")
    assert "<h2>Events and their sentences</h2>" in out.read_text(encoding="utf-8")


def test_highlight_marks_spans_in_arabic_text():
    text = 'وقال بلينكن إن <واشنطن> ترفض'
    out = highlight(text, [(5, 11, "trigger", "t"), (8, 20, "source", "overlaps"), (15, 23, "target", "x"),
                           (40, 45, "target", "outside")])
    assert out == ('وقال <mark class="trigger" title="t">بلينكن</mark> إن '
                   '<mark class="target" title="x">&lt;واشنطن&gt;</mark> ترفض')


def test_terminal_tables(fixture_wh):
    out = terminal_tables(fixture_wh, limit=5)
    for title in ("Rows per table", "Events per day and PLOVER type", "Actor dyads", "Top actors",
                  "Quotes per speaker", "Rejects by reason", "Quality history per run"):
        assert title in out
    assert "USAGOV" in out and "بلينكن" in out and "not_arabic" in out and "(first 5 of" in out


def test_report_html_is_self_contained(fixture_wh, tmp_path):
    out = build_report(fixture_wh, tmp_path / "sub" / "r.html")
    page = out.read_text(encoding="utf-8")
    assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', page)
    assert page.count('<td class="sentence" lang="ar" dir="rtl">') == len(EVENTS)
    assert '<mark class="trigger" title="trigger CONSULT">التقى</mark>' in page
    for div in ("chart-timeline", "chart-types", "chart-dyads", "chart-quads", "chart-actors", "chart-quality",
                "chart-rejects"):
        assert f'id="{div}"' in page


def test_report_command(fixture_wh, tmp_path, capsys):
    ap = argparse.ArgumentParser(prog="khabar")
    add_report_command(ap.add_subparsers(dest="cmd", required=True))
    a = ap.parse_args(["report", "--warehouse", str(fixture_wh), "--out", str(tmp_path / "r.html"), "--rows", "3"])
    assert a.handler(a) == 0
    out = capsys.readouterr().out
    assert "Top actors" in out and str(tmp_path / "r.html") in out and (tmp_path / "r.html").stat().st_size > 0
    a = ap.parse_args(["report", "--warehouse", str(tmp_path / "none")])
    assert a.handler(a) == 2
    assert "no warehouse" in capsys.readouterr().err
