"""Reports over the warehouse: named SQL queries, terminal tables and one self-contained HTML file.

The queries live in warehouse/reports/<name>.sql, one per file, each opening with a comment header
(first line: title; further lines: what it shows). They run on DIR/khabar.duckdb, opened read-only.
The HTML embeds plotly.js and, for the map, the Natural Earth topojson plotly's geo charts draw
(tasks/geo/world_50m.json, set as window.PlotlyGeoAssets, which plotly.js reads before it would fetch
one), so it opens offline; Arabic text is marked lang="ar" dir="rtl" and the browser shapes it.
"""
from __future__ import annotations

import contextlib
import html
import io
import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.offline import get_plotlyjs

from tasks.config import ROOT, WORLD_MAP
from tasks.ingest import ARABIC
from tasks.schema import PLOVER_TYPES

REPORTS = ROOT / "warehouse" / "reports"
# Terminal tables: query name -> the columns to print (None: all).
TERMINAL = {
    "overview": None,
    "events_per_day": None,
    "actor_dyads": ["source", "target", "mentions", "goldstein_mean", "verbal_coop", "material_coop",
                    "verbal_conflict", "material_conflict"],
    "top_actors": ["actor", "name", "mentions", "as_source", "as_target", "goldstein_mean"],
    "events_per_place": ["place", "geonames_id", "country", "precision", "event_type", "mentions"],
    "quotes_per_speaker": ["speaker", "name", "quotes", "documents"],
    "rejects_by_reason": ["stage", "reason", "rejects", "files"],
    "quality_history": ["run_id", "table", "expectations", "passed", "failed", "failing"],
}
FONTS = ('"Noto Naskh Arabic", "Noto Sans Arabic", "Segoe UI", Tahoma, "Geeza Pro", "DejaVu Sans", '
         'Arial, sans-serif')
TYPE_COLOR = dict(zip(PLOVER_TYPES, qualitative.Dark24))
QUADS = (("verbal_coop", "verbal cooperation", "#74add1"), ("material_coop", "material cooperation", "#313695"),
         ("verbal_conflict", "verbal conflict", "#f46d43"), ("material_conflict", "material conflict", "#a50026"))
MAX_EVENT_ROWS = 1000


@dataclass(frozen=True)
class Query:
    name: str
    title: str
    doc: str
    sql: str


def load_queries(folder: Path = REPORTS) -> dict[str, Query]:
    """Every <name>.sql in `folder`; its leading `--` lines are the title and description."""
    out = {}
    for p in sorted(folder.glob("*.sql")):
        sql = p.read_text(encoding="utf-8")
        head = []
        for line in sql.splitlines():
            if not line.startswith("--"):
                break
            head.append(line[2:].strip())
        if not head or not head[0]:
            raise ValueError(f"{p}: a report query starts with a `-- Title` comment line")
        out[p.stem] = Query(p.stem, head[0], " ".join(head[1:]), sql)
    return out


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """DIR/khabar.duckdb opened read-only (its views read the committed Parquet files)."""
    db = Path(warehouse) / "khabar.duckdb"
    if not db.is_file():
        raise FileNotFoundError(f"no warehouse at {warehouse} ({db.name} missing); run `khabar run` first")
    return duckdb.connect(str(db), read_only=True)


def fetch(con: duckdb.DuckDBPyConnection, q: Query) -> list[dict[str, Any]]:
    rel = con.sql(q.sql)
    return [dict(zip(rel.columns, r)) for r in rel.fetchall()]


def run_all(con: duckdb.DuckDBPyConnection, queries: dict[str, Query]) -> dict[str, list[dict[str, Any]]]:
    return {n: fetch(con, q) for n, q in queries.items()}


# ---------------------------------------------------------------- terminal


def terminal_tables(warehouse: Path, tables: dict[str, list[str] | None] = TERMINAL, limit: int = 10,
                    width: int = 120) -> str:
    """The key report tables in DuckDB's box rendering, `limit` rows each, fitted to `width`."""
    queries = load_queries()
    parts = []
    with connect(warehouse) as con:
        for n, cols in tables.items():
            q = queries[n]
            rel = con.sql(q.sql)
            total = len(rel)
            if cols:
                rel = rel.project(", ".join(f'"{c}"' for c in cols))
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                rel.limit(limit).show(max_width=width, max_col_width=40)
            more = f" (first {limit} of {total} rows)" if total > limit else ""
            parts.append(f"{q.title}{more}\n{buf.getvalue().rstrip()}")
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------- HTML pieces


def cell(value: Any) -> str:
    """One <td>: Arabic text gets lang/dir so it runs right to left; lists are comma-joined."""
    if value is None:
        return '<td class="null">–</td>'
    if isinstance(value, list):
        value = "، ".join(map(str, value)) if any(ARABIC.search(str(v)) for v in value) else ", ".join(map(str, value))
    elif isinstance(value, float):
        value = f"{value:g}"
    elif isinstance(value, datetime):
        value = f"{value.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
    s = str(value)
    attrs = ' lang="ar" dir="rtl"' if ARABIC.search(s) else ""
    return f"<td{attrs}>{html.escape(s)}</td>"


def table(rows: list[dict[str, Any]], limit: int = 20, empty: str = "No rows.") -> str:
    if not rows:
        return f'<p class="empty">{empty}</p>' if empty else ""
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(cell(r[c]) for c in cols) + "</tr>" for r in rows[:limit])
    more = f'<p class="note">First {limit} of {len(rows)} rows.</p>' if len(rows) > limit else ""
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{more}'


def highlight(text: str, spans: list[tuple[int | None, int | None, str, str]]) -> str:
    """Escape `text` and wrap each (start, end, class, title) span, relative to text, in <mark>.
    Spans outside the text or overlapping an earlier one are left out."""
    taken: list[tuple[int, int, str, str]] = []
    for s, e, cls, title in spans:
        if s is None or e is None or not 0 <= s < e <= len(text):
            continue
        if all(e <= a or s >= b for a, b, _, _ in taken):
            taken.append((s, e, cls, title))
    out, pos = [], 0
    for s, e, cls, title in sorted(taken):
        out.append(html.escape(text[pos:s]))
        out.append(f'<mark class="{cls}" title="{html.escape(title)}">{html.escape(text[s:e])}</mark>')
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


def actor(code: str | None, text: str | None) -> str:
    """Code, then the Arabic text isolated (<bdi>) so it keeps its own direction."""
    name = f'<bdi lang="ar">{html.escape(text)}</bdi>' if text else ""
    return " ".join(x for x in (html.escape(code or ""), name) if x) or "?"


def event_row(r: dict[str, Any]) -> str:
    """One event with its sentence: trigger, source and target highlighted in place."""
    if r["sentence_text"] is not None:
        sent = highlight(r["sentence_text"], [
            (r["trigger_at"], r["trigger_to"], "trigger", f"trigger {r['event_type']}"),
            (r["source_at"], r["source_to"], "source", f"source {r['source_code'] or ''}"),
            (r["target_at"], r["target_to"], "target", f"target {r['target_code'] or ''}")])
    else:
        sent = highlight(r["trigger_text"], [(0, len(r["trigger_text"]), "trigger", "trigger (sentence missing)")])
    actors = " → ".join(actor(r[f"{k}_code"], r[f"{k}_text"]) for k in ("source", "target"))
    flags = ", ".join(x for x in ("negated" if r["negated"] else "",
                                  r["modality"] if r["modality"] != "asserted" else "",
                                  "reported" if r["reported_speech"] else "") if x)
    gold = "" if r["goldstein"] is None else f" · {r['goldstein']:+g}"
    doc = html.escape(r["title"] or r["source_path"] or "")
    return (f'<tr><td class="mono" title="{doc}">{html.escape(r["doc_id"])}</td><td>{r["sentence_id"]}</td>'
            f'<td class="mono">{r["start"]}–{r["end"]}</td>'
            f'<td><span class="type" style="border-color:{TYPE_COLOR.get(r["event_type"], "#888")}">'
            f'{html.escape(r["event_type"])}</span> {html.escape(r["cameo_code"] or "")}{gold}</td>'
            f'<td>{actors}</td><td class="sentence" lang="ar" dir="rtl">{sent}</td>'
            f'<td>{html.escape(flags)}</td><td>{r["event_date"] or ""}</td></tr>')


def event_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return '<p class="empty">No events in this warehouse yet.</p>'
    head = "".join(f"<th>{h}</th>" for h in ("doc_id", "sentence", "offsets", "type · CAMEO · Goldstein",
                                              "source → target", "sentence text", "flags", "date"))
    body = "".join(event_row(r) for r in rows[:MAX_EVENT_ROWS])
    more = f'<p class="note">First {MAX_EVENT_ROWS} of {len(rows)} events.</p>' if len(rows) > MAX_EVENT_ROWS else ""
    return (f'<div class="scroll"><table id="events"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
            + more)


# ---------------------------------------------------------------- charts


def layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(title=title, height=height, font={"family": FONTS, "size": 13}, template="plotly_white",
                      margin={"l": 60, "r": 30, "t": 60, "b": 60}, legend={"orientation": "h", "y": -0.2})
    return fig


def timeline(rows: list[dict[str, Any]]) -> go.Figure | None:
    """One dot per day and type, its area growing with the mentions; sparse and dense spans both read."""
    dated = [r for r in rows if r["day"] is not None]
    if not dated:
        return None
    types = [t for t in PLOVER_TYPES if any(r["event_type"] == t for r in dated)]
    traces = []
    for t in types:
        rs = [r for r in dated if r["event_type"] == t]
        traces.append(go.Scatter(
            x=[r["day"] for r in rs], y=[t] * len(rs), mode="markers", name=t,
            marker={"size": [8 + 6 * math.sqrt(r["mentions"]) for r in rs], "color": TYPE_COLOR[t], "opacity": 0.8},
            customdata=[[r["mentions"], r["events"], r["asserted"]] for r in rs],
            hovertemplate="%{x|%Y-%m-%d} %{y}<br>%{customdata[0]} mentions, %{customdata[1]} events, "
                          "%{customdata[2]} asserted<extra></extra>"))
    fig = go.Figure(traces)
    fig.update_layout(xaxis_title="day", showlegend=False,
                      yaxis={"categoryorder": "array", "categoryarray": types[::-1]})
    return layout(fig, "Event timeline by PLOVER type (dot area: mentions)", 160 + 34 * len(types))


def by_type(rows: list[dict[str, Any]]) -> go.Figure | None:
    if not rows:
        return None
    types = [t for t in PLOVER_TYPES if any(r["event_type"] == t for r in rows)]
    tot = {t: sum(r["mentions"] for r in rows if r["event_type"] == t) for t in types}
    ok = {t: sum(r["asserted"] for r in rows if r["event_type"] == t) for t in types}
    fig = go.Figure([go.Bar(x=types, y=[ok[t] for t in types], name="asserted", marker_color="#4c78a8"),
                     go.Bar(x=types, y=[tot[t] - ok[t] for t in types], name="negated or hedged",
                            marker_color="#bab0ac")])
    fig.update_layout(barmode="stack", yaxis_title="event mentions (dated and undated)")
    return layout(fig, "Events by type", 360)


def label(code: str, name: str | None) -> str:
    return code if not name or name == code else f"{code} · {name}"


def dyad_matrix(rows: list[dict[str, Any]], names: dict[str, str], top: int = 20) -> go.Figure | None:
    if not rows:
        return None
    weight: dict[str, int] = {}
    for r in rows:
        weight[r["source"]] = weight.get(r["source"], 0) + r["mentions"]
        weight[r["target"]] = weight.get(r["target"], 0) + r["mentions"]
    actors = sorted(weight, key=lambda a: (-weight[a], a))[:top]
    cell_of = {(r["source"], r["target"]): r for r in rows}
    grid = [[cell_of.get((s, t)) for t in actors] for s in actors]
    fig = go.Figure(go.Heatmap(
        x=[label(a, names.get(a)) for a in actors], y=[label(a, names.get(a)) for a in actors],
        z=[[None if c is None or c["goldstein_mean"] is None else c["goldstein_mean"] for c in row] for row in grid],
        text=[["" if c is None else str(c["mentions"]) for c in row] for row in grid],
        customdata=[[None if c is None else [c["mentions"], c["events"]] for c in row] for row in grid],
        texttemplate="%{text}", colorscale="RdBu", zmin=-10, zmax=10, zmid=0, xgap=1, ygap=1,
        colorbar={"title": "Goldstein mean"},
        hovertemplate="%{y} → %{x}<br>mentions %{customdata[0]}, events %{customdata[1]}"
                      "<br>Goldstein mean %{z}<extra></extra>"))
    fig.update_layout(xaxis_title="target", yaxis_title="source", yaxis_autorange="reversed", xaxis_tickangle=-40)
    return layout(fig, "Dyad matrix: mentions per source → target, coloured by mean Goldstein score",
                  max(420, 120 + 28 * len(actors)))


def quad_mix(rows: list[dict[str, Any]], names: dict[str, str], top: int = 15) -> go.Figure | None:
    if not rows:
        return None
    top_rows = rows[:top][::-1]
    y = [f"{label(r['source'], names.get(r['source']))} → {label(r['target'], names.get(r['target']))}"
         for r in top_rows]
    fig = go.Figure([go.Bar(y=y, x=[r[k] for r in top_rows], name=name, orientation="h", marker_color=color)
                     for k, name, color in QUADS])
    fig.update_layout(barmode="stack", xaxis_title="event mentions")
    return layout(fig, "Quad-class mix of the busiest dyads", max(360, 120 + 26 * len(top_rows)))


def top_actors(rows: list[dict[str, Any]], top: int = 15) -> go.Figure | None:
    if not rows:
        return None
    top_rows = rows[:top][::-1]
    y = [label(r["actor"], r["name"]) for r in top_rows]
    fig = go.Figure([go.Bar(y=y, x=[r["as_source"] for r in top_rows], name="as source", orientation="h",
                            marker_color="#4c78a8"),
                     go.Bar(y=y, x=[r["as_target"] for r in top_rows], name="as target", orientation="h",
                            marker_color="#f58518")])
    fig.update_layout(barmode="stack", xaxis_title="event mentions")
    return layout(fig, "Top actors", max(360, 120 + 26 * len(top_rows)))


MAP_RESOLUTION = 50  # plotly looks the map up as PlotlyGeoAssets.topojson["world_50m"]


def event_map(rows: list[dict[str, Any]]) -> go.Figure | None:
    """Events by PLOVER type at their places: one trace per type, a marker per place (area: mentions),
    on the bundled Natural Earth map, zoomed to the places."""
    if not rows:
        return None
    traces = []
    for t in [t for t in PLOVER_TYPES if any(r["event_type"] == t for r in rows)]:
        rs = [r for r in rows if r["event_type"] == t]
        traces.append(go.Scattergeo(
            lat=[r["latitude"] for r in rs], lon=[r["longitude"] for r in rs], mode="markers", name=t,
            marker={"size": [7 + 5 * math.sqrt(r["mentions"]) for r in rs], "color": TYPE_COLOR[t], "opacity": 0.75,
                    "line": {"width": 0.5, "color": "#333"}},
            customdata=[[r["place"], r["country"], r["precision"], r["geonames_id"], r["mentions"], r["events"]]
                        for r in rs],
            hovertemplate=t + "<br>%{customdata[0]} (%{customdata[1]}, %{customdata[2]}, GeoNames %{customdata[3]})"
                              "<br>%{customdata[4]} mentions, %{customdata[5]} events<extra></extra>"))
    fig = go.Figure(traces)
    fig.update_geos(resolution=MAP_RESOLUTION, projection_type="natural earth", fitbounds="locations",
                    showcountries=True, countrycolor="#999", showland=True, landcolor="#f3f1ea", showocean=True,
                    oceancolor="#e4eef5", showlakes=False, showrivers=False, coastlinecolor="#999")
    fig = layout(fig, "Events on the map by PLOVER type (marker area: mentions)", 560)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 60, "b": 40})
    return fig


def geo_assets() -> str:
    """The script that hands plotly.js the map it would otherwise fetch from its CDN."""
    topo = WORLD_MAP.read_text(encoding="utf-8").replace("</", "<\\/")
    return (f'<script type="text/javascript">window.PlotlyGeoAssets = {{topojson: '
            f'{{{json.dumps(f"world_{MAP_RESOLUTION}m")}: {topo}}}}};</script>')


def run_label(r: dict[str, Any]) -> str:
    return f"{r['started_at'].astimezone(timezone.utc):%Y-%m-%d %H:%M} {r['run_id'][-6:]}"


def quality(rows: list[dict[str, Any]]) -> go.Figure | None:
    checked = [r for r in rows if r["expectations"]]
    if not checked:
        return None
    tables = sorted({r["table"] for r in checked})
    fig = go.Figure([go.Scatter(
        x=[run_label(r) for r in checked if r["table"] == t], y=[r["success_rate"] for r in checked if r["table"] == t],
        customdata=[[r["run_id"], r["passed"], r["expectations"], ", ".join(r["failing"] or []) or "none"]
                    for r in checked if r["table"] == t],
        hovertemplate=t + " · %{customdata[0]}<br>%{customdata[1]} of %{customdata[2]} passed"
                      "<br>failing: %{customdata[3]}<extra></extra>",
        mode="lines+markers", name=t) for t in tables])
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(dict.fromkeys(map(run_label, checked))))
    fig.update_layout(xaxis_title="run started", yaxis_title="share of expectations passed", yaxis_range=[0, 1.05])
    return layout(fig, "Quality over runs (dq_results per table)")


def rejects(rows: list[dict[str, Any]]) -> go.Figure | None:
    if not rows:
        return None
    fig = go.Figure(go.Bar(x=[f"{r['stage']}: {r['reason']}" for r in rows], y=[r["rejects"] for r in rows],
                           marker_color="#e45756", customdata=[r["example"] or "" for r in rows],
                           hovertemplate="%{x}: %{y}<br>%{customdata}<extra></extra>"))
    fig.update_layout(yaxis_title="rejected records")
    return layout(fig, "Rejects by stage and reason", 360)


def chart(fig: go.Figure | None, div_id: str, empty: str) -> str:
    if fig is None:
        return f'<p class="empty" id="{div_id}-empty">{html.escape(empty)}</p>' if empty else ""
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


# ---------------------------------------------------------------- the page

CSS = """
body { font-family: %s; margin: 1.5rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
p.doc, p.note, p.empty { color: #555; } p.empty { font-style: italic; }
table { border-collapse: collapse; width: 100%%; font-size: .9rem; }
th, td { border: 1px solid #ddd; padding: .3rem .45rem; vertical-align: top; text-align: start; }
th { background: #f4f4f4; } td.null { color: #aaa; } .mono { font-family: monospace; font-size: .8rem; }
td.sentence { font-size: 1.05rem; line-height: 1.8; min-width: 24rem; }
mark.trigger { background: #ffd54f; } mark.source { background: #bbdefb; } mark.target { background: #f8bbd0; }
span.type { border-left: 4px solid; padding-left: .3rem; font-weight: 600; }
.legend mark { padding: 0 .3rem; } div.scroll { overflow-x: auto; }
""" % FONTS


def render_html(res: dict[str, list[dict[str, Any]]], queries: dict[str, Query], name: str) -> str:
    """The whole report page from the query results (keys: query names)."""
    undated = sum(r["mentions"] for r in res["events_per_day"] if r["day"] is None)
    note = f'<p class="note">{undated} event mentions have no date and are not on the timeline.</p>' if undated else ""
    names = {r["actor"]: r["name"] for r in res["top_actors"]}
    legend = ('<p class="legend">Highlighted: <mark class="trigger">trigger</mark> <mark class="source">source</mark> '
              '<mark class="target">target</mark>. Offsets are character offsets into documents.text; hover a doc_id '
              "for its title.</p>")
    sections = [  # anchor, title, query whose description heads the section, body
        ("overview", "Overview", "overview", table(res["overview"])),
        ("timeline", "Event timeline", "events_per_day",
         chart(timeline(res["events_per_day"]), "chart-timeline", "No dated events yet.") + note
         + chart(by_type(res["events_per_day"]), "chart-types", "No events yet.")),
        ("places", "Events on the map", "events_per_place",
         chart(event_map(res["events_per_place"]), "chart-map", "No events with coordinates yet.")
         + table(res["events_per_place"], empty="")),
        ("dyads", "Actor dyads", "actor_dyads",
         chart(dyad_matrix(res["actor_dyads"], names), "chart-dyads", "No events with both actors yet.")
         + chart(quad_mix(res["actor_dyads"], names), "chart-quads", "") + table(res["actor_dyads"], empty="")),
        ("actors", "Top actors", "top_actors",
         chart(top_actors(res["top_actors"]), "chart-actors", "No actors yet.") + table(res["top_actors"], empty="")),
        ("quality", "Quality over runs", "quality_history",
         chart(quality(res["quality_history"]), "chart-quality", "No quality results yet.")
         + table(res["quality_history"], limit=50)),
        ("rejects", "Rejects by reason", "rejects_by_reason",
         chart(rejects(res["rejects_by_reason"]), "chart-rejects", "No rejects.")
         + table(res["rejects_by_reason"], empty="")),
        ("quotes", "Quotes per speaker", "quotes_per_speaker", table(res["quotes_per_speaker"])),
        ("cooccurrence", "Entity co-occurrence (same sentence)", "entity_cooccurrence",
         table(res["entity_cooccurrence"])),
        ("event-sentences", "Events and their sentences", "event_sentences",
         legend + event_table(res["event_sentences"])),
    ]
    nav = " · ".join(f'<a href="#{a}">{html.escape(t)}</a>' for a, t, _, _ in sections)
    body = "".join(f'<section id="{a}"><h2>{html.escape(t)}</h2><p class="doc">{html.escape(queries[q].doc)}</p>'
                   f"{b}</section>" for a, t, q, b in sections)
    made = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>khabar report: {html.escape(name)}</title><style>{CSS}</style>"
            f'<script type="text/javascript">{get_plotlyjs()}</script>{geo_assets() if res["events_per_place"] else ""}'
            "</head><body>"
            f'<h1>khabar report</h1><p class="note">Warehouse {html.escape(name)}, made {made}.</p>'
            f"<nav>{nav}</nav>{body}</body></html>\n")


def build_report(warehouse: Path, out: Path) -> Path:
    """Run every named query on the warehouse and write the self-contained HTML report to `out`."""
    queries = load_queries()
    with connect(warehouse) as con:
        res = run_all(con, queries)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(render_html(res, queries, str(Path(warehouse).absolute())), encoding="utf-8")
    tmp.replace(out)
    return out
