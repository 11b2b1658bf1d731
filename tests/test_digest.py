"""tasks.digest: warehouses with the same rows (any order, parts or run ids) digest alike; a changed
value is named with its row."""
from datetime import datetime, timezone

from tasks import digest
from tasks.ingest import doc_id
from tasks.publish import Warehouse, new_run_id, run_row
from tasks.schema import PIPELINE_VERSION


def warehouse(root, docs: list[list[dict]]) -> Warehouse:
    """One committed run whose documents come in the given parts."""
    wh, rid = Warehouse(root), new_run_id()
    for part, rows in enumerate(docs):
        wh.stage(rid, "documents", rows, part)
    wh.commit(rid, run_row(datetime.now(timezone.utc), ["x"], {"documents": sum(map(len, docs))}, PIPELINE_VERSION))
    wh.write_views()
    return wh


def test_same_rows_in_another_order_digest_alike_and_a_changed_value_is_named(tmp_path, seed_paths, capsys):
    texts = [p.read_text(encoding="utf-8") for p in seed_paths[:3]]
    rows = [{"doc_id": doc_id(t), "source_id": f"s{i}", "source_path": "p", "text": t, "n_chars": len(t),
             "title": t.splitlines()[0], "pipeline_version": PIPELINE_VERSION} for i, t in enumerate(texts)]
    a = warehouse(tmp_path / "a", [rows])
    b = warehouse(tmp_path / "b", [rows[2:], rows[:2][::-1]])  # other parts, order and run_id
    changed = [dict(r) for r in rows]
    changed[1]["title"] = "عنوان آخر"
    c = warehouse(tmp_path / "c", [changed])

    da = digest.digest(a.root)
    assert da["documents"][0] == 3 and da["documents"] != digest.digest(c.root)["documents"]
    assert da == digest.digest(b.root) and digest.compare(a.root, b.root) == []
    (line,) = digest.compare(a.root, c.root)
    assert line.startswith("documents: 3 vs 3 rows;") and f'"doc_id": "{rows[1]["doc_id"]}"' in line
    assert '"side": "only in first"' in line and rows[1]["title"] in line

    assert digest.main([str(a.root), str(b.root)]) == 0 and capsys.readouterr().out == "tables identical\n"
    assert digest.main([str(a.root), str(c.root)]) == 1 and "عنوان آخر" not in capsys.readouterr().out
