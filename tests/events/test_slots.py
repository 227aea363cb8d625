"""Adding slots several at once, and the rules every slot keeps (each a form error, nothing
stored)."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from openday import clock
from openday.events.models import Slot
from openday.events.service import parse_start_times


def slots_of(db, event):
    return db.session.execute(
        db.select(Slot).where(Slot.event_id == event.id).order_by(Slot.starts_at)).scalars().all()


@pytest.fixture
def event(lab, create_event):
    return create_event(lab=lab)


@pytest.fixture
def slots_form():
    def make(**changes) -> dict:
        data = {"day": (clock.today() + timedelta(days=2)).isoformat(),
                "start_times": "09:30, 14:00", "duration": "90", "capacity": "20",
                "max_party": "4", "closes_hours": ""}
        data.update(changes)
        return data
    return make


def add(client, event, data):
    return client.submit(f"/lab/events/{event.id}/slots", data,
                         form_url=f"/lab/events/{event.id}/edit")


def test_several_slots_are_added_at_once_in_beijing_time(client, db, logged_in, event, slots_form):
    day = clock.today() + timedelta(days=2)
    response = add(client, event, slots_form(start_times="14:00，09:30", closes_hours="2"))
    assert response.status_code == 302
    first, second = slots_of(db, event)
    assert first.starts_at == datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)  # 09:30 +08
    assert second.starts_at == datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)
    assert first.ends_at - first.starts_at == timedelta(minutes=90)
    assert (first.capacity, first.max_party, first.seats_taken) == (20, 4, 0)
    assert first.booking_closes_at == first.starts_at - timedelta(hours=2)
    # The copies of the event's facts, for search and the totals.
    assert (first.lab_id, first.city_adcode, first.kind, first.listed) == (
        event.lab_id, event.city_adcode, event.kind, True)


def test_slots_of_a_draft_are_not_listed(client, db, logged_in, lab, create_event, slots_form):
    draft = create_event(lab=lab, status="draft")
    add(client, draft, slots_form(start_times="10:00"))
    [slot] = slots_of(db, draft)
    assert slot.listed is False


@pytest.mark.parametrize("changes, message", [
    ({"day": "after"}, "场次须在开放日期间"),
    ({"day": "before"}, "场次须在开放日期间"),
    ({"day": "today", "start_times": "00:00"}, "开始时间已过"),
    ({"duration": "0"}, "结束时间必须晚于开始时间"),
    ({"duration": "-30"}, "结束时间必须晚于开始时间"),
    ({"capacity": "0"}, "人数上限至少为 1"),
    ({"capacity": "-5"}, "人数上限至少为 1"),
    ({"capacity": "3", "max_party": "4"}, "每笔预约最多人数不能超过人数上限"),
    ({"max_party": "0"}, "每笔预约最多人数至少为 1"),
    ({"start_times": "9点半"}, "请按 09:30, 14:00 的格式填写开始时间"),
    ({"start_times": "25:00"}, "请按 09:30, 14:00 的格式填写开始时间"),
    ({"start_times": ""}, "请填写开始时间"),
    ({"capacity": "lots"}, "不是有效的整数"),
    ({"closes_hours": "-1"}, "请填写 0 到 720 之间的小时数"),
])
def test_a_slot_breaking_a_rule_is_a_form_error_and_nothing_is_stored(
        client, db, logged_in, event, campaign, slots_form, changes, message):
    days = {"after": campaign.ends_on + timedelta(days=1),
            "before": campaign.starts_on - timedelta(days=1), "today": clock.today()}
    if changes.get("day") in days:
        changes["day"] = days[changes["day"]].isoformat()
    response = add(client, event, slots_form(**changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert "请修正下面标出的问题后再提交" in page
    assert slots_of(db, event) == []


def test_one_bad_time_stores_none_of_the_others(client, db, logged_in, event, slots_form):
    # 00:00 today has passed; 23:00 today may not have — neither is stored.
    response = add(client, event, slots_form(day=clock.today().isoformat(),
                                             start_times="00:00, 23:59"))
    assert "开始时间已过" in response.get_data(as_text=True)
    assert slots_of(db, event) == []


def test_a_slot_ending_after_the_campaign_is_refused(client, db, logged_in, event, campaign,
                                                     slots_form):
    response = add(client, event, slots_form(day=campaign.ends_on.isoformat(),
                                             start_times="23:00", duration="120"))
    assert "场次须在开放日期间" in response.get_data(as_text=True)
    assert slots_of(db, event) == []


def test_a_booking_close_already_past_is_refused(client, db, logged_in, event, slots_form):
    response = add(client, event, slots_form(closes_hours="100"))  # the slot is 2 days away
    assert "预约截止时间已过" in response.get_data(as_text=True)
    assert slots_of(db, event) == []


def test_the_same_start_twice_is_refused(client, db, logged_in, event, slots_form):
    add(client, event, slots_form(start_times="09:30"))
    response = add(client, event, slots_form(start_times="09:30, 16:00"))
    assert "这些时间已有场次：09:30" in response.get_data(as_text=True)
    assert len(slots_of(db, event)) == 1


def test_another_lab_cannot_add_slots(client, db, logged_in, other_lab, create_event, slots_form):
    theirs = create_event(lab=other_lab)
    response = client.submit(f"/lab/events/{theirs.id}/slots", slots_form(),
                             form_url="/lab/events/new")
    assert response.status_code == 404
    assert slots_of(db, theirs) == []


def test_start_times_are_read_leniently():
    assert parse_start_times("14:00, 9:30；09:30 、 16：15") == [time(9, 30), time(14), time(16, 15)]
    for bad in ("", " , ", "9", "9:3", "24:00", "12:60", "noon"):
        with pytest.raises(ValueError):
            parse_start_times(bad)


def test_public_and_listed_rules_agree_with_their_sql(db, create_lab, create_event, create_slot):
    """Every (lab, event, slot) status: the Python rule and its SQL condition say the same, and
    the ``listed`` column the events service keeps says what listed_rule says."""
    import itertools

    import sqlalchemy as sa

    from openday.events.models import (Event, EventStatus, SlotStatus, listed_condition,
                                       listed_rule, public_condition, public_rule)
    from openday.events.service import refresh_lab_slots
    from openday.labs.models import Lab, LabStatus

    made = []
    for lab_status in LabStatus:
        lab = create_lab(status=lab_status)
        for event_status, slot_status in itertools.product(EventStatus, SlotStatus):
            made.append(create_slot(event=create_event(lab=lab, status=event_status),
                                    status=slot_status))
        refresh_lab_slots(lab)
    db.session.commit()
    rows = db.session.execute(
        sa.select(Slot.id, Lab.status, Event.status, Slot.status, Slot.listed,
                  public_condition(), listed_condition())
        .join(Event, Event.id == Slot.event_id).join(Lab, Lab.id == Event.lab_id)).all()
    assert len(rows) == len(made) == len(LabStatus) * len(EventStatus) * len(SlotStatus)
    for _id, lab_status, event_status, slot_status, listed, public_sql, listed_sql in rows:
        assert bool(public_sql) == public_rule(event_status, lab_status)
        assert bool(listed_sql) == bool(listed) == listed_rule(event_status, slot_status, lab_status)
    slot = db.session.get(Slot, made[0].id)
    assert slot.is_public() == public_rule(slot.event.status, slot.event.lab.status)
