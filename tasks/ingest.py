"""Ingest: input paths -> raw records -> candidate documents, or rejects with a reason.

Formats: .txt (one article), .json (object or array), .jsonl, .html/.htm, each optionally .gz.
Every record ends as exactly one `doc` item (a documents row plus its source) or one `reject` item.
Decoding: bytes by `decode`; in JSON, a lone surrogate (only an escape such as \\ud83d without its
pair gives one) becomes U+FFFD in the record's strings, one character for one: UTF-8 cannot hold it.
"""
from __future__ import annotations

import codecs
import csv
import errno
import glob
import gzip
import hashlib
import json
import os
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from tasks.arabic import SCRIPT
from tasks.config import SEEDS

FORMATS = {".txt": "txt", ".text": "txt", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".html": "html", ".htm": "html"}
MAX_FILE_BYTES = 256 * 2**20  # decompressed; a larger file is rejected, not read
MAX_DOC_CHARS = 2_000_000  # a longer "article" is rejected as too_large
SAMPLE = 200
ARABIC = re.compile(f"[{SCRIPT}]")
_ARABIC_RUNS = re.compile(ARABIC.pattern + "+")
LETTER = re.compile(r"[^\W\d_]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SURROGATE = re.compile("[\ud800-\udfff]")
JSON_SPACE = " \t\r"  # a JSON Lines line of only these is blank (\r: CRLF line ends)


@dataclass(frozen=True)
class Item:
    """One input record's fate: kind 'doc' (row = documents fields) or 'reject' (row = rejects fields)."""
    kind: str
    row: dict[str, Any]


class Bad(Exception):
    """A record or file that cannot become a document: reason code plus human detail."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def load_fields(path: Path = SEEDS / "fields.csv") -> dict[str, tuple[str, ...]]:
    """Field mapping: contract field -> JSON keys tried in order (seeds/fields.csv)."""
    with path.open(encoding="utf-8") as f:
        return {r["field"]: tuple(k.strip() for k in r["keys"].split("|")) for r in csv.DictReader(f)}


def doc_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def reject(source_id: str, path: str, reason: str, detail: str, sample: str | None = None) -> Item:
    return Item("reject", {"source_id": source_id, "source_path": path, "stage": "ingest",
                           "reason": reason, "detail": detail, "sample": sample})


# ---------------------------------------------------------------- paths

def discover(inputs: Iterable[str]) -> Iterator[Path | Item]:
    """Expand files, folders (recursively) and globs, in sorted order; bad paths become rejects.
    A file (or bad path) reached twice, e.g. through a folder and a glob, is one input: yielded once."""
    done = set()
    for x in _discover(inputs):
        key = str(x) if isinstance(x, Path) else x.row["source_id"]
        if key not in done:
            done.add(key)
            yield x


def _discover(inputs: Iterable[str]) -> Iterator[Path | Item]:
    for spec in inputs:
        matches = _glob(spec) if glob.has_magic(spec) else [spec]
        if not matches:
            yield reject(spec, spec, "missing", "no file matches this path or pattern")
        for m in matches:
            yield from _walk(Path(m), set())


def _glob(spec: str) -> list[str]:
    """Glob with pathlib, whose ** does not follow symlinked folders (no loops)."""
    parts = Path(spec).parts
    i = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    return sorted(str(p) for p in Path(*parts[:i] or ".").glob(str(Path(*parts[i:]))))


def _walk(p: Path, seen: set[tuple[int, int]]) -> Iterator[Path | Item]:
    path = os.path.abspath(p)
    try:
        st = p.stat()  # follows links; raises on loops and dangling links
    except OSError as e:
        reason = {errno.ELOOP: "symlink_loop", errno.ENOENT: "missing"}.get(e.errno, "unreadable")
        detail = "broken symbolic link" if reason == "missing" and p.is_symlink() else e.strerror or str(e)
        yield reject(path, path, reason, detail)
        return
    if p.is_dir():
        key = (st.st_dev, st.st_ino)
        if key in seen:
            yield reject(path, path, "symlink_loop", "folder reached again through a link; not read twice")
            return
        try:
            children = sorted(p.iterdir())
        except OSError as e:
            yield reject(path, path, "unreadable", e.strerror or str(e))
            return
        for c in children:
            if not c.name.startswith("."):
                yield from _walk(c, seen | {key})
    elif p.is_file():
        yield Path(path)
    else:
        yield reject(path, path, "unreadable", "not a regular file")


def file_format(path: Path) -> tuple[str | None, bool]:
    """(format, gzipped) from the name: x.jsonl.gz -> ('jsonl', True)."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    ext = suffixes[-2] if gz and len(suffixes) > 1 else (suffixes[-1] if suffixes and not gz else "")
    return FORMATS.get(ext), gz


# ---------------------------------------------------------------- bytes -> text

def read_bytes(path: Path, gz: bool) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise Bad("too_large", f"file is {path.stat().st_size:,} bytes; limit {MAX_FILE_BYTES:,}")
        if not gz:
            return path.read_bytes()
        with gzip.open(path) as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise Bad("corrupt_gzip", str(e) or type(e).__name__) from e
    except OSError as e:
        raise Bad("unreadable", e.strerror or str(e)) from e
    if len(data) > MAX_FILE_BYTES:
        raise Bad("too_large", f"decompresses to more than {MAX_FILE_BYTES:,} bytes")
    return data


def decode(data: bytes) -> tuple[str, str]:
    """Bytes to text: BOM (UTF-8/16/32), else UTF-8, else Windows-1256 when it reads as Arabic."""
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as e:
                raise Bad("undecodable", f"{enc} byte order mark, but invalid {enc} at byte {e.start}") from e
    if b"\x00" in data[:4096] and data[:4096].count(b"\x00") > len(data[:4096]) // 10:
        raise Bad("binary", "NUL bytes throughout: a binary file, or UTF-16 without a byte order mark")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        utf8_err = e
    if utf8_err.reason == "unexpected end of data" and utf8_err.start >= len(data) - 3:
        return data[:utf8_err.start].decode("utf-8"), "utf-8 (truncated final character dropped)"
    controls = sum(data.count(bytes([b])) for b in (*range(9), 11, 12, *range(14, 32)))
    if controls > len(data) // 100:
        raise Bad("binary", f"not UTF-8 (invalid byte 0x{data[utf8_err.start]:02x} at {utf8_err.start}) "
                            f"and {controls:,} control bytes: not a text file")
    text = data.decode("cp1256")
    letters = LETTER.findall(text)
    if letters and arabic_chars(text) / len(letters) >= 0.5:
        return text, "windows-1256"
    raise Bad("undecodable", f"not UTF-8 (invalid byte 0x{data[utf8_err.start]:02x} at {utf8_err.start}) "
                             "and not Windows-1256 Arabic")


# ---------------------------------------------------------------- records

def records(path: Path) -> Iterator[tuple[str, dict[str, Any] | Bad]]:
    """(position, raw record or Bad) for one file; position identifies records without an id."""
    fmt, gz = file_format(path)
    if fmt is None:
        yield "", Bad("unsupported_format", f"unknown file type {''.join(path.suffixes) or '(none)'}; "
                                            f"known: {', '.join(sorted(FORMATS))} (optionally .gz)")
        return
    try:
        text, enc = decode(read_bytes(path, gz))
    except Bad as b:
        yield "", b
        return
    if fmt == "txt":
        yield "", {"text": text, "_encoding": enc, "_title_from_text": True}
    elif fmt == "html":
        yield "", _html(text, enc)
    elif fmt == "json":
        obj = _json(text, 0)
        if isinstance(obj, Bad):
            yield "", obj
            return
        items = obj if isinstance(obj, list) else [obj]
        for i, rec in enumerate(items):
            yield (f"[{i}]" if isinstance(obj, list) else ""), _with_encoding(rec, enc)
    else:
        # JSON Lines ends a record at \n only (\r\n: the \r is JSON whitespace); U+2028, U+2029,
        # U+0085 and other Unicode line breaks inside a record's strings are its text
        for n, line in enumerate(text.split("\n"), 1):
            if line.strip(JSON_SPACE):
                rec = _json(line, n)
                yield f":{n}", rec if isinstance(rec, Bad) else _with_encoding(rec, enc)


def _json(text: str, line: int) -> Any:
    """Parsed JSON, or Bad; `line`: the JSON Lines line number of `text` (0: a whole file)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        return Bad("malformed_json", f"line {line or e.lineno} column {e.colno}: {e.msg}")
    except (ValueError, RecursionError) as e:  # a number over 4,300 digits; nesting past the recursion limit
        where = f"line {line}: " if line else ""
        return Bad("malformed_json", where + (str(e) if isinstance(e, ValueError) else "nested too deeply"))


def _with_encoding(rec: Any, enc: str) -> dict[str, Any] | Bad:
    """A JSON object with its encoding, its lone surrogates replaced (module docstring)."""
    if not isinstance(rec, dict):
        return Bad("wrong_type", f"record is {type(rec).__name__}, expected a JSON object")
    if bad := [k for k, v in rec.items() if isinstance(v, str) and SURROGATE.search(v)]:
        rec = {**rec, **{k: SURROGATE.sub("\ufffd", rec[k]) for k in bad}}
        enc += " (lone surrogates replaced by U+FFFD)"
    return {**rec, "_encoding": enc}


def _html(html: str, enc: str) -> dict[str, Any] | Bad:
    import trafilatura  # heavy; only for HTML inputs

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False)
    if doc is None or not (doc.text or "").strip():
        return Bad("empty", "HTML page has no main text")
    return {"text": doc.text, "title": doc.title, "url": doc.url, "source": doc.sitename,
            "published_at": doc.date, "_encoding": enc}


def _field(rec: dict[str, Any], keys: tuple[str, ...], name: str, kinds: tuple[type, ...] = (str, int, float)) -> str | None:
    """The first present key's value as a string; numbers are accepted where `kinds` allows."""
    for k in keys:
        v = rec.get(k)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, kinds):
            raise Bad("wrong_type", f"field '{k}' ({name}) is {type(v).__name__}, expected a string")
        return str(v)
    return None


def parse_time(value: str | None) -> datetime | None:
    """ISO-like dates and times to UTC; None when absent or unparseable (the raw value stays in the input)."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        from dateutil import parser

        try:
            t = parser.parse(value, fuzzy=False)
        except (ValueError, OverflowError):
            return None
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def arabic_chars(text: str) -> int:
    """Characters of `text` in the Arabic blocks, counted by runs: a match per word, not per letter."""
    return len(text) - len(_ARABIC_RUNS.sub("", text))


def title_from_text(text: str) -> str | None:
    """A .txt file's first line is its headline when it is short and not a sentence."""
    first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")  # strip() drops a \r
    return first if 0 < len(first) <= 150 and not first.endswith((".", ":", "،")) else None


def to_document(rec: dict[str, Any], fields: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """A raw record to a documents row (without run_id/pipeline_version); raises Bad."""
    text = _field(rec, fields["text"], "text", (str,))
    if text is None:
        raise Bad("no_text", f"none of the text fields {'|'.join(fields['text'])} is present")
    if not text.strip():
        raise Bad("empty", "text is empty or whitespace only")
    if len(text) > MAX_DOC_CHARS:
        raise Bad("too_large", f"text has {len(text):,} characters; limit {MAX_DOC_CHARS:,}")
    arabic = arabic_chars(text)
    if arabic < len(text) / 2:  # else Arabic is half of all characters, so of the letters: no need to count them
        letters = LETTER.subn("", text)[1]
        share = arabic / letters if letters else 0.0
        if share < 0.5 and not (share >= 0.2 and arabic >= 300):  # pages with scraped script junk still count
            raise Bad("not_arabic", f"{share:.0%} of {letters:,} letters are Arabic "
                                    "(need 50%, or 20% and 300 Arabic letters)")
    if len(CONTROL.findall(text)) > max(16, len(text) // 10):
        raise Bad("binary", "more than 10% control characters")
    title = _field(rec, fields["title"], "title") or (title_from_text(text) if rec.get("_title_from_text") else None)
    return {
        "doc_id": doc_id(text),
        "title": title,
        "published_at": parse_time(_field(rec, fields["published_at"], "published_at")),
        "url": _field(rec, fields["url"], "url"),
        "outlet": _field(rec, fields["outlet"], "outlet"),
        "text": text,
        "n_chars": len(text),
        "parent_doc_id": None,
        "parent_offset": None,
        "encoding": rec.get("_encoding"),
    }


def read_items(path: Path, fields: dict[str, tuple[str, ...]]) -> Iterator[Item]:
    """All items of one file: each record becomes a `doc` or a `reject`. A record whose own id an
    earlier record of the file has is a `duplicate_id` reject known by its position."""
    sp = str(path)
    ids: dict[str, str] = {}  # own id -> position of its first record
    for pos, rec in records(path):
        sid = sp + pos
        if isinstance(rec, Bad):
            yield reject(sid, sp, rec.reason, rec.detail)
            continue
        try:
            own = _field(rec, fields["id"], "id")
            if own in ids:
                raise Bad("duplicate_id", f"id {own!r} is already the id of {sp}{ids[own]}")
            if own is not None:
                ids[own], sid = pos, own
            doc = to_document(rec, fields)
        except Bad as b:
            raw = rec.get("text") or rec.get("content")
            yield reject(sid, sp, b.reason, b.detail, raw[:SAMPLE] if isinstance(raw, str) else None)
            continue
        yield Item("doc", {**doc, "source_id": sid, "source_path": sp})


_UNDATED = datetime.max.replace(tzinfo=timezone.utc)


def rank(row: dict[str, Any]) -> tuple:
    """Of the records that give one text, the least is its document, whichever comes first: the
    earliest published (undated last), then the least source path and id."""
    return row["published_at"] or _UNDATED, row["source_path"], row["source_id"]


def ranks(paths: list[Path], fields: dict[str, tuple[str, ...]]) -> list[tuple[str, tuple]]:
    """(doc_id, rank) of each record of `paths` that can be a document: what `firsts` reads."""
    return [(it.row["doc_id"], rank(it.row)) for it in read_files(paths, fields) if it.kind == "doc"]


def firsts(ranked: Iterable[tuple[str, tuple]]) -> dict[str, tuple[str, str]]:
    """doc_id -> (source_id, source_path) of the least record (`rank`) of each text that more than one
    record gives, so that which record becomes the document does not follow the order of the inputs."""
    best: dict[str, tuple] = {}
    many = set()
    for d, k in ranked:
        if d in best:
            many.add(d)
            k = min(k, best[d])
        best[d] = k
    return {d: (best[d][2], best[d][1]) for d in many}


@dataclass
class Seen:
    """What the warehouse (and this run so far) already holds: the keys dedup checks against."""
    docs: set[str]
    sources: set[tuple[str, str]]
    rejects: set[tuple[str, str, str, str]]
    firsts: dict[str, tuple[str, str]] = field(default_factory=dict)  # this run's inputs' `firsts`
    others: dict[str, list[dict]] = field(default_factory=dict)  # the other records of those texts, for `settle`


def admit(items: Iterable[Item], seen: Seen) -> tuple[list[dict], list[dict], list[dict]]:
    """Split items into (new documents, new sources rows, new rejects rows), updating `seen`.

    A record already recorded (same source_id and path) adds nothing; a new record whose text is
    already a document adds only a sources row (is_new false). A record whose text is another's
    document (`seen.firsts`) waits for `settle`."""
    docs, sources, rejects = [], [], []
    for it in items:
        r = it.row
        if it.kind == "reject":
            key = (r["source_id"], r["source_path"], r["stage"], r["reason"])
            if key not in seen.rejects:
                seen.rejects.add(key)
                rejects.append(r)
            continue
        skey = (r["source_id"], r["source_path"])
        if skey in seen.sources:
            continue
        seen.sources.add(skey)
        if seen.firsts.get(r["doc_id"], skey) != skey:
            seen.others.setdefault(r["doc_id"], []).append(r)
            continue
        new = r["doc_id"] not in seen.docs
        sources.append({"source_id": r["source_id"], "source_path": r["source_path"], "doc_id": r["doc_id"], "is_new": new})
        if new:
            seen.docs.add(r["doc_id"])
            docs.append(r)
    return docs, sources, rejects


def settle(seen: Seen) -> tuple[list[dict], list[dict]]:
    """(documents, sources rows) of the records `admit` held back: sources rows (is_new false), and
    should a text's chosen record not have come (its file changed after `ranks` read it), the least
    of the others as its document."""
    docs, sources = [], []
    for d, rows in seen.others.items():
        rows.sort(key=rank)
        doc = None if d in seen.docs else rows[0]
        if doc:
            seen.docs.add(d)
            docs.append(doc)
        sources += [{"source_id": r["source_id"], "source_path": r["source_path"], "doc_id": d, "is_new": r is doc}
                    for r in rows]
    seen.others = {}
    return docs, sources


class LostRecords(RuntimeError):
    """Records read that are in neither `sources` nor `rejects`: the run must not commit."""


@dataclass
class Ledger:
    """The run's input accounting, per file: every record read (source_id) is in `sources` or `rejects`,
    as a row of this run or of an earlier one (`before`: their (source_id, source_path) keys)."""
    before: set[tuple[str, str]]
    read: dict[str, set[str]] = field(default_factory=dict)  # source_path -> source_ids read
    kept: dict[str, set[str]] = field(default_factory=dict)  # source_path -> source_ids given a row

    @classmethod
    def of(cls, seen: Seen) -> Ledger:
        return cls(set(seen.sources) | {k[:2] for k in seen.rejects})

    def reads(self, rows: Iterable[dict]) -> None:
        _add(self.read, rows)

    def keeps(self, rows: Iterable[dict]) -> None:
        _add(self.kept, rows)

    def check(self) -> int:
        """Records accounted for; raises LostRecords naming each file's counts and first lost ids."""
        lost = {p: sorted(i for i in ids - self.kept.get(p, set()) if (i, p) not in self.before)
                for p, ids in self.read.items()}
        if lost := {p: ids for p, ids in lost.items() if ids}:
            raise LostRecords("records read but in neither sources nor rejects (nothing published): " + "; ".join(
                f"{p}: {len(self.read[p])} read, {len(self.read[p]) - len(ids)} accounted, lost {ids[:3]}"
                for p, ids in sorted(lost.items())))
        return sum(map(len, self.read.values()))


def _add(ids: dict[str, set[str]], rows: Iterable[dict]) -> None:
    for r in rows:
        ids.setdefault(r["source_path"], set()).add(r["source_id"])


GZ_RATIO = 4  # a gzipped news file holds about four times its size in text (SaudiNewsNet: 108 MB in 28 MB)


def text_bytes(p: Path) -> int:
    """Bytes of text file `p` holds, about (0 if it cannot be read)."""
    try:
        return p.stat().st_size * (GZ_RATIO if p.suffix.lower() == ".gz" else 1)
    except OSError:
        return 0


def file_groups(paths: Iterable[Path], max_files: int = 256, max_bytes: int = 16 * 2**20) -> Iterator[list[Path]]:
    """Chunk files so one read task carries many small files or a few large ones, about max_bytes of
    text at most (a larger file is a group of its own): the flow holds one group's records at a time."""
    group, size = [], 0
    for p in paths:
        n = text_bytes(p)
        if group and (len(group) >= max_files or size + n > max_bytes):
            yield group
            group, size = [], 0
        group.append(p)
        size += n
    if group:
        yield group


def read_files(paths: list[Path], fields: dict[str, tuple[str, ...]]) -> list[Item]:
    return [it for p in paths for it in read_items(p, fields)]
