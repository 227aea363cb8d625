"""到场率 is measured on the slots that have ended: before any has, it is 未开始, never 0 %."""
from __future__ import annotations

from datetime import timedelta

from openday import clock
from openday.stats import service
from tests.stats.world import figures_from_tables


def _moved(monkeypatch, moment):
    monkeypatch.setattr(clock, "now", lambda: moment)


def test_before_any_slot_ends_attendance_is_not_started(db, world, client):
    totals = service.report(group_by=None).totals
    assert totals.checked_in > 0 and totals.people > 0  # people checked in early at the door
    assert not totals.started and totals.attendance_rate is None
    assert service.rate_text(totals) == "未开始"
    html = client.get("/participation").get_data(as_text=True)
    assert "未开始" in html and "0.0%" not in html
    # The line under the figure says what it counts.
    assert "到场率 = 已结束场次的签到人数 ÷ 这些场次的预约人数；未结束的场次不计。" in html


def test_only_ended_slots_count(db, world, monkeypatch, client, national):
    # Day 2 of the world: tour1 (10:00–12:00) and testing (09:00–11:00) have ended.
    tour1, testing = world.slots["tour1"], world.slots["testing"]
    _moved(monkeypatch, max(tour1.ends_at, testing.ends_at) + timedelta(minutes=1))
    totals = service.report(group_by=None).totals
    # tour1: 8 people booked, 3 + 4 checked in; testing: 5 booked, nobody checked in (and the
    # draft's slot at the same hour, which nobody could book).
    assert (totals.ended_slots, totals.ended_people, totals.ended_checked_in) == (3, 13, 7)
    assert totals.attendance_rate == round(7 / 13, 4)
    assert totals.as_dict() == figures_from_tables(db, world)
    # The lecture's check-in (4 people, slot still to come) is in 签到人数 but not in the rate.
    assert totals.checked_in == 13
    html = client.get("/regulator/stats").get_data(as_text=True)
    assert f"{7 / 13 * 100:.1f}%" in html
    # Groups: 上海 (quiz on day 4) has not started; 湖南 has.
    by_province = {g.key: g for g in service.report(group_by="province").groups}
    assert service.rate_text(by_province["310000"]) == "未开始"
    assert by_province["430000"].attendance_rate == round(7 / 13, 4)


def test_the_api_rate_follows_the_same_rule(db, world, monkeypatch, client):
    assert client.get("/api/v1/stats").get_json()["totals"]["attendance_rate"] is None
    _moved(monkeypatch, clock.now() + timedelta(days=10))
    body = client.get("/api/v1/stats").get_json()
    assert body["totals"]["attendance_rate"] == figures_from_tables(db, world)["attendance_rate"]
    assert body["totals"]["attendance_rate"] == round(13 / 25, 4)
