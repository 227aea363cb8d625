"""The look-up index and the typo guesses give the answers the rules define (issue 15).

``_exact_tier`` / ``_partial_tier`` are the rules, one region at a time; the index precomputes
them. Here a plain scan of every region by those rules is the reference the index must equal,
and a plain edit distance the reference rapidfuzz must equal.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from openday.geo import names, service


def scan_ranked(kind: str, q: str) -> list[str]:
    """suggest_cities's order by scanning every region with the rules (the code before the index)."""
    g = service._gazetteer()
    scored: dict[str, tuple] = {}

    def offer(tier, region):
        key = service._sort_key(tier, region)
        if region.adcode not in scored or key < scored[region.adcode]:
            scored[region.adcode] = key

    for keys in g.place_keys:
        tier = service._exact_tier(keys, kind, q)
        if tier is None:
            tier = service._partial_tier(keys, kind, q)
        if tier is not None:
            offer(tier, keys.region)
    for keys in g.province_keys:
        if service._exact_tier(keys, kind, q) is not None:
            for city in g.children.get(keys.region.adcode, []):
                offer(2, city)
    return [code for code, _key in sorted(scored.items(), key=lambda item: item[1])]


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def sample_queries() -> list[str]:
    """Names, short names, pinyin and English names of a spread of regions, their prefixes and
    inner parts, and the queries today's tests use."""
    rng = random.Random(15)
    queries = {"长沙", "長沙", "长沙市", "changsha", "chang", "c", "长", "湖南", "hunan", "海南",
               "吉林", "浦东", "朝阳区", "chaoyang", "suzhou", "xian", "urum", "Inner Mongolia",
               "tibet", "shanxi", "麓", "岳麓", "沙市", "城区", "zhengzh", "yuelu district"}
    for region in service.regions()[::9]:
        text = rng.choice([region.name, region.name_hant, region.pinyin,
                           names.english_name(region)])
        queries.add(text)
        queries.add(text[:rng.randint(1, len(text))])
        if len(region.name) > 2:
            start = rng.randint(1, len(region.name) - 2)
            queries.add(region.name[start:start + 2])
    return sorted(queries)


@pytest.mark.parametrize("text", sample_queries())
def test_the_index_ranks_as_a_scan_by_the_rules_does(text):
    kind, q = service._normalize(text)
    assert [r.adcode for r in service._ranked(kind, q, None)] == scan_ranked(kind, q)


def test_every_region_is_found_by_each_of_its_forms():
    """Suggested always; resolved to itself unless another region answers the same text as well
    or better (a city before a district of the same name; 徽县's pinyin is also 辉县市's English
    name, Huixian, and the full pinyin wins)."""
    g = service._gazetteer()
    keys = {k.region.adcode: k for k in g.place_keys}

    def rank(region, kind, q):
        return service._exact_tier(keys[region.adcode], kind, q), service._LEVEL_RANK[region.level]

    for region in service.regions():
        forms = (region.name, region.name_hant, region.pinyin, names.english_name(region))
        if region.level == "province":  # 山西 and 陕西 are both shan xi: Shaanxi tells them apart
            for form in forms:
                found = service.resolve_province(form)
                assert found == region or found.pinyin == form == region.pinyin, form
            continue
        for form in forms:
            kind, q = service._normalize(form)
            assert region in service._ranked(kind, q, None), form
            try:
                found = [service.resolve_city(form)]
            except service.AmbiguousCity as error:
                found = error.candidates
            assert region in found or rank(found[0], kind, q) < rank(region, kind, q), form


def test_suggestions_keep_their_order_and_limit():
    assert [r.adcode for r in service.suggest_cities("长沙")][:2] == ["430100", "430121"]
    kind, q = service._normalize("chang")
    assert [r.adcode for r in service.suggest_cities("chang", limit=7)] == scan_ranked(kind, q)[:7]
    within = [r.adcode for r in service.suggest_cities("chaoyang", limit=50, province="辽宁")]
    assert within == [c for c in scan_ranked("pinyin", "chaoyang") if c.startswith("21")]


@pytest.mark.parametrize("text", ["长莎", "长砂", "changshaa", "zhengzhuo", "乌鲁木其", "guangzhuo",
                                  "haerbing", "xyzzy", "长沙", "南宁宁", "shenzen", "Urumchii"])
def test_typo_guesses_are_those_of_the_plain_edit_distance(text):
    kind, q = service._normalize(text)
    budget = 1 if kind == "zh" else max(1, len(q) // 4)
    expected = {}
    for keys in service._gazetteer().place_keys:
        targets = (keys.stems + keys.names if kind == "zh"
                   else (keys.pinyin_stem, keys.pinyin) + keys.aliases)
        distance = min(edit_distance(q, t) for t in targets)
        if distance <= budget:
            expected[keys.region.adcode] = distance
    found = service._near_misses(kind, q, None)
    assert {r.adcode for r in found} == set(expected)
    distances = [expected[r.adcode] for r in found]
    assert distances == sorted(distances)  # nearest first


def test_a_misspelling_that_sounds_right_comes_first():
    """长莎 (sha) is one character from 长沙, 长治 and 长春: the homophone first (issue 16)."""
    codes = [r.adcode for r in service._near_misses("zh", "长莎", None)]
    assert codes.index("430100") < codes.index("140400") and codes.index("430100") < codes.index("220100")
    with pytest.raises(service.UnknownCity) as caught:
        service.resolve_city("长莎")
    assert caught.value.suggestions[0].adcode == "430100"
    # a character no place name has says nothing of its sound: the order stays cities first
    assert [r.adcode for r in service.closest_names("长砂")][:3] == ["140400", "220100", "430100"]


def test_the_index_is_built_once_per_process():
    first = service._gazetteer()
    service.load()
    assert service._gazetteer() is first


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12) | st.sampled_from(["长沙市岳麓区", "hunanchangsha", "湖南省", "city",
                                              "Inner Mongolia", "长", "\U0010ffff", "ü"]))
def test_any_text_is_answered_or_refused_as_a_geo_error(text):
    kind, q = service._normalize(text)
    assert [r.adcode for r in service._ranked(kind, q, None)] == scan_ranked(kind, q)
    service.suggest_cities(text)
    service.closest_names(text)
    try:
        service.resolve_city(text)
    except service.GeoError:
        pass
