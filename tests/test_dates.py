"""Date expressions resolved against the publication date, on phrases from the seed articles."""
import datetime as dt
import re

from tasks.config import SHARED
from tasks.dates import publication_date, resolve_dates

FRI = dt.datetime(2022, 2, 18, 15, 30, tzinfo=dt.timezone.utc)  # a Friday


def dates(text: str, published_at=FRI) -> list[dict]:
    return resolve_dates(text, 0, len(text), published_at)


def one(text: str, published_at=FRI) -> dict:
    found = dates(text, published_at)
    assert len(found) == 1, found
    return found[0]


def test_seed_sentence_with_two_dates():
    # seed 001: Psaki speaks on Friday; the meeting is "next Wednesday" = "23 February (this month)".
    text = ("أعلنت المتحدثة باسم البيت الأبيض، جين بساكي اليوم الجمعة ، عن قبول وزير الخارجية الأميركي أنتوني "
            "بلينكن دعوة للقاء وزير الخارجية الروسي، سيرغي لافروف يوم 23 شباط/فبراير الجاري")
    assert text in (SHARED / "seeds" / "001_99d6a1084786c1d6.txt").read_text(encoding="utf-8")
    today, meeting = dates(text)
    assert (today["text"], today["date"], today["granularity"]) == ("اليوم الجمعة", dt.date(2022, 2, 18), "day")
    assert (meeting["text"], meeting["date"], meeting["granularity"]) == ("23 شباط/فبراير الجاري", dt.date(2022, 2, 23), "day")
    assert one("لافروف الأربعاء المقبل")["date"] == meeting["date"]


def test_offsets_point_into_the_raw_text():
    text = "قال بوتين في ٢٧ ديسمبر ٢٠٢٤ إنَّ سلوفاكيا عرضت، وأمسِ التقى فيكو"
    for d in dates(text):
        assert text[d["start"]:d["end"]] == d["text"]
    assert [d["date"] for d in dates(text)] == [dt.date(2024, 12, 27), dt.date(2022, 2, 17)]


def test_relative_days_and_weekdays():
    thu = dt.date(2025, 9, 4)  # seed 003 happens on a Thursday
    assert one("التقى المبعوث الأميركي الخاص ستيف ويتكوف بالقادة الأوروبيين في باريس، اليوم الخميس،", thu)["date"] == thu
    assert one("وقال الرئيس الروسي فلاديمير بوتين، الأربعاء، إن", thu)["date"] == dt.date(2025, 9, 3)
    assert one("أمس")["date"] == dt.date(2022, 2, 17)
    assert one("أول أمس")["date"] == dt.date(2022, 2, 16)
    assert one("غدا الأربعاء")["date"] == dt.date(2022, 2, 19)
    assert one("السبت الماضي")["date"] == dt.date(2022, 2, 12)
    assert one("الجمعة المقبلة")["date"] == dt.date(2022, 2, 25)


def test_year_comes_from_the_publication_date():
    assert one("يوم 26 فبراير الماضي", dt.date(2024, 3, 10))["date"] == dt.date(2024, 2, 26)
    assert one("يوم 26 فبراير الماضي", dt.date(2024, 2, 10))["date"] == dt.date(2023, 2, 26)
    assert one("في 12 يناير المقبل", dt.date(2021, 12, 20))["date"] == dt.date(2022, 1, 12)
    assert one("اجتماع منفصل في 12 يناير ،", dt.date(2021, 12, 20))["date"] == dt.date(2021, 1, 12)


def test_without_a_publication_date_the_day_and_month_stay():
    d = one("يوم 23 شباط/فبراير الجاري", None)
    assert d["date"] is None and (d["month"], d["day"], d["granularity"]) == (2, 23, "day")
    assert one("في 27 ديسمبر 2024", None)["date"] == dt.date(2024, 12, 27)
    assert one("أمس", None)["date"] is None


def test_levantine_gulf_and_maghrebi_month_names_agree():
    levantine = ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول",
                 "تشرين الأول", "تشرين الثاني", "كانون الأول"]
    gulf = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]
    for m, (a, b) in enumerate(zip(levantine, gulf), start=1):
        assert one(f"في 3 {a} 2023")["date"] == one(f"في ٣ {b} ٢٠٢٣")["date"] == dt.date(2023, m, 3)
    assert one("في 5 جويلية 2019")["date"] == dt.date(2019, 7, 5)
    assert one("في 3 آذار (مارس) 2023")["text"] == "3 آذار (مارس) 2023"


def test_coarser_granularities():
    assert (one("الأسبوع المقبل")["granularity"], one("الأسبوع المقبل")["date"]) == ("week", dt.date(2022, 2, 25))
    assert (one("الشهر الماضي")["date"], one("الشهر الماضي")["granularity"]) == (dt.date(2022, 1, 1), "month")
    assert (one("في أوائل عام 2022")["date"], one("في أوائل عام 2022")["granularity"]) == (dt.date(2022, 1, 1), "year")
    assert one("كانون الثاني 2021")["granularity"] == "month"
    assert one("منذ عامين")["granularity"] == "relative"


def test_no_date_in_ordinary_words():
    for text in ("في اليوم التالي", "كان أبي مارس الرياضة", "نشر 10 آلاف جندي", "سيرغي لافروف"):
        assert dates(text) == [], text


def test_publication_date_accepts_the_usual_types():
    assert publication_date(FRI) == publication_date("2022-02-18T15:30:00Z") == publication_date(dt.date(2022, 2, 18))
    assert publication_date(None) is None and publication_date("not a date") is None


def test_every_seed_date_has_consistent_offsets():
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        found = resolve_dates(text, 0, len(text), FRI)
        assert found, path.name
        for d in found:
            assert text[d["start"]:d["end"]] == d["text"] and re.match(r"date:\w+$", d["rule"])
