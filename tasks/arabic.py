"""Arabic letters, the matching key and the proclitics: one definition that every stage uses.

`key(s)` is the form in which two spellings of a word match, in dictionaries, entities, events and
dates alike: no diacritics (camel-tools' AR_DIAC_CHARSET) or tatweel; alef forms أ إ آ ٱ -> ا;
alef maksura and Farsi yeh ى ی -> ي; teh marbuta and heh goal ة ۀ -> ه; keheh ک -> ك;
Arabic-Indic and Persian digits -> ASCII. Each character maps to one character or none, so a folded
string keeps its offsets once the deleted marks are accounted for (see tasks.dates).
"""
from __future__ import annotations

# Spellings camel-tools' analyses may differ from a word by (hamza on alef, final yeh). Not ة/ه:
# a final ه is also the enclitic "his" (كتابه), so the analyzer must not read it as ة (كتابة).
VARIANTS = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي"}
FOLD = {**VARIANTS, "ة": "ه", "ۀ": "ه", "ک": "ك",
        **{chr(0x660 + i): str(i) for i in range(10)}, **{chr(0x6F0 + i): str(i) for i in range(10)}}
# Deleted: camel-tools' AR_DIAC_CHARSET (tests/test_arabic.py checks it) and tatweel. Written out, so that
# the flow's process (ingest uses SCRIPT) does not import camel-tools.
MARKS = frozenset("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0640")
LETTERS = "\u0621-\u063a\u0641-\u064a"  # Arabic letters of the clean form (a regex class body)
BLOCK = "\u0600-\u06FF"  # the Arabic block: letters, digits, marks, punctuation
SCRIPT = BLOCK + "\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF"  # any Arabic-script character
# Leading clitics a name or word may carry (longest first): and/so + by/for/like.
PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك")


def unclitic(w: str) -> list[str]:
    """A matching-form word and its forms without one proclitic (2+ letters left); لل -> ال (للأمم -> الأمم)."""
    out = [w]
    for p in PROCLITICS:
        rest = w[len(p):]
        if w.startswith(p) and len(rest) >= 2:
            out.append(rest)
            if p.endswith("ل") and rest.startswith("ل") and len(rest) > 2:
                out.append("ال" + rest[1:])
    return out

_KEY = str.maketrans({**FOLD, **dict.fromkeys(MARKS)})
_VARIANT = str.maketrans(VARIANTS)


def key(s: str | None) -> str:
    """The matching key of a string (see the module docstring); key(key(s)) == key(s)."""
    return (s or "").translate(_KEY)


def variant(s: str) -> str:
    """`s` with only the alef and yeh variants folded: how an analysis may spell the word."""
    return s.translate(_VARIANT)


# Endings of a nisba adjective's feminine and plurals, with the letters each cuts to its masculine singular.
NISBA_ENDS = (("يين", 2), ("يون", 2), ("يه", 1))


def nisba(word: str) -> str | None:
    """The masculine singular of a nationality adjective in matching form, without the article
    (الارمنيين, الارمنيون, ارمنيه -> ارمني), else None."""
    w = word[2:] if word.startswith("ال") else word
    for end, cut in NISBA_ENDS:
        if w.endswith(end):
            w = w[:-cut]
            break
    return w if w.endswith("ي") and len(w) >= 3 else None
