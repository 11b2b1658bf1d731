import tempfile
from pathlib import Path

import pytest

from tasks.clean import clean, load_rules
from tasks.normalize import normalize
from tasks.ingest import doc_id
from tasks.segment import process_text

CACHE = Path(tempfile.gettempdir()) / "khabar-test-cache"

BOILERPLATE = [
    "إقرأ المزيد", "إقرأ أيضاً", "كلمات دلالية", "المصدر:", "المصدر :", "مقالات مشابهة", "•",
    "An error occurred", "Scholz Receives", "(غيتي)", "(مواقع التواصل)", "صورة نشرتها",
    "author", "Abdul Rahman", "لحم الخنزير", "Similar Posts", "اترك تعليقاً", "بريدك الإلكتروني",
    "هذة القصة تم تحديثها", "في هذا التقرير",
]


@pytest.fixture(scope="module")
def seeds(seed_paths):
    docs = [{"doc_id": doc_id(t), "text": t, "source_id": p.name, "source_path": str(p), "title": None,
             "n_chars": len(t), "pipeline_version": "0.1.0"}
            for p in seed_paths for t in [p.read_text("utf-8")]]
    return docs, process_text(docs, CACHE)


def _rules_by_doc(out):
    by = {}
    for r in out["removed"]:
        by.setdefault(r["doc_id"], []).append(r["rule"])
    return by


def test_seeds_come_out_without_boilerplate(seeds):
    docs, out = seeds
    for s in out["sentences"]:
        for b in BOILERPLATE:
            assert b not in s["text"], (b, s["text"])
    rules = _rules_by_doc(out)
    assert sorted(rules[docs[0]["doc_id"]]) == sorted(
        ["read_more", "read_more", "source", "source", "tags", "read_also_article"])
    assert sorted(rules[docs[1]["doc_id"]]) == ["embed_error", "embed_error", "source"]
    assert sorted(rules[docs[2]["doc_id"]]) == [
        "caption_credit", "caption_credit", "caption_photo", "latin_line", "source"]
    assert docs[3]["doc_id"] not in rules  # a clean page
    assert sorted(rules[docs[4]["doc_id"]]) == ["author_box", "contributed", "story_updated"]


def test_removed_rows_point_into_the_raw_text(seeds):
    docs, out = seeds
    texts = {d["doc_id"]: d["text"] for d in docs + out["documents"]}
    for r in out["removed"]:
        assert 0 <= r["start"] < r["end"] <= len(texts[r["doc_id"]])
        assert texts[r["doc_id"]][r["start"]:r["end"]] == r["text"]
    bio = next(r for r in out["removed"] if r["rule"] == "author_box")
    assert bio["text"].startswith("author") and bio["text"].endswith("مشار إليها بـ *")


def test_glued_article_becomes_a_child_document(seeds):
    docs, out = seeds
    parent = docs[0]
    (child,) = out["documents"]
    assert child["parent_doc_id"] == parent["doc_id"]
    assert child["text"].startswith("مفاوضات سلام محتملة بين روسيا وأوكرانيا")
    assert parent["text"][child["parent_offset"]:child["parent_offset"] + len(child["text"])] == child["text"]
    assert child["doc_id"] == doc_id(child["text"]) and child["n_chars"] == len(child["text"])
    assert child["source_id"] == parent["source_id"] and child["pipeline_version"] == parent["pipeline_version"]
    # the parent's sentences stop before "إقرأ أيضاً:", the child has the rest (its related list removed)
    cut = parent["text"].index("إقرأ أيضاً:")
    assert all(s["end"] <= cut for s in out["sentences"] if s["doc_id"] == parent["doc_id"])
    kids = [s for s in out["sentences"] if s["doc_id"] == child["doc_id"]]
    assert kids[0]["kind"] == "headline" and kids[0]["text"].startswith("مفاوضات سلام")
    assert kids[-1]["text"].startswith("وقد استُخدم هذا الصاروخ")
    assert _rules_by_doc(out)[child["doc_id"]] == ["related"]


def test_a_glued_article_already_at_hand_is_not_split_off_again(seeds):
    docs, out = seeds
    (child,) = out["documents"]
    alone = {**docs[0], "doc_id": child["doc_id"], "text": child["text"], "n_chars": child["n_chars"]}
    again = process_text([docs[0], alone], CACHE)  # the same article as a record of its own
    assert not again["documents"]
    assert not process_text([docs[0]], CACHE, known={child["doc_id"]})["documents"]  # e.g. in the same batch
    keys = [(t["doc_id"], t["sentence_id"], t["token_index"]) for t in again["tokens"]]
    assert len(keys) == len(set(keys)) and {k[0] for k in keys} == {docs[0]["doc_id"], child["doc_id"]}


def _clean(text):
    norm, starts, ends = normalize(text)
    return clean("0" * 16, text, norm, starts, ends)


def test_read_also_followed_by_links_only_is_removed():
    text = "قال الوزير إن المحادثات ستستمر.\n\nاقرأ أيضا:\nروسيا تعلن\nأوكرانيا ترد"
    c = _clean(text)
    assert c.child_at is None
    (r,) = c.removed
    assert r["rule"] == "read_also_article" and r["text"] == text[text.index("اقرأ"):]
    assert len(c.lines) == 1


def test_rules_match_the_clean_form_of_a_line():
    c = _clean("المصدر\u00a0:  رويترز\nنص الخبر هنا.\nكلمـات دلالية: أ ب")  # NBSP, tatweel
    assert [r["rule"] for r in c.removed] == ["source", "tags"]


def test_rule_file_scopes_are_checked(tmp_path):
    bad = tmp_path / "rules.csv"
    bad.write_text("rule,pattern,scope,reason\nx,^foo,page,oops\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown scope"):
        load_rules(bad)
    assert {r.scope for r in load_rules()} == {"line", "rest", "split"}
