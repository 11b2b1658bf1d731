"""Prefect artifacts of a run: a markdown summary and a table of its top events.

Both carry stable keys, so the UI's Artifacts page keeps one history per key across runs. Figures come
from the warehouse's DuckDB views, filtered on the run's run_id; a table with no rows yet counts 0.
"""
from __future__ import annotations

import json
import shlex
import sys
from datetime import timezone
from pathlib import Path
from typing import Any

import duckdb
from prefect.artifacts import create_markdown_artifact, create_table_artifact

SUMMARY_KEY = "khabar-run-summary"
EVENTS_KEY = "khabar-top-events"
COUNTED = ("documents", "sentences", "tokens", "entities", "events", "quotes")
TOP_EVENTS = 25
MAX_INPUTS = 20

TOP_SQL = """
SELECT event_type, cameo_code, source_text, target_text, location_text, event_date, mentions,
       round(confidence, 2) AS confidence, goldstein, trigger_text, doc_id, event_id
FROM events WHERE run_id = ?
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY confidence DESC, mention_id) = 1
ORDER BY mentions DESC, confidence DESC, event_id
LIMIT ?
"""


def run_figures(warehouse: Path, run_id: str) -> dict[str, Any]:
    """What the artifacts show for one committed run, read from DIR/khabar.duckdb."""
    with duckdb.connect(str(Path(warehouse) / "khabar.duckdb"), read_only=True) as con:
        def rows(sql: str) -> list[tuple]:
            return con.execute(sql, [run_id]).fetchall()

        run = _dicts(con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]))
        if not run:
            raise ValueError(f"run {run_id} is not committed in {warehouse}")
        checks, passed = rows("SELECT count(*), count(*) FILTER (WHERE success) FROM dq_results WHERE run_id = ?")[0]
        return {
            "run": run[0],
            "counts": {t: rows(f"SELECT count(*) FROM {t} WHERE run_id = ?")[0][0] for t in COUNTED},
            "rejects": rows("SELECT stage, reason, count(*) FROM rejects WHERE run_id = ? GROUP BY ALL "
                            "ORDER BY 3 DESC, 1, 2"),
            "events_by_type": rows("SELECT event_type, count(*) FROM events WHERE run_id = ? GROUP BY ALL "
                                   "ORDER BY 2 DESC, 1"),
            "checks": checks, "passed": passed,
            "top_events": [{k: _plain(v) for k, v in r.items()}
                           for r in _dicts(con.execute(TOP_SQL, [run_id, TOP_EVENTS]))],
        }


def summary_markdown(fig: dict[str, Any], summary: dict) -> str:
    """The run summary as markdown; `summary` is the flow's own (seconds, stage_seconds)."""
    run, c = fig["run"], fig["counts"]
    started = run["started_at"].astimezone(timezone.utc)
    inputs = json.loads(run["inputs"])
    shown = "\n".join(f"- `{p}`" for p in inputs[:MAX_INPUTS])
    if len(inputs) > MAX_INPUTS:
        shown += f"\n- … and {len(inputs) - MAX_INPUTS} more"
    rate = f"{100 * fig['passed'] / fig['checks']:.1f} % ({fig['passed']} of {fig['checks']} checks)" \
        if fig["checks"] else "no checks ran (0)"
    n_rejects = sum(n for *_, n in fig["rejects"])
    lines = [
        f"# khabar run `{run['run_id']}`", "",
        f"Status **{run['status']}**{' (full refresh)' if run.get('full_refresh') else ''}, "
        f"pipeline {run['pipeline_version']}, started {started:%Y-%m-%d %H:%M:%S} UTC, "
        f"{summary.get('seconds', '?')} s.", "",
        f"## Inputs ({len(inputs)})", "", shown, "",
        "## Counts", "", "| | rows |", "|---|---:|",
        f"| input records | {run['records']} |",
        f"| new documents | {c['documents']} |",
        f"| rejects | {n_rejects} |",
        *(f"| {t} | {c[t]} |" for t in ("sentences", "tokens", "entities", "events", "quotes")),
        f"| quality pass rate | {rate} |", "",
        "## Rejects by reason", "",
        *_table(("stage", "reason", "records"), fig["rejects"], "No rejects (0)."), "",
        "## Events by type", "",
        *_table(("type", "events"), fig["events_by_type"], "No events (0)."), "",
        "## Time per stage", "",
        *_table(("stage", "seconds"), [*(summary.get("stage_seconds") or {}).items(),
                                        ("whole run", summary.get("seconds", "?"))], ""),
    ]
    return "\n".join(lines) + "\n"


def summary_table(fig: dict[str, Any], summary: dict, warehouse: Path) -> str:
    """The run summary for people: a short table, then where the warehouse is and how to query it."""
    run, c = fig["run"], fig["counts"]
    rows = [("input records", run["records"]), ("new documents", c["documents"]),
            ("rejects", sum(n for *_, n in fig["rejects"])),
            *((f"  {stage}: {reason}", n) for stage, reason, n in fig["rejects"]),
            ("events", c["events"]), *((f"  {t}", n) for t, n in fig["events_by_type"]),
            ("seconds", summary["seconds"])]
    width = max(len(k) for k, _ in rows)
    db = Path(warehouse).absolute() / "khabar.duckdb"
    shell = Path(sys.executable).parent / "duckdb"  # duckdb-cli's shell (a dependency), beside the venv's python
    return "\n".join([f"khabar run {run['run_id']}: {run['status'].replace('_', ' ')}", "",
                      *(f"  {k:<{width}}  {v:>8}" for k, v in rows), "",
                      f"warehouse: {db.parent}", f"query it:  {shlex.quote(str(shell))} -readonly {shlex.quote(str(db))}"])


def publish_artifacts(summary: dict, warehouse: Path, run_id: str) -> None:
    """Create the run's summary (markdown) and top-events (table) artifacts under their stable keys."""
    fig = run_figures(warehouse, run_id)
    create_markdown_artifact(summary_markdown(fig, summary), key=SUMMARY_KEY,
                             description=f"khabar run {run_id}: what came in, what was found, how long it took")
    create_table_artifact(fig["top_events"], key=EVENTS_KEY,
                          description=f"khabar run {run_id}: top {TOP_EVENTS} events by mentions, then confidence")


def _table(head: tuple[str, ...], rows: list[tuple], empty: str) -> list[str]:
    if not rows:
        return [empty]
    return [f"| {' | '.join(head)} |", "|" + "---|" * (len(head) - 1) + "---:|",
            *(f"| {' | '.join(str(v) for v in r)} |" for r in rows)]


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _plain(v: Any) -> Any:
    """JSON-safe cell: dates become ISO strings."""
    return v.isoformat() if hasattr(v, "isoformat") else v
