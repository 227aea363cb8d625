"""The ballot on the pages: the lab opens a slot by ballot, citizens enter on the booking page,
the manage page says what the draw decided, the roster and check-in know entries."""
from __future__ import annotations

from datetime import timedelta

import pytest

from openday import clock
from openday.bookings import ballot
from openday.events.models import Slot
from tests.phones import next_phone


@pytest.fixture
def lab(create_lab):
    return create_lab(name="长沙市食品检验所")


@pytest.fixture
def staff(create_user, lab, login):
    user = create_user(role="lab", lab=lab)
    login(user)
    return user


def slots_data(**changes) -> dict:
    day = clock.today() + timedelta(days=3)
    data = {"day": day.isoformat(), "start_times": "10:00", "duration": "90", "capacity": "20",
            "max_party": "4", "closes_hours": "", "mode": "ballot",
            "draw_at": f"{day - timedelta(days=1)}T20:00"}
    data.update(changes)
    return data


def test_a_lab_opens_a_slot_by_ballot_with_its_draw_time(client, db, staff, lab, create_event):
    event = create_event(lab=lab)
    url, form = f"/lab/events/{event.id}/slots", f"/lab/events/{event.id}/edit"
    for bad, says in ((slots_data(draw_at=""), "抽签的场次请填写抽签时间"),
                      (slots_data(draw_at=f"{clock.today() + timedelta(days=4)}T09:00"),
                       "抽签时间须早于预约截止时间"),
                      (slots_data(draw_at="2000-01-01T10:00"), "抽签时间已过")):
        page = client.submit(url, bad, form_url=form)
        assert page.status_code == 200 and says in page.get_data(as_text=True)
    assert db.session.execute(db.select(Slot)).first() is None
    assert client.submit(url, slots_data(), form_url=form).status_code == 302
    slot = db.session.execute(db.select(Slot)).scalar_one()
    day = clock.today() + timedelta(days=2)
    assert slot.mode == "ballot" and slot.draw_at == clock.china_datetime(day, 20)
    edit = client.get(f"/lab/events/{event.id}/edit").get_data(as_text=True)
    assert "抽签" in edit and "报名 0 笔" in edit
    # first come stays the default
    assert client.submit(url, slots_data(start_times="15:00", mode="", draw_at=""),
                         form_url=form).status_code == 302
    assert {s.mode for s in db.session.execute(db.select(Slot)).scalars()} == {
        "ballot", "first_come"}


def submit_entry(client, slot, phone, party="1"):
    url = f"/slots/{slot.id}/book"
    return client.submit(url, {"name": "王五", "phone": phone, "party_size": party,
                               "consent": "y"})


def test_citizens_enter_on_the_booking_page_and_see_the_outcome(app, client, db, create_slot,
                                                               staff, lab, create_event):
    slot = create_slot(event=create_event(lab=lab), capacity=2, max_party=2, mode="ballot",
                       draw_at=clock.now() + timedelta(hours=1))
    page = client.get(f"/slots/{slot.id}/book").get_data(as_text=True)
    assert 'id="ballot-entry-note"' in page and "报名抽签" in page and "SHA-256" in page
    tokens = []
    for party in ("2", "2"):
        citizen = app.test_client()
        answer = submit_entry(citizen, slot, next_phone(), party)
        assert answer.status_code == 303
        tokens.append(answer.headers["Location"].rsplit("/", 1)[1])
        manage = citizen.get(answer.headers["Location"]).get_data(as_text=True)
        assert 'id="ballot-entered"' in manage and "qr-code" not in manage
    roster = client.get(f"/lab/slots/{slot.id}/roster").get_data(as_text=True)
    assert "已报名抽签" in roster and 'id="ballot-summary"' in roster
    ballot.draw_slot(slot.id, slot.draw_at + timedelta(seconds=1))
    draw = ballot.published_draw(slot.id)
    winner_page = client.get(f"/bookings/{tokens[0]}").get_data(as_text=True)
    loser_page = client.get(f"/bookings/{tokens[1]}").get_data(as_text=True)
    pages = {"won": None, "lost": None}
    for html in (winner_page, loser_page):
        pages["won" if "qr-code" in html else "lost"] = html
    assert pages["won"] and pages["lost"]
    assert "恭喜，您已中签（抽中第 1 位）" in pages["won"]
    assert "候补第 1 位" in pages["lost"] and "抽中第 2 位" in pages["lost"]
    public = client.get(f"/slots/{slot.id}/book").get_data(as_text=True)
    assert draw.seed in public and draw.entries_sha256 in public
    assert all(code in public for code in draw.order)


def test_an_entry_cannot_be_checked_in(client, db, staff, lab, create_event, create_slot, book):
    slot = create_slot(event=create_event(lab=lab), mode="ballot",
                       draw_at=clock.now() + timedelta(hours=1))
    entry = book(slot)
    page = client.get(f"/lab/checkin?code={entry.code}").get_data(as_text=True)
    assert "尚未抽签的报名" in page
    posted = client.submit("/lab/checkin", {"code": entry.code}, form_url="/lab/checkin")
    assert "尚未抽签的报名" in posted.get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.checked_in_at is None


def test_the_draw_time_can_move_until_the_draw(client, db, staff, lab, create_event, create_slot,
                                                book):
    slot = create_slot(event=create_event(lab=lab), capacity=10, mode="ballot",
                       draw_at=clock.now() + timedelta(hours=1))
    url = f"/lab/slots/{slot.id}/edit"
    assert 'name="draw_at"' in client.get(url).get_data(as_text=True)
    moved = clock.local(slot.starts_at - timedelta(hours=3)).replace(tzinfo=None)
    data = {"capacity": "10", "max_party": "4", "closes_hours": "",
            "draw_at": moved.strftime("%Y-%m-%dT%H:%M")}
    late = {**data, "draw_at": clock.local(slot.starts_at + timedelta(hours=1))
            .strftime("%Y-%m-%dT%H:%M")}
    assert "抽签时间须早于预约截止时间" in client.submit(url, late).get_data(as_text=True)
    assert client.submit(url, data).status_code == 302
    db.session.refresh(slot)
    assert slot.draw_at == slot.starts_at - timedelta(hours=3)
    book(slot)
    ballot.draw_slot(slot.id, slot.draw_at + timedelta(seconds=1))
    drawn_at = db.session.get(Slot, slot.id).draw_at
    page = client.get(url).get_data(as_text=True)
    assert 'name="draw_at"' not in page and "已于" in page
    assert client.submit(url, {**data, "capacity": "12", "draw_at": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).draw_at == drawn_at
    assert db.session.get(Slot, slot.id).capacity == 12
