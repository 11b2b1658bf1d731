"""Quality gates: validate a batch's tables with the Great Expectations suites (expectations/suites.py).

One GX validation per table per batch, on pandas DataFrames, in an ephemeral context cached per
process (so batches validate in any worker process). A failing row sends its whole document to
`rejects` (stage quality) and out of every table; more than max_reject_share of the batch's
documents failing raises QualityError. GX's results come back as JSON with the batch; the batch
keeps them in docs_dir (dq.record) and `build_docs` stores them in a file context there and renders
Data Docs. The flow itself never imports this module (tasks/dq.py has what it needs).
"""
from __future__ import annotations

import copy
import hashlib
import html
import json
import shutil
import threading
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import great_expectations as gx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
from great_expectations.core.id_dict import IDDict
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.execution_engine import pandas_execution_engine
from great_expectations.expectations.expectation import Expectation

from expectations.suites import frame, suites
from tasks.dq import PENDING, QualityError, QualityResult
from tasks.schema import TABLES, not_of, to_table

# Counts and samples for every expectation; the failing rows (unexpected_index_list, costly to get
# for every expectation) only for those that failed, in a second pass.
RESULT_FORMAT, ROWS_FORMAT = "BASIC", "COMPLETE"
KEEP_REJECTS = "rejects"  # quarantined records are never dropped (that would lose an input)
SITE_DIR = "uncommitted/data_docs/local_site"  # GX's site, inside the GX project folder docs_dir/gx
SITE = Path("gx", SITE_DIR)
SAMPLE = 200
# GX's index page loads every result it lists (~6 ms each): it lists the newest; index.html lists all.
# The index's limit would also stop GX rendering older pages: the validations section has none (0).
SITE_CONFIG = {"class_name": "SiteBuilder", "show_how_to_buttons": False,
               "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": SITE_DIR},
               "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "validation_results_limit": 40},
               "site_section_builders": {"validations": {"validation_results_limit": 0}}}

# GX fingerprints each batch (md5 over every row, ~7% of the gate) unless its frame is over this
# many bytes; nothing reads the fingerprint here (batches are whole frames, never looked up again).
pandas_execution_engine.HASH_THRESHOLD = 0

_lock = threading.Lock()  # GX contexts are not thread-safe; Prefect may run tasks in threads
_contexts: dict[Path | None, tuple[AbstractDataContext, dict[str, gx.ValidationDefinition]]] = {}


def _context(docs_dir: Path | None) -> tuple[AbstractDataContext, dict[str, gx.ValidationDefinition]]:
    key = docs_dir.resolve() if docs_dir else None
    if key not in _contexts or (key and not (key / "gx" / "great_expectations.yml").exists()):
        ctx = gx.get_context(mode="file", project_root_dir=key) if key else gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        if key:
            ctx.variables.save()
            ctx.update_data_docs_site("local_site", SITE_CONFIG)
        ds = ctx.data_sources.add_or_update_pandas("khabar")
        vds = {}
        for name, s in suites().items():
            asset = ds.add_dataframe_asset(name)
            vd = gx.ValidationDefinition(name=name, data=asset.add_batch_definition_whole_dataframe("batch"),
                                         suite=ctx.suites.add_or_update(s))
            vds[name] = ctx.validation_definitions.add_or_update(vd)
        if key:
            ctx.build_data_docs(resource_identifiers=[ExpectationSuiteIdentifier(n) for n in vds])
        _contexts[key] = ctx, vds
    return _contexts[key]


_PLAIN = (str, int, bool, type(None))  # values GX's JSON conversion returns unchanged
_gx_to_id = IDDict.to_id


def _plain_id(self: IDDict, id_keys=None, id_ignore_keys=None):
    """IDDict.to_id without GX's recursive JSON conversion when every value is plain (the usual
    metric kwargs): the same md5 of the same JSON, at a fraction of the cost."""
    if id_keys is None and id_ignore_keys is None:
        keys = self.keys() - self._id_ignore_keys
        if len(keys) > 1 and all(type(k) is str and type(self[k]) in _PLAIN for k in keys):
            text = json.dumps({k: self[k] for k in keys}, sort_keys=True)
            return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()
    return _gx_to_id(self, id_keys, id_ignore_keys)


@contextmanager
def _gx_shortcuts():
    """Two of GX's repeated computations, done once or faster within this block; results unchanged.

    - GX rebuilds an expectation's `configuration` (a pydantic dict() and a class-name conversion)
      each time it is read, about a hundred times per expectation and validation: a quarter of the
      gate's time. An expectation does not change while it is validated, so each one's first
      configuration is reused (the expectation is held, so its id is not reused).
    - GX ids each of its ~5,000 metric configurations per batch by converting their kwargs to JSON
      recursively (a seventh of the gate's time): plain kwargs skip the conversion (_plain_id)."""
    prop = Expectation.configuration
    memo: dict[int, tuple[Expectation, Any]] = {}

    def configuration(self: Expectation):
        if (hit := memo.get(id(self))) is None:
            hit = memo[id(self)] = (self, prop.fget(self))
        return hit[1]

    Expectation.configuration, IDDict.to_id = property(configuration), _plain_id
    try:
        yield
    finally:
        Expectation.configuration, IDDict.to_id = prop, _gx_to_id


def params(today: date | None = None) -> dict[str, Any]:
    """Suite parameters: plausible dates run from 1900 to a year after today."""
    today = today or datetime.now(timezone.utc).date()
    lo, hi = date(1900, 1, 1), today + timedelta(days=366)
    return {"date_min": lo, "date_max": hi,
            "time_min": pd.Timestamp(lo, tz="UTC"), "time_max": pd.Timestamp(hi, tz="UTC")}


def _column(kwargs: dict) -> str | None:
    cols = kwargs.get("column_list") or [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    return ",".join(cols) or None


def _observed(result: dict) -> str | None:
    if "observed_value" in result:
        return json.dumps(result["observed_value"], ensure_ascii=False, default=str)
    sample = result.get("partial_unexpected_list")
    return json.dumps(sample[:5], ensure_ascii=False, default=str) if sample else None


def _raised(r: Any) -> str | None:
    info = r.exception_info or {}
    infos = [info] if "raised_exception" in info else list(info.values())
    return next((i.get("exception_message") or "error" for i in infos if i.get("raised_exception")), None)


def check(tables: dict[str, pa.Table], run_id: str, max_reject_share: float = 0.2) -> QualityResult:
    """Validate one batch; return its tables without failing documents, their rejects, dq_results
    and GX's results."""
    frames = {n: frame(n, tables) for n in TABLES if n in tables and tables[n].num_rows}
    rid, p = RunIdentifier(run_name=run_id, run_time=datetime.now(timezone.utc)), params()
    with _lock, _gx_shortcuts():
        ctx, vds = _context(None)
        results = {n: vds[n].run(batch_parameters={"dataframe": df}, expectation_parameters=p,
                                 result_format=RESULT_FORMAT, run_id=rid) for n, df in frames.items()}
        fails = {n: _failures(vds[n], frames[n], res, p) for n, res in results.items() if n != KEEP_REJECTS}
        store, stored = ctx.validation_results_store, {}
        for k in store.list_keys():  # GX's JSON as stored (not serialised twice), then gone: memory stays flat
            if k.run_id.to_tuple() == rid.to_tuple():  # not a leftover of a check that raised
                stored[k.expectation_suite_identifier.name] = store.store_backend.get(store.key_to_tuple(k))
            store.remove_key(k)
    dq = _dq_rows(run_id, results)

    errors = []
    bad_docs: dict[str, Counter] = defaultdict(Counter)  # doc_id -> (table, expectation, column) -> rows
    bad_rows: dict[str, set[int]] = defaultdict(set)  # failing rows without a doc_id
    for name, fs in fails.items():
        for exp, col, rows in fs:
            if isinstance(rows, str):
                errors.append(f"{name}.{exp}({col}): {rows}")
                continue
            for i, d in zip(rows, frames[name]["doc_id"].iloc[rows]):
                if isinstance(d, str):
                    bad_docs[d][(name, exp, col)] += 1
                else:
                    bad_rows[name].add(i)
    result = QualityResult({n: _drop(n, t, set(bad_docs), bad_rows[n]) for n, t in tables.items()},
                           _rejects(tables, bad_docs, run_id), to_table("dq_results", dq),
                           stored)
    problem = _problem(run_id, errors, bad_docs, set(_doc_ids(tables)), max_reject_share)
    if problem:
        raise QualityError(problem, result)
    return result


def _dq_rows(run_id: str, results: dict[str, ExpectationSuiteValidationResult]) -> list[dict]:
    return [{"run_id": run_id, "table": n, "expectation": r.expectation_config.type,
             "column": _column(r.expectation_config.kwargs), "success": bool(r.success),
             "observed_value": _observed(r.result), "unexpected_count": r.result.get("unexpected_count"),
             "element_count": r.result.get("element_count")} for n, res in results.items() for r in res.results]


def _problem(run_id: str, errors: list[str], bad_docs: dict[str, Counter], ids: set[str],
             max_share: float) -> str | None:
    """The batch-level failure, if any: expectations that could not run, or too many failing documents."""
    if errors:
        return f"quality gate could not run for run {run_id}: " + "; ".join(errors)
    failed = ids & set(bad_docs)
    if not ids or len(failed) / len(ids) <= max_share:
        return None
    worst = Counter(f for d in failed for f in bad_docs[d]).most_common(3)
    return (f"quality gate failed for run {run_id}: {len(failed)} of {len(ids)} documents "
            f"({len(failed) / len(ids):.1%}) fail row-level expectations, more than max_reject_share "
            f"{max_share:.0%}; most frequent: " + "; ".join(f"{t}.{e}({c}) in {n} documents" for (t, e, c), n in worst))


def _failures(vd: gx.ValidationDefinition, df: pd.DataFrame, res: Any, p: dict) -> list[tuple[str, str | None, Any]]:
    """(expectation, column, failing row positions or an error message) for each failed expectation;
    the rows come from re-validating just that expectation with a COMPLETE result."""
    out, batch = [], None
    for r in res.results:
        if r.success:
            continue
        cfg = r.expectation_config
        if err := _raised(r):
            out.append((cfg.type, _column(cfg.kwargs), err))
            continue
        batch = batch or vd.batch_definition.get_batch(batch_parameters={"dataframe": df})
        exp = next(e for e in vd.suite.expectations if e.id == cfg.id)
        rows = batch.validate(copy.copy(exp), result_format=ROWS_FORMAT, expectation_parameters=p).result
        out.append((cfg.type, _column(cfg.kwargs), rows.get("unexpected_index_list") or "failed without failing rows"))
    return out


def _doc_ids(tables: dict[str, pa.Table]) -> list[str]:
    """The batch's documents: the documents table, else every doc_id its rows mention."""
    if "documents" in tables:
        return tables["documents"]["doc_id"].drop_null().to_pylist()
    return [d for n, t in tables.items() if n != KEEP_REJECTS and "doc_id" in t.column_names
            for d in t["doc_id"].drop_null().to_pylist()]


def _drop(name: str, t: pa.Table, docs: set[str], rows: set[int]) -> pa.Table:
    if name == KEEP_REJECTS or "doc_id" not in t.column_names or not (docs or rows):
        return t
    keep = not_of(t, docs)
    if rows:
        keep = pc.and_(keep, pa.array(~np.isin(np.arange(t.num_rows), sorted(rows))))
    return t.filter(keep)


def _rejects(tables: dict[str, pa.Table], bad: dict[str, Counter], run_id: str) -> pa.Table:
    """One reject per input record of each failing document: its sources rows, else its documents row."""
    docs = {r["doc_id"]: r for r in tables["documents"].select(["doc_id", "source_id", "source_path", "text"])
            .to_pylist()} if "documents" in tables else {}
    records: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if "sources" in tables:
        for r in tables["sources"].select(["doc_id", "source_id", "source_path"]).to_pylist():
            if r["doc_id"] in bad:
                records[r["doc_id"]].append((r["source_id"], r["source_path"]))
    rows, seen = [], set()
    for d in sorted(bad):
        fails = sorted(bad[d].items(), key=lambda kv: list(TABLES).index(kv[0][0]))
        (_, exp, col), _ = fails[0]
        doc = docs.get(d)
        recs = records[d] or ([(doc["source_id"], doc["source_path"])] if doc else [])
        for sid, path in recs:
            if (sid, path) in seen:
                continue
            seen.add((sid, path))
            rows.append({"source_id": sid, "source_path": path, "stage": "quality", "reason": f"{exp}:{col}",
                         "detail": "; ".join(f"{t}.{e}({c}): {n} row(s)" for (t, e, c), n in fails),
                         "doc_id": d, "sample": doc["text"][:SAMPLE] if doc and doc["text"] else None,
                         "run_id": run_id})
    return to_table("rejects", rows)


def _store(ctx: AbstractDataContext, batches: list[dict], batch: dict, keep: set[str] | None) -> None:
    """Put one recorded batch's results in the file context and its summary rows in `batches`."""
    run_id, part = batch["run_id"], batch["part"]
    if keep is not None and run_id not in keep:
        return
    store = ctx.validation_results_store
    for table, raw in batch["results"].items():
        res = store.deserialize(raw)
        rid = RunIdentifier(**res.meta["run_id"])
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(table), rid, f"part{part:05d}")
        # What store.set writes (GX's JSON, indented and sorted), without its second, costly serialisation
        store.store_backend.set(store.key_to_tuple(key), json.dumps(raw, indent=2, sort_keys=True))
        rows = _dq_rows(run_id, {table: res})
        batches.append({
            "run_id": run_id, "run_time": rid.run_time.isoformat(), "table": table,
            "page": str(SITE / "validations" / Path(*key.to_tuple()).with_suffix(".html")),
            "rows": max((r["element_count"] or 0 for r in rows), default=0), "expectations": len(rows),
            "failed": [{c: r[c] for c in ("expectation", "column", "unexpected_count", "observed_value")}
                       for r in rows if not r["success"]]})


def _batches(docs_dir: Path) -> list[dict]:
    log = docs_dir / "gx" / "summary.json"
    return json.loads(log.read_text(encoding="utf-8")) if log.exists() else []


def _write_summary(docs_dir: Path, batches: list[dict]) -> Path:
    (docs_dir / "gx" / "summary.json").write_text(json.dumps(batches, ensure_ascii=False), encoding="utf-8")
    index = docs_dir / "index.html"
    index.write_text(_summary_html(batches), encoding="utf-8")
    return index


def build_docs(docs_dir: Path, keep: set[str] | None = None) -> Path:
    """Store the recorded (pending) results in the file context, then render GX Data Docs pages for
    every result in docs_dir that has none yet, and GX's index. Call once at the end of a run
    (rendering per batch would cost ~1 s a batch, growing with the folder). keep: when given,
    results of every other run (killed or failed runs) are deleted first. Returns
    docs_dir/index.html, the self-contained summary of every stored result."""
    pages = store_docs(docs_dir, keep)
    if pages is not None:
        render_docs(docs_dir, pages)
    return docs_dir / "index.html"


def store_docs(docs_dir: Path, keep: set[str] | None = None) -> list[tuple[str, ...]] | None:
    """build_docs' first half: store the pending results (see build_docs) and return the keys of
    results without a page, or None when GX's site needs no rebuild. render_docs draws the pages,
    in any process and in parts."""
    stored, site = docs_dir / "gx" / "uncommitted" / "validations", docs_dir / SITE / "validations"
    with _lock:
        ctx = _context(docs_dir)[0]
        batches = _batches(docs_dir)
        pending = sorted((docs_dir / PENDING).glob("*.json"))
        for f in pending:
            _store(ctx, batches, json.loads(f.read_text(encoding="utf-8")), keep)
            f.unlink()
        gone = [d for d in (*stored.glob("*/*"), *site.glob("*/*")) if keep is not None and d.name not in keep]
        for d in gone:
            shutil.rmtree(d)
        if pending or gone:
            _write_summary(docs_dir, [b for b in batches if keep is None or b["run_id"] in keep])
    new = [f.relative_to(stored).with_suffix("").parts for f in sorted(stored.glob("*/*/*/*.json"))
           if not (site / f.relative_to(stored).with_suffix(".html")).exists()]
    return new if new or gone else None


def render_docs(docs_dir: Path, pages: list[tuple[str, ...]], index: bool = True) -> None:
    """GX Data Docs pages of stored results (keys from store_docs), and GX's index unless index=False.
    Reads the project store_docs set up, without writing its configuration: parts of one run's pages
    render at once in several processes (one of them with the index)."""
    key = docs_dir.resolve()
    with _lock:
        ctx = _contexts[key][0] if key in _contexts else gx.get_context(mode="file", project_root_dir=key)
        ids = [ValidationResultIdentifier.from_tuple(p) for p in pages]
        if ids or index:  # GX rebuilds its index with any page; an empty list would mean "everything"
            ctx.build_data_docs(resource_identifiers=ids or [ExpectationSuiteIdentifier("documents")],
                                build_index=index)


CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th{background:#f2f2f2}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
.ok{color:#176f2c}.bad{color:#b00020}code{unicode-bidi:plaintext}"""


def _summary_html(batches: list[dict]) -> str:
    """Per run and table: rows validated, links to each batch's GX page, failed expectations."""
    e = html.escape
    runs: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for b in sorted(batches, key=lambda b: b["run_time"]):
        runs[b["run_id"]][b["table"]].append(b)
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>khabar data quality</title>"
           f"<style>{CSS}</style></head><body><h1>khabar data quality</h1><p>Great Expectations results, "
           "one validation per table and batch, newest run first. GX's own Data Docs: "
           f"<a href='{e(str(SITE / 'index.html'))}'>index</a> (needs a network connection for styling).</p>"]
    for run in sorted(runs, reverse=True):
        tables = runs[run]
        n_failed = sum(len(b["failed"]) for bs in tables.values() for b in bs)
        out.append(f"<h2>run {e(run)}</h2><p class='{'bad' if n_failed else 'ok'}'>{n_failed} failed "
                   "expectation results</p><table><tr><th>table</th><th>rows</th><th>batches</th>"
                   "<th>failed expectations</th></tr>")
        for name in [t for t in TABLES if t in tables]:
            bs = tables[name]
            fails: dict[str, list] = defaultdict(list)
            for i, b in enumerate(bs, 1):
                for f in b["failed"]:
                    fails[f"{f['expectation']}({f['column'] or ''})"].append((i, b, f))
            cell = "<br>".join(
                f"{e(k)}: {sum(f['unexpected_count'] or 0 for _, _, f in fs)} unexpected row(s) in batch "
                + ", ".join(f"<a href='{e(b['page'])}'>{i}</a>" for i, b, _ in fs)
                + (f", e.g. <code>{e(fs[0][2]['observed_value'])}</code>" if fs[0][2]["observed_value"] else "")
                for k, fs in fails.items()) or "none"
            links = " ".join(f"<a href='{e(b['page'])}'>{i}</a>" for i, b in enumerate(bs, 1))
            suite = e(str(SITE / "expectations" / f"{name}.html"))
            out.append(f"<tr><td><a href='{suite}'>{e(name)}</a></td><td>{sum(b['rows'] for b in bs):,}</td>"
                       f"<td>{links}</td><td class='{'bad' if fails else 'ok'}'>{cell}</td></tr>")
        out.append("</table>")
    return "\n".join(out) + "</body></html>\n"
