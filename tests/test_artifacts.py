"""Run artifacts: figures are the run's own rows in the warehouse; both artifacts keep a history per key."""
import json
from datetime import datetime, timezone

import pytest

from flows.artifacts import EVENTS_KEY, SUMMARY_KEY, publish_artifacts, run_figures, summary_markdown
from tasks import ingest
from tasks.publish import Warehouse, new_run_id, run_row
from tasks.schema import PIPELINE_VERSION


def event(doc: dict, eid: str, kind: str, trigger: str, conf: float, mentions: int, source: str | None = None,
          target: str | None = None) -> dict:
    """An events row on real text: offsets found in the document, as the extractor must give them."""
    t, start = doc["text"], doc["text"].index(trigger)
    span = {}
    for role, s in (("source", source), ("target", target)):
        if s:
            i = t.index(s)
            span |= {f"{role}_text": s, f"{role}_start": i, f"{role}_end": i + len(s)}
    return {"event_id": ingest.doc_id(eid), "mention_id": ingest.doc_id(f"{doc['doc_id']}{start}"),
            "doc_id": doc["doc_id"], "sentence_id": 0, "event_type": kind, "trigger_text": trigger,
            "start": start, "end": start + len(trigger), "negated": False, "modality": "asserted",
            "reported_speech": False, "confidence": conf, "rule": "test", "mentions": mentions, **span}


def commit_run(wh: Warehouse, inputs: list[str], extra=lambda docs: {}) -> str:
    """Ingest `inputs` for real (documents, sources, rejects), add `extra(docs)` tables, commit."""
    rid, found = new_run_id(), list(ingest.discover(inputs))
    items = [i for i in found if isinstance(i, ingest.Item)]
    items += ingest.read_files([p for p in found if not isinstance(p, ingest.Item)], ingest.load_fields())
    docs, sources, rejects = ingest.admit(items, wh.seen())
    tables = {"documents": [{**d, "pipeline_version": PIPELINE_VERSION} for d in docs], "sources": sources,
              "rejects": rejects, **extra(docs)}
    for part, (t, rows) in enumerate(tables.items()):
        wh.stage(rid, t, rows, part)
    counts = {"records": len(items), "documents": len(docs), "sources": len(sources), "rejects": len(rejects)}
    wh.commit(rid, run_row(datetime.now(timezone.utc), inputs, counts, PIPELINE_VERSION))
    wh.write_views()
    return rid


def second_run_tables(docs: list[dict]) -> dict[str, list[dict]]:
    by_name = {d["source_path"].rsplit("/", 1)[-1][:3]: d for d in docs}
    d2, d3, d4 = by_name["002"], by_name["003"], by_name["004"]
    return {
        "events": [
            event(d2, "call", "CONSULT", "اتصال هاتفي", 0.9, 2, "بلينكن", "لافروف"),
            event(d4, "call", "CONSULT", "محادثات", 0.6, 2),
            event(d3, "deal", "AGREE", "اتفاق", 0.8, 1),
            event(d2, "sanction", "SANCTION", "عقوبات", 0.5, 1),
        ],
        "dq_results": [{"table": "documents", "expectation": e, "column": "doc_id", "success": ok}
                       for e, ok in (("not_null", True), ("unique", True), ("regex", True), ("length", False))],
    }


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, seed_paths):
    tmp = tmp_path_factory.mktemp("artifacts")
    (tmp / "blank.txt").write_text("  \n", encoding="utf-8")
    wh = Warehouse(tmp / "wh")
    first = commit_run(wh, [str(p) for p in seed_paths[:2]])
    second = commit_run(wh, [str(p) for p in seed_paths[2:]] + [str(tmp / "blank.txt"), str(tmp / "gone.txt")],
                        second_run_tables)
    return wh.root, first, second


def test_figures_count_only_the_runs_own_rows(warehouse):
    root, first, second = warehouse
    a, b = run_figures(root, first), run_figures(root, second)
    assert a["counts"] == {"documents": 2, "sentences": 0, "tokens": 0, "entities": 0, "events": 0, "quotes": 0}
    assert (a["rejects"], a["events_by_type"], a["checks"], a["top_events"]) == ([], [], 0, [])
    assert b["counts"]["documents"] == 3 and b["counts"]["events"] == 4 and b["run"]["records"] == 5
    assert b["rejects"] == [("ingest", "empty", 1), ("ingest", "missing", 1)]
    assert b["events_by_type"] == [("CONSULT", 2), ("AGREE", 1), ("SANCTION", 1)]
    assert (b["checks"], b["passed"]) == (4, 3)
    top = b["top_events"]  # one row per event_id, its most confident mention; most mentioned first
    assert [(e["event_type"], e["mentions"], e["trigger_text"]) for e in top] == [
        ("CONSULT", 2, "اتصال هاتفي"), ("AGREE", 1, "اتفاق"), ("SANCTION", 1, "عقوبات")]
    assert (top[0]["source_text"], top[0]["target_text"]) == ("بلينكن", "لافروف")
    with pytest.raises(ValueError, match="not committed"):
        run_figures(root, new_run_id())


def test_summary_markdown_shows_every_figure(warehouse):
    root, first, second = warehouse
    md = summary_markdown(run_figures(root, second), {"seconds": 4.2, "stage_seconds": {"read": 0.31, "commit": 0.2}})
    for line in (f"# khabar run `{second}`", "| input records | 5 |", "| new documents | 3 |", "| rejects | 2 |",
                 "| sentences | 0 |", "| tokens | 0 |", "| entities | 0 |", "| events | 4 |",
                 "| quality pass rate | 75.0 % (3 of 4 checks) |", "| ingest | empty | 1 |", "| ingest | missing | 1 |",
                 "| CONSULT | 2 |", "| read | 0.31 |", "| whole run | 4.2 |", "## Inputs (5)"):
        assert line in md.splitlines(), line
    empty = summary_markdown(run_figures(root, first), {"seconds": 1.0})
    assert "No events (0)." in empty and "no checks ran (0)" in empty and "No rejects (0)." in empty


def test_published_artifacts_keep_a_history_per_key(prefect_api, warehouse):
    from prefect import flow, get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    root, first, second = warehouse
    publish = flow(name="publish")(publish_artifacts)  # as the khabar flow calls it: inside a flow run
    publish({"seconds": 1.0}, root, first)
    publish({"seconds": 2.0, "stage_seconds": {"read": 0.5}}, root, second)
    with get_client(sync_client=True) as c:
        def history(key):
            return c.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                    sort=ArtifactSort.CREATED_DESC)
        summaries, tables = history(SUMMARY_KEY), history(EVENTS_KEY)
    assert [a.type for a in summaries[:2]] == ["markdown"] * 2 and [a.type for a in tables[:2]] == ["table"] * 2
    assert f"`{second}`" in summaries[0].data and f"`{first}`" in summaries[1].data
    rows = json.loads(tables[0].data)
    assert [r["event_type"] for r in rows] == ["CONSULT", "AGREE", "SANCTION"]
    assert rows[0]["trigger_text"] == "اتصال هاتفي" and rows[0]["event_date"] is None
    assert json.loads(tables[1].data) == []
    assert summaries[0].flow_run_id and summaries[0].flow_run_id == tables[0].flow_run_id
