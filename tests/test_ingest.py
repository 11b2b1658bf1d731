"""Ingest: formats, encodings, field mapping, dedup and every reject path, on real Arabic text."""
import gzip
import json
import os
from pathlib import Path

import pytest

from tasks import ingest
from tasks.ingest import GZ_RATIO, Seen, admit, discover, file_groups, load_fields, read_items
from tests.conftest import read_jsonl

FIELDS = load_fields()


@pytest.fixture(scope="module")
def article(seed_paths) -> str:
    return seed_paths[1].read_text(encoding="utf-8")


def items(*paths):
    out = []
    for p in discover([str(x) for x in paths]):
        out += [p] if isinstance(p, ingest.Item) else list(read_items(p, FIELDS))
    return out


def only(its, kind="doc"):
    assert len(its) == 1, its
    assert its[0].kind == kind, its[0].row
    return its[0].row


@pytest.mark.parametrize("suffix,encode,enc", [
    (".txt", lambda t: t.encode("utf-8"), "utf-8"),
    (".txt", lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), "utf-8-sig"),
    (".txt", lambda t: t.encode("utf-16"), "utf-16"),
    (".txt", lambda t: t.encode("utf-16-be").join([b"\xfe\xff", b""]), "utf-16"),
    (".txt", lambda t: t.encode("cp1256", errors="ignore"), "windows-1256"),
    (".txt.gz", lambda t: gzip.compress(t.encode("utf-8")), "utf-8"),
])
def test_txt_encodings_decode_to_the_same_text(tmp_path, article, suffix, encode, enc):
    text = article if enc != "windows-1256" else article.encode("cp1256", errors="ignore").decode("cp1256")
    p = tmp_path / f"a{suffix}"
    p.write_bytes(encode(article))
    row = only(items(p))
    assert row["text"] == text
    assert row["encoding"] == enc
    assert row["doc_id"] == ingest.doc_id(text)
    assert row["source_id"] == str(p)
    assert row["title"] == "بلينكن يلتقي لافروف الأسبوع المقبل.. وبايدن: لن نرسل قوات للقتال في أوكرانيا"


def test_json_array_object_and_jsonl_with_field_mapping(tmp_path, shared):
    recs = [json.loads(line) for line in open(shared / "eval/events_dev.jsonl", encoding="utf-8")][:3]
    saudi = json.load(gzip.open(next((shared / "corpus/saudinewsnet").glob("*.json.gz"))))[:2]
    (tmp_path / "a.json").write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "one.json").write_text(json.dumps(recs[0], ensure_ascii=False), encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs), encoding="utf-8")
    (tmp_path / "c.json.gz").write_bytes(gzip.compress(json.dumps(saudi, ensure_ascii=False).encode()))
    arr, one, jl, sa = (items(tmp_path / n) for n in ("a.json", "one.json", "b.jsonl", "c.json.gz"))
    assert [i.row["source_id"] for i in arr] == [r["id"] for r in recs]  # the record's own id is kept
    assert [i.row["text"] for i in jl] == [r["text"] for r in recs]
    assert only(one)["source_id"] == recs[0]["id"]
    assert arr[0].row["outlet"] == "arabic_event_gsr"
    # SaudiNewsNet: content/title/url/source/date_extracted, no id -> path[position]
    assert [i.row["text"] for i in sa] == [r["content"] for r in saudi]
    assert sa[1].row["source_id"] == f"{tmp_path / 'c.json.gz'}[1]"
    assert sa[0].row["title"] == saudi[0]["title"] and sa[0].row["url"] == saudi[0]["url"]
    assert sa[0].row["published_at"].isoformat().startswith(saudi[0]["date_extracted"].replace(" ", "T"))


def test_html_main_text_without_navigation_or_scripts(tmp_path, article):
    paras = [p for p in article.split("\n") if len(p) > 80][:3]
    html = ("<html><head><title>خبر</title><script>var tracking = 'x';</script></head><body>"
            "<nav><a href='/'>الرئيسية</a> | <a href='/sport'>رياضة</a></nav><article><h1>خبر</h1>"
            + "".join(f"<p>{p}</p>" for p in paras) + "</article><footer>جميع الحقوق محفوظة</footer></body></html>")
    p = tmp_path / "page.html"
    p.write_text(html, encoding="utf-8")
    row = only(items(p))
    assert all(para in row["text"] for para in paras)
    assert "tracking" not in row["text"] and "الرئيسية" not in row["text"]


def test_dedup_same_article_from_two_files_and_two_encodings(tmp_path, article):
    (tmp_path / "a.txt").write_text(article, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(article.encode("utf-16"))
    seen = Seen(set(), set(), set())
    docs, sources, rejects = admit(items(tmp_path), seen)
    assert len(docs) == 1 and len(sources) == 2 and not rejects
    assert [s["is_new"] for s in sources] == [True, False]
    assert sources[0]["doc_id"] == sources[1]["doc_id"] == docs[0]["doc_id"]
    again = admit(items(tmp_path), seen)  # same records again: nothing new at all
    assert again == ([], [], [])


def test_a_text_several_records_give_is_the_earliest_ones_document_whatever_the_order(tmp_path, article):
    """SaudiNewsNet has 543 texts scraped on two or more days: the document is the earliest record,
    also when a later one is read first; the other records are sources rows (is_new false)."""
    recs = [{"id": "late", "content": article, "date": "2015-07-22 10:00:00", "title": "ب"},
            {"id": "early", "content": article, "date": "2015-07-21 09:00:00", "title": "أ"},
            {"id": "undated", "content": article, "title": "ج"}]
    runs = []
    for order in ([0, 1, 2], [2, 1, 0], [1, 0, 2]):
        src = tmp_path / "in.jsonl"  # the same path and ids each time: only the order differs
        src.write_text("\n".join(json.dumps(recs[i], ensure_ascii=False) for i in order), encoding="utf-8")
        seen = Seen(set(), set(), set())
        seen.firsts = ingest.firsts(ingest.ranks([src], FIELDS))
        docs, sources, _ = admit(items(src), seen)
        more, rest = ingest.settle(seen)
        assert not more and seen.others == {}
        runs.append((docs, sorted((s["source_id"], s["is_new"]) for s in sources + rest)))
    assert all(r == runs[0] for r in runs)
    (doc,), sources = runs[0]
    assert doc["source_id"] == "early" and doc["title"] == "أ" and doc["published_at"].day == 21
    assert sources == [("early", True), ("late", False), ("undated", False)]


def test_a_chosen_record_that_never_comes_leaves_the_next_one_the_document(tmp_path, article):
    """Should the chosen record be gone when the files are read (changed after `ranks`), the least of
    the others is the document: a text is never lost."""
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"id": i, "content": article, "date": d}) for i, d in
                             (("b", "2015-07-23"), ("a", "2015-07-22"))), encoding="utf-8")
    seen = Seen(set(), set(), set())
    seen.firsts = {ingest.doc_id(article): ("gone", str(src))}
    assert admit(items(src), seen)[:2] == ([], [])
    (doc,), sources = ingest.settle(seen)
    assert doc["source_id"] == "a" and sorted((s["source_id"], s["is_new"]) for s in sources) == [("a", True), ("b", False)]


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\t \r\n", "empty"),
    ("english.txt", b"The quick brown fox jumps over the lazy dog. " * 20, "not_arabic"),
    ("bin.txt", bytes(range(256)) * 40, "binary"),
    ("latin1.txt", "Ça coûte très cher à Montréal, déjà vu ".encode("latin-1") * 10, "undecodable"),
    ("bad.json", b'{"text": "\xd9\x82\xd8\xa7\xd9\x84", ', "malformed_json"),
    ("bad.json.gz", b"\x1f\x8b\x08\x00 not really gzip", "corrupt_gzip"),
    ("num.json", b'{"id": 1, "text": 42}', "wrong_type"),
    ("list.json", b'[1, 2]', "wrong_type"),
    ("notext.json", b'{"id": "x", "headline": "h"}', "no_text"),
    ("page.html", b"<html><head><script>var a=1;</script></head><body><img src='a.png'></body></html>", "empty"),
    ("data.xml", b"<a/>", "unsupported_format"),
])
def test_reject_paths(tmp_path, name, content, reason):
    p = tmp_path / name
    p.write_bytes(content)
    its = items(p)
    assert {i.kind for i in its} == {"reject"}, its
    assert {i.row["reason"] for i in its} == {reason}
    assert all(i.row["stage"] == "ingest" and i.row["detail"] for i in its)


def test_the_arabic_share_is_of_letters_not_characters(article):
    """Digits and punctuation do not count against an article; Latin letters do, down to 20% Arabic
    letters when there are at least 300 of them (pages with scraped script junk)."""
    fields, n = load_fields(), len(ingest.ARABIC.findall(article))
    padded = article + " 0.1-2" * len(article)  # Arabic: under a tenth of the characters
    assert n >= 300 and ingest.to_document({"text": padded}, fields)["n_chars"] == len(padded)
    assert ingest.to_document({"text": article + " x" * (3 * n)}, fields)["text"].startswith(article)  # ~25%
    with pytest.raises(ingest.Bad) as e:
        ingest.to_document({"text": article + " x" * (5 * n)}, fields)  # ~17%
    assert e.value.reason == "not_arabic" and "letters are Arabic" in str(e.value)


def test_jsonl_bad_lines_are_rejected_one_by_one(tmp_path, article):
    good = json.dumps({"id": "ok", "text": article}, ensure_ascii=False)
    p = tmp_path / "m.jsonl"
    p.write_text("\n".join([good, "{broken", '{"id": "n", "text": null}', '"just a string"']), encoding="utf-8")
    its = items(p)
    assert [i.kind for i in its] == ["doc", "reject", "reject", "reject"]
    assert [i.row.get("reason") for i in its[1:]] == ["malformed_json", "no_text", "wrong_type"]
    assert its[1].row["source_id"] == f"{p}:2"


def test_truncated_utf8_keeps_the_complete_text(tmp_path, article):
    p = tmp_path / "t.txt"
    p.write_bytes(article.encode("utf-8")[:-1])  # cut inside the last (Arabic, 2-byte) character
    row = only(items(p))
    assert article.startswith(row["text"]) and len(row["text"]) == len(article) - 1
    assert "truncated" in row["encoding"]


def test_paths_globs_folders_symlink_loops_and_folders_named_like_files(tmp_path, article):
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "a.txt").write_text(article, encoding="utf-8")
    (d / "looks_like.txt").mkdir()
    (d / "looks_like.txt" / "b.txt").write_text(article + " ", encoding="utf-8")
    os.symlink(d, d / "sub" / "loop")
    os.symlink(tmp_path / "nowhere", d / "dangling.txt")
    its = items(d, tmp_path / "missing.txt", tmp_path / "in" / "**" / "a.txt")
    docs = [i for i in its if i.kind == "doc"]
    reasons = sorted(i.row["reason"] for i in its if i.kind == "reject")
    assert [x.row["source_id"] for x in docs] == [str(d / "looks_like.txt" / "b.txt"), str(d / "sub" / "a.txt")]
    # a.txt once, though the folder walk and the glob both reach it; b.txt inside the folder named like a file
    assert reasons == ["missing", "missing", "symlink_loop"]


def test_shared_corpus_every_record_accounted(shared):
    """All 31,030 SaudiNewsNet records become documents or rejects; the 354 empty ones are rejects."""
    seen = Seen(set(), set(), set())
    n_docs = n_sources = 0
    rejects = []
    paths = sorted((shared / "corpus/saudinewsnet").glob("*.json.gz"))
    for p in paths:
        docs, sources, rej = admit(read_items(p, FIELDS), seen)
        n_docs, n_sources, rejects = n_docs + len(docs), n_sources + len(sources), rejects + rej
    assert n_sources + len(rejects) == 31030
    assert sum(r["reason"] == "empty" for r in rejects) == 354
    assert n_docs <= n_sources


def test_a_large_input_is_read_a_few_files_at_a_time(shared):
    files = sorted((shared / "corpus" / "saudinewsnet").glob("*.json.gz"))
    groups = list(file_groups(files))
    assert [p for g in groups for p in g] == files and len(groups) > 1  # never the whole corpus at once
    assert all(sum(p.stat().st_size for p in g) * GZ_RATIO <= 16 * 2**20 or len(g) == 1 for g in groups)


SEPARATORS = ("\u2028", "\u2029", "\u0085")  # Unicode line breaks that do not end a JSON Lines record


def separated_records(shared, n=60) -> list[dict]:
    """Real plover_dev sentences with a raw Unicode separator (and an escaped control character in
    every fourth) inside the text; JSON keeps the separators raw with ensure_ascii=False."""
    recs = read_jsonl(shared / "eval/plover_dev.jsonl")[:n]
    out = []
    for i, r in enumerate(recs):
        words = r["text"].split(" ")
        mid = len(words) // 2
        text = " ".join(words[:mid]) + SEPARATORS[i % 3] + " ".join(words[mid:])
        out.append({"id": f"sep{i}", "text": text + ("\x1c\x0b" if i % 4 == 0 else "")})
    return out


def test_jsonl_keeps_unicode_separators_and_a_broken_line_costs_only_itself(tmp_path, shared):
    recs = separated_records(shared)
    lines = [json.dumps(r, ensure_ascii=False) for r in recs]
    assert all(s in "".join(lines) for s in SEPARATORS) and "\\u001c" in lines[0]  # raw separators, escaped controls
    lines.insert(30, '{"id": "broken", "text": "')
    p = tmp_path / "sep.jsonl"
    p.write_bytes("\r\n".join(lines).encode("utf-8"))  # CRLF tolerated
    its = items(p)
    docs = [i.row for i in its if i.kind == "doc"]
    rejects = [i.row for i in its if i.kind == "reject"]
    assert [d["text"] for d in docs] == [r["text"] for r in recs]
    assert [d["source_id"] for d in docs] == [r["id"] for r in recs]
    assert [(r["reason"], r["source_id"]) for r in rejects] == [("malformed_json", f"{p}:31")]
    assert "line 31" in rejects[0]["detail"]


def test_a_headline_is_cut_at_a_newline_not_at_a_unicode_separator(article):
    first, rest = article.split("\n", 1)
    line = first.replace(" ", "\u2028", 1)
    assert ingest.title_from_text(line + "\n" + rest) == line  # U+2028 is inside the first line
    assert ingest.title_from_text(first + "\r\n" + rest) == ingest.title_from_text(article)
