"""Character normalisation with camel-tools, keeping a map from normalised back to raw offsets.

`normalize(text)` gives the *clean form* every later step reads: Unicode NFKC (camel-tools
normalize_unicode) and camel-tools' `arclean` character map applied character by character, so
each normalised character knows the raw span it came from. That removes diacritics and tatweel,
maps Persian/Urdu letters and presentation forms to Arabic, Arabic-Indic and Persian digits to
ASCII, Arabic comma/semicolon/question mark to , ; ?, typographic quotes to " and ', dashes to -,
NBSP and other spaces to a space. On top of arclean (which deletes every character it does not
list) unknown characters are kept, zero-width and bidi controls are deleted, Farsi yeh (ی) becomes
yeh (ي), and line/paragraph separators become newlines.

`match_form(word)` is the *matching form* written to tokens.norm, for dictionary lookups: the
matching key (tasks.arabic.key) of the clean form. Downstream stages key their dictionary
entries with tasks.arabic.key.
"""
from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from camel_tools.utils import charmap as _charmap
from camel_tools.utils.charmap import CharMapper
from camel_tools.utils.normalize import normalize_unicode

from tasks.arabic import key

_ARCLEAN = json.loads((Path(_charmap.__file__).parent / "charmaps" / "arclean_map.json").read_text("utf-8"))

# Where arclean's choice does not suit offsets or matching ('' deletes the character).
_OVERRIDES = {
    "\u06cc": "\u064a",  # Farsi yeh -> yeh (arclean gives alef maksura)
    "\u200b-\u200f": "", "\u202a-\u202e": "", "\u2060-\u206f": "", "\ufeff": "", "\u061c": "",
    "\ufe00-\ufe0f": "",  # variation selectors
    "\u2028-\u2029": "\n", "\x0b-\x0c": "\n", "\x85": "\n",
    "\x00-\x08": " ", "\x0e-\x1f": " ", "\x7f-\x84": " ", "\x86-\x9f": " ",
}
_MAPPER = CharMapper({**_ARCLEAN["charMap"], **_OVERRIDES}, default=None)
_RANGES = ((0x00, 0x3400), (0xFB00, 0x10000), (0x1EE00, 0x1EF00))
_HAMZA_PAIR = re.compile(r"[\u0627\u0648\u064a\u06cc\u06c1\u06d2][\u0653-\u0655]")


def _map_char(c: str) -> str:
    """NFKC (camel-tools normalize_unicode), then arclean with the overrides."""
    n = normalize_unicode(c)
    if len(n) > 4 or " " in n.strip():
        n = c  # a compatibility form that is a phrase (U+FDFA) would make several tokens of one character
    return _MAPPER(n)


def _is_mark(c: str) -> bool:
    return unicodedata.category(c) == "Mn" or c == "\u0640"


def _table() -> dict[str, str]:
    t = {}
    for lo, hi in _RANGES:
        for cp in range(lo, hi):
            c = chr(cp)
            m = _map_char(c)
            if m != c:
                t[c] = m
    return t


_TABLE = _table()
_ONE = str.maketrans({c: m for c, m in _TABLE.items() if len(m) == 1})  # 1:1 replacements
_MARKS = "".join(sorted(c for c, m in _TABLE.items() if not m and _is_mark(c)))
_OTHER = "".join(sorted(c for c, m in _TABLE.items() if len(m) != 1 and c not in _MARKS))
# What changes the length: a hamza pair to compose, runs of deleted marks, other deletions/expansions.
_LENCHG = re.compile(  # stdlib re: far faster than `regex` on large character classes
    rf"(?P<pair>{_HAMZA_PAIR.pattern})|(?P<marks>[{re.escape(_MARKS)}]+)|[{re.escape(_OTHER)}]"
)


def normalize(text: str) -> tuple[str, list[int], list[int]]:
    """Clean form of `text` plus, for each of its characters, the raw [start, end) it came from.

    A span [a, b) of the result maps back to raw [starts[a], ends[b - 1]). Deleted diacritics and
    tatweel are counted into the raw span of the character before them.
    """
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    for m in _LENCHG.finditer(text):
        i, j = m.span()
        if i > last:
            out.append(text[last:i].translate(_ONE))
            starts.extend(range(last, i))
            ends.extend(range(last + 1, i + 1))
        if m.group("marks"):
            if ends and ends[-1] == i:
                ends[-1] = j
            last = j
            continue
        s = m.group()
        rep = _MAPPER(unicodedata.normalize("NFC", s)) if m.group("pair") else _TABLE[s]
        if rep:
            out.append(rep)
            starts.extend([i] * len(rep))
            ends.extend([j] * len(rep))
        last = j
    if last < len(text):
        out.append(text[last:].translate(_ONE))
        starts.extend(range(last, len(text)))
        ends.extend(range(last + 1, len(text) + 1))
    return "".join(out), starts, ends


def clean_form(s: str) -> str:
    """The clean form of a string (as `normalize`, without the offset map)."""
    return normalize(s)[0]


@lru_cache(maxsize=50_000)
def match_form(word: str) -> str:
    """Matching form: the matching key of the clean form."""
    return key(clean_form(word))
