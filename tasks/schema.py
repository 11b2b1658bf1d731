"""The data contract: every warehouse table, its columns, keys and value domains.

Parquet schemas (pyarrow), the Great Expectations suites (expectations/) and the DuckDB views
(warehouse/) are all derived from the TABLES below; nothing else restates a column list.
All start/end offsets are character offsets into documents.text (the raw decoded input).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tasks.config import ROOT, SEEDS


def _model_versions() -> str:
    """"+name.version" per trained artefact: models/<name>.json and models/<name>/card.json each carry theirs."""
    models = ROOT / "models"
    cards = {p.stem: p for p in models.glob("*.json")} | {p.parent.name: p for p in models.glob("*/card.json")}
    return "".join(f"+{name}.{json.loads(p.read_text(encoding='utf-8'))['version']}" for name, p in sorted(cards.items()))


def seeds_version(folder: Path = SEEDS) -> str:
    """"+seeds.<hash>" of the dictionaries in seeds/*.csv: a row changed there changes what the stages find."""
    seeds = sorted(folder.glob("*.csv"))
    return "+seeds." + hashlib.sha256(b"".join(p.name.encode() + b"\0" + p.read_bytes() for p in seeds)).hexdigest()[:8]


PIPELINE_VERSION = "0.1.0" + _model_versions() + seeds_version()

# Value domains referenced by columns (GX derives `expect_column_values_to_be_in_set`).
PLOVER_TYPES = (
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)
# ROLE: a coded role phrase (وزير الخارجية الأمريكي), no name; ACTOR: a UniversalPetrarch actor the NER model
# leaves untagged (an actor for events, rarely a name)
ENTITY_LABELS = ("PERS", "ORG", "LOC", "GPE", "DATE", "ROLE", "ACTOR")
REJECT_STAGES = ("ingest", "clean", "segment", "extract", "quality")
MODALITIES = ("asserted", "future", "conditional", "readiness", "hypothetical", "question")
DATE_GRANULARITY = ("day", "month", "year", "week", "relative", "publication")
SENTENCE_KINDS = ("headline", "body", "list_item")
CONTINENT = "continent"  # a place in no one country: its country is null
PLACE_PRECISIONS = ("country", "region", "city", CONTINENT)  # a GeoNames place's feature (tasks.geo)


@dataclass(frozen=True)
class Col:
    name: str
    type: pa.DataType
    nullable: bool = True
    doc: str = ""
    domain: tuple[str, ...] | None = None  # allowed values
    min: float | None = None
    max: float | None = None
    regex: str | None = None  # values must match
    view: str | None = None  # SQL the DuckDB view computes instead of the stored value


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    cols: tuple[Col, ...]
    key: tuple[str, ...]
    spans: tuple[tuple[str, str], ...] = field(default=())  # (start, end) column pairs into documents.text
    together: tuple[tuple[str, ...], ...] = field(default=())  # columns null in the same rows (first: the anchor)
    # (column, other, value): a `together` column that is null, whatever its anchor, where `other` is `value`
    null_where: tuple[tuple[str, str, str], ...] = field(default=())

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.type, nullable=c.nullable, metadata={"doc": c.doc}) for c in self.cols],
            metadata={"table": self.name, "doc": self.doc},
        )

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.cols]

    def col(self, name: str) -> Col:
        return next(c for c in self.cols if c.name == name)


S, I32, I64, F64, B = pa.string(), pa.int32(), pa.int64(), pa.float64(), pa.bool_()
TS = pa.timestamp("us", tz="UTC")
D = pa.date32()
HEX16 = r"^[0-9a-f]{16}$"
RUN = Col("run_id", S, False, "run that wrote the row", regex=r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$")
DOC = Col("doc_id", S, False, "stable content hash of documents.text", regex=HEX16)
SENT = Col("sentence_id", I32, False, "sentence number within the document, from 0", min=0)
START = Col("start", I32, False, "character offset into documents.text", min=0)
END = Col("end", I32, False, "end offset (exclusive) into documents.text", min=1)
CODE = r"^[A-Z]{3}[A-Z0-9]*$"
ISO3 = r"^[A-Z]{3}$"


def place_cols(prefix: str, what: str) -> tuple[Col, ...]:
    """A GeoNames place's columns (tasks.geo): id, coordinates, country; `prefix` names them."""
    return (Col(f"{prefix}geonames_id", I64, doc=f"GeoNames id of {what}", min=1),
            Col(f"{prefix}latitude", F64, doc="WGS84 degrees", min=-90, max=90),
            Col(f"{prefix}longitude", F64, doc="WGS84 degrees", min=-180, max=180),
            Col(f"{prefix}country", S, doc="ISO 3166-1 alpha-3 of the place's country (null: a continent)",
                regex=ISO3))


def place_group(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{c}" for c in ("geonames_id", "latitude", "longitude", "country"))


def no_country(prefix: str, precision: str) -> tuple[tuple[str, str, str], ...]:
    """A continent's country is null (`Table.null_where`)."""
    return ((f"{prefix}country", precision, CONTINENT),)


TABLES: dict[str, Table] = {t.name: t for t in (
    Table("documents", "one row per distinct article (content-hash deduplicated)", (
        DOC,
        Col("source_id", S, False, "the input record's own id, else path#position"),
        Col("source_path", S, False, "file the document was first read from"),
        Col("title", S),
        Col("published_at", TS, doc="publication time (UTC) when the input gives one"),
        Col("url", S),
        Col("outlet", S, doc="publisher or feed name when the input gives one"),
        Col("text", S, False, "the raw decoded input text; every offset points into it"),
        Col("n_chars", I32, False, min=1),
        Col("parent_doc_id", S, doc="document this one was split from (a glued second article)", regex=HEX16),
        Col("parent_offset", I32, doc="offset of this text inside the parent's text", min=0),
        Col("encoding", S, doc="encoding the bytes were decoded from"),
        Col("pipeline_version", S, False),
        RUN,
    ), key=("doc_id",)),
    Table("sources", "every input record that became or repeated a document", (
        Col("source_id", S, False),
        Col("source_path", S, False),
        DOC,
        Col("is_new", B, False, "true where this record brought the document in (of records with one text: the earliest published)"),
        RUN,
    ), key=("source_id", "source_path")),
    Table("rejects", "every input record or row that was quarantined, with why", (
        Col("source_id", S, False),
        Col("source_path", S, False),
        Col("stage", S, False, domain=REJECT_STAGES),
        Col("reason", S, False, "short reason code, e.g. empty, undecodable, not_arabic"),
        Col("detail", S, doc="human-readable explanation"),
        Col("doc_id", S, doc="document concerned, for rejects after ingest"),
        Col("sample", S, doc="first characters of the record, for inspection"),
        RUN,
    ), key=("source_id", "source_path", "stage", "reason")),
    Table("removed", "boilerplate spans removed by cleaning (audit)", (
        DOC, START, END,
        Col("rule", S, False, "rule id from seeds/boilerplate.csv"),
        Col("text", S, False),
        RUN,
    ), key=("doc_id", "start"), spans=(("start", "end"),)),
    Table("sentences", "sentences of the cleaned text", (
        DOC, SENT, START, END,
        Col("text", S, False, "documents.text[start:end]"),
        Col("kind", S, False, domain=SENTENCE_KINDS),
        RUN,
    ), key=("doc_id", "sentence_id"), spans=(("start", "end"),)),
    Table("tokens", "words and punctuation with morphology", (
        DOC, SENT,
        Col("token_index", I32, False, "token number within the sentence, from 0", min=0),
        START, END,
        Col("surface", S, False, "documents.text[start:end]"),
        Col("norm", S, False, "normalised form used for matching"),
        Col("lemma", S),
        Col("pos", S),
        Col("gloss", S),
        Col("segments", pa.list_(S), False, "ATB clitic segmentation (ال not split)"),
        RUN,
    ), key=("doc_id", "sentence_id", "token_index"), spans=(("start", "end"),)),
    Table("entities", "mentions of persons, organisations, places and dates", (
        DOC, SENT, START, END,
        Col("text", S, False),
        Col("label", S, False, domain=ENTITY_LABELS),
        Col("canonical", S, doc="canonical name from the dictionaries; DATE: the resolved ISO date (--MM-DD without a year)"),
        Col("actor_code", S, doc="CAMEO-style actor code", regex=CODE),
        Col("wikidata", S, regex=r"^Q[0-9]+$"),
        Col("rule", S, doc="dictionary or rule that found it"),
        *place_cols("", "the place (LOC/GPE; null: not placed, see geo_rule)"),
        Col("precision", S, doc="the place's kind: country, region (first-order division), city or continent "
            "(no country)", domain=PLACE_PRECISIONS),
        Col("geo_rule", S, doc="LOC/GPE: the geocoding rule that chose the place or refused one (ambiguous, unknown, nisba, ...)"),
        Col("geo_reason", S, doc="why: the candidates of an ambiguous name, the places.csv row, ..."),
        RUN,
    ), key=("doc_id", "start", "end", "label"), spans=(("start", "end"),),
        together=(place_group("") + ("precision",),), null_where=no_country("", "precision")),
    Table("events", "political events: who did what to whom, when and where", (
        Col("event_id", S, False, "content hash of type, actors and date (same event, same id)", regex=HEX16),
        Col("mention_id", S, False, "hash of doc_id and trigger offsets", regex=HEX16),
        DOC, SENT,
        Col("event_type", S, False, domain=PLOVER_TYPES),
        Col("cameo_code", S, regex=r"^[0-9]{2,4}$"),
        Col("goldstein", F64, min=-10, max=10),
        Col("quad_class", I32, min=1, max=4),
        Col("source_text", S), Col("source_code", S, regex=CODE),
        Col("source_start", I32, min=0), Col("source_end", I32, min=1),
        Col("target_text", S), Col("target_code", S, regex=CODE),
        Col("target_start", I32, min=0), Col("target_end", I32, min=1),
        Col("trigger_text", S, False),
        START, END,
        Col("negated", B, False),
        Col("modality", S, False, domain=MODALITIES),
        Col("reported_speech", B, False),
        Col("location_text", S), Col("location_code", S),
        Col("location_precision", S, domain=(*PLACE_PRECISIONS, "site")),
        *place_cols("location_", "the event's place"),
        Col("location_rule", S, doc="how tasks.geo.event_place chose the place: trigger_pp, sentence_pp, sentence "
            "or dateline"),
        Col("event_date", D),
        Col("date_granularity", S, domain=DATE_GRANULARITY),
        Col("confidence", F64, False, min=0, max=1),
        Col("rule", S, False, "pattern that fired"),
        Col("mentions", I32, False, "mentions of this event_id: per batch when stored, across the warehouse in the view",
            min=1, view="count(*) OVER (PARTITION BY event_id)::INTEGER"),
        RUN,
    ), key=("mention_id",), spans=(("start", "end"), ("source_start", "source_end"), ("target_start", "target_end")),
        together=(place_group("location_"),), null_where=no_country("location_", "location_precision")),
    Table("quotes", "statements: who said what (GDELT GKG quotations)", (
        Col("quote_id", S, False, regex=HEX16),
        DOC, SENT,
        Col("speaker_text", S), Col("speaker_code", S, regex=CODE),
        Col("speaker_start", I32, min=0), Col("speaker_end", I32, min=1),
        Col("verb", S, False),
        START, END,
        Col("text", S, False, "the quoted span"),
        RUN,
    ), key=("quote_id",), spans=(("start", "end"), ("speaker_start", "speaker_end"))),
    Table("dq_results", "data-quality results per run, table and expectation", (
        RUN,
        Col("table", S, False),
        Col("expectation", S, False),
        Col("column", S),
        Col("success", B, False),
        Col("observed_value", S),
        Col("unexpected_count", I64),
        Col("element_count", I64),
    ), key=("run_id", "table", "expectation", "column")),
    Table("runs", "one row per committed run; the commit marker the views filter on", (
        RUN,
        Col("started_at", TS, False),
        Col("finished_at", TS, False),
        Col("pipeline_version", S, False),
        Col("inputs", S, False, "input paths as given (JSON list)"),
        Col("records", I64, False),
        Col("new_documents", I64, False),
        Col("rejected", I64, False),
        Col("accounted", I64, doc="distinct records read that are in sources or rejects (rows of this run or "
            "an earlier one); the run commits only when it is every record read (tasks.ingest.Ledger)"),
        Col("status", S, False, domain=("completed", "nothing_new")),
        Col("full_refresh", B, False, "this run rebuilt the warehouse; earlier runs' rows are retired"),
    ), key=("run_id",)),
)}


def empty(name: str) -> pa.Table:
    return TABLES[name].schema.empty_table()


def to_table(name: str, rows: list[dict], **same: object) -> pa.Table:
    """Rows (dicts) to an Arrow table in contract column order; missing keys become null.
    `same`: columns with one value for every row (run_id=...), overriding the rows'."""
    sch = TABLES[name].schema
    cols = [pa.array([same[c]] * len(rows), sch.field(c).type) if c in same else [r.get(c) for r in rows]
            for c in sch.names]
    return pa.Table.from_arrays(cols, schema=sch)


def not_of(t: pa.Table, doc_ids: Iterable[str]) -> pa.ChunkedArray:
    """Mask of t's rows whose doc_id is not one of doc_ids (rows without a doc_id included)."""
    ids = pa.array(sorted(doc_ids), pa.string())
    return pc.invert(pc.fill_null(pc.is_in(t["doc_id"], value_set=ids), False))
