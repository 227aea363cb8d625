"""Kind names (one table for forms, pages and stats) and the remembered time formatting: both are
shared across requests, so each must still answer in every reader's own language."""
from __future__ import annotations

from datetime import datetime

import pytest

from openday.events.kinds import KIND_NAMES, kind_badge, kind_choices, kind_name
from openday.events.models import EventKind
from openday.web import local_time


@pytest.fixture
def app():  # no database needed
    from openday import create_app
    return create_app({"TESTING": True, "OPENDAY_DATABASE_URL": "sqlite://"})


def test_every_kind_has_one_name():
    assert set(KIND_NAMES) == {kind.value for kind in EventKind}


def test_outside_a_request_the_name_is_the_chinese_msgid():
    assert kind_name("free_testing") == "便民检测"
    assert [code for code, _name in kind_choices()] == [kind.value for kind in EventKind]
    assert kind_name("unheard_of") == "unheard_of"


@pytest.mark.parametrize(("lang", "expected"), [("zh_Hans", "科普讲座"), ("zh_Hant", "科普講座"),
                                                ("en", "Science lecture")])
def test_in_a_request_the_name_is_the_readers(app, lang, expected):
    with app.test_request_context(f"/?lang={lang}"):
        assert kind_name("lecture") == expected
        assert kind_badge("lecture") == (
            f'<span class="badge kind-badge kind-lecture">{expected}</span>')


def test_badge_escapes_what_it_shows(app):
    with app.test_request_context("/"):
        assert "<script>" not in kind_badge("<script>")


def test_remembered_times_follow_the_readers_language(app):
    moment = datetime(2026, 9, 20, 1, 30)  # UTC: 09:30 in Beijing
    shown = {}
    for lang in ("zh_Hans", "en", "zh_Hans"):
        with app.test_request_context(f"/?lang={lang}"):
            shown.setdefault(lang, set()).add(local_time(moment, "medium"))
    assert all(len(values) == 1 for values in shown.values())
    assert shown["zh_Hans"] != shown["en"]
    assert all("9:30" in next(iter(values)) for values in shown.values())
