"""Fill the zh_Hant catalogue's missing entries from their simplified msgids with OpenCC (s2t).

Build-time only (opencc is in the ``geo-build`` extra, never a runtime dependency). Run after
``make messages``:

    .venv/bin/python -m openday.translations.fill_hant          # fill empty or fuzzy entries
    .venv/bin/python -m openday.translations.fill_hant --all    # re-convert every entry

The conversion is character-level: OpenCC's ``s2tw`` is s2t followed by the Taiwan glyph
standard (公眾, 審核, 為 rather than s2t's dictionary forms 公衆, 審覈, 爲, which look odd to readers
in Taiwan and Hong Kong alike). No phrase substitution (``s2twp`` would turn 审核 into 稽核 and
发布 into 釋出). Entries a person has written by hand are kept unless ``--all`` is given. Filled entries are not flagged fuzzy: they are finished translations.
Review proper names in the diff (OpenCC's phrase tables get place names such as 乾县 right,
but a lab's own name is the lab's choice).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).parent / "zh_Hant" / "LC_MESSAGES" / "messages.po"


OPENCC_CONFIG = "s2tw"

# Reviewed fix-ups after conversion: UI words where Traditional readers use another word, not just
# other glyphs (applied in order, on the converted text).
PHRASES = (
    ("退出登錄", "登出"),
    ("登錄", "登入"),
    ("賬號", "帳號"),
    ("賬戶", "帳戶"),
    ("個人信息", "個人資料"),
    ("信息", "資訊"),
    ("搜索", "搜尋"),
    ("菜單", "選單"),
    ("導出", "匯出"),
    ("設置", "設定"),
    ("郵箱", "電子郵件"),
)

# Whole entries reviewed by hand: the conversion alone would read wrong.
OVERRIDES = {
    # The example shows both scripts work; converted, it would repeat 長沙 twice.
    "输入城市，如 长沙、長沙 或 changsha": "輸入城市，如 長沙、长沙 或 changsha",
    "如 长沙、長沙 或 changsha": "如 長沙、长沙 或 changsha",
    # English msgids (the cities API): translated by hand, OpenCC would leave them in English.
    "Type a city name, its pinyin or its adcode.": "請輸入城市名稱、拼音或行政區劃代碼。",
    "Unknown province: %(province)s.": "未知的省份：%(province)s。",
    "Unknown province: %(province)s. Did you mean: %(names)s?": "未知的省份：%(province)s。您是不是要找：%(names)s？",
    "No city called “%(q)s”.": "沒有找到城市「%(q)s」。",
    "No city called “%(q)s”. Did you mean: %(names)s?": "沒有找到城市「%(q)s」。您是不是要找：%(names)s？",
}


def converter():
    import opencc  # build-time only: pip install -e '.[geo-build]'
    return opencc.OpenCC(OPENCC_CONFIG)


def to_hant(text: str, convert) -> str:
    if text in OVERRIDES:
        return OVERRIDES[text]
    converted = convert(text)
    for old, new in PHRASES:
        converted = converted.replace(old, new)
    return converted


def fill(path: Path = CATALOGUE, redo_all: bool = False) -> int:
    """Convert the untranslated (or, with ``redo_all``, every) entry; the number changed."""
    opencc_convert = converter().convert

    def s2t(text: str) -> str:
        return to_hant(text, opencc_convert)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hant")
    changed = 0
    for message in catalog:
        if not message.id:
            continue  # the header
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        missing = message.fuzzy or not all(strings)
        if not (missing or redo_all):
            continue
        if isinstance(message.id, (list, tuple)):
            # Chinese has one plural form: the plural msgid reads right for any count.
            converted = tuple(s2t(ids[-1]) for _ in range(catalog.num_plurals))
        else:
            converted = s2t(message.id)
        if converted != message.string or message.fuzzy:
            message.string = converted
            message.flags.discard("fuzzy")
            changed += 1
    with path.open("wb") as handle:
        write_po(handle, catalog, sort_output=True)
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="re-convert entries already translated")
    parser.add_argument("catalogue", nargs="?", type=Path, default=CATALOGUE)
    args = parser.parse_args()
    print(f"zh_Hant: {fill(args.catalogue, redo_all=args.all)} entries filled by OpenCC {OPENCC_CONFIG}")


if __name__ == "__main__":
    main()
