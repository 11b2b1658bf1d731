import json
import pickle
from datetime import date, datetime, timezone

import pyarrow as pa
import pytest
from quality_support import RUN_ID, batch, seed_texts

from expectations.suites import HERE, needs, suites
from tasks.dq import QualityError, combine, record
from tasks.quality import SITE, build_docs, check
from tasks.schema import TABLES


@pytest.fixture(scope="module")
def clean(seed_paths) -> dict[str, pa.Table]:
    return batch(seed_texts(seed_paths))


def edit(tables: dict[str, pa.Table], name: str, i: int, **changes) -> dict[str, pa.Table]:
    rows = tables[name].to_pylist()
    rows[i] = {**rows[i], **changes}
    return {**tables, name: pa.Table.from_pylist(rows, schema=tables[name].schema)}


def row(tables, name, i) -> dict:
    return tables[name].slice(i, 1).to_pylist()[0]


def test_clean_batch_passes_and_reports_every_expectation(clean):
    r = check(clean, RUN_ID)
    assert r.rejects.num_rows == 0
    assert {n: t.num_rows for n, t in r.tables.items()} == {n: t.num_rows for n, t in clean.items()}
    dq = r.dq_results
    assert dq.schema == TABLES["dq_results"].schema
    assert dq.num_rows == sum(len(s.expectations) for n, s in suites().items() if n in clean)
    assert all(dq["success"].to_pylist()), [x for x in dq.to_pylist() if not x["success"]]
    keys = list(zip(*(dq[k].to_pylist() for k in TABLES["dq_results"].key)))
    assert len(set(keys)) == len(keys)
    tokens = [x for x in dq.to_pylist() if x["table"] == "tokens"]
    assert {x["element_count"] for x in tokens} == {clean["tokens"].num_rows}


EQ, GT = "expect_column_pair_values_to_be_equal", "expect_column_pair_values_a_to_be_greater_than_b"
NOT_NULL, BETWEEN = "expect_column_values_to_not_be_null", "expect_column_values_to_be_between"
IN_SET, REGEX, NOT_REGEX = ("expect_column_values_to_be_in_set", "expect_column_values_to_match_regex",
                            "expect_column_values_to_not_match_regex")


def plus(table: str, i: int, col: str, extra):
    return lambda b: row(b, table, i)[col] + extra


# (table, row, changes (a callable gets the clean batch), the failure expected: "table.expectation(column)")
BROKEN = [
    ("tokens", 7, {"end": plus("tokens", 7, "end", 1)}, f"tokens.{EQ}(surface,surface_at_offsets)"),
    ("tokens", 5, {"surface": "بوتين"}, f"tokens.{EQ}(surface,surface_at_offsets)"),
    ("sentences", 3, {"text": "نص آخر"}, f"sentences.{EQ}(text,text_at_offsets)"),
    ("entities", 0, {"text": "روسيا الاتحادية"}, f"entities.{EQ}(text,text_at_offsets)"),
    ("tokens", 9, {"end": plus("tokens", 9, "start", 0)}, f"tokens.{GT}(end,start)"),
    ("sentences", 2, {"end": 10**6}, f"sentences.{GT}(document_n_chars,end)"),
    ("tokens", 3, {"start": -1}, f"tokens.{BETWEEN}(start)"),
    ("entities", 1, {"label": "PERSON"}, f"entities.{IN_SET}(label)"),
    ("events", 0, {"event_type": "MEET"}, f"events.{IN_SET}(event_type)"),
    ("entities", 2, {"actor_code": "usa"}, f"entities.{REGEX}(actor_code)"),
    ("events", 1, {"cameo_code": "04a"}, f"events.{REGEX}(cameo_code)"),
    ("tokens", 4, {"token_index": 3}, "tokens.expect_compound_columns_to_be_unique(doc_id,sentence_id,token_index)"),
    ("tokens", 11, {"token_index": None}, f"tokens.{NOT_NULL}(token_index)"),
    ("tokens", 12, {"sentence_id": 999}, f"tokens.{NOT_NULL}(sentence_end)"),
    ("events", 2, {"sentence_id": 0}, f"events.{GT}(sentence_end,end)"),
    ("quotes", 0, {"sentence_id": 500}, f"quotes.{NOT_NULL}(sentence_end)"),
    ("events", 3, {"event_date": date(1850, 1, 1)}, f"events.{BETWEEN}(event_date)"),
    ("events", 4, {"event_date": date(date.today().year + 3, 1, 1)}, f"events.{BETWEEN}(event_date)"),
    ("events", 0, {"confidence": 1.5}, f"events.{BETWEEN}(confidence)"),
    ("tokens", 0, {"norm": plus("tokens", 0, "norm", "ی")}, f"tokens.{NOT_REGEX}(norm)"),  # Persian yeh
    ("tokens", 1, {"norm": plus("tokens", 1, "norm", "\u064e")}, f"tokens.{NOT_REGEX}(norm)"),  # fatha
    ("tokens", 2, {"norm": "الـعالم"}, f"tokens.{NOT_REGEX}(norm)"),  # tatweel
    ("documents", 1, {"n_chars": 5}, f"documents.{EQ}(n_chars,text_length)"),
    ("documents", 3, {"published_at": datetime(1899, 12, 31, tzinfo=timezone.utc)}, f"documents.{BETWEEN}(published_at)"),
    ("removed", 2, {"rule": None}, f"removed.{NOT_NULL}(rule)"),
]


@pytest.mark.parametrize("name,i,changes,failure", BROKEN, ids=[f"{n}-{b[3]}" for n, b in enumerate(BROKEN)])
def test_each_gate_rejects_the_broken_document(clean, name, i, changes, failure):
    part = {n: clean[n] for n in ("documents", "sources", name, *needs(TABLES[name]))}  # fewer validations
    broken = edit(part, name, i, **{k: v(clean) if callable(v) else v for k, v in changes.items()})
    doc = row(clean, name, i)["doc_id"]
    r = check(broken, RUN_ID, max_reject_share=0.5)

    rej = r.rejects.to_pylist()
    assert [x["doc_id"] for x in rej] == [doc]
    src = next(d for d in clean["documents"].to_pylist() if d["doc_id"] == doc)
    assert (rej[0]["source_id"], rej[0]["source_path"]) == (src["source_id"], src["source_path"])
    assert rej[0]["stage"] == "quality"
    assert failure in rej[0]["detail"]
    assert rej[0]["reason"].replace(":", "(", 1) + ")" in rej[0]["detail"]
    assert rej[0]["sample"] == src["text"][:200]
    for n, t in r.tables.items():  # the document is gone everywhere, every other row stays
        ids = part[n]["doc_id"].to_pylist()
        assert t["doc_id"].to_pylist() == [d for d in ids if d != doc], n
    table, rest = failure.split(".", 1)
    exp, col = rest[:-1].split("(")
    dq = next(x for x in r.dq_results.to_pylist() if (x["table"], x["expectation"], x["column"]) == (table, exp, col))
    assert not dq["success"] and dq["unexpected_count"] >= 1 and dq["observed_value"]


def test_row_without_doc_id_is_dropped_alone(clean):
    r = check(edit(clean, "entities", 3, doc_id=None), RUN_ID)
    assert r.rejects.num_rows == 0
    assert r.tables["entities"].num_rows == clean["entities"].num_rows - 1
    assert r.tables["tokens"].num_rows == clean["tokens"].num_rows
    dq = {(x["expectation"], x["column"]): x for x in r.dq_results.to_pylist() if x["table"] == "entities"}
    assert not dq[("expect_column_values_to_not_be_null", "doc_id")]["success"]


def test_every_input_record_of_a_failing_document_becomes_a_reject(clean):
    doc = row(clean, "documents", 0)
    repeat = {**row(clean, "sources", 0), "source_id": "again", "is_new": False}
    sources = pa.concat_tables([clean["sources"], pa.Table.from_pylist([repeat], schema=clean["sources"].schema)])
    r = check(edit({**clean, "sources": sources}, "events", 0, confidence=-0.1), RUN_ID)
    assert sorted((x["source_id"], x["doc_id"]) for x in r.rejects.to_pylist()) == sorted(
        [(doc["source_id"], doc["doc_id"]), ("again", doc["doc_id"])])
    assert r.tables["sources"].num_rows + r.rejects.num_rows == sources.num_rows
    assert r.rejects.schema == TABLES["rejects"].schema


def test_quarantined_records_are_never_dropped(clean):
    rejects = pa.Table.from_pylist([{"source_id": "x", "source_path": "in/x.json", "stage": "parse", "reason": "bad",
                                     "run_id": RUN_ID}], schema=TABLES["rejects"].schema)
    r = check({**clean, "rejects": rejects}, RUN_ID)
    assert r.tables["rejects"] == rejects
    stage = [x for x in r.dq_results.to_pylist() if (x["table"], x["column"]) == ("rejects", "stage")]
    assert [x["success"] for x in stage] == [True, False]  # not null, in set


def test_too_many_rejected_documents_fail_the_batch(clean):
    broken = clean
    for i in range(3):
        broken = edit(broken, "events", i, confidence=1.5)
    with pytest.raises(QualityError) as e:
        check(broken, RUN_ID, max_reject_share=0.2)
    msg = str(e.value)
    assert "3 of 5 documents (60.0%)" in msg and "max_reject_share 20%" in msg
    assert "events.expect_column_values_to_be_between(confidence) in 3 documents" in msg
    assert e.value.result.rejects.num_rows == 3
    assert pickle.loads(pickle.dumps(e.value)).result.rejects == e.value.result.rejects  # survives task runners
    assert check(broken, RUN_ID, max_reject_share=0.6).rejects.num_rows == 3


def test_tables_needing_others_say_so(clean):
    with pytest.raises(ValueError, match="tokens needs sentences"):
        check({"documents": clean["documents"], "tokens": clean["tokens"]}, RUN_ID)


def test_data_docs_and_offline_summary(clean, tmp_path):
    docs = tmp_path / "dq_docs"
    record(docs, RUN_ID, 0, check(clean, RUN_ID).validations)
    r = check(edit(clean, "entities", 1, label="PERSON"), "20260102T000000Z-def456")
    assert json.loads(json.dumps(r.validations)) == r.validations  # plain JSON: the flow needs no GX to hold it
    record(docs, "20260102T000000Z-def456", 0, r.validations)
    index = build_docs(docs)
    assert index == docs / "index.html" and not list((docs / "pending").iterdir())  # all stored
    page = index.read_text(encoding="utf-8")
    assert "http" not in page.lower() and "<script" not in page  # self-contained: readable offline
    assert "20260101T000000Z-abc123" in page and "20260102T000000Z-def456" in page
    assert "expect_column_values_to_be_in_set(label): 1 unexpected row(s) in batch <a" in page and "PERSON" in page
    links = {x.split("'")[0] for x in page.split("href='")[1:]}
    assert len(links) == 3 * len(clean) + 1  # GX's index, a suite page per table, a page per table and batch
    assert all((docs / link).is_file() for link in links)
    gx_page = next(docs / link for link in links if "/validations/entities/20260102" in link)
    assert "PERSON" in gx_page.read_text(encoding="utf-8")  # GX's page shows the unexpected value
    assert json.loads((docs / "gx" / "expectations" / "tokens.json").read_text(encoding="utf-8"))["name"] == "tokens"

    build_docs(docs, keep={"20260102T000000Z-def456"})  # e.g. the first run was killed before its commit
    page = index.read_text(encoding="utf-8")
    assert "20260101T000000Z-abc123" not in page and "20260102T000000Z-def456" in page
    assert not list(docs.rglob("*20260101T000000Z-abc123*"))
    assert "20260101T000000Z-abc123" not in (docs / SITE / "index.html").read_text(encoding="utf-8")


def test_data_docs_render_every_batch_of_a_large_run(clean, tmp_path):
    docs, r = tmp_path / "dq_docs", check(clean, RUN_ID)
    for part in range(6):  # e.g. a run of six batches, from any worker processes
        record(docs, RUN_ID, part, r.validations)
    build_docs(docs)
    pages = list((docs / SITE / "validations").rglob("*.html"))
    assert len(pages) == 6 * len(r.validations) > 40  # more than GX's index lists: all rendered anyway


def test_saved_suites_match_the_contract():
    for name, s in suites().items():
        saved = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
        assert saved == json.loads(json.dumps(s.to_json_dict(), ensure_ascii=False)), \
            f"expectations/{name}.json is stale: run python -m expectations.suites"


def test_combine_gives_one_row_per_run_table_expectation_column(clean):
    a = check(clean, RUN_ID).dq_results
    b = check(edit(clean, "events", 0, confidence=2.0), RUN_ID).dq_results
    c = combine([a, b])
    assert c.num_rows == a.num_rows and c.schema == TABLES["dq_results"].schema
    conf = next(x for x in c.to_pylist() if x["table"] == "events" and x["column"] == "confidence"
                and x["expectation"] == "expect_column_values_to_be_between")
    assert conf["success"] is False and conf["unexpected_count"] == 1 and conf["element_count"] == 10
    assert conf["observed_value"] == "[2.0]"


def test_gx_shortcuts_give_gx_own_results(clean):
    """Inside check(), each expectation's configuration is built once and plain metric ids skip
    GX's JSON conversion; GX's ids and results stay the same."""
    from great_expectations.core.id_dict import IDDict
    from great_expectations.expectations.expectation import Expectation

    from expectations.suites import frame
    from tasks.quality import _gx_shortcuts, _context, params

    prop, to_id = Expectation.configuration, IDDict.to_id
    kwargs = [IDDict(column="doc_id", batch_id="khabar-tokens", row_condition=None, n=3, ok=True),
              IDDict(column="start", value=1.5), IDDict(column_list=["doc_id", "start"], mostly=None),
              IDDict(column="x"), IDDict()]
    plain_ids = [k.to_id() for k in kwargs]
    broken = edit(edit(clean, "tokens", 3, end=row(clean, "tokens", 3)["end"] + 1), "entities", 0, label="XYZ")
    vds, p = _context(None)[1], params()

    def results(name):
        res = vds[name].run(batch_parameters={"dataframe": frame(name, broken)}, expectation_parameters=p)
        return [(r.expectation_config.type, r.expectation_config.kwargs, r.success, r.result) for r in res.results]

    plain = {n: results(n) for n in ("tokens", "entities")}
    with _gx_shortcuts():
        kept = {n: results(n) for n in ("tokens", "entities")}
        assert [k.to_id() for k in kwargs] == plain_ids
    assert kept == plain
    assert not all(ok for rs in plain.values() for _, _, ok, _ in rs)  # the failures are compared too
    assert Expectation.configuration is prop and IDDict.to_id is to_id
