"""`openday purge-personal-data --campaign <year>` (SPEC §7): names and phones go, counts stay."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.bookings import service
from openday.bookings.purge import PurgeRefused, purge_personal_data
from openday.bookings.models import Booking
from openday.core.phone import mask_phone
from openday.events.models import Slot


@pytest.fixture
def purge_world(campaign, create_campaign, create_lab, create_event, create_slot, book):
    """A finished 2025 campaign with bookings of every status, and the current campaign's booking."""
    def make(ended_days_ago: int):
        lab = create_lab()
        old = create_campaign(year=2025, starts_on=clock.today() - timedelta(days=ended_days_ago + 30),
                              days=30, is_current=False)
        current = campaign  # the current one (this year), which create_event uses by default
        old_slot = create_slot(event=create_event(lab=lab, campaign_id=old.id), capacity=3,
                               starts_in=timedelta(days=1))
        new_slot = create_slot(event=create_event(lab=lab, campaign_id=current.id))
        kept = book(old_slot, 2, phone="13800138001", name="张三", remarks="坐轮椅")
        waitlisted = book(old_slot, 2, phone="13800138002", name="李四")
        gone = book(old_slot, 1, phone="13800138003", name="王五")
        service.cancel(gone)
        current_booking = book(new_slot, 1, phone="13800138004", name="赵六")
        return old, old_slot, [kept, waitlisted, gone], current_booking
    return make


def counters(db, slot_id):
    slot = db.session.get(Slot, slot_id)
    db.session.refresh(slot)
    return (slot.seats_taken, slot.confirmed_count, slot.waitlisted_count, slot.waitlisted_people,
            slot.checked_in_people, slot.walk_ins)


def test_purge_removes_names_and_phones_and_keeps_every_count(app, db, runner, purge_world):
    ended_days_ago = app.config["OPENDAY_RETENTION_DAYS"] + 1
    campaign, slot, old_bookings, current_booking = purge_world(ended_days_ago=ended_days_ago)
    before = counters(db, slot.id)
    statuses = {b.id: (b.status, b.party_size, b.code) for b in old_bookings}

    result = runner.invoke(args=["openday", "purge-personal-data", "--campaign", "2025"])

    assert result.exit_code == 0, result.output
    assert "3 booking(s)" in result.output
    db.session.expire_all()
    for booking in old_bookings:
        booking = db.session.get(Booking, booking.id)
        assert booking.name is None and booking.phone is None and booking.purged_at is not None
        assert booking.remarks is None
        assert (booking.status, booking.party_size, booking.code) == statuses[booking.id]
    assert counters(db, slot.id) == before
    other = db.session.get(Booking, current_booking.id)     # another campaign's data is untouched
    assert (other.name, other.phone, other.purged_at) == ("赵六", "+8613800138004", None)
    assert mask_phone(db.session.get(Booking, old_bookings[0].id).phone) == ""
    from openday.bookings.commands import check_invariants
    assert check_invariants().ok                            # `openday check` still agrees


def test_purge_refuses_within_the_retention_period(app, db, runner, purge_world):
    days = app.config["OPENDAY_RETENTION_DAYS"]
    _campaign, _slot, old_bookings, _current = purge_world(ended_days_ago=days - 1)

    result = runner.invoke(args=["openday", "purge-personal-data", "--campaign", "2025"])

    assert result.exit_code == 1
    assert "--force" in result.output and "OPENDAY_RETENTION_DAYS" in result.output
    db.session.expire_all()
    assert db.session.get(Booking, old_bookings[0].id).phone == "+8613800138001"


def test_force_purges_before_the_retention_period_and_twice_is_harmless(app, db, runner,
                                                                        purge_world):
    _campaign, _slot, old_bookings, _current = purge_world(ended_days_ago=0)

    first = runner.invoke(args=["openday", "purge-personal-data", "--campaign", "2025", "--force"])
    second = runner.invoke(args=["openday", "purge-personal-data", "--campaign", "2025", "--force"])

    assert first.exit_code == 0 and "3 booking(s)" in first.output
    assert second.exit_code == 0 and "0 booking(s)" in second.output
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)
                              .where(Booking.phone.is_not(None))).scalar_one() == 1


def test_the_retention_period_is_configurable(app, db, purge_world):
    _campaign, _slot, old_bookings, _current = purge_world(ended_days_ago=10)
    with pytest.raises(PurgeRefused) as refused:
        purge_personal_data(2025, retention_days=10)
    assert refused.value.result.purge_from == clock.today() + timedelta(days=1)
    assert purge_personal_data(2025, retention_days=9).bookings == 3


def test_unknown_campaign_is_a_clear_error(runner, campaign):
    result = runner.invoke(args=["openday", "purge-personal-data", "--campaign", "1999"])
    assert result.exit_code == 1 and "no campaign for the year 1999" in result.output


def test_a_purged_booking_still_opens_its_manage_page_without_personal_data(app, db, client,
                                                                            purge_world):
    _campaign, _slot, old_bookings, _current = purge_world(ended_days_ago=0)
    purge_personal_data(2025, force=True)
    response = client.get(f"/bookings/{old_bookings[0].manage_token}")
    assert response.status_code in (200, 404, 410)   # never a 500 on a purged row
    assert "张三" not in response.get_data(as_text=True)
