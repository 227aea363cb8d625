"""Geo: a region of the bundled gazetteer.

Not a database table: the gazetteer is read-only reference data, loaded once per process from
``gazetteer.csv`` (see service.py), so a frozen dataclass is all a region needs to be.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["province", "city", "district"]

# 北京, 天津, 上海, 重庆: province-level cities. In the gazetteer each is also its own city PP0100.
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})

# Generic endings of division names, simplified and traditional, longest first so that
# 自治州 wins over 州-less 区. 新区 covers 浦东新区/滨海新区, which people call 浦东/滨海.
SUFFIXES = (
    "特别行政区", "特別行政區",
    "自治区", "自治區", "自治州", "自治县", "自治縣", "自治旗",
    "地区", "地區", "林区", "林區", "新区", "新區", "特区", "特區",
    "市", "区", "區", "县", "縣", "省", "盟", "旗",
)
# Peoples named in autonomous areas' names (延边朝鲜族自治州 → 延边), traditional forms where
# they differ. Longest first, so 土家族 is cut whole rather than as 土族 after 家.
ETHNIC = tuple(sorted({
    "各族", "蒙古族", "蒙古", "回族", "藏族", "维吾尔", "維吾爾", "苗族", "彝族", "壮族", "壯族",
    "布依族", "朝鲜族", "朝鮮族", "满族", "滿族", "侗族", "瑶族", "白族", "土家族", "哈尼族",
    "哈萨克族", "哈萨克", "哈薩克族", "哈薩克", "傣族", "黎族", "傈僳族", "佤族", "畲族",
    "拉祜族", "水族", "东乡族", "東鄉族", "纳西族", "納西族", "景颇族", "景頗族", "柯尔克孜",
    "柯爾克孜", "土族", "达斡尔族", "達斡爾族", "仫佬族", "羌族", "布朗族", "撒拉族",
    "毛南族", "仡佬族", "锡伯", "錫伯", "普米族", "塔吉克", "怒族", "鄂温克族", "鄂溫克族",
    "保安族", "裕固族", "独龙族", "獨龍族",
}, key=len, reverse=True))

_MIN_STEM = 2  # 忠县 stays 忠县 and 城区 stays 城区: one character is not a name
# 林区 is 神农架林区's ending, but 太原 has a 万柏林区 (a 区 of 万柏林): ask for a longer stem.
_MIN_STEM_BEFORE = {"林区": 3, "林區": 3}


def stem_length(name: str, *, cut_peoples: bool = True) -> int:
    """How many leading characters of ``name`` are its proper name (长沙市 → 2).

    A length rather than a string so the same cut applies to the traditional name and to the
    pinyin syllables, which have one character/syllable per simplified character.
    ``cut_peoples=False`` keeps the peoples' names of an autonomous area (海南藏族自治州 → 海南藏族).
    """
    for suffix in SUFFIXES:
        shortest = _MIN_STEM_BEFORE.get(suffix, _MIN_STEM)
        if name.endswith(suffix) and len(name) - len(suffix) >= shortest:
            end = len(name) - len(suffix)
            break
    else:
        return len(name)
    if cut_peoples and "自治" in suffix:
        trimmed = True
        while trimmed:
            trimmed = False
            for people in ETHNIC:
                if name.endswith(people, 0, end) and end - len(people) >= _MIN_STEM:
                    end -= len(people)
                    trimmed = True
                    break
    return end


@dataclass(frozen=True, slots=True)
class Region:
    """A province, city or district. ``parent`` is "" for provinces.

    Municipalities appear twice: the province ``110000`` and the city ``110100`` (same name),
    which is the parent of all their districts. County-level units run by a province
    (仙桃 429004, 海南 469xxx…) are cities whose parent is the province.
    """

    adcode: str
    name: str
    name_hant: str
    pinyin: str  # lower-case toneless syllables separated by spaces: "chang sha shi"
    level: Level
    parent: str
    lat: float  # GCJ-02, like every map shown to users in China
    lon: float

    @property
    def short_name(self) -> str:
        """The name without its generic ending: 长沙市 → 长沙, 延边朝鲜族自治州 → 延边."""
        return self.name[:stem_length(self.name)]

    @property
    def province_adcode(self) -> str:
        return self.adcode[:2] + "0000"

    @property
    def is_municipality(self) -> bool:
        return self.province_adcode in MUNICIPALITIES
