from tasks.normalize import clean_form, match_form, normalize


def _check_map(text: str) -> str:
    norm, starts, ends = normalize(text)
    assert len(starts) == len(ends) == len(norm)
    for i in range(len(norm)):
        assert 0 <= starts[i] < ends[i] <= len(text)
        if i:
            assert starts[i - 1] <= starts[i] and ends[i - 1] <= ends[i]
    return norm


def test_map_points_into_the_raw_seed_text(seed_paths):
    assert len(seed_paths) == 5
    for p in seed_paths:
        text = p.read_text("utf-8")
        norm, starts, ends = normalize(text)
        _check_map(text)
        # unchanged characters map onto themselves
        same = [i for i in range(len(norm)) if ends[i] - starts[i] == 1 and text[starts[i]] == norm[i]]
        assert len(same) > 0.9 * len(norm)


def test_persian_letters_in_seed_000(seed_paths):
    text = seed_paths[0].read_text("utf-8")
    assert "أوکرانیا" in text and "روسیا" in text  # keheh and Farsi yeh as scraped
    norm = _check_map(text)
    assert "ک" not in norm and "ی" not in norm
    assert "إلى أوكرانيا" in norm and "مع روسيا" in norm


def test_clean_form_characters():
    cases = {
        "١٢٣ و۴۵": "123 و45",  # Arabic-Indic and Persian digits
        "كثيراً ردًّا": "كثيرا ردا",  # diacritics
        "الســــلام": "السلام",  # tatweel
        "«قال» “نعم” ‘لا’": '"قال" "نعم" \'لا\'',  # quotes
        "روسيا – أوكرانيا — الآن": "روسيا - أوكرانيا - الآن",  # dashes
        "بيت\u00a0الله": "بيت الله",  # NBSP
        "مي\u200cخواهم \u200fنص\u202b عربي\u202c\ufeff": "ميخواهم نص عربي",  # zero-width and bidi
        "ﻻ": "لا",  # presentation form
        "ا\u0654من": "أمن",  # decomposed hamza composed
        "سؤال؟ نعم؛ لا،": "سؤال? نعم; لا,",
        "a\u2028b": "a\nb",
    }
    for raw, want in cases.items():
        assert _check_map(raw) == want == clean_form(raw)


def test_deleted_marks_stay_in_the_raw_span_of_their_letter():
    text = "كثيراً جداً"
    norm, starts, ends = normalize(text)
    i = norm.index(" ")
    assert text[starts[0]:ends[i - 1]] == "كثيراً"


def test_match_form_unifies_spellings():
    assert match_form("إلى") == match_form("الى") == match_form("إلي") == "الي"
    assert match_form("المدرسةِ") == match_form("المدرسه") == "المدرسه"
    assert match_form("أوکرانیا") == match_form("اوكرانيا")
    assert match_form("آنـــا") == "انا"
