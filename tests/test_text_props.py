"""Property test: on random Arabic, mixed-script and control-character text, cleaning,
normalisation and segmentation never raise and every offset they write is valid and raw."""
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.normalize import match_form, normalize
from tasks.ingest import doc_id
from tasks.segment import process_text

CACHE = Path(tempfile.gettempdir()) / "khabar-test-cache"

ARABIC = [chr(c) for c in range(0x0621, 0x064B)] + list("ىةأإآؤئ")
MARKS = ["\u064b", "\u064c", "\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u0670", "\u0640", "\u0654"]
OTHER = list("یکپچگژ٠١٢٣٤٥٦٧٨٩۰۴۵abcXYZ019.,;:!?؟،؛()[]«»“”‘’\"'-–—…‰٫/%*•@#") + [
    "ﻻ", "ﷺ", "ﷲ", "😀", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202b", "\u202c",
    "\u2066", "\ufeff", "\u00a0", "\u2028", "\x00", "\x0b", "\x85", "\r", "\t", " ", " ", "\n",
]
BOILER = ["إقرأ أيضاً:", "إقرأ المزيد خبر", "المصدر: وكالات", "كلمات دلالية: روسيا", "مقالات مشابهة",
          "  • بند في قائمة", "author", "صورة من الأرشيف", "An error occurred while retrieving the Tweet."]
LONG = "وقال الوزير إن المحادثات بين الجانبين ستستمر خلال الأسبوع المقبل في العاصمة. " * 3

chars = st.sampled_from(ARABIC * 4 + MARKS + OTHER)
line = st.one_of(st.text(chars, max_size=80), st.sampled_from(BOILER + [LONG]))
texts = st.one_of(st.text(chars, max_size=300), st.lists(line, max_size=10).map("\n".join))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_normalize_map_is_valid(text):
    norm, starts, ends = normalize(text)
    assert len(norm) == len(starts) == len(ends)
    for i in range(len(norm)):
        assert 0 <= starts[i] < ends[i] <= len(text)
        assert i == 0 or (starts[i - 1] <= starts[i] and ends[i - 1] <= ends[i])
    match_form(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_process_text_gives_valid_raw_offsets(text):
    doc = {"doc_id": doc_id(text), "text": text, "source_id": "x", "source_path": "x"}
    out = process_text([doc], CACHE)
    texts_ = {doc["doc_id"]: text}
    for child in out["documents"]:
        p = texts_[child["parent_doc_id"]]
        assert p[child["parent_offset"]:child["parent_offset"] + len(child["text"])] == child["text"]
        texts_[child["doc_id"]] = child["text"]
    spans = {}
    for s in out["sentences"]:
        t = texts_[s["doc_id"]]
        assert 0 <= s["start"] < s["end"] <= len(t) and t[s["start"]:s["end"]] == s["text"]
        spans[(s["doc_id"], s["sentence_id"])] = (s["start"], s["end"])
    for r in out["removed"]:
        t = texts_[r["doc_id"]]
        assert 0 <= r["start"] < r["end"] <= len(t) and t[r["start"]:r["end"]] == r["text"]
    prev = {}
    for k in out["tokens"]:
        t = texts_[k["doc_id"]]
        a, b = spans[(k["doc_id"], k["sentence_id"])]
        assert a <= k["start"] < k["end"] <= b and t[k["start"]:k["end"]] == k["surface"]
        assert k["start"] >= prev.get(k["doc_id"], 0)  # tokens do not overlap
        prev[k["doc_id"]] = k["end"]
        assert k["segments"] and all(k["segments"])
