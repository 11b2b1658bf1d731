"""The HTML report in headless Chromium with every network request blocked: charts draw, Arabic is shaped
and runs right to left. Needs Debian's chromium (apt-get install chromium); screenshots land in tmp_path."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tasks.report import build_report, connect, load_queries, run_all
from tests.test_report import fixture_wh  # noqa: F401  (the seed-derived warehouse fixture)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run",
        "--disable-component-update", "--disable-sync"]
CHARTS = ("chart-timeline", "chart-types", "chart-map", "chart-dyads", "chart-quads", "chart-actors", "chart-quality",
          "chart-rejects")

# Per chart: traces in the figure, drawn marks (bars, dots, heatmap image) with a non-empty box, and tick labels.
CHART_STATE = """ids => ids.map(id => {
  const d = document.getElementById(id);
  const drawn = [...d.querySelectorAll('.point, .hm image')]
    .filter(e => { const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; }).length;
  const ticks = [...d.querySelectorAll('.xtick text, .ytick text')].map(t => t.textContent);
  return {id, svgs: d.querySelectorAll('.main-svg').length, traces: (d.data || []).length, drawn, ticks};
})"""

# The map: the bundled topojson plotly used, its country borders and land drawn, and the markers of each trace.
MAP_STATE = """() => {
  const d = document.getElementById('chart-map');
  const path = sel => [...d.querySelectorAll(sel)].map(p => (p.getAttribute('d') || '').length);
  return {bundled: Object.keys((window.PlotlyGeoAssets || {}).topojson || {}),
          countries: path('.layer.countries path'), land: path('.layer.land path'),
          markers: d.querySelectorAll('.scattergeo .point').length, traces: d.data.map(t => t.lat.length)};
}"""

# Width of a word as the browser lays it out, joined and with joining blocked by ZWNJ between letters.
SHAPING = """word => {
  const cell = document.querySelector('td.sentence');
  const w = s => {
    const e = document.createElement('span'); e.lang = 'ar'; e.style.font = getComputedStyle(cell).font;
    e.textContent = s; cell.appendChild(e); const x = e.getBoundingClientRect().width; e.remove(); return x;
  };
  return [w(word), w([...word].join('\\u200c'))];
}"""

# Right-to-left layout: a short Arabic cell is flush right, and a sentence's final full stop sits left of
# the letter before it (in a left-to-right paragraph it would sit on the right).
ORDER = """() => {
  const rect = (node, i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                              return r.getBoundingClientRect(); };
  const name = [...document.querySelectorAll('td[lang=ar]:not(.sentence)')].find(td => td.textContent.length < 20);
  const all = document.createRange(); all.selectNodeContents(name);
  const text = all.getBoundingClientRect(), box = name.getBoundingClientRect();
  const cell = [...document.querySelectorAll('td.sentence')]
    .find(td => /[\u0621-\u064a][.]$/.test(td.textContent.trim()));
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  let last; while (walker.nextNode()) if (walker.currentNode.textContent.trim()) last = walker.currentNode;
  const end = last.textContent.trimEnd().length - 1;
  return {dir: getComputedStyle(cell).direction, lang: cell.lang, nameLeft: text.left - box.left,
          nameRight: box.right - text.right, stop: rect(last, end).left, letter: rect(last, end - 1).left};
}"""


@pytest.fixture(scope="module")
def report(fixture_wh, tmp_path_factory):  # noqa: F811
    out = build_report(fixture_wh, tmp_path_factory.mktemp("html") / "report.html")
    with connect(fixture_wh) as con:
        res = run_all(con, load_queries())
    return out, res


def test_report_renders_offline_in_chromium(report, tmp_path):
    assert CHROMIUM.is_file(), "install Debian's chromium: apt-get install -y chromium"
    out, res = report
    requests, blocked, errors = [], [], []
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=str(CHROMIUM),
                                                   headless=True, args=ARGS, viewport={"width": 1280, "height": 900})
        try:
            ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                      else (blocked.append(r.request.url), r.abort()))
            ctx.on("request", lambda r: requests.append(r.url))
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.goto(out.as_uri())
            page.wait_for_function("() => [...document.querySelectorAll('.plotly-graph-div')]"
                                   ".every(d => d._fullLayout)", timeout=30_000)
            charts = {c["id"]: c for c in page.evaluate(CHART_STATE, list(CHARTS))}
            geo = page.evaluate(MAP_STATE)
            page.locator("#places").screenshot(path=str(tmp_path / "map.png"))
            joined, apart = page.evaluate(SHAPING, "بلينكن")
            order = page.evaluate(ORDER)
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            page.locator("#event-sentences").screenshot(path=str(tmp_path / "events.png"))
        finally:
            ctx.close()

    assert not blocked and not errors, (blocked, errors)
    assert all(u.startswith(("file:", "data:", "blob:")) for u in requests), requests
    for c in charts.values():
        assert c["svgs"] >= 1 and c["traces"] >= 1 and c["drawn"] >= 1, c
    dated_types = {r["event_type"] for r in res["events_per_day"] if r["day"] is not None}
    assert charts["chart-timeline"]["traces"] == len(dated_types)
    assert charts["chart-timeline"]["drawn"] == sum(r["day"] is not None for r in res["events_per_day"])
    assert charts["chart-rejects"]["drawn"] == len(res["rejects_by_reason"])
    # the map drew from the bundled topojson (no request left the page, above): borders, land, a marker per row
    assert geo["bundled"] == ["world_50m"], geo
    assert geo["countries"] and min(geo["countries"]) > 10_000 and geo["land"] and min(geo["land"]) > 10_000, geo
    assert geo["markers"] == sum(geo["traces"]) == len(res["events_per_place"]) > 0, geo
    assert len(geo["traces"]) == len({r["event_type"] for r in res["events_per_place"]})
    top = res["top_actors"][0]
    assert any(top["actor"] in t and top["name"] in t for t in charts["chart-actors"]["ticks"])  # Arabic tick label

    # Shaped: joined letters take a different width than the same letters kept apart (no Arabic font: same boxes).
    assert abs(joined - apart) > 1, (joined, apart)
    assert order["dir"] == "rtl" and order["lang"] == "ar"
    assert order["nameRight"] < 15 < order["nameLeft"] and order["stop"] < order["letter"], order
    assert (tmp_path / "report.png").stat().st_size > 50_000 and (tmp_path / "events.png").stat().st_size > 10_000
    assert (tmp_path / "map.png").stat().st_size > 20_000
