"""A place's name in the reader's language (SPEC §4): 长沙市 / 長沙市 / Changsha.

zh_Hans shows the gazetteer's name, zh_Hant its traditional form. English shows the exonym where
English has one (``exonyms.ENGLISH``: Tibet, Urumqi, Harbin…), else the pinyin of the proper name,
capitalised and with the generic ending translated, as the English Wikipedia and China's official
usage write them: 岳麓区 → Yuelu District, 长沙县 → Changsha County, 湖南省 → Hunan,
延边朝鲜族自治州 → Yanbian Korean Autonomous Prefecture. A prefecture- or county-level 市 and a
province's 省 are dropped (长沙市 → Changsha, 浏阳市 → Liuyang), as English usage does.
"""
from __future__ import annotations

import functools

from flask import has_request_context

from openday.geo.exonyms import ENGLISH
from openday.geo.models import _MIN_STEM_BEFORE, ETHNIC, SUFFIXES, Region, stem_length

__all__ = ["display_full_name", "display_name", "english_name", "place_name"]

# The generic endings of the simplified names (models.SUFFIXES) in English; "" drops one.
SUFFIX_ENGLISH = {
    "自治区": "Autonomous Region", "自治州": "Autonomous Prefecture",
    "自治县": "Autonomous County", "自治旗": "Autonomous Banner", "地区": "Prefecture",
    "林区": "Forestry District", "新区": "New Area", "特区": "Special District", "市": "",
    "区": "District", "县": "County", "省": "", "盟": "League", "旗": "Banner",
}

# The peoples of autonomous areas' names (models.ETHNIC, simplified forms), as the English names
# of those areas call them (Wikipedia's article titles: "Yanbian Korean Autonomous Prefecture").
PEOPLES_ENGLISH = {
    "各族": "Various Nationalities", "蒙古族": "Mongol", "蒙古": "Mongol", "回族": "Hui",
    "藏族": "Tibetan", "维吾尔": "Uyghur", "苗族": "Miao", "彝族": "Yi", "壮族": "Zhuang",
    "布依族": "Bouyei", "朝鲜族": "Korean", "满族": "Manchu", "侗族": "Dong", "瑶族": "Yao",
    "白族": "Bai", "土家族": "Tujia", "哈尼族": "Hani", "哈萨克族": "Kazakh", "哈萨克": "Kazakh",
    "傣族": "Dai", "黎族": "Li", "傈僳族": "Lisu", "佤族": "Va", "畲族": "She", "拉祜族": "Lahu",
    "水族": "Sui", "东乡族": "Dongxiang", "纳西族": "Naxi", "景颇族": "Jingpo",
    "柯尔克孜": "Kyrgyz", "土族": "Tu", "达斡尔族": "Daur", "仫佬族": "Mulao", "羌族": "Qiang",
    "布朗族": "Blang", "撒拉族": "Salar", "毛南族": "Maonan", "仡佬族": "Gelao", "锡伯": "Xibe",
    "普米族": "Pumi", "塔吉克": "Tajik", "怒族": "Nu", "鄂温克族": "Evenki", "保安族": "Bonan",
    "裕固族": "Yugur", "独龙族": "Derung",
}

_SIMPLIFIED_SUFFIXES = tuple(s for s in SUFFIXES if s in SUFFIX_ENGLISH)


def _romanise(syllables: list[str]) -> str:
    """Pinyin syllables as one capitalised word, with the apostrophe pinyin puts before a syllable
    that starts with a, o or e (xi an → Xi'an), and ü where the gazetteer writes v (Lüliang)."""
    word = ""
    for syllable in syllables:
        if word and syllable[0] in "aoe":
            word += "'"
        word += syllable.replace("v", "ü")
    return word[:1].upper() + word[1:]


def _peoples(text: str) -> list[str]:
    """The peoples named in ``text`` (between an autonomous area's proper name and its ending)."""
    found: list[str] = []
    i = 0
    while i < len(text):
        people = next((p for p in ETHNIC if text.startswith(p, i) and p in PEOPLES_ENGLISH), None)
        if people is None:
            return []
        found.append(PEOPLES_ENGLISH[people])
        i += len(people)
    return found


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@functools.lru_cache(maxsize=8192)
def english_name(region: Region) -> str:
    """Changsha, Yuelu District, Hunan, Beijing, Tibet, Yanbian Korean Autonomous Prefecture."""
    if region.adcode in ENGLISH:
        return ENGLISH[region.adcode]
    name, syllables = region.name, region.pinyin.split()
    suffix = next((s for s in _SIMPLIFIED_SUFFIXES if name.endswith(s)
                   and len(name) - len(s) >= _MIN_STEM_BEFORE.get(s, 1)), "")
    end = len(name) - len(suffix)  # where the ending starts
    stem = stem_length(name)       # where the proper name ends (before any peoples' names)
    if stem > end:                 # 城区, 郊区: too short for models' stem, still a 区
        stem = end
    peoples = _peoples(name[stem:end]) if "自治" in suffix else []
    if not peoples:
        stem = end
    words = [_romanise(syllables[:stem])]
    if peoples:
        words.append(_listed(peoples))
    if SUFFIX_ENGLISH.get(suffix):
        words.append(SUFFIX_ENGLISH[suffix])
    return " ".join(words)


def display_name(region: Region, locale: str = "zh_Hans") -> str:
    """``region``'s name for a reader of ``locale`` (zh_Hans, zh_Hant, en)."""
    if locale == "zh_Hant":
        return region.name_hant
    if locale.startswith("en"):
        return english_name(region)
    return region.name


def display_full_name(region: Region, locale: str = "zh_Hans") -> str:
    """From the province down in Chinese (湖南省长沙市岳麓区, 北京市朝阳区), from the place up in
    English (Yuelu District, Changsha, Hunan; Chaoyang District, Beijing); a municipality once."""
    from openday.geo.service import lineage

    names: list[str] = []
    for r in lineage(region.adcode):
        name = display_name(r, locale)
        if not names or names[-1] != name:
            names.append(name)
    if locale.startswith("en"):
        return ", ".join(reversed(names))
    return "".join(names)


def current_locale() -> str:
    """The request's locale; zh_Hans outside a request (commands, jobs)."""
    if not has_request_context():
        return "zh_Hans"
    from openday.core.i18n import locale_code
    return locale_code()


def place_name(value: Region | str | None, full: bool = False) -> str:
    """The Jinja filter ``place_name``: a Region or an adcode, named in the reader's language
    (``full=True``: with its province and city). An unknown adcode is shown as it is."""
    from openday.geo.service import get_region

    region = value if isinstance(value, Region) else get_region(value or "")
    if region is None:
        return value or ""
    locale = current_locale()
    return display_full_name(region, locale) if full else display_name(region, locale)
