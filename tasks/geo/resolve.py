"""Geocoding: every LOC/GPE mention to a GeoNames place, or to none with the reason.

A mention is looked up as written, then without a proclitic (وبغداد, ببغداد, لسوريا; للرياض ->
الرياض) and without a head word (منطقة عسير, مدينة عدن, مطار الكويت, شمال سوريا: the head says
region, city or site). The article is part of a name: الرياض is looked up, never رياض for it.
Among a name's places (countries before cities, a country's places by population; a continent
only when the name has no other place: أوروبا, آسيا):
  override   seeds/places.csv (curated or CLDR) fixes the country and precision; a place it names that
             GeoNames lacks gets its country's coordinates at country precision (override_country);
             a row in no one country takes the name's continent
  unique     the name has places in one country only
  context    several countries, one of them (or several) named elsewhere in the document: by a
             resolved place, an actor's country code or the dateline
  population several countries, the largest place at least DOMINANCE times the next country's (a
             country of that name outweighs any city: تونس is Tunisia)
  state      a nationality adjective that names its state: after a state word (الجمهورية اليمنية,
             للمملكة الأردنية, "الجمهورية [التونسية]" with only the adjective tagged)
  capital    the adjective after العاصمة ("بالعاصمة [التونسية]"): its country, at country precision
             (the gazetteer has no capitals)
  within     a name the gazetteer lacks, placed by what follows it: a nationality adjective
             (الصخيرات المغربية: its country) or a place that contains it (قلوة بمنطقة الباحة, حي التأميم
             في مدينة الرمادي: that place), at the container's precision
Otherwise no coordinates (fail-safe), with geo_rule saying why: ambiguous, unknown (no such name),
nisba (a nationality adjective: الحكومة السعودية), people (a people, the collective of a nationality
adjective: الأرمن, الأفغان), no_country (a sea or region in no one country: الخليج, الشرق الأوسط),
untrusted (only UniversalPetrarch's or camel-tools' list has it). Within the chosen country a city is preferred to a
region of the same name unless the head says region; two cities of similar size make it the
country (ambiguous_city).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tasks.arabic import PROCLITICS, unclitic
from tasks.geo.gazetteer import TRUSTED, Gazetteer, Place, gazetteer, key
from tasks.schema import CONTINENT

LABELS = ("LOC", "GPE")
COLS = ("geonames_id", "latitude", "longitude", "country", "precision", "geo_rule", "geo_reason")
NOT_PLACES = ("nisba", "people")  # geo rules of mentions that name no place (tasks.geo.event_place skips them)
DOMINANCE = 10  # population ratio that settles a name shared by several countries
CITY_RATIO = 3  # two same-named cities in one country closer in size than this: the country only
HEADS = {  # words before a name that say what it names (matching forms)
    **dict.fromkeys("جمهوريه مملكه دوله سلطنه".split(), "country"),
    **dict.fromkeys("منطقه منطقتي مناطق محافظه محافظتي محافظات ولايه اقليم مقاطعه اماره اطراف".split(), "region"),
    **dict.fromkeys("مدينه مدينتي العاصمه عاصمه بلده قريه مدن".split(), "city"),
    **dict.fromkeys("مطار المطار مطارات ميناء قاعده جامعه ملعب مستشفي سجن معبر مخيم حي ضاحيه شارع شوارع ساحه "
                    "ميدان قصر".split(), "site"),
    **dict.fromkeys("شمال جنوب شرق غرب وسط شمالي جنوبي شرقي غربي اقصي ريف".split(), "direction"),  # ريف دمشق
}
_STATES = frozenset("المملكه الجمهوريه دوله الدوله الاراضي السلطنه الامارات العربيه".split())  # + a nisba: the state
_CONTAINER = {w: h for w, h in HEADS.items() if h != "direction"}
_CAPITAL = frozenset("العاصمه عاصمه".split())
_IN = frozenset("في ب".split())  # between a name and the place that contains it (also ب as a proclitic)
_TRAILING = frozenset("الدولي الدوليه الجويه البحريه الكبري المركزي الصناعيه".split())  # مطار الكويت الدولي


@dataclass(frozen=True, slots=True)
class Resolved:
    place: Place | None
    rule: str
    reason: str | None = None

    def columns(self) -> dict:
        """The geo columns of an entity row (a continent's country: null)."""
        p = self.place
        return {"geonames_id": p and p.geonameid, "latitude": p and p.latitude, "longitude": p and p.longitude,
                "country": p and (p.country or None), "precision": p and p.feature, "geo_rule": self.rule,
                "geo_reason": self.reason}


NONE = {c: None for c in COLS}


@lru_cache(maxsize=50_000)
def forms(text: str) -> tuple[tuple[str, str | None, str], ...]:
    """(key, head hint, how) lookups for a mention, in order: as written, without a proclitic, then
    without head words (and trailing adjectives after a site head)."""
    words = key(text).split()
    if not words:
        return ()
    out: list[tuple[str, str | None, str]] = []
    for i, first in enumerate(unclitic(words[0])):
        ws = [first, *words[1:]]
        out.append((" ".join(ws), None, "clitic" if i else "name"))
        hint = None
        while len(ws) > 1 and ws[0] in HEADS:
            hint = hint if hint in ("site", "direction") else HEADS[ws[0]]  # شمال مدينة حلب: a direction
            ws = ws[1:]
            for w in unclitic(ws[0]):  # المطار بجازان
                out.append((" ".join([w, *ws[1:]]), hint, "head"))
            if hint == "site":
                while len(ws) > 1 and ws[-1] in _TRAILING:
                    ws = ws[:-1]
                    out.append((" ".join(ws), hint, "head"))
    return tuple(dict.fromkeys(out))


def _country_of(gz: Gazetteer, country: str, rule: str, reason: str | None = None) -> Resolved:
    p = gz.countries.get(country)
    return Resolved(p, rule, reason) if p else Resolved(None, "no_country", f"no country {country} in the gazetteer")


def _in_country(gz: Gazetteer, places: list[Place], country: str, hint: str | None, rule: str) -> Resolved:
    """The place among `places` (all in `country`) that the hint and population choose."""
    if hint == "region" and (regions := [p for p in places if p.feature == "region"]):
        return Resolved(regions[0], rule)
    if hint in (None, "region", "country") and (cs := [p for p in places if p.feature == "country"]):
        return Resolved(cs[0], rule)
    cities = [p for p in places if p.feature == "city"]
    if cities:
        if len(cities) > 1 and cities[1].population * CITY_RATIO > cities[0].population:
            return _country_of(gz, country, "ambiguous_city",
                               f"{len(cities)} cities of this name in {country}: {cities[0].name}, {cities[1].name}")
        return Resolved(cities[0], rule)
    return Resolved(places[0], rule)


def choose(gz: Gazetteer, k: str, hint: str | None, context: frozenset[str]) -> Resolved | None:
    """The place a key names, given the head hint and the document's countries; None: no such name."""
    places = sorted(gz.places(k), key=lambda p: (p.feature != "country", -p.population))
    continents = [p for p in places if p.feature == CONTINENT]
    places = [p for p in places if p.feature != CONTINENT]  # a continent never wins over a country or city
    o = gz.overrides.get(k)
    if o is not None and o.source in TRUSTED and not (
            o.country not in context and any(p.country in context for p in places)):  # طرابلس in a Lebanese story
        if not o.country:
            if continents:
                return Resolved(continents[0], "override")
            return Resolved(None, "no_country", f"places.csv: {o.canonical} is in no one country")
        precision = {"site": "city", "direction": None}.get(hint, hint) or o.precision
        if precision == "country" or hint == "direction":
            return _country_of(gz, o.country, "override")
        if fit := [p for p in places if p.country == o.country and p.feature == precision]:
            return _in_country(gz, fit, o.country, hint, "override")
        if (p := gz.english.get((o.country, o.canonical.lower()))) and p.feature == precision:
            return Resolved(p, "override")
        return _country_of(gz, o.country, "override_country",
                           f"places.csv: {o.canonical} ({o.precision}) is not in the gazetteer; its country")
    if not places and continents:
        return Resolved(continents[0], "unique")
    if not places:
        if o is not None:
            return Resolved(None, "untrusted", f"only places.csv:{o.source} has it ({o.country or 'no country'})")
        return None
    if hint == "direction":  # شمال سوريا: the country or region it points into
        places = [p for p in places if p.feature != "city"] or places
    by_country: dict[str, list[Place]] = {}
    for p in places:
        by_country.setdefault(p.country, []).append(p)
    if len(by_country) == 1:
        (c, ps), = by_country.items()
        return _in_country(gz, ps, c, hint, "unique")
    def weight(c: str) -> float:  # a country of that name outweighs any city
        return float("inf") if by_country[c][0].feature == "country" else max(p.population for p in by_country[c])

    if named := [c for c in by_country if c in context]:
        c = max(named, key=weight)
        return _in_country(gz, by_country[c], c, hint, "context")
    c1, c2 = sorted(by_country, key=weight, reverse=True)[:2]
    if weight(c1) >= DOMINANCE * max(1.0, weight(c2)):
        return _in_country(gz, by_country[c1], c1, hint, "population")
    return Resolved(None, "ambiguous", "; ".join(f"{by_country[c][0].name} {c} ({weight(c):,.0f})"
                                                   for c in sorted(by_country, key=weight, reverse=True)[:3]))


def plain(gz: Gazetteer, text: str) -> str:
    """A mention as written without the proclitic the lookup stripped (ببغداد -> بغداد, للعراق ->
    العراق), so that it reads as the place's name; the text itself when nothing was stripped."""
    words = key(text).split()
    if not words or words[0] in gz.names or words[0] in gz.overrides or " ".join(words) in gz.names:
        return text
    for p in PROCLITICS:
        rest = text[len(p):]
        if text.startswith(p) and len(rest) >= 2:
            if p.endswith("ل") and rest.startswith("ل") and key("ال" + rest[1:]).split()[0] in gz.names.keys() | gz.overrides.keys():
                return "ال" + rest[1:]
            first = key(rest).split()
            if first and (first[0] in gz.names or first[0] in gz.overrides or first[0] in HEADS):
                return rest
    return text


def _definite(word: str) -> bool:
    """A definite noun (القوات, والقوات, بالقوات, للقوات) that is no head word."""
    w = word[1:] if word[:1] in "وف" and len(word) > 4 else word
    if w.startswith("لل"):
        w = "ال" + w[2:]
    elif w[:1] in "بلك" and w[1:3] == "ال":
        w = w[1:]
    return w.startswith("ال") and len(w) > 3 and w not in HEADS


def _state_word(word: str) -> str | None:
    """What a word before a nationality adjective makes of it, without its proclitic: state or capital."""
    for w in unclitic(word):
        if w in _STATES:
            return "state"
        if w in _CAPITAL:
            return "capital"
    return None


def nisba(gz: Gazetteer, words: list[str], before: str) -> str | None:
    """Why a mention is a nationality adjective rather than a place, else None: one word the
    demonyms spell, after a definite noun (القوات السعودية), or a noun + such an adjective that is no
    name (الأسهم السعودية)."""
    if words[-1] not in gz.demonyms:
        return None
    if len(words) == 1:  # but العربية السعودية, الأراضي السعودية name the country
        return f"adjective after {before}" if _definite(before) and _state_word(before) is None else None
    return f"{' '.join(words[:-1])} + adjective"


def people(gz: Gazetteer, k: str) -> str | None:
    """Why a name is a people rather than a place, else None: a one-word name with the article that
    only an untrusted places.csv row has (GeoNames has no such place), whose nisba is a demonym of
    that row's country: الأرمن (الأرمني), الأفغان, الصرب, الإسبان, which UniversalPetrarch lists as
    places. Not a name no list has (المجر, الدنمارك: countries CLDR spells otherwise)."""
    o = gz.overrides.get(k)
    if o is None or o.source in TRUSTED or " " in k or not k.startswith("ال") or k in gz.names:
        return None
    c = gz.demonyms.get(k + "ي")
    return f"the people of {c} ({k}ي is its nationality adjective)" if c and c == o.country else None


def resolve(gz: Gazetteer, text: str, context: frozenset[str] = frozenset(), before: str = "") -> Resolved:
    """One mention (its text, the document's countries, the word before it) to a place or a reason."""
    fs = forms(text)
    if not fs:
        return Resolved(None, "unknown", "no letters")
    failed = None  # the first lookup that found the name but no place: kept if no later one does better
    for k, hint, how in fs:
        if how != "head" and (why := people(gz, k)):
            return Resolved(None, "people", why)
        if k in gz.names or k in gz.overrides:
            words = k.split()
            if len(words) == 1 and how != "head" and (why := nisba(gz, words, key(before))):
                return Resolved(None, "nisba", why)
            r = choose(gz, k, hint, context)
            if r is not None and r.place is not None:
                return r if how == "name" else Resolved(r.place, f"{how}+{r.rule}", r.reason)
            failed = failed or r
    if failed:
        return failed
    for k, _, how in fs:
        words = k.split()
        if how != "head" and len(words) <= 2 and gz.demonyms.get(words[-1]) and (
                rule := _state_word(words[0] if len(words) > 1 else key(before))):
            return _country_of(gz, gz.demonyms[words[-1]], rule)  # الجمهورية اليمنية, بالعاصمة [التونسية]
    if why := nisba(gz, fs[-1][0].split(), key(before)):
        return Resolved(None, "nisba", why)
    return Resolved(None, "unknown", "not in the gazetteer")


_NEXT_WORD = re.compile(r"[ \t]+(\w+)")
_SEP = re.compile(r"\s*[-–—:]\s*")
_SETTLED = ("unique", "override", "override_country", "state", "capital", "ambiguous_city", "context")  # a country for context


def dateline(gz: Gazetteer, text: str) -> dict | None:
    """The place an article's dateline names ("الرياض - واس", "سبق- الدمام:", "ناصر الطميحي - جدة"):
    a segment of one to three words among the first three, separated by dashes or colons, at the
    start of the first line, naming a country, a region or a city of 10,000 people or more as written.
    A row like an entity's (text, start, end and the geo columns; geo_rule dateline+<rule>)."""
    line = text[:120].split("\n", 1)[0]
    parts, pos = [], 0
    for m in _SEP.finditer(line):
        parts.append((pos, m.start()))
        pos = m.end()
        if len(parts) == 3:
            break
    if not parts or len(line[parts[0][0]:parts[0][1]].split()) > 3:
        return None
    if len(parts) < 3:
        parts.append((pos, len(line)))
    for a, b in parts:
        seg = line[a:b].strip()
        if not seg or len(seg.split()) > 3:
            continue
        r = resolve(gz, seg)
        p = r.place
        if p and r.rule in ("unique", "override", "population") and (p.feature != "city" or p.population >= 10_000):
            start = a + line[a:b].index(seg)
            return {"text": seg, "start": start, "end": start + len(seg), **r.columns(), "geo_rule": f"dateline+{r.rule}"}
    return None


def _before(text: str, start: int) -> str:
    w = text[max(0, start - 40):start].split()
    return w[-1] if w and not text[start - 1:start].isalnum() else ""


def geocode_doc(gz: Gazetteer, doc: dict, ents: list[dict]) -> list[dict]:
    """One document's entity rows with the geo columns (null for other labels). Three passes: names
    that settle a country without context first; the ambiguous ones and population guesses again
    with the countries the document names (settled places, actors' country codes, the dateline);
    then unknown names placed by what follows them (_within)."""
    text = doc["text"]
    first = {i: resolve(gz, e["text"], before=_before(text, e["start"]))
             for i, e in enumerate(ents) if e["label"] in LABELS}
    context = {r.place.country for r in first.values()
               if r.place and r.place.country and r.rule.split("+")[-1] in _SETTLED}  # a continent has none
    context |= {c[:3] for e in ents if e["label"] not in LABELS and (c := e.get("actor_code")) and c[:3] in gz.countries}
    if (d := dateline(gz, text)) and d["country"]:
        context.add(d["country"])
    ctx = frozenset(context)
    done = {i: resolve(gz, ents[i]["text"], ctx, _before(text, ents[i]["start"]))
            if r.rule.split("+")[-1] in ("ambiguous", "population") and ctx else r for i, r in first.items()}
    for i, r in done.items():
        if r.rule == "unknown":
            done[i] = _within(gz, text, ents[i], [(ents[j], done[j]) for j in done if j != i]) or r
    return [{**e, **(done[i].columns() if i in done else NONE)} for i, e in enumerate(ents)]


def _within(gz: Gazetteer, text: str, e: dict, places: list[tuple[dict, Resolved]]) -> Resolved | None:
    """The place containing a name the gazetteer lacks, from what follows it: a nationality adjective
    (الصخيرات المغربية) or, across في / ب / head words only, a resolved place (قلوة بمنطقة الباحة)."""
    if (m := _NEXT_WORD.match(text, e["end"])) and (c := gz.demonyms.get(key(m[1]))):
        return _country_of(gz, c, "within", f"not in the gazetteer; {m[1]} names its country")
    f, r = min(((f, r) for f, r in places if f["start"] >= e["end"]), key=lambda x: x[0]["start"], default=(None, None))
    if f is None or r.place is None or r.rule in NOT_PLACES or f["start"] - e["end"] > 25:
        return None
    gap, first = key(text[e["end"]:f["start"]]).split(), key(f["text"])[:1]
    if first not in "وف" and (gap or first == "ب") and all(  # not شقصان جنوب الطائف: near it, not in it
            w in _IN or _CONTAINER.get(w) or w[:1] == "ب" and _CONTAINER.get(w[1:]) for w in gap):
        return Resolved(r.place, "within", f"not in the gazetteer; in {f['text']}")
    return None


def geocode(docs: list[dict], entities: list[dict]) -> list[dict]:
    """The geo stage over a batch: entity rows (any documents, in order) with the geo columns."""
    gz = gazetteer()
    text = {d["doc_id"]: d for d in docs}
    by_doc: dict[str, list[dict]] = {}
    for e in entities:
        by_doc.setdefault(e["doc_id"], []).append(e)
    return [row for doc_id, ents in by_doc.items() for row in geocode_doc(gz, text[doc_id], ents)]
