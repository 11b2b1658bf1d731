"""Geocoding coverage on the first N SaudiNewsNet articles, every stage in this process (no Prefect).

usage: python bench/geo_coverage.py [N] [SAMPLE]     (default 500 articles; SAMPLE resolved places to check)
Prints the LOC/GPE mentions and the share with coordinates, the geo stage's CPU seconds (per 10k
mentions), the rules that decided, the events with a location_text and the share with coordinates,
the most common event places without coordinates, then SAMPLE resolved mentions drawn at random
(seed 0) with ±90 characters of their text, to check their country by hand.
"""
from __future__ import annotations

import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from run import slice_file  # noqa: E402

from tasks.entities import entities_of  # noqa: E402
from tasks.events import events_of  # noqa: E402
from tasks.geo import geocode  # noqa: E402
from tasks.ingest import Seen, admit, load_fields, read_items  # noqa: E402
from tasks.segment import process_text  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    sample = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    docs, _, _ = admit(read_items(slice_file(n, out), load_fields()), Seen(set(), set(), set()))
    ents, events, text, cpu = [], [], {}, 0.0
    for i in range(0, len(docs), 50):
        t = process_text(docs[i:i + 50])
        ds = docs[i:i + 50] + t["documents"]
        text.update({d["doc_id"]: d["text"] for d in ds})
        es = entities_of(ds, t["sentences"], t["tokens"])
        c0 = time.process_time()
        es = geocode(ds, es)
        cpu += time.process_time() - c0
        events += events_of(ds, t["sentences"], t["tokens"], es)[0]  # places chosen by tasks.geo.event_place
        ents += es
    places = [e for e in ents if e["label"] in ("LOC", "GPE")]
    placed = [e for e in places if e["geonames_id"] is not None]
    located = [e for e in events if e["location_text"]]
    print(f"{len(docs)} documents: {len(places)} LOC/GPE mentions, {len(placed) / len(places):.3f} with coordinates; "
          f"geo stage {cpu:.2f} CPU s ({cpu / len(places) * 1e4:.2f} per 10k mentions, gazetteer load included)")
    print("rules:", ", ".join(f"{k} {v}" for k, v in Counter(e["geo_rule"] for e in places).most_common()))
    print(f"{len(events)} events, {len(located)} with a location_text, "
          f"{sum(e['location_geonames_id'] is not None for e in located) / len(located):.3f} of them with coordinates")
    missing = Counter(e["location_text"] for e in located if e["location_geonames_id"] is None)
    print("events' places without coordinates, most common:", ", ".join(f"{k} {v}" for k, v in missing.most_common(15)))
    random.seed(0)
    for i, e in enumerate(random.sample(placed, min(sample, len(placed)))):
        t = text[e["doc_id"]]
        print(f"{i:2d} {e['text']} -> {e['country']} {e['precision']} {e['geonames_id']} {e['geo_rule']} | "
              + t[max(0, e["start"] - 90):e["end"] + 60].replace("\n", " "))


if __name__ == "__main__":
    main()
