"""Dates and numbers follow the reader's locale, times are Beijing time, and pages speak it."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask_babel import format_decimal

from openday.web import local_time

NINE_THIRTY_UTC = datetime(2026, 9, 1, 2, 30, tzinfo=UTC)  # 10:30 in Beijing
HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def backend() -> str:
    return "sqlite"  # formatting does not depend on the database


@pytest.mark.parametrize(("lang", "medium", "short"), [
    ("zh_Hans", "2026年9月1日 10:30:00", "2026-09-01 10:30"),
    ("zh_Hant", "2026年9月1日 上午10:30:00", "2026-09-01 10:30"),
    ("en", "Sep 1, 2026, 10:30:00\u202fAM", "2026-09-01 10:30"),
])
def test_local_time_is_beijing_time_in_the_readers_locale(app, lang, medium, short):
    with app.test_request_context(f"/?lang={lang}"):
        assert local_time(NINE_THIRTY_UTC) == medium
        assert local_time(NINE_THIRTY_UTC, "short") == short
        assert local_time(None) == ""


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_numbers_are_grouped(app, lang):
    with app.test_request_context(f"/?lang={lang}"):
        assert format_decimal(1234567) == "1,234,567"
        assert app.jinja_env.from_string("{{ 40000|numberformat }}").render() == "40,000"


@pytest.mark.parametrize(("lang", "html_lang", "word"), [
    ("zh_Hans", "zh-Hans", "找活动"), ("zh_Hant", "zh-Hant", "找活動"), ("en", "en", "Find events"),
])
def test_pages_speak_the_chosen_language_and_remember_it(client, lang, html_lang, word):
    page = client.get(f"/?lang={lang}").get_data(as_text=True)
    assert f'<html lang="{html_lang}">' in page and word in page
    again = client.get("/login").get_data(as_text=True)  # the cookie keeps the choice
    assert f'<html lang="{html_lang}">' in again


def visible_text(html: str) -> str:
    """Text a reader sees, minus what is Chinese on purpose: elements marked with their own lang
    (the language switcher), <select> options (place names) and attribute values."""
    html = re.sub(r"<(script|style|select)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<(\w+)[^>]*\blang=\"zh[^\"]*\"[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return html


@pytest.mark.parametrize("path", ["/", "/login", "/labs/register", "/privacy", "/search", "/notices/",
                                  "/participation"])
def test_english_pages_have_no_chinese_left(client, path):
    response = client.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert response.status_code == 200
    leftovers = sorted(set(re.findall(r"[^\s<>]*[\u3400-\u9fff]+[^\s<>]*", visible_text(response.get_data(as_text=True)))))
    assert not leftovers, f"Chinese on the English {path}: {leftovers}"


SAT_0130_UTC = datetime(2026, 12, 5, 1, 30, tzinfo=UTC)   # Saturday 5 Dec, 09:30 in Beijing


@pytest.mark.parametrize(("lang", "same_day", "afternoon", "overnight"), [
    ("zh_Hans", "12月5日 周六 09:30–11:00", "12月5日 周六 14:00", "12月5日 周六 22:00 – 12月6日 周日 01:00"),
    ("zh_Hant", "12月5日 週六 09:30–11:00", "12月5日 週六 14:00", "12月5日 週六 22:00 – 12月6日 週日 01:00"),
    ("en", "Sat 5 Dec 09:30–11:00", "Sat 5 Dec 14:00", "Sat 5 Dec 22:00 – Sun 6 Dec 01:00"),
])
def test_slot_times_show_the_weekday_the_date_once_and_24_hour_time(app, lang, same_day, afternoon,
                                                                     overnight):
    from datetime import timedelta

    from openday.web import local_moment, time_range
    with app.test_request_context(f"/?lang={lang}"):
        assert time_range(SAT_0130_UTC, SAT_0130_UTC + timedelta(minutes=90)) == same_day
        assert local_moment(SAT_0130_UTC + timedelta(hours=4, minutes=30)) == afternoon
        late = SAT_0130_UTC + timedelta(hours=12, minutes=30)
        assert time_range(late, late + timedelta(hours=3)) == overnight
        rendered = app.jinja_env.from_string("{{ a|time_range(b) }}").render(
            a=SAT_0130_UTC, b=SAT_0130_UTC + timedelta(minutes=90))
        assert rendered == same_day
