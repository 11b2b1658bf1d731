"""The event's place: the place of its own clause, not the first place name of the sentence.

In order (event_place's `rule`):
  trigger_pp   the first place after the trigger, in its clause (up to a full stop, بينما or في حين), that a locative preposition governs
               (في عدن, بجدة, داخل سوريا, بالقرب من حلب): "قتل 5 في غارة على ... في عدن", or a
               destination or target right after it (زيارة لبغداد, وصوله إلى كينيا, سيطرة على عدن), or
               the trigger noun's object (زيارة دمشق, تحرير عدن)
  sentence_pp  else such a place elsewhere in the sentence, the nearest to the trigger ("في عدن، قتل ...")
  sentence     else the sentence's place nearest the trigger, after it first
  dateline     else the article's dateline ("الرياض - واس")
A country chosen by the first three gives way to a city (else a region) of it that the sentence names.
Nationality adjectives and peoples (geo_rule nisba, people: القوات السعودية, الأرمن) are no places.
The places are entity rows of the geo stage (text, start, end and the geo columns); the chosen one
comes back with the rule.
"""
from __future__ import annotations

from dataclasses import dataclass

from tasks.arabic import key
from tasks.geo.gazetteer import gazetteer
from tasks.geo.resolve import HEADS, LABELS, NOT_PLACES, plain

_LOCATIVE = frozenset("في وفي ففي داخل وداخل قرب وقرب عند وعند بمدينه".split())
_NEAR = ("بالقرب", "من")
# right after the trigger: a destination or a target (زيارة لبغداد, وصوله إلى كينيا, سيطرة ... على عدن)
_TOWARDS = frozenset("الي والي لدي علي".split())
_DESTINATION = 4  # tokens after the trigger's last one where a destination may start
_BOUNDARY = frozenset(".;؛:!?")  # a clause ends here; a comma does not (في عدن، جنوب اليمن)
_WHILE = frozenset("بينما وبينما".split())  # and so does a contrast: "... بينما ...", "... في حين ..."


@dataclass(frozen=True)
class Located:
    place: dict  # the entity (or dateline) row: text, start, end and the geo columns
    rule: str  # trigger_pp, sentence_pp, sentence or dateline

    @property
    def text(self) -> str:
        """The place's text without a proclitic (في زيارته للعراق -> العراق): the events' location_text."""
        return plain(gazetteer(), self.place["text"])


def _governed(place: dict, toks: list[dict], marks: frozenset[str] = _LOCATIVE, clitics: str = "ب") -> bool:
    """A preposition governs the place: the word before it, or one of `clitics` as its own proclitic
    (بجدة, بالرياض, بمنطقة عسير)."""
    i = next((j for j, t in enumerate(toks) if t["start"] <= place["start"] < t["end"]), None)
    if i is None:
        return False
    words = place["text"].split()
    first = key(words[0]) if words else ""
    bare = first[1:] if first[:1] in "وف" and len(first) > 3 else first
    if bare[:1] in clitics and ("clitic" in (place.get("geo_rule") or "") or bare[1:3] in ("ال", "مد", "من", "مح")):
        return True
    while i > 0 and key(toks[i - 1]["surface"]) in HEADS:  # في محافظة الشماسية
        i -= 1
    prev = [key(t["surface"]) for t in toks[max(0, i - 2):i]]
    return bool(prev) and (prev[-1] in marks or tuple(prev) == _NEAR or (
        prev[-1][:1] in clitics and prev[-1][1:] in HEADS))  # بمحافظة الأحساء


def event_place(trigger_start: int, trigger_end: int, sentence_tokens: list[dict], places: list[dict],
                dateline: dict | None = None) -> Located | None:
    """The place of the event whose trigger spans [trigger_start, trigger_end) in a sentence, given the
    sentence's tokens, its LOC/GPE entity rows (geocoded) and the article's dateline row, if any.
    Within a rule, places with coordinates come before those the gazetteer could not place."""
    names = sorted((p for p in places if p["label"] in LABELS and p.get("geo_rule") not in NOT_PLACES),
                   key=lambda p: (p.get("geonames_id") is None, p["start"]))
    toks = sentence_tokens
    stop = next((t["start"] for i, t in enumerate(toks) if t["start"] >= trigger_end and (
        t["surface"] in _BOUNDARY or key(t["surface"]) in _WHILE
        or key(t["surface"]) in ("في", "وفي") and i + 1 < len(toks) and key(toks[i + 1]["surface"]) == "حين")), None)
    nxt = _index(toks, trigger_end) + 1  # the token after the trigger's last
    object_at = toks[nxt]["start"] if nxt < len(toks) else None  # زيارة دمشق, تحرير عدن: the noun's object
    near = toks[nxt + _DESTINATION]["start"] if nxt + _DESTINATION < len(toks) else None
    pp = [p for p in names if _governed(p, toks)]
    if after := [p for p in names if p["start"] > trigger_start and (stop is None or p["start"] < stop) and (
            p in pp or p["start"] <= (object_at if object_at is not None else -1)
            or ((near is None or p["start"] < near) and _governed(p, toks, _TOWARDS, "ل")))]:
        return _finer(Located(after[0], "trigger_pp"), names, trigger_start)
    if pp:
        return _finer(Located(min(pp, key=lambda p: (p.get("geonames_id") is None, abs(p["start"] - trigger_start))),
                              "sentence_pp"), names, trigger_start)
    if names:
        return _finer(Located(min(names, key=lambda p: (p.get("geonames_id") is None, p["start"] < trigger_start,
                                                        abs(p["start"] - trigger_start))), "sentence"), names, trigger_start)
    return Located(dateline, "dateline") if dateline else None


def _finer(loc: Located, names: list[dict], trigger_start: int) -> Located:
    """A country refined to the sentence's city or region in it, the nearest to the trigger
    (زيارة قطر ... في الدوحة: الدوحة), as precise as the sentence allows."""
    p = loc.place
    if p.get("precision") != "country":
        return loc
    inside = [x for x in names if x.get("country") == p["country"] and x.get("precision") in ("region", "city")]
    if not inside:
        return loc
    return Located(min(inside, key=lambda x: (x["precision"] != "city", abs(x["start"] - trigger_start))), loc.rule)


def _index(toks: list[dict], offset: int) -> int:
    """The first token ending at or after `offset`."""
    return next((i for i, t in enumerate(toks) if t["end"] >= offset), len(toks))
