"""Every UI string has a finished translation in zh_Hant and en (issue 8: catalogues complete).

The messages are extracted from the source right now (Babel, the same mapping and keywords as
`make messages`), so a string added without running `make messages` and translating it fails
here, not in front of a reader.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "openday" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
LOCALES = ("zh_Hant", "en")
HAN = re.compile(r"[\u3400-\u9fff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{(\w*)\}")


def only_source_dirs(path: str) -> bool:
    name = Path(path).name
    return not name.startswith((".", "_")) and name not in {"node_modules", "static", "tests",
                                                            "migrations", "instance"}


@pytest.fixture(scope="module")
def msgids() -> dict[str, str]:
    """msgid (the plural msgid for ngettext) -> where it was found."""
    with (TRANSLATIONS / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS,
            directory_filter=only_source_dirs):
        for text in (message if isinstance(message, tuple) else (message,)):
            if text:
                found.setdefault(text, f"{filename}:{lineno}")
    return found


def catalogue(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def test_extraction_finds_the_ui_strings(msgids):
    # Guards the test itself: the mapping and keywords must see templates, views and lazy labels.
    assert "开放日" in msgids                      # templates/base.html
    assert "邮箱或密码不正确" in msgids            # gettext in a view
    assert "密码" in msgids                        # lazy_gettext form label


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_has_a_finished_translation(msgids, locale):
    messages = {}
    for message in catalogue(locale):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        finished = not message.fuzzy and all(s.strip() for s in strings)
        for text in (message.id if isinstance(message.id, (list, tuple)) else (message.id,)):
            messages[text] = finished
    missing = sorted(f"{text!r}  ({where})" for text, where in msgids.items() if text not in messages)
    unfinished = sorted(f"{text!r}  ({msgids[text]})" for text in msgids if messages.get(text) is False)
    assert not missing and not unfinished, (
        f"{locale}: run `make messages`, then `.venv/bin/python -m openday.translations.fill_hant` "
        f"(zh_Hant) and translate by hand (en).\n"
        + (f"not in the catalogue ({len(missing)}):\n  " + "\n  ".join(missing) + "\n" if missing else "")
        + (f"empty or fuzzy ({len(unfinished)}):\n  " + "\n  ".join(unfinished) if unfinished else ""))


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale):
    """A dropped or renamed %(name)s would raise at render time, in that language only."""
    broken = []
    for message in catalogue(locale):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            if text and sorted(PLACEHOLDER.findall(text)) != expected:
                broken.append(f"{ids[0]!r} -> {text!r}")
    assert not broken, "placeholders differ:\n  " + "\n  ".join(broken)


def test_english_catalogue_is_english():
    """No Chinese msgid copied as its own 'translation'; Chinese only as an example (长沙, 長沙)."""
    def han_share(text: str) -> float:
        return len(HAN.findall(text)) / max(len(text.replace(" ", "")), 1)

    leftovers = []
    for message in catalogue("en"):
        if not message.id or not message.string:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        leftovers += [f"{message.id!r} -> {text!r}" for text in strings if text and han_share(text) > 0.3]
    assert not leftovers, "Chinese left in the English catalogue:\n  " + "\n  ".join(leftovers)
