"""The gazetteer: seeds/gazetteer.csv (built by tasks.geo.build from GeoNames) with seeds/places.csv on top.

Keys are the matching form of a name, word by word (tasks.arabic.key: no diacritics, alef,
yeh and teh marbuta folded); the article is part of the key (الرياض and رياض are different
names). A places.csv row fixes the country and precision of its spellings (corrections); the
GeoNames rows give the id and coordinates within that country.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tasks.config import SEEDS
from tasks.arabic import key as fold, nisba
from tasks.dictionaries import CURATED, load, variants
from tasks.schema import CONTINENT, PLACE_PRECISIONS as PRECISIONS

GAZETTEER = SEEDS / "gazetteer.csv"
COLUMNS = ("key", "arabic", "geonameid", "name", "feature", "country", "admin1", "latitude", "longitude",
           "population", "source")
# places.csv rows trusted to correct the gazetteer: hand-curated and CLDR names
TRUSTED = (CURATED, "cldr")
_SPLIT = re.compile(r"[\s\-]+")


def key(text: str) -> str:
    """Matching form of a name: normalised words joined by one space (hyphens split words)."""
    return " ".join(w for w in map(fold, _SPLIT.split(text)) if w)


@dataclass(frozen=True, slots=True)
class Place:
    geonameid: int
    name: str  # GeoNames' name
    feature: str  # country, region, city or continent
    country: str  # ISO 3166-1 alpha-3 ('' for a continent)
    admin1: str  # GeoNames admin1 code, e.g. SA.11 ('' for countries and continents)
    latitude: float
    longitude: float
    population: int


@dataclass(frozen=True, slots=True)
class Override:
    """A places.csv row: what a spelling must resolve to."""
    country: str | None
    precision: str | None
    canonical: str
    source: str


@dataclass(frozen=True)
class Gazetteer:
    names: dict[str, tuple[Place, ...]]  # key -> places, countries first, then by population
    countries: dict[str, Place]  # ISO alpha-3 -> the country
    english: dict[tuple[str, str], Place]  # (country, lower-case GeoNames name) -> largest such place
    overrides: dict[str, Override]  # key -> the first places.csv row (curated first) spelling it
    demonyms: dict[str, str]  # nationality adjective (seeds/demonyms.csv), singular, feminine, with the article -> country

    def places(self, k: str) -> tuple[Place, ...]:
        return self.names.get(k, ())


def read(path: Path = GAZETTEER) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and tuple(rows[0]) != COLUMNS:
        raise ValueError(f"{path}: columns {tuple(rows[0])}, expected {COLUMNS} (rebuild: make gazetteer)")
    for i, r in enumerate(rows, 2):
        country = "" if r["feature"] == CONTINENT else "[A-Z]{3}"  # a continent is in no one country
        if r["feature"] not in PRECISIONS or not re.fullmatch(country, r["country"]) or not (
                -90 <= float(r["latitude"]) <= 90 and -180 <= float(r["longitude"]) <= 180):
            raise ValueError(f"{path}:{i}: bad row {r}")
    return rows


@cache
def gazetteer(path: Path = GAZETTEER) -> Gazetteer:
    """The gazetteer and its corrections, loaded once per process."""
    names: dict[str, list[Place]] = {}
    countries: dict[str, Place] = {}
    english: dict[tuple[str, str], Place] = {}
    interned: dict[int, Place] = {}
    for r in read(path):
        gid = int(r["geonameid"])
        p = interned.get(gid)
        if p is None:
            p = interned[gid] = Place(gid, r["name"], r["feature"], r["country"], r["admin1"], float(r["latitude"]),
                                      float(r["longitude"]), int(r["population"]))
            if p.feature == "country":
                countries[p.country] = p
            k = (p.country, p.name.lower())
            if k not in english or english[k].population < p.population:
                english[k] = p
        names.setdefault(r["key"], []).append(p)
    overrides: dict[str, Override] = {}
    for r in sorted(load("places"), key=lambda r: r["source"] not in TRUSTED):
        o = Override(r["country"] or None, r["precision"] or None, r["canonical"], r["source"])
        for v in variants(r["surface"]):
            overrides.setdefault(" ".join(v), o)
    demonyms: dict[str, str] = {}
    for r in sorted(load("demonyms"), key=lambda r: r["source"] != CURATED):
        for v in variants(r["surface"]):
            if len(v) == 1 and (n := nisba(v[0])):
                for w in (n, n + "ه", "ال" + n, "ال" + n + "ه"):
                    demonyms.setdefault(w, r["country"])
    return Gazetteer({k: tuple(v) for k, v in names.items()}, countries, english, overrides, demonyms)
