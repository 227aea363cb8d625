"""The totals equal what the bookings say, however they are grouped, scoped or filtered."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from openday.stats import service
from openday.core.errors import RuleError
from openday.core.scope import Scope
from openday.stats.service import ADDITIVE, UnknownCampaign
from tests.stats.world import figures_from_tables


def test_totals_equal_what_the_bookings_say(db, world, after_campaign):
    expected = figures_from_tables(db, world)
    totals = service.report(group_by=None).totals.as_dict()
    assert totals == expected
    # The world is built so every figure is non-trivial: a silent zero would not pass.
    assert all(value for value in expected.values()), expected


def test_every_figure_of_the_world_by_hand(db, world, after_campaign):
    """The same comparison against numbers worked out on paper from tests/stats/world.py."""
    t = service.report(group_by=None).totals
    # listed: tour1, tour_night, lecture, testing, quiz (quiz_cancelled withdrawn, draft unlisted)
    assert (t.labs, t.events, t.slots, t.capacity) == (3, 4, 5, 10 + 8 + 20 + 6 + 12)
    # confirmed: tour1 3+4+1 (2 cancelled), tour_night 2, lecture 4+4, testing 4+1 (promoted), quiz 2
    assert (t.bookings, t.people, t.waitlisted) == (9, 25, 1)
    assert (t.checked_in, t.walk_ins, t.visits) == (3 + 4 + 4 + 2, 12, 25)
    assert t.attendance_rate == round(13 / 25, 4)


@pytest.mark.parametrize("group_by", service.GROUPINGS)
def test_group_sums_equal_the_totals(db, world, group_by):
    report = service.report(group_by=group_by)
    assert report.groups
    for figure in ADDITIVE:
        assert sum(getattr(g, figure) for g in report.groups) == getattr(report.totals, figure), figure
    # Distinct counts: a lab or event may appear in several groups, never in none.
    for figure in ("labs", "events"):
        assert sum(getattr(g, figure) for g in report.groups) >= getattr(report.totals, figure)
    if group_by in ("province", "city", "kind"):  # an event has one city and one kind
        assert sum(g.events for g in report.groups) == report.totals.events
    assert len({g.key for g in report.groups}) == len(report.groups)


@pytest.mark.parametrize("group_by", service.GROUPINGS)
def test_each_group_equals_the_totals_filtered_to_it(db, world, group_by):
    for group in service.report(group_by=group_by).groups:
        if group_by == "province":
            expected = figures_from_tables(db, world, province=group.key)
        elif group_by == "kind":
            expected = figures_from_tables(db, world, kind=group.key)
        else:
            continue
        assert {k: v for k, v in group.as_dict().items() if k not in ("key", "name")} == expected


def test_groups_are_named(db, world):
    provinces = {g.key: g.name for g in service.report(group_by="province").groups}
    assert provinces == {"310000": "上海市", "430000": "湖南省"}
    cities = {g.key: g.name for g in service.report(group_by="city").groups}
    assert cities == {"310100": "上海市", "430100": "长沙市", "430200": "株洲市"}
    kinds = [(g.key, g.name) for g in service.report(group_by="kind").groups]
    assert kinds == [("tour", "实地参观"), ("lecture", "科普讲座"), ("free_testing", "便民检测"),
                     ("quiz", "知识问答")]


def test_days_are_beijing_days(db, world):
    from openday import clock
    by_day = {g.key: g for g in service.report(group_by="date").groups}
    night = world.slots["tour_night"]
    db.session.refresh(night)
    beijing_day = clock.local(night.starts_at).date()
    assert night.starts_at.date() != beijing_day  # 17:30 UTC the evening before
    assert beijing_day.isoformat() in by_day
    # tour_night (8 seats) and lecture (20) are both on that Beijing day, nothing else
    assert by_day[beijing_day.isoformat()].capacity == 8 + 20
    assert by_day[beijing_day.isoformat()].walk_ins == 3 + 5


def test_a_province_scope_sees_only_its_province(db, world):
    hunan = service.report(group_by="city", scope=Scope.parse("430000"))
    assert hunan.totals.as_dict() == figures_from_tables(db, world, province="430000")
    assert {g.key for g in hunan.groups} == {"430100", "430200"}
    # A provincial regulator choosing another province is refused, never shown it.
    with pytest.raises(RuleError) as refused:
        service.report(group_by="city", scope=Scope.parse("430000"), province="310000")
    assert list(refused.value.fields) == ["province"]
    assert (refused.value.code, refused.value.status) == ("forbidden", 403)


def test_a_province_filter_narrows_national_figures(db, world):
    shanghai = service.report(group_by="kind", province="310000")
    assert shanghai.totals.as_dict() == figures_from_tables(db, world, province="310000")
    assert [g.key for g in shanghai.groups] == ["quiz"]


def test_kind_filter(db, world):
    tours = service.report(group_by="province", kind="tour")
    assert tours.totals.as_dict() == figures_from_tables(db, world, kind="tour")
    assert tours.totals.slots == 2


def test_a_cancelled_slot_offers_nothing_and_its_bookings_count_nowhere(db, world):
    quiz = service.report(group_by=None, province="310000").totals
    # Only the open quiz slot counts; the withdrawn one had 3 people booked, now cancelled.
    assert (quiz.slots, quiz.capacity, quiz.people, quiz.bookings) == (1, 12, 2, 1)


def test_draft_events_are_not_taking_part(db, world):
    assert service.report(group_by=None, province="420000").totals.as_dict() == {
        **{f: 0 for f in service.FIGURES}, "attendance_rate": None, "rating": None}


def test_an_earlier_campaign_by_year(db, world):
    old = service.report(world.previous.year, group_by=None).totals.as_dict()
    assert old == figures_from_tables(db, world, campaign=world.previous)
    assert (old["people"], old["checked_in"], old["walk_ins"]) == (3, 3, 7)


def test_editions_side_by_side(db, world):
    editions = service.editions()
    assert [e.year for e in editions] == [world.campaign.year, world.previous.year]
    assert editions[0].as_dict()["visits"] == service.report(group_by=None).totals.visits
    assert editions[1].visits == 10 and editions[1].edition == world.previous.edition
    assert service.editions(region=Scope.parse("310000"))[1].visits == 0


def test_unknown_campaign_and_bad_parameters(db, world):
    with pytest.raises(UnknownCampaign):
        service.report(1999)
    for kwargs, name in (({"group_by": "lab"}, "group_by"), ({"kind": "party"}, "kind"),
                         ({"province": "999999"}, "province"), ({"province": "430100"}, "province")):
        with pytest.raises(RuleError) as error:
            service.report(**kwargs)
        assert list(error.value.fields) == [name]
        assert (error.value.code, error.value.status) == ("invalid", 400)


def test_no_campaign_at_all(db):
    with pytest.raises(UnknownCampaign):
        service.report()


def test_one_aggregate_query_per_grouping(db, world):
    statements = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith("SET LOCAL"):  # PostgreSQL's sort memory, not a query
            statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        campaign = service.find_campaign()
        statements.clear()
        service.groups(campaign, "province")
        service.totals(campaign)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 2
    for statement in statements:  # the slot table alone: no bookings counted, no joins
        assert "FROM slot" in statement and "JOIN" not in statement.upper()
        assert "booking." not in statement and "FROM booking" not in statement


def test_a_city_scope_sees_only_its_city(db, world):
    changsha = service.report(group_by="city", scope=Scope.parse("430100"))
    assert [g.key for g in changsha.groups] == ["430100"] and changsha.region == "430100"
    in_hunan = next(g for g in service.report(group_by="city", scope=Scope.parse("430000")).groups
                    if g.key == "430100")
    assert changsha.totals.as_dict() == {
        k: v for k, v in in_hunan.as_dict().items() if k not in ("key", "name")}


def test_no_scope_sees_nothing(db, world):
    nothing = service.report(group_by="province", scope=Scope.NOTHING)
    assert nothing.totals.as_dict() == {**{f: 0 for f in service.FIGURES}, "attendance_rate": None, "rating": None}
    assert nothing.groups == []
    assert service.pending_labs(Scope.NOTHING) == 0
    assert service.province_choices(Scope.NOTHING) == []
