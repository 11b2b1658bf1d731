"""Same document, same rows: ~1,000 SaudiNewsNet articles give identical tables (every column of every
table but run_id) on the thread runner, the process pool and Dask, each reading them in another order
and cutting other batches, over a cold and a warm analysis cache."""
import gzip
import hashlib
import json
import os
import random
import subprocess
import sys

from tasks import digest
from tasks.config import ROOT
from tests.test_failsafe import finish

N = 950  # the corpus's first articles
TWICE = 25  # and texts the corpus has twice, scraped on two days: each text's document is the earlier


def articles(shared) -> list[dict]:
    recs, by_text = [], {}
    for f in sorted((shared / "corpus/saudinewsnet").glob("*.json.gz")):
        for i, r in enumerate(json.load(gzip.open(f))):
            recs.append({"id": f"{f.name}:{i}", **r})  # the same id whatever the order
            by_text.setdefault(hashlib.sha256(r["content"].encode()).digest(), []).append(recs[-1])
    head = {r["id"] for r in recs[:N]}
    twice = [g for g in by_text.values() if len(g) == 2 and len(g[0]["content"].strip()) > 500
             and g[0]["date_extracted"] != g[1]["date_extracted"] and g[1]["id"] not in head]
    return recs[:N] + [r for g in twice[:TWICE] for r in g if r["id"] not in head]


def test_runners_orders_batches_and_cache_states_write_identical_tables(khabar_cli, shared, tmp_path):
    recs = articles(shared)
    src = tmp_path / "in" / "articles.jsonl"  # one path: the sources rows name it in every run
    src.parent.mkdir()
    # (runner, workers, batch size, analysis cache): the thread run fills cache a, the process pool
    # reads it warm, Dask starts from an empty one
    runs = [("thread", "1", "400", "a"), ("process", "2", "150", "a"), ("dask", "2", "64", "b")]
    whs = []
    for k, (runner, workers, size, cache) in enumerate(runs):
        order = list(recs)
        random.Random(k).shuffle(order)
        src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in order), encoding="utf-8")
        whs.append(tmp_path / f"wh-{runner}")
        finish(khabar_cli("run", "--input", str(src), "--warehouse", str(whs[-1]), "--runner", runner, "--workers",
                          workers, "--batch-size", size, KHABAR_CACHE_DIR=str(tmp_path / f"cache-{cache}")))
    first = digest.digest(whs[0])
    assert first["events"][0] > 1500 and first["tokens"][0] > 500_000  # the comparison covers real rows
    assert first["sources"][0] - first["documents"][0] == TWICE  # each text given twice is one document
    for wh in whs[1:]:
        assert digest.compare(whs[0], wh) == [], wh.name
    for wh in whs:  # Data Docs of the batches validated in workers, too
        assert list((wh / "dq_docs").rglob("validations/*/*/*/*.html")), wh.name


# From 4b61c0275ee9c126 (SaudiNewsNet 2015-07-24.json.gz[295]), where the process pool wrote an AID
# event the thread runner did not: mobilize.deploy and aid.provide both match وأرسل سلاح (same trigger,
# context word سلاح, window and confidence), and the candidates were a set of patterns, iterated in an
# order PYTHONHASHSEED changes per process. Of equal matches the earlier row of event_patterns.csv wins.
SENTENCE = """
from tasks.entities import entities_of
from tasks.events import events_of
from tasks.segment import process_text
text = "كان عدد الحوثيين المتسللين عبر الحدود يقدر بالمئات، وأرسل سلاح الجو السعودية طائرات حربية لوقف زحف المليشيا."
docs = [{"doc_id": "d", "text": text, "published_at": None}]
t = process_text(docs)
print([(e["event_type"], e["rule"]) for e in events_of(docs, t["sentences"], t["tokens"],
                                                       entities_of(docs, t["sentences"], t["tokens"]))[0]])
"""


def test_an_event_does_not_follow_the_hash_seed_of_its_process(tmp_path):
    out = {subprocess.run([sys.executable, "-c", SENTENCE], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": seed, "KHABAR_CACHE_DIR": str(tmp_path)}).stdout
           for seed in ("1", "2")}  # seeds that gave MOBILIZE and AID on df1a8c1
    assert len(out) == 1 and out.pop() != "[]\n"  # one event, the same whatever the seed
