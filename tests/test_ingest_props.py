"""Ingest, property-based: random records of real Arabic sentences (../shared/seeds) in every format
and encoding, with Unicode separators, BOMs, CRLF, NUL, lone surrogates, very long lines and invalid
records among valid ones. Each valid record is one document with its text, each invalid one a
reject that costs only itself, and every record read has its row in sources or rejects (the run's
Ledger), also when a second run reads it again: then all of them as earlier rows."""
import codecs
import gzip
import html
import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks import ingest
from tasks.config import SHARED
from tasks.publish import Warehouse, new_run_id, run_row
from tasks.schema import PIPELINE_VERSION, to_table

FIELDS = ingest.load_fields()
ARABIC_LETTER = re.compile("[\u0621-\u064a]")
LATIN_LETTER = re.compile("[A-Za-z]")
SENTENCES = sorted({s.strip() for p in sorted((SHARED / "seeds").glob("*.txt"))
                    for line in p.read_text(encoding="utf-8").split("\n") for s in re.split(r"(?<=[.!؟])\s", line)
                    if 40 <= len(s.strip()) <= 300 and len(ARABIC_LETTER.findall(s)) > 0.6 * len(s.strip())})
# inside a text: the Unicode line breaks str.splitlines knows, CRLF, BOM, NUL, tab
SEPARATORS = [" ", "\n", "\r\n", "\u2028", "\u2029", "\x85", "\v", "\f", "\x1c", "\x1d", "\x1e", "\ufeff", "\x00", "\t"]
SURROGATE = re.compile("[\ud800-\udfff]")
INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")  # what HTML parsing (lxml, trafilatura) drops
ENGLISH = "Only English words in this record, about the weather and nothing else. " * 3
ENCODINGS = {
    "utf-8": lambda s: s.encode("utf-8"),
    "utf-8-sig": lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
    "utf-16": lambda s: s.encode("utf-16"),
    "utf-16-be": lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"),
    "utf-32": lambda s: s.encode("utf-32"),
    "utf-32-be": lambda s: codecs.BOM_UTF32_BE + s.encode("utf-32-be"),
    "cp1256": lambda s: s.encode("cp1256"),
}


def cp1256_fits(s: str) -> bool:
    """Windows-1256 holds `s`, it has no C0 controls but tab and line ends, reads as Arabic and its bytes
    are not UTF-8 (else the reader rightly takes them for UTF-8 or binary)."""
    try:
        data = s.encode("cp1256")
    except UnicodeEncodeError:
        return False
    if re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", s) or len(ARABIC_LETTER.findall(s)) < 2 * len(LATIN_LETTER.findall(s)):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@dataclass
class Rec:
    """One input record and what it must become: `text` (a document's text) or `reason` (a reject)."""
    pos: str  # position in its file: "", "[i]" or ":line"
    own: str | None = None  # its own id, which is then its source_id
    text: str | None = None
    reason: str | None = None
    replaced: bool = False  # a lone surrogate of its text became U+FFFD


@st.composite
def texts(draw, surrogates: bool, long: bool = True) -> str:
    parts = draw(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=4))
    out = parts[0] + "".join(draw(st.sampled_from(SEPARATORS)) + p for p in parts[1:])
    if long and draw(st.integers(0, 9)) == 0:  # a very long line
        out = (out + draw(st.sampled_from(SEPARATORS))) * draw(st.integers(200, 1500))
    if surrogates and draw(st.booleans()):
        i = draw(st.integers(1, len(out) - 1))
        out = out[:i] + draw(st.sampled_from(["\ud83d", "\ude00", "\udfff"])) + out[i:]
    return out


def words(text: str) -> tuple[str, ...]:
    """The words of `text` as HTML parsing leaves them."""
    return tuple(INVISIBLE.sub("", text).split())


def dumps(obj, ascii_only: bool) -> str:
    """JSON text; a lone surrogate is written as its escape (\\ud83d), the only way JSON holds one."""
    return SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", json.dumps(obj, ensure_ascii=ascii_only))


def broken(draw) -> str:
    """A JSON object cut inside its text string (no closing quote in the sentence)."""
    return '{"id": "z", "text": "' + draw(st.sampled_from(SENTENCES)).replace('"', "'")


@st.composite
def objects(draw, ids: set[str], pos: str) -> tuple[object, Rec]:
    """A JSON value for one record and its expected fate; `ids`: own ids of the file so far."""
    own = draw(st.one_of(st.none(), st.sampled_from(["a1", "b2", "c3", "d4", "e5", "f6"])))
    kind = draw(st.sampled_from(["ok", "ok", "ok", "empty", "english", "number", "no_text", "not_object"]))
    if kind == "not_object":
        whole = [[1, 2]] if pos else []  # a file's whole value as a list is an array of records
        return draw(st.sampled_from([42, "نص", None, True, *whole])), Rec(pos, reason="wrong_type")
    key = draw(st.sampled_from(["text", "content", "body"]))
    value = {"ok": None, "empty": " \t\n ", "english": ENGLISH, "number": 7, "no_text": None}[kind]
    obj = {"id": own} if own is not None else {}
    if kind == "ok":
        value = draw(texts(surrogates=True))
        if draw(st.booleans()):
            obj["title"] = draw(st.sampled_from(SENTENCES))
    if kind != "no_text":
        obj[key] = value
    if own in ids:  # an earlier record of the file has this id
        return obj, Rec(pos, reason="duplicate_id")
    if own is not None:
        ids.add(own)
    if kind != "ok":
        return obj, Rec(pos, own, reason={"empty": "empty", "english": "not_arabic", "number": "wrong_type",
                                          "no_text": "no_text"}[kind])
    return obj, Rec(pos, own, SURROGATE.sub("\ufffd", value), replaced=bool(SURROGATE.search(value)))


@st.composite
def files(draw) -> tuple[str, str, list[Rec]]:
    """(file name without .gz, content as text, expected records)."""
    fmt = draw(st.sampled_from(["txt", "json", "json_array", "jsonl", "jsonl", "html"]))
    ascii_only = draw(st.booleans())
    ids: set[str] = set()
    if fmt == "txt":
        text, reason = draw(st.sampled_from([(None, None), (None, None), (" \u2028\n\t", "empty"), (ENGLISH, "not_arabic")]))
        text = text or draw(texts(surrogates=False))
        return "a.txt", text, [Rec("", text=text if not reason else None, reason=reason)]
    if fmt == "html":
        if draw(st.integers(0, 4)) == 0:
            return "a.html", "<html><head><script>var a = 1;</script></head><body><img src='a.png'></body></html>", \
                [Rec("", reason="empty")]
        # distinct paragraphs: trafilatura drops one that repeats the one before
        paras = draw(st.lists(texts(surrogates=False, long=False), min_size=3, max_size=6, unique_by=words))
        page = "<html><body><article>" + "".join(f"<p>{html.escape(p)}</p>" for p in paras) + "</article></body></html>"
        return "a.html", page, [Rec("", text="\n".join(paras))]
    if fmt == "json" and draw(st.integers(0, 3)) == 0:
        return "a.json", broken(draw), [Rec("", reason="malformed_json")]
    if fmt == "json":
        obj, rec = draw(objects(ids, ""))
        return "a.json", dumps(obj, ascii_only), [rec]
    if fmt == "json_array":
        pairs = [draw(objects(ids, f"[{i}]")) for i in range(draw(st.integers(0, 5)))]
        return "a.json", dumps([o for o, _ in pairs], ascii_only), [r for _, r in pairs]
    lines, recs = [], []
    end = draw(st.sampled_from(["\n", "\r\n"]))
    for _ in range(draw(st.integers(1, 8))):
        while draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(["", " ", "\t "])))  # blank lines count as lines, not records
        pos = f":{len(lines) + 1}"
        bad = draw(st.sampled_from([None, None, None, "broken", "digits", "deep", "separator"]))
        if bad:  # cut JSON, a number over Python's 4,300 digits, nesting deeper than the stack, a U+2028 line
            lines.append(broken(draw) if bad == "broken" else {"digits": "9" * 5000, "deep": "[" * 50_000,
                                                               "separator": "\u2028"}[bad])
            recs.append(Rec(pos, reason="malformed_json"))
        else:
            obj, rec = draw(objects(ids, pos))
            lines.append(dumps(obj, ascii_only))
            recs.append(rec)
    return "a.jsonl", end.join(lines) + draw(st.sampled_from(["", end])), recs


def write(d: Path, i: int, name: str, content: str, encoding: str, gz: bool) -> Path:
    enc = encoding if encoding != "cp1256" or cp1256_fits(content) else "utf-8"
    data = ENCODINGS[enc](content)
    p = d / f"f{i}_{enc}_{name}{'.gz' * gz}"
    p.write_bytes(gzip.compress(data) if gz else data)
    return p


def check_items(p: Path, recs: list[Rec], items: list[ingest.Item]) -> None:
    """Exactly one item per record, in order: a document with the record's text, or its reject."""
    assert [(i.kind, i.row["source_id"]) for i in items] == \
        [("doc" if r.text is not None else "reject", r.own or f"{p}{r.pos}") for r in recs]
    for r, it in zip(recs, items):
        if r.text is None:
            assert it.row["reason"] == r.reason, it.row
        elif p.name.removesuffix(".gz").endswith(".html"):  # trafilatura's main text: the words, spacing normalised
            assert tuple(it.row["text"].split()) == words(r.text)
        else:
            assert it.row["text"] == r.text
            assert ("U+FFFD" in it.row["encoding"]) == r.replaced
            if ".txt" in p.suffixes:  # a headline is the first line, up to \n only
                assert it.row["title"] in (None, r.text.split("\n")[0].strip())


def first_run(wh: Warehouse, paths: list[Path], items: list[ingest.Item]) -> ingest.Ledger:
    """What the flow does with the records of `paths` on an empty warehouse, its documents, sources
    and rejects committed; returns its Ledger."""
    seen = ingest.Seen(set(), set(), set())
    ledger = ingest.Ledger.of(seen)
    seen.firsts = ingest.firsts(ingest.ranks(paths, FIELDS))
    docs, sources, rejects = ingest.admit(items, seen)
    more_docs, more_sources = ingest.settle(seen)
    ledger.reads(it.row for it in items)
    ledger.keeps(sources + more_sources + rejects)
    run = new_run_id()
    wh.stage(run, "documents", to_table("documents", docs + more_docs, run_id=run, pipeline_version=PIPELINE_VERSION), 0)
    wh.stage(run, "sources", sources + more_sources, 0)
    wh.stage(run, "rejects", rejects, 0)
    counts = {"records": len(items), "documents": len(docs + more_docs), "accounted": ledger.check()}
    wh.commit(run, run_row(datetime.now(timezone.utc), [str(p) for p in paths], counts, PIPELINE_VERSION))
    return ledger


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(files(), st.sampled_from(sorted(ENCODINGS)), st.booleans()), min_size=1, max_size=5))
def test_every_valid_record_is_one_document_with_its_text_and_each_invalid_one_costs_only_itself(spec):
    with tempfile.TemporaryDirectory() as tmp:
        d, wh = Path(tmp) / "in", Warehouse(Path(tmp) / "wh")
        d.mkdir()
        expected = {write(d, i, name, content, enc, gz): recs for i, ((name, content, recs), enc, gz) in enumerate(spec)}
        paths = list(ingest.discover([str(d), str(d / "*")]))
        assert paths == sorted(expected)  # each file once, though the folder and the glob both reach it
        items = {p: list(ingest.read_items(p, FIELDS)) for p in paths}
        for p, recs in expected.items():
            check_items(p, recs, items[p])
        everything = [it for p in paths for it in items[p]]
        n_records = sum(map(len, expected.values()))
        assert first_run(wh, paths, everything).check() == n_records
        rows = Counter(wh.read("sources", ["source_path"]).column(0).to_pylist() +
                       wh.read("rejects", ["source_path"]).column(0).to_pylist())
        assert rows == {str(p): len(recs) for p, recs in expected.items() if recs}  # per file: read = sources + rejects
        # a second run reads every record again: nothing new, each accounted as an earlier row
        again = wh.seen()
        ledger = ingest.Ledger.of(again)
        reread = ingest.read_files(paths, FIELDS)
        ledger.reads(it.row for it in reread)
        assert ingest.admit(reread, again) == ([], [], [])
        assert ledger.check() == n_records
        assert {(i, p) for p, ids in ledger.read.items() for i in ids} <= ledger.before
