"""One matching key: every stage folds a string the same way, and folding twice changes nothing."""
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks import dates, entities
from tasks.events import tokens
from tasks.arabic import FOLD, MARKS, PROCLITICS, key
from tasks.dictionaries import variants
from tasks.normalize import clean_form, match_form

# Letters with their variant spellings, diacritics, tatweel, Persian letters and digits, and others.
ALPHABET = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي" + "".join(FOLD) + "".join(MARKS) + "ءؤئ" + "0123 ab"
words = st.text(alphabet=ALPHABET, min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(words)
def test_the_key_is_idempotent(s):
    assert key(key(s)) == key(s)
    assert not set(key(s)) & (set(FOLD) | MARKS)


@settings(max_examples=300, deadline=None)
@given(words)
def test_every_stage_folds_alike(s):
    k = key(s)
    assert dates._normalised(s, 0, len(s))[0] == k  # dates read the raw text through the same fold
    w = "".join(s.split()) or "ا"
    assert entities.token_keys(w, None, None)[0][0] == key(w)  # entities' first lookup key
    assert tokens._word(w, None, (), None, "noun").norm == key(w)  # events' matching form
    assert variants(s) == ([tuple(x for x in k.split() if x)] if k.split() else [])  # dictionary entries
    assert match_form(s) == key(clean_form(s))  # tokens.norm


def test_the_marks_are_camel_tools_diacritics_and_tatweel():
    from camel_tools.utils.charsets import AR_DIAC_CHARSET

    assert MARKS == AR_DIAC_CHARSET | {"\u0640"}


def test_proclitics_come_longest_first():
    assert list(PROCLITICS) == sorted(PROCLITICS, key=len, reverse=True)
    assert key("وَإِلى الشـــرق ک٣") == "والي الشرق ك3"
