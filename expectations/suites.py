"""Great Expectations suites, one per contract table, derived from tasks/schema.py.

From the contract: non-nullable columns not null, keys not null and unique, domains in set, min/max,
regex patterns, dates plausible; columns that are null together (a place's id, coordinates and
country: one present iff the others are, but a continent has no country) checked with GX row
conditions. From derived columns that `frame()` adds before validation:
  document_n_chars          documents.n_chars of the row's doc_id (null: no such document in the batch)
  <text column>_at_offsets  documents.text[start:end] for each span that has a text column
  sentence_start/_end       span of the row's (doc_id, sentence_id) sentence (null: no such sentence)
  text_length               len(documents.text)
Date bounds are suite parameters (date_min/date_max, time_min/time_max) given at validation time,
so the saved suites (expectations/*.json, written by `python -m expectations.suites`) do not age.
"""
from __future__ import annotations

import json
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from great_expectations.expectations.row_conditions import Column

from tasks.arabic import FOLD, MARKS
from tasks.schema import TABLES, Table

HERE = Path(__file__).parent
# The matching form holds nothing tasks.arabic.key folds or deletes (diacritics, tatweel, alef and
# yeh variants, ة, Arabic-Indic digits) and none of the Persian letters the clean form maps (پ چ ژ گ).
NOT_NORMAL = "[" + "".join(sorted(MARKS | set(FOLD) | set("\u067e\u0686\u0698\u06af"))) + "]"
NORM_COLS = ("norm",)
MISSING = "either_value_is_missing"


def span_text(t: Table, start: str) -> str | None:
    """The column holding documents.text[start:end] for a span: `<prefix>text`, else for the bare
    span the table's surface/text/trigger_text column."""
    prefix = start.removesuffix("start")
    names = [prefix + "text"] if prefix else ["surface", "text", "trigger_text"]
    return next((n for n in names if n in t.names), None)


def needs(t: Table) -> tuple[str, ...]:
    """Tables a table's derived columns are computed from."""
    return ("documents",) * bool(t.spans) + ("sentences",) * ("sentence_id" in t.names and t.name != "sentences")


def suite(t: Table) -> gx.ExpectationSuite:
    e: list[gxe.Expectation] = []
    add = e.append
    for c in t.cols:
        if not c.nullable or c.name in t.key:
            add(gxe.ExpectColumnValuesToNotBeNull(column=c.name))
        if c.domain:
            add(gxe.ExpectColumnValuesToBeInSet(column=c.name, value_set=list(c.domain)))
        if c.min is not None or c.max is not None:
            add(gxe.ExpectColumnValuesToBeBetween(column=c.name, min_value=c.min, max_value=c.max))
        if c.regex:
            add(gxe.ExpectColumnValuesToMatchRegex(column=c.name, regex=c.regex))
        if c.name in NORM_COLS:
            add(gxe.ExpectColumnValuesToNotMatchRegex(
                column=c.name, regex=NOT_NORMAL, description="matching form: nothing the key folds, no Persian letters"))
        if c.type in (pa.date32(), pa.timestamp("us", tz="UTC")):
            p = "date" if c.type == pa.date32() else "time"
            add(gxe.ExpectColumnValuesToBeBetween(
                column=c.name, min_value={"$PARAMETER": f"{p}_min"}, max_value={"$PARAMETER": f"{p}_max"},
                description="plausible: from 1900 to a year from now"))
    if len(t.key) == 1:
        add(gxe.ExpectColumnValuesToBeUnique(column=t.key[0]))
    else:
        add(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(t.key)))
    if t.name == "documents":
        add(gxe.ExpectColumnPairValuesToBeEqual(
            column_A="n_chars", column_B="text_length", description="n_chars is the length of text"))
    if "documents" in needs(t):
        add(gxe.ExpectColumnValuesToNotBeNull(
            column="document_n_chars", description="every doc_id is a document of the batch"))
    for start, end in t.spans:
        add(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=end, column_B=start, ignore_row_if=MISSING, description=f"{start} < {end}"))
        add(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="document_n_chars", column_B=end, or_equal=True, ignore_row_if=MISSING,
            description=f"{end} inside the document"))
        if txt := span_text(t, start):
            add(gxe.ExpectColumnPairValuesToBeEqual(
                column_A=txt, column_B=f"{txt}_at_offsets", ignore_row_if=MISSING,
                description=f"{txt} equals documents.text[{start}:{end}]"))
    for anchor, *others in t.together:
        for c in others:
            present, absent = Column(anchor).is_not_null(), Column(anchor).is_null()
            there, gone = f"{c} present where {anchor} is", f"{c} absent where {anchor} is"
            for other, value in [(o, v) for col, o, v in t.null_where if col == c]:
                present, there = present & (Column(other) != value), f"{there}, unless {other} is {value}"
                absent, gone = absent | (Column(other) == value), f"{gone} or where {other} is {value}"
            add(gxe.ExpectColumnValuesToNotBeNull(column=c, row_condition=present, description=there))
            add(gxe.ExpectColumnValuesToBeNull(column=c, row_condition=absent, description=gone))
    if "sentences" in needs(t):
        add(gxe.ExpectColumnValuesToNotBeNull(
            column="sentence_end", description="every (doc_id, sentence_id) is a sentence of the batch"))
        add(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="start", column_B="sentence_start", or_equal=True, ignore_row_if=MISSING,
            description="span starts inside its sentence"))
        add(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="sentence_end", column_B="end", or_equal=True, ignore_row_if=MISSING,
            description="span ends inside its sentence"))
    return gx.ExpectationSuite(name=t.name, expectations=e, meta={"doc": t.doc})


def suites() -> dict[str, gx.ExpectationSuite]:
    return {name: suite(t) for name, t in TABLES.items()}


def frame(name: str, tables: dict[str, pa.Table]) -> pd.DataFrame:
    """tables[name] as a DataFrame with the derived columns its suite checks (row order kept);
    list columns hold their items joined by "+"."""
    t, tab = TABLES[name], tables[name]
    missing = [n for n in needs(t) if n not in tables]
    if missing:
        raise ValueError(f"checking {name} needs {', '.join(missing)} from the same batch")
    df = tab.to_pandas()
    for f in tab.schema:
        if pa.types.is_int32(f.type) and not tab[f.name].null_count:
            df[f.name] = df[f.name].astype("int64")  # GX vectorises between-checks for int64/float only
        elif pa.types.is_list(f.type):  # items joined by "+": GX fingerprints a batch by hashing rows (lists are not hashable)
            df[f.name] = pc.binary_join(tab[f.name], "+").to_pandas()
    if name == "documents":
        df["text_length"] = [len(x) if x is not None else None for x in tab["text"].to_pylist()]
    if "documents" in needs(t):
        docs = tables["documents"]
        ix = pc.index_in(tab["doc_id"], value_set=docs["doc_id"].combine_chunks())
        df["document_n_chars"] = pc.take(docs["n_chars"], ix).cast(pa.int64()).to_pandas(
            types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        texts = docs["text"].to_pylist()
        for start, end in t.spans:
            if txt := span_text(t, start):
                df[f"{txt}_at_offsets"] = _at_offsets(texts, ix, tab[start], tab[end])
    if "sentences" in needs(t):
        sent = tables["sentences"].select(["doc_id", "sentence_id", "start", "end"]).to_pandas()
        sent = sent.drop_duplicates(["doc_id", "sentence_id"]).rename(
            columns={"start": "sentence_start", "end": "sentence_end"})
        df = df.merge(sent, on=["doc_id", "sentence_id"], how="left", validate="many_to_one")
    return df


def _at_offsets(texts: list[str | None], ix: pa.ChunkedArray, start: pa.ChunkedArray,
                end: pa.ChunkedArray) -> list[str | None]:
    """texts[ix][start:end] per row (None where any is missing); one document's rows at a time."""
    pos = ix.fill_null(-1).to_numpy()
    if not len(pos):
        return []
    a, b = start.to_pylist(), end.to_pylist()
    cuts = [0, *(np.flatnonzero(np.diff(pos)) + 1).tolist(), len(pos)]
    out: list[str | None] = []
    for i, j in zip(cuts, cuts[1:]):
        text = texts[pos[i]] if pos[i] >= 0 else None
        if text is None:
            out += [None] * (j - i)
        else:
            out += [text[x:y] if x is not None and y is not None else None for x, y in zip(a[i:j], b[i:j])]
    return out


def write_json(folder: Path = HERE) -> list[Path]:
    """Save each suite as JSON (what users read; tests check these files match the contract)."""
    paths = []
    for name, s in suites().items():
        p = folder / f"{name}.json"
        p.write_text(json.dumps(s.to_json_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        paths.append(p)
    return paths


if __name__ == "__main__":
    print("\n".join(str(p) for p in write_json()))
