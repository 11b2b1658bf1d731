"""The flow end to end on real inputs: seeds plus eval records plus bad files, then a re-run."""
import json
import logging
import os
import re
import shlex
import subprocess
import sys

import duckdb
import pytest

from flows.params import RunParams
from flows.pipeline import AUTO_PROCESS_BYTES, choose_runner, khabar
from flows.tally import batch_cut
from tasks import ingest
from tasks.config import ROOT
from tests.conftest import read_jsonl
from tests.test_failsafe import assert_every_source_has_its_document


def q(wh, sql):
    with duckdb.connect(str(wh / "khabar.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_flow_writes_contract_tables_and_rerun_adds_nothing(prefect_api, tmp_path, seed_paths, shared):
    recs = read_jsonl(shared / "eval/ner_aqmar_dev.jsonl")[:20]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ner.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n{bad",
                                               encoding="utf-8")
    (tmp_path / "in" / "empty.txt").write_text("   ", encoding="utf-8")
    inputs = [str(p) for p in seed_paths] + [str(tmp_path / "in"), str(tmp_path / "nothing*.json")]
    wh = tmp_path / "wh"
    first = khabar(inputs=inputs, warehouse=str(wh), batch_size=7)
    n_unique = len({r["text"] for r in recs})
    assert first["sources"] == 5 + len(recs) and first["rejects"] == 3
    assert q(wh, "select count(*) from documents where parent_doc_id is null")[0][0] == 5 + n_unique
    assert q(wh, "select count(*) from documents")[0][0] == first["documents"]  # plus split-off articles
    assert sorted(r[0] for r in q(wh, "select reason from rejects")) == ["empty", "malformed_json", "missing"]
    by_id = dict(q(wh, "select source_id, doc_id from sources"))
    assert {r["id"] for r in recs} <= set(by_id)  # every record's own id is traceable to its document
    texts = dict(q(wh, "select doc_id, text from documents"))
    assert all(texts[by_id[r["id"]]] == r["text"] for r in recs)  # text is the raw input text
    assert q(wh, "select count(distinct run_id), min(pipeline_version) from documents")[0][0] == 1
    assert_every_source_has_its_document(wh)

    second = khabar(inputs=inputs, warehouse=str(wh))
    assert not (second.get("documents") or second.get("sources") or second.get("rejects"))
    assert q(wh, "select count(*) from sources")[0][0] == first["sources"]
    assert q(wh, "select status from runs order by started_at") == [("completed",), ("nothing_new",)]
    # every record read is accounted for, in both runs (the second's are all in the first's rows)
    assert q(wh, "select accounted from runs order by started_at") == [(first["sources"] + first["rejects"],)] * 2


def test_an_article_glued_to_several_parents_is_one_document(prefect_api, tmp_path, seed_paths):
    """Batches run apart, so two of them may split off the same article: the flow keeps one."""
    text = seed_paths[0].read_text(encoding="utf-8")  # carries a glued second article
    for name, head in (("a", ""), ("b", "عنوان آخر للخبر نفسه\n"), ("c", "عنوان ثالث للخبر نفسه\n")):
        (tmp_path / f"{name}.txt").write_text(head + text, encoding="utf-8")
    wh = tmp_path / "wh"
    kids = "select count(*), count(distinct doc_id), count(distinct text) from documents where parent_doc_id is not null"
    first = khabar(inputs=[str(tmp_path / "a.txt"), str(tmp_path / "b.txt")], warehouse=str(wh), batch_size=1)
    assert first["documents"] == 3 and q(wh, kids) == [(1, 1, 1)]
    assert q(wh, "select count(*) = count(distinct (doc_id, sentence_id, token_index)) from tokens") == [(True,)]
    assert q(wh, "select count(distinct doc_id) from tokens") == [(3,)]
    second = khabar(inputs=[str(tmp_path / f"{n}.txt") for n in "abc"], warehouse=str(wh), batch_size=1)
    assert second["documents"] == 1 and second["admitted"] == 1 and q(wh, kids) == [(1, 1, 1)]
    assert_every_source_has_its_document(wh)


def test_batches_are_cut_by_documents_and_by_characters(seed_paths):
    docs = [{"text": p.read_text(encoding="utf-8")} for p in seed_paths]
    n = [len(d["text"]) for d in docs]
    assert batch_cut(docs, 2, 10**9) == 2
    assert batch_cut(docs, 10, 10**9) == 0  # not a full batch yet: more documents, or the final flush
    assert batch_cut(docs, 10, n[0] + n[1] + n[2]) == 3
    assert batch_cut(docs, 10, n[0] + n[1] + n[2] - 1) == 2
    assert batch_cut(docs, 10, n[0] - 1) == 1  # an article longer than a batch goes alone


def test_batch_limits_and_workers_must_be_over_zero(prefect_api, tmp_path, seed_paths):
    from prefect.exceptions import ParameterTypeError

    with pytest.raises(ParameterTypeError, match="greater than 0"):
        khabar(inputs=[str(seed_paths[0])], warehouse=str(tmp_path / "wh"), batch_size=0)
    assert not (tmp_path / "wh").exists()
    cli = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--batch-chars", "0"], capture_output=True,
                         text=True, cwd=ROOT)
    assert cli.returncode == 2 and "--batch-chars: Input should be greater than 0" in cli.stderr


def test_the_cli_without_a_server_runs_on_a_temporary_one_and_ends_cleanly(tmp_path, seed_paths):
    """`make run`'s path: no Prefect API given, so the CLI starts a temporary server, and the run's
    last logs reach it before it stops (no "Error logging to API" after the summary)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    out = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--input", str(seed_paths[0]), "--warehouse",
                          str(tmp_path / "wh"), "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1])["documents"] >= 1
    assert "Error logging to API" not in out.stdout + out.stderr, out.stderr[-3000:]
    # quiet but for INFO records and the second line of Prefect's notice of its temporary server
    noise = [line for line in out.stderr.splitlines() if not RECORD.match(line)]
    assert noise == ["See https://docs.prefect.io/v3/concepts/server#how-to-guides for more information on running "
                     "a dedicated Prefect server."], "\n".join(noise[:20])


def test_the_flow_process_imports_no_stage_library():
    """GX, pandas and camel-tools load where batches run: the flow's process stays small."""
    code = ("import sys, flows.cli, flows.pipeline, flows.deploy; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'great_expectations', 'pandas', 'camel_tools'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_a_record_lost_between_read_and_staging_fails_the_run_and_publishes_nothing(prefect_api, tmp_path,
                                                                                   seed_paths, monkeypatch):
    admit = ingest.admit

    def losing(items, seen):  # a bug that drops the first sources row
        docs, sources, rejects = admit(items, seen)
        return docs, sources[1:], rejects

    monkeypatch.setattr(ingest, "admit", losing)
    wh = tmp_path / "wh"
    with pytest.raises(ingest.LostRecords, match=rf"{seed_paths[0]}: 1 read, 0 accounted, lost \['{seed_paths[0]}'\]"):
        khabar(inputs=[str(p) for p in seed_paths[:3]], warehouse=str(wh))
    assert not list(wh.glob("runs/*.parquet")) and not list(wh.glob("documents/*.parquet"))


def test_runner_auto_takes_threads_for_small_inputs_and_the_process_pool_for_large_ones(seed_paths, shared, caplog):
    log = logging.getLogger("khabar-test")
    big = shared / "corpus" / "saudinewsnet" / "2015-07-23.json.gz"  # 1,318 articles in 1.1 MB of gzip
    assert sum(p.stat().st_size for p in seed_paths) < AUTO_PROCESS_BYTES < ingest.text_bytes(big)
    with caplog.at_level(logging.INFO, logger="khabar-test"):
        assert choose_runner(RunParams(inputs=[str(p) for p in seed_paths]), log) == "thread"
        assert choose_runner(RunParams(inputs=[str(big)]), log) == "process"
        assert choose_runner(RunParams(inputs=[str(big)], runner="dask"), log) == "dask"  # a choice given stays
    assert [r.getMessage().split(",")[0] for r in caplog.records] == ["runner auto: thread", "runner auto: process"]
    assert "over AUTO_PROCESS_BYTES" in caplog.records[1].getMessage()


# A successful command's stderr holds only INFO log records (Prefect's own, the flow's, and its libraries'
# through Prefect's handler), one line each; nothing else: no warning, no traceback, no leak report.
RECORD = re.compile(r"\d\d:\d\d:\d\d\.\d{3} \| INFO    \| ")


def test_run_and_report_end_cleanly_with_a_summary_for_people(prefect_api, tmp_path, seed_paths):
    """Each run starts from an empty analysis cache, so the camel-tools database loads (in the run's
    process for threads, in each worker for the pool): its frozen GC once left duckdb's objects alive
    at exit, and nanobind printed a screen of 'leaked instance' lines."""
    from prefect.settings import PREFECT_API_URL

    def khabar_cmd(*args: str, cache: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "KHABAR_CACHE_DIR": str(tmp_path / cache)}
        done = subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    for runner in ("auto", "process"):
        wh = tmp_path / f"wh-{runner}"
        run = khabar_cmd("run", "--input", *map(str, seed_paths), "--warehouse", str(wh), "--runner", runner,
                         "--workers", "1", cache=f"cache-{runner}")
        noise = [line for line in run.stderr.splitlines() if not RECORD.match(line)]
        assert not noise, "\n".join(noise[:20])
        assert "runner auto: thread" in run.stderr if runner == "auto" else "runner auto" not in run.stderr
        docs, events = q(wh, "select (select count(*) from documents), (select count(*) from events)")[0]
        table = dict(re.findall(r"^  (\w[\w ]*\w)  +(\S+)$", run.stdout, re.M))
        assert (table["input records"], table["new documents"], table["events"]) == ("5", str(docs), str(events))
        assert re.search(rf"^warehouse: {re.escape(str(wh))}$", run.stdout, re.M)
        query = shlex.split(re.search(r"^query it:  (.+)$", run.stdout, re.M)[1])
        counted = subprocess.run([*query, "-csv", "-noheader", "select count(*) from documents"], capture_output=True,
                                 text=True, check=True)
        assert counted.stdout.strip() == str(docs)  # the printed command opens this warehouse
    report = khabar_cmd("report", "--warehouse", str(wh), "--out", str(tmp_path / "report.html"), cache="cache-report")
    assert report.stderr == "" and (tmp_path / "report.html").stat().st_size > 0
