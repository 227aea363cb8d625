"""English names of places where English does not simply use the pinyin, hand-checked.

Source: the titles of the English Wikipedia articles on each place (checked November 2026), and
where China's official English usage differs, that (gov.cn, Xinhua: "Xizang" is official, but
readers type and read "Tibet"; both resolve). Every other place's English name is made from its
pinyin (``openday.geo.names``), which is what Wikipedia and the official usage do too
(长沙市 → Changsha, 岳麓区 → Yuelu District).

``ENGLISH`` is what pages show; ``ALIASES`` is what people may type besides the pinyin and the
shown name (the spelling with and without diacritics and apostrophes, older names still in use).
Hong Kong and Macao are not in the gazetteer (it covers the mainland's divisions), so they are not
here either.
"""
from __future__ import annotations

ENGLISH: dict[str, str] = {
    # provinces whose English name is not their pinyin stem
    "150000": "Inner Mongolia",    # 内蒙古自治区, not "Neimenggu"
    "450000": "Guangxi",           # 广西壮族自治区 (in full: Guangxi Zhuang Autonomous Region)
    "540000": "Tibet",             # 西藏自治区; officially also Xizang
    "610000": "Shaanxi",           # 陕西省: the double a tells it from 山西 Shanxi
    "640000": "Ningxia",           # 宁夏回族自治区
    "650000": "Xinjiang",          # 新疆维吾尔自治区
    # provincial capitals named from another language than Chinese
    "650100": "Urumqi",            # 乌鲁木齐 (Wulumuqi), Uyghur Ürümqi
    "150100": "Hohhot",            # 呼和浩特 (Huhehaote), Mongolian
    "230100": "Harbin",            # 哈尔滨 (Ha'erbin), Manchu
    "540100": "Lhasa",             # 拉萨 (Lasa), Tibetan
    # prefectures best known by their own names
    "540200": "Shigatse",          # 日喀则 (Rikaze)
    "653100": "Kashgar Prefecture",  # 喀什地区 (Kashi)
    "653200": "Hotan Prefecture",  # 和田地区 (Hetian)
    "150600": "Ordos",             # 鄂尔多斯 (E'erduosi), Mongolian
    "150700": "Hulunbuir",         # 呼伦贝尔 (Hulunbei'er), Mongolian
    "152500": "Xilingol League",   # 锡林郭勒盟 (Xilinguole)
    "152900": "Alxa League",       # 阿拉善盟 (Alashan)
    # autonomous areas named after one people alone, whose English name is that people's
    "150723": "Oroqen Autonomous Banner",    # 鄂伦春自治旗
    "150724": "Evenki Autonomous Banner",    # 鄂温克族自治旗
    "622926": "Dongxiang Autonomous County",  # 东乡族自治县
}

ALIASES: dict[str, tuple[str, ...]] = {
    "150000": ("Inner Mongolia", "Nei Mongol"),
    "540000": ("Tibet", "Xizang"),
    "610000": ("Shaanxi",),
    "650100": ("Urumqi", "Ürümqi", "Urumchi"),
    "150100": ("Hohhot", "Huhhot"),
    "230100": ("Harbin",),
    "540100": ("Lhasa",),
    "610100": ("Xi'an", "Xian", "Sian"),
    "110100": ("Peking",),
    "440100": ("Canton",),
    "350200": ("Amoy",),
    "540200": ("Shigatse",),
    "653100": ("Kashgar",),
    "653200": ("Hotan", "Khotan"),
    "150600": ("Ordos",),
    "150700": ("Hulunbuir",),
    "152500": ("Xilingol",),
    "152900": ("Alxa",),
}
