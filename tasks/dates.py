"""Date expressions in Arabic news text, resolved against the publication date.

"27 ديسمبر 2024", "23 شباط/فبراير الجاري", "اليوم الخميس", "أمس", "الأربعاء المقبل", "الشهر الماضي",
"عام 2022": Levantine, Egyptian/Gulf and Maghrebi month names; ASCII, Arabic-Indic or Persian digits.
A missing year comes from the publication date (الماضي / المقبل pick the previous / next occurrence).
Granularity: day, week, month, year; relative for vague spans ("قبل أيام"); publication is what a
caller uses when a sentence has no date at all (see publication_date).
"""
from __future__ import annotations

import datetime as dt
import functools
import re

from tasks.arabic import FOLD, LETTERS, MARKS

_MONTHS = {
    1: "يناير جانفي|كانون الثاني", 2: "فبراير فيفري|شباط", 3: "مارس|اذار", 4: "ابريل افريل|نيسان",
    5: "مايو ماي|ايار", 6: "يونيو يونيه جوان|حزيران", 7: "يوليو يوليه جويليه|تموز", 8: "اغسطس اوت|اب",
    9: "سبتمبر|ايلول", 10: "اكتوبر|تشرين الاول", 11: "نوفمبر|تشرين الثاني", 12: "ديسمبر|كانون الاول",
}
MONTH = {n: m for m, names in _MONTHS.items() for n in names.replace("|", " ").split() if n not in ("كانون", "تشرين")}
MONTH |= {n: m for m, names in _MONTHS.items() for n in names.split("|") if " " in n}
# Month names that are also common words (اب father, ماي, مارس practised) need a day or year beside them.
_AMBIGUOUS = {"اب", "ماي", "مارس"}
WEEKDAY = {"الاثنين": 0, "الثلاثاء": 1, "الاربعاء": 2, "الخميس": 3, "الجمعه": 4, "السبت": 5, "الاحد": 6}
_PAST, _NEXT, _THIS = ("الماضي", "الماضيه", "الفائت", "الفائته", "السابق"), ("المقبل", "المقبله", "القادم", "القادمه"), (
    "الجاري", "الحالي", "الحاليه", "الجاريه")

_TR = str.maketrans(FOLD)
_EARLIEST = dt.date(1900, 1, 1)  # relative dates before this are not resolved (the contract's lower bound)
_SKIP = re.compile(f"[{''.join(sorted(MARKS))}]")  # diacritics and tatweel


def _alt(words) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


_MON = rf"(?:{_alt(MONTH)})"
_MONX = rf"(?P<mon>{_MON})(?:\s*(?:/|\(|-)\s*{_MON}\s*\)?)?"
_MOD = rf"(?P<mod>{_alt(_PAST + _NEXT + _THIS)})"
_YEAR = rf"(?P<year>(?:19|20)\d\d)(?!\d)(?:\s*م(?![{LETTERS}]))?"
_WD = rf"(?P<wd>{_alt(WEEKDAY)})"
# word boundaries; a leading و/ف/ب clitic stays inside the span, as in the tokens (وأمس). _B is
# shared by every pattern, once in front: re would otherwise try each pattern at every character.
_B, _E = rf"(?<![{LETTERS}\d])(?:[وفب](?=[{LETTERS}\d]))?", rf"(?![{LETTERS}\d])"
_PATTERNS = [
    ("dmy", rf"(?:(?:يوم\s+)?{_WD}\s+)?(?:ال)?(?P<day>[0-3]?\d)(?!\d)\s+(?:من\s+)?(?:شهر\s+)?{_MONX}"
            rf"(?:\s+(?:من\s+)?(?:(?:عام|العام|سنه)\s+)?{_YEAR}|\s+{_MOD})?{_E}"),
    ("my", rf"(?:(?:شهر|اواخر|اوائل|منتصف)\s+)?{_MONX}\s+(?:من\s+)?(?:(?:عام|العام|سنه)\s+)?{_YEAR}{_E}"),
    ("mmod", rf"(?:(?:شهر|اواخر|اوائل|منتصف)\s+)?{_MONX}\s+{_MOD}{_E}"),
    ("year", rf"(?:عام|العام|سنه|السنه)\s+{_YEAR}{_E}"),
    ("today_wd", rf"(?:اليوم|غدا|امس)\s+{_WD}{_E}"),
    ("rel_day", rf"(?P<rel>(?:قبل|اول)\s+(?:من\s+)?امس|بعد\s+غد|امس|الامس|البارحه|اليوم|غدا){_E}(?!\s+(?:التالي|السابق|نفسه|ذاته|الذي|الاول|العالمي|الوطني))"),
    ("wd", rf"(?:يوم\s+)?{_WD}(?:\s+{_MOD})?{_E}"),
    ("unit", rf"(?P<unit>الاسبوع|الشهر|العام|السنه)\s+{_MOD}{_E}"),
    ("ago", rf"(?:قبل|منذ)\s+(?P<n>\d+\s+)?(?P<ago>يومين|ايام|يوم|اسبوعين|اسابيع|اسبوع|شهرين|اشهر|شهور|شهر|"
            rf"عامين|سنتين|اعوام|سنوات|عام|سنه){_E}"),
]
_RE = re.compile(_B + "(?:" + "|".join(f"(?P<{name}>{p.replace('(?P<', f'(?P<{name}_')})" for name, p in _PATTERNS) + ")")


_AGO_UNITS = {("يوم", "يومين", "ايام"): 1, ("اسبوع", "اسبوعين", "اسابيع"): 7, ("شهر", "شهرين", "اشهر", "شهور"): 30,
               ("عام", "سنه", "عامين", "سنتين", "اعوام", "سنوات"): 365}
_DUALS, _PLURALS = {"يومين", "اسبوعين", "شهرين", "عامين", "سنتين"}, {"ايام", "اسابيع", "اشهر", "شهور", "اعوام", "سنوات"}


def publication_date(published_at) -> dt.date | None:
    """The publication day of a documents.published_at value (datetime, date, ISO string or None)."""
    if published_at is None or published_at != published_at:  # None or NaT/NaN
        return None
    if isinstance(published_at, str):
        try:
            published_at = dt.datetime.fromisoformat(published_at.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(published_at, dt.datetime):
        return published_at.date()
    return published_at if isinstance(published_at, dt.date) else None


def _normalised(text: str, start: int, end: int) -> tuple[str, list[int] | range]:
    """text[start:end] normalised (alef, teh marbuta, yeh, digits; no diacritics) and each char's offset."""
    skips = [m.start() for m in _SKIP.finditer(text, start, end)]
    if not skips:  # the common case: same length, offsets shift by `start`
        return text[start:end].translate(_TR), range(start, end)
    where: list[int] = []
    for a, b in zip([start, *(k + 1 for k in skips)], [*skips, end]):
        where.extend(range(a, b))
    return _SKIP.sub("", text[start:end]).translate(_TR), where


def _safe(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _year_for(m: int, d: int, mod: str | None, pub: dt.date | None) -> int | None:
    if pub is None:
        return None
    if mod in _PAST:
        return pub.year if (m, d) <= (pub.month, pub.day) else pub.year - 1
    if mod in _NEXT:
        return pub.year if (m, d) >= (pub.month, pub.day) else pub.year + 1
    return pub.year


def _weekday(wd: int, mod: str | None, pub: dt.date) -> dt.date:
    back = (pub.weekday() - wd) % 7
    if mod in _NEXT:
        return pub + dt.timedelta(days=(wd - pub.weekday()) % 7 or 7)
    if mod in _PAST:
        return pub - dt.timedelta(days=back or 7)
    return pub - dt.timedelta(days=back)


def _month_start(d: dt.date, months: int) -> dt.date:
    k = d.year * 12 + d.month - 1 + months
    return dt.date(k // 12, k % 12 + 1, 1)


def _resolve(kind: str, g: dict, pub: dt.date | None) -> tuple[dt.date | None, str, tuple]:
    """(date, granularity, (year, month, day)) for one match; the tuple keeps what the text itself gave."""
    mon = MONTH[re.sub(r"\s+", " ", g["mon"])] if g.get("mon") else None
    mod, year = g.get("mod"), int(g["year"]) if g.get("year") else None
    if kind == "dmy":
        day = int(g["day"])
        y = year or _year_for(mon, day, mod, pub)
        return (_safe(y, mon, day) if y else None), "day", (year, mon, day)
    if kind in ("my", "mmod"):
        y = year or _year_for(mon, 1 if mod in _NEXT else 28, mod, pub)
        return (dt.date(y, mon, 1) if y else None), "month", (year, mon, None)
    if kind == "year":
        return dt.date(year, 1, 1), "year", (year, None, None)
    if pub is None:
        return None, "relative" if kind == "ago" else ("week" if g.get("unit") == "الاسبوع" else "day"), (None,) * 3
    if kind == "today_wd":
        shift = {"غدا": 1, "امس": -1}.get(g["_word"], 0)
        return pub + dt.timedelta(days=shift), "day", (None,) * 3
    if kind == "rel_day":
        rel = re.sub(r"\s+", " ", g["rel"])
        shift = {"اليوم": 0, "غدا": 1, "بعد غد": 2}.get(rel, -2 if " " in rel else -1)
        return pub + dt.timedelta(days=shift), "day", (None,) * 3
    if kind == "wd":
        return _weekday(WEEKDAY[g["wd"]], mod, pub), "day", (None,) * 3
    if kind == "unit":
        sign = -1 if mod in _PAST else 1 if mod in _NEXT else 0
        unit = g["unit"]
        if unit == "الاسبوع":
            return pub + dt.timedelta(weeks=sign), "week", (None,) * 3
        if unit == "الشهر":
            return _month_start(pub, sign), "month", (None,) * 3
        return dt.date(pub.year + sign, 1, 1), "year", (None,) * 3
    ago = g["ago"]
    unit = next(v for k, v in _AGO_UNITS.items() if ago in k)
    count = int(g["n"]) if g.get("n") else 2 if ago in _DUALS else 3 if ago in _PLURALS else 1
    days = unit * count  # "منذ 300 عام" is history, not a date to put on an event
    return (pub - dt.timedelta(days=days) if days <= (pub - _EARLIEST).days else None), "relative", (None,) * 3


@functools.lru_cache(maxsize=5_000)  # entities and events ask for the same sentences: share, never mutate
def resolve_dates(text: str, start: int, end: int, published_at=None) -> list[dict]:
    """Date expressions in text[start:end], offsets into text: start, end, text, date (datetime.date or
    None when the year or the publication date is missing), granularity, year/month/day as written, rule."""
    pub = publication_date(published_at)
    s, where = _normalised(text, max(start, 0), min(end, len(text)))
    out = []
    for m in _RE.finditer(s):
        kind = m.lastgroup
        g = {k[len(kind) + 1:]: v for k, v in m.groupdict().items() if v is not None and k.startswith(kind + "_")}
        if kind == "mmod" and g["mon"] in _AMBIGUOUS:
            continue
        g["_word"] = m.group(kind).split()[0]
        date, gran, (y, mo, d) = _resolve(kind, g, pub)
        a, b = where[m.start()], where[m.end() - 1] + 1
        out.append({"start": a, "end": b, "text": text[a:b], "date": date, "granularity": gran,
                    "year": y, "month": mo, "day": d, "rule": f"date:{kind}"})
    return out
