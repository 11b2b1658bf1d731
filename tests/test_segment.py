import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import read_jsonl

from tasks.morph import Morph
from tasks.normalize import match_form, normalize
from tasks.ingest import doc_id
from tasks.segment import process_text, sentences

CACHE = Path(tempfile.gettempdir()) / "khabar-test-cache"


def _docs(pairs):
    return [{"doc_id": doc_id(t), "text": t, "source_id": i, "source_path": "test"} for i, t in pairs]


@pytest.fixture(scope="module")
def seeds(seed_paths):
    docs = _docs((p.name, p.read_text("utf-8")) for p in seed_paths)
    return docs, process_text(docs, CACHE)


@pytest.fixture(scope="module")
def pud(shared):
    recs = read_jsonl(shared / "eval" / "segmentation_pud_dev.jsonl")
    return recs, process_text([{"doc_id": r["id"], "text": r["text"]} for r in recs], CACHE)


@pytest.fixture(scope="module")
def ner(shared):
    recs = read_jsonl(shared / "eval" / "ner_aqmar_dev.jsonl")
    texts = {r["id"]: r["text"] for r in recs}
    return process_text([{"doc_id": i, "text": t} for i, t in texts.items()], CACHE), texts


def _split(text):
    norm, starts, ends = normalize(text)
    return [text[starts[a]:ends[b - 1]] for a, b, _ in sentences(norm, [(0, len(norm))])]


def test_sentence_splitter_keeps_numbers_abbreviations_and_quotes():
    text = ('ارتفع النمو إلى 3.5 في المئة في 26.02.2024. وقال د. أحمد إن "الوضع صعب. جداً" اليوم! '
            'هل انتهى الأمر؟ نعم؛ ربما… انتهى.')
    assert _split(text) == [
        "ارتفع النمو إلى 3.5 في المئة في 26.02.2024.",
        'وقال د. أحمد إن "الوضع صعب. جداً" اليوم!',
        "هل انتهى الأمر؟", "نعم؛", "ربما…", "انتهى.",
    ]


def test_sentence_kinds_on_seeds(seeds):
    docs, out = seeds
    kinds = {(s["doc_id"], s["text"]): s["kind"] for s in out["sentences"]}
    d0, d1, d2, d3, d4 = (d["doc_id"] for d in docs)
    assert kinds[(d1, "بلينكن يلتقي لافروف الأسبوع المقبل.. وبايدن: لن نرسل قوات للقتال في أوكرانيا")] == "headline"
    assert kinds[(d1, "البيت الأبيض: نعتزم ترك الباب مفتوحاً للدبلوماسية")] == "list_item"
    assert kinds[(d1, "بايدن: الدبلوماسية لا تزال خياراً قائماً")] == "headline"
    assert kinds[(d2, "التزام وجهود")] == "headline"
    assert kinds[(d3, "«تدخّل أجنبي»")] == "headline"
    assert kinds[(d4, "الولايات المتحدة وروسيا لمناقشة أوكرانيا والمخاوف الأمنية الشهر المقبل")] == "headline"
    first0 = next(s for s in out["sentences"] if s["doc_id"] == d0 and s["sentence_id"] == 0)
    assert first0["kind"] == "body" and first0["text"].endswith("النزاع المباشر مع روسيا.")
    # a quotation with a full stop inside stays in its sentence
    assert (d0, 'وتابع: "في علاقاتنا الثنائية مع فرنسا، وفي إطار الناتو، نعمل معا. نحن نجري مناقشات '
                'ونتخذ القرارات معا".') in kinds


def _check_offsets(texts, out):
    by_sent = {(s["doc_id"], s["sentence_id"]): s for s in out["sentences"]}
    for s in out["sentences"]:
        assert 0 <= s["start"] < s["end"] <= len(texts[s["doc_id"]])
        assert texts[s["doc_id"]][s["start"]:s["end"]] == s["text"]
    last = {}
    for t in out["tokens"]:
        assert texts[t["doc_id"]][t["start"]:t["end"]] == t["surface"]
        s = by_sent[(t["doc_id"], t["sentence_id"])]
        assert s["start"] <= t["start"] < t["end"] <= s["end"]
        key = (t["doc_id"], t["sentence_id"])
        assert t["token_index"] == last.get(key, -1) + 1
        last[key] = t["token_index"]
        assert t["segments"] and all(t["segments"]) and match_form("".join(t["segments"])) == t["norm"]
    return len(out["tokens"])


def test_offsets_are_raw_on_seeds_and_eval(seeds, pud, ner):
    docs, out = seeds
    assert _check_offsets({d["doc_id"]: d["text"] for d in docs + out["documents"]}, out) > 3000
    recs, out = pud
    assert _check_offsets({r["id"]: r["text"] for r in recs}, out) > 6000
    out, texts = ner
    assert _check_offsets(texts, out) > 500


def test_tokens_follow_simple_word_tokenize(pud):
    from camel_tools.tokenizers.word import simple_word_tokenize

    recs, out = pud
    toks = defaultdict(list)
    for t in out["tokens"]:
        toks[t["doc_id"]].append(t["surface"])
    same = sum(toks[r["id"]] == simple_word_tokenize(r["text"]) for r in recs)
    assert same > 0.9 * len(recs)  # the rest: numbers like 3.5 / 1,165, "..." and letters+digits
    first = recs[0]
    assert toks[first["id"]][:12] == ["لكن", "بعيداً", "عن", "كلامه", "السابق", "بشأن", "الحد", "من",
                                       "الهجرة", ",", "أعلن", "المرشح"]


def test_clitics_split_article_kept_names_whole(seeds):
    docs, out = seeds
    seg = defaultdict(set)
    for t in out["tokens"]:
        seg[t["surface"]].add(tuple(t["segments"]))
    assert seg["بلينكن"] == {("بلينكن",)}  # not ب+لين+كن
    assert seg["ويتكوف"] == {("ويتكوف",)}
    assert seg["لافروف"] == {("لافروف",)}
    assert seg["وقال"] == {("و", "قال")}
    assert seg["لأوكرانيا"] == {("ل", "أوكرانيا")}
    assert seg["الولايات"] == {("الولايات",)}
    assert seg["للنزاع"] == {("ل", "لنزاع")}
    assert seg["وسنضع"] == {("و", "س", "نضع")}
    assert seg["مخاوفنا"] == {("مخاوف", "نا")}
    lem = {t["surface"]: (t["lemma"], t["pos"]) for t in out["tokens"]}
    assert lem["وقال"] == ("قال", "verb") and lem["بلينكن"][1] == "noun_prop"


def test_pud_clitic_split_accuracy(pud):
    """The official measure (../shared/tools/score.py segmentation): for each whitespace chunk,
    the segments of the tokens inside it must add up to the gold word count."""
    recs, out = pud
    toks = defaultdict(list)
    for t in out["tokens"]:
        toks[t["doc_id"]].append((t["start"], t["end"], len(t["segments"])))
    n = ok = 0
    for g in recs:
        text, pos = g["text"], 0
        for words in g["chunks"]:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            end = pos
            while end < len(text) and not text[end].isspace():
                end += 1
            ok += sum(k for s, e, k in toks[g["id"]] if s >= pos and e <= end) == len(words)
            n += 1
            pos = end
    assert n == 5580
    print(f"clitic-split accuracy {ok / n:.4f}")
    assert ok / n >= 0.95


def test_analyses_persist_across_processes(tmp_path):
    docs = _docs([("a", "وقال بلينكن للصحفيين إن المحادثات مستمرة.")])
    first = process_text(docs, tmp_path)["tokens"]
    fresh = Morph(tmp_path)  # as a new process would: reads the sqlite cache, loads no DB
    readings = fresh.read_all(["وقال", "بلينكن", "للصحفيين"])
    assert [r.segments for r in readings] == [("و", "قال"), ("بلينكن",), ("ل", "لصحفيين")]
    assert fresh._analyzer is None
    assert [t["segments"] for t in first][:3] == [["و", "قال"], ["بلينكن"], ["ل", "لصحفيين"]]


def test_the_compact_database_analyses_like_camel_tools_own(pud):
    """The trimmed, interned DB (a sixth of the memory) gives camel-tools' own analyses, in its
    features, and so the same readings."""
    from tasks.config import use_camel_data

    use_camel_data()  # the offline catalogue, before camel-tools' data modules load
    from camel_tools.morphology.analyzer import Analyzer
    from camel_tools.morphology.database import MorphologyDB
    from camel_tools.tokenizers.word import simple_word_tokenize

    from tasks.morph import DB_NAME, FEATS, choose, load_analyzer

    compact, plain = load_analyzer(), Analyzer(MorphologyDB.builtin_db(DB_NAME), "NOAN_PROP")
    words = list(dict.fromkeys(w for r in pud[0][:300] for w in simple_word_tokenize(r["text"])))
    assert len(words) > 2000
    ours, theirs = [compact.analyze(w) for w in words], [plain.analyze(w) for w in words]
    assert sum(map(len, ours)) > 20_000
    assert [[{f: a[f] for f in FEATS} for a in x] for x in ours] == [
        [{f: a[f] for f in FEATS} for a in x if a["source"] != "backoff"] for x in theirs]
    assert [choose(w, x) for w, x in zip(words, ours)] == [choose(w, x) for w, x in zip(words, theirs)]


def test_the_punctuation_class_is_camel_tools_own():
    """load_analyzer swaps camel-tools' punctuation regexes for the same class as sorted ranges:
    exactly the same characters match, across all of Unicode."""
    import re

    from tasks.config import use_camel_data

    use_camel_data()
    from camel_tools.morphology import analyzer as ca
    from camel_tools.utils.charsets import UNICODE_PUNCT_SYMBOL_CHARSET

    from tasks.morph import char_class, load_analyzer

    fast = re.compile(char_class(UNICODE_PUNCT_SYMBOL_CHARSET))
    assert [c for c in map(chr, range(0x110000)) if fast.fullmatch(c)] == sorted(UNICODE_PUNCT_SYMBOL_CHARSET)
    an = load_analyzer()
    assert ca._has_punc("قال،") and ca._has_punc("«قال") and not ca._has_punc("والمسؤولين")
    assert ca._is_punc("،!«") and not ca._is_punc("،قال")
    assert [a["pos"] for a in an.analyze("؟")] == ["punc"]
