"""SPEC §4 through the one search service, and the /search page that shows it."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.events import search
from openday.events.models import EventStatus, SlotStatus


def found(**args) -> list[int]:
    result = search.search(search.parse_args({k: str(v) for k, v in args.items()}))
    return [hit.slot.id for hit in result.hits]


@pytest.mark.parametrize("city", ["长沙", "長沙", "长沙市", "changsha", "Changsha", "430100",
                                  " 长沙 ", "Chang Sha"])
def test_city_by_any_spelling(world, city):
    assert found(city=city) == [world.yuelu.id, world.furong_full.id, world.furong.id]


def test_district_named_in_the_city_box(world):
    assert found(city="芙蓉区") == [world.furong_full.id, world.furong.id]
    assert found(city="430104") == [world.yuelu.id, world.furong_full.id, world.furong.id]  # a district's code → its city
    assert found(city="浦东") == [world.shanghai.id]


def test_district_filter(world):
    assert found(city="长沙", district="430104") == [world.yuelu.id]
    assert found(city="长沙", district="芙蓉区") == [world.furong_full.id, world.furong.id]
    assert found(district="430102") == [world.furong_full.id, world.furong.id]
    with pytest.raises(search.SearchError) as caught:
        found(city="长沙", district="310115")  # a district of another city
    assert "district" in caught.value.fields


def test_kind_filter(world):
    assert found(kind="free_testing") == [world.furong_full.id, world.furong.id]
    assert found(city="上海", kind="tour") == []
    with pytest.raises(search.SearchError):
        found(kind="party")


def test_date_range_is_in_beijing_days(db, world, create_slot):
    # 07:30 in Beijing is still the previous day in UTC: it belongs to the Beijing day.
    early = create_slot(event=world.yuelu.event, starts_at=clock.china_datetime(world.day, 7, 30))
    day = world.day.isoformat()
    assert found(date_from=day, date_to=day) == [early.id, world.yuelu.id, world.shanghai.id]
    next_day = (world.day + timedelta(days=1)).isoformat()
    assert found(date_from=next_day) == [world.furong_full.id, world.furong.id]
    assert found(date_to=next_day, city="长沙") == [early.id, world.yuelu.id, world.furong_full.id]
    with pytest.raises(search.SearchError) as caught:
        found(date_from=next_day, date_to=day)
    assert "date_to" in caught.value.fields
    with pytest.raises(search.SearchError):
        found(date_from="2026-13-45")


@pytest.mark.parametrize("q,expected", [
    ("食品", ["yuelu"]),             # title
    ("计量检定", ["furong_full", "furong"]),  # lab name
    ("血压计", ["furong_full", "furong"]),    # title and testing items
    ("电子秤", ["furong_full", "furong"]),    # testing items only
    ("质量 竞赛", ["shanghai"]),      # every word must match somewhere
    ("%", []),                       # LIKE wildcards are literal
    ("_", []),
])
def test_keyword(world, q, expected):
    assert found(q=q) == [getattr(world, name).id for name in expected]


def test_available_only(world):
    assert world.furong_full.id in found(city="长沙")
    assert found(city="长沙", available="1") == [world.yuelu.id, world.furong.id]


def test_only_future_listed_slots_of_approved_labs(db, world, create_lab, create_event, create_slot):
    create_slot(event=world.yuelu.event, starts_at=clock.now() - timedelta(hours=1))  # started
    cancelled = create_slot(event=world.yuelu.event)
    cancelled.status, cancelled.listed = SlotStatus.cancelled, False
    db.session.commit()
    create_slot(event=create_event(lab=world.yuelu.event.lab, status=EventStatus.draft))
    suspended = create_lab(name="被暂停的机构", status="suspended")
    create_slot(event=create_event(lab=suspended))
    assert found(city="长沙") == [world.yuelu.id, world.furong_full.id, world.furong.id]


def test_pagination_and_total(db, world, create_slot):
    for hours in range(1, 6):
        create_slot(event=world.shanghai.event, starts_in=timedelta(days=10, hours=hours))
    result = search.search(search.parse_args({"city": "上海", "per_page": "2", "page": "2"}))
    assert result.total == 6 and result.per_page == 2 and result.page == 2 and result.pages == 3
    assert len(result.hits) == 2
    everything = found(city="上海", per_page=100)
    assert [h.slot.id for h in result.hits] == everything[2:4]
    assert found(city="上海", page=9) == []
    assert search.parse_args({"per_page": "1000"}).per_page == search.MAX_PER_PAGE
    for bad in ({"page": "0"}, {"page": "x"}, {"per_page": "-1"}, {"page": "1.5"}):
        with pytest.raises(search.SearchError):
            search.parse_args(bad)


def test_near_a_point_sorts_by_distance(world):
    # from 岳麓 lab: 岳麓 (0 km) then 芙蓉 (~11 km); 上海 is ~900 km away
    result = search.search(search.parse_args({"lat": "28.2345", "lon": "112.9313", "radius_km": "30"}))
    ids = [hit.slot.id for hit in result.hits]
    assert ids == [world.yuelu.id, world.furong_full.id, world.furong.id]
    distances = [hit.distance_km for hit in result.hits]
    assert distances[0] == 0 and 8 < distances[1] < 15 and distances[1] == distances[2]
    assert result.total == 3
    assert found(lat="28.2345", lon="112.9313", radius_km="5") == [world.yuelu.id]


def test_near_the_city_centre_when_only_a_radius_is_given(world):
    result = search.search(search.parse_args({"city": "上海", "radius_km": "50"}))
    assert [hit.slot.id for hit in result.hits] == [world.shanghai.id]
    assert result.hits[0].distance_km is not None
    assert search.search(search.parse_args({"city": "上海"})).hits[0].distance_km is None


def test_radius_needs_a_place(world):
    with pytest.raises(search.SearchError) as caught:
        found(radius_km="10")
    assert "lat" in caught.value.fields
    for bad in ({"lat": "91", "lon": "0"}, {"lat": "x", "lon": "1"}, {"lat": "28"},
                {"lat": "28", "lon": "112", "radius_km": "0"}, {"radius_km": "100000"},
                {"lat": "nan", "lon": "1"}):
        with pytest.raises(search.SearchError):
            search.parse_args(bad)


def test_unknown_city_suggests(world):
    with pytest.raises(search.SearchError) as caught:
        found(city="长纱")
    assert caught.value.code == "unknown_city"
    assert "长沙市" in caught.value.fields["city"]


def test_ambiguous_city_lists_candidates(world):
    with pytest.raises(search.SearchError) as caught:
        found(city="朝阳区")
    assert caught.value.code == "ambiguous_city"
    assert {r.adcode for r in caught.value.suggestions} == {"110105", "220104"}


# ---- the page ------------------------------------------------------------------------------------

def test_results_page_shows_what_a_citizen_needs(client, world):
    page = client.get("/search?city=changsha")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "共 3 个场次" in html
    for text in ("实地参观", "走进食品检测实验室", "湖南省食品质量监督检验研究院", "岳麓区麓谷大道",
                 "余 20 位", "已满，可候补", f"/events/{world.yuelu.event.id}",
                 f"/slots/{world.yuelu.id}/book"):
        assert text in html
    assert html.index("走进食品检测实验室") < html.index("家用血压计免费校准")  # soonest first
    assert 'name="viewport"' in html and " style=" not in html


def test_unknown_city_page_has_suggestion_links(client, world):
    page = client.get("/search?city=长纱&kind=tour")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "没有找到城市" in html
    assert re.search(r'href="/search\?[^"]*city=430100[^"]*"', html)
    assert "kind=tour" in re.search(r'href="(/search\?[^"]*city=430100[^"]*)"', html).group(1)


def test_ambiguous_city_page_offers_both(client, world):
    html = client.get("/search?city=朝阳区").get_data(as_text=True)
    assert "北京市朝阳区" in html and "吉林省长春市朝阳区" in html
    assert "city=110105" in html and "city=220104" in html


def test_bad_parameters_page_is_400(client, world):
    page = client.get("/search?date_from=someday")
    assert page.status_code == 400
    assert "YYYY-MM-DD" in page.get_data(as_text=True)


def test_page_links_keep_the_filters(client, db, world, create_slot):
    for hours in range(1, 4):
        create_slot(event=world.shanghai.event, starts_in=timedelta(days=10, hours=hours))
    html = client.get("/search?city=上海&per_page=2&kind=quiz").get_data(as_text=True)
    link = re.search(r'rel="next" href="([^"]+)"', html).group(1)
    assert "page=2" in link and "kind=quiz" in link and "per_page=2" in link


def test_search_page_queries_do_not_grow_with_results(app, client, db, world, create_slot):
    counts = []

    def count(*_args):
        counts[-1] += 1

    client.get("/search?city=长沙")  # warm up: connection set-up is not the page's cost
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        for per_page in (1, 20):
            counts.append(0)
            client.get(f"/search?city=长沙&per_page={per_page}")
        counts.append(0)
        client.get("/search?lat=28.2&lon=112.9&radius_km=50")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert counts[0] == counts[1] <= 4
    assert counts[2] <= 4


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_nearest_agrees_with_the_geodesic_everywhere(seed):
    """The haversine shortcut never changes who is inside the radius or who comes first."""
    import random

    from openday.geo import service as geo
    rng = random.Random(seed)
    point = (rng.uniform(20, 45), rng.uniform(100, 125))
    venues = [(point[0] + rng.uniform(-0.8, 0.8), point[1] + rng.uniform(-0.8, 0.8)) for _ in range(150)]
    events = [(i, *rng.choice(venues), rng.randint(1, 3)) for i in range(300)]
    exact = {event_id: geo.distance_km(*point, lat, lon) for event_id, lat, lon, _n in events}
    radius = 50.0
    inside = [e for e in events if exact[e[0]] <= radius]
    for wanted in (1, 7, 40, 10_000):
        total, chosen = search._nearest(events, point, radius, wanted)
        assert total == sum(n for *_rest, n in inside)
        nearest = sorted((exact[e[0]], e[0]) for e in inside for _ in range(e[3]))[:wanted]
        assert {event_id for _d, event_id in nearest} <= set(chosen)
        assert all(chosen[event_id] == pytest.approx(exact[event_id]) for event_id in chosen)
        assert all(exact[event_id] <= radius for event_id in chosen)


def test_paging_deeper_than_the_cap_asks_for_a_narrower_search():
    with pytest.raises(search.SearchError) as caught:
        search.parse_args({"page": "101", "per_page": "100"})
    assert "page" in caught.value.fields
    assert search.parse_args({"page": "100", "per_page": "100"}).page == 100


def test_more_filters_fold_away_until_one_is_used(client, world):
    closed = client.get("/search?city=长沙").get_data(as_text=True)
    assert '<details class="col-12 more-filters">' in closed
    assert 'name="date_from"' in closed and 'name="available"' in closed  # folded, still submitted
    for used in ("available=1", "date_from=2026-09-01", "radius_km=10"):
        page = client.get(f"/search?city=长沙&{used}").get_data(as_text=True)
        assert '<details class="col-12 more-filters" open>' in page, used


@pytest.mark.parametrize("query", ["date_from=0001-01-01", "date_to=9999-12-31",
                                   "date_from=0001-01-01&date_to=9999-12-31", "date_to=1999-12-31"])
def test_dates_outside_the_calendar_are_field_errors_on_the_page_and_the_api(client, world, query):
    # Year 1 and 9999 overflow when moved between time zones; a search never means them.
    page = client.get(f"/search?{query}")
    assert page.status_code == 400
    assert "2000-01-01" in page.get_data(as_text=True)  # the field error names the range
    answer = client.get(f"/api/v1/slots?{query}")
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) & {"date_from", "date_to"}


def test_the_calendar_edges_themselves_are_searchable(world):
    result = search.search(search.parse_args({"date_from": "2000-01-01", "date_to": "2100-12-31"}))
    assert result.total == 4
