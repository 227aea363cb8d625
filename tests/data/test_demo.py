"""`openday demo`: SPEC §10's demo data, loaded once."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from openday import clock
from openday.accounts.models import NATIONAL, User
from openday.bookings import ballot
from openday.bookings.commands import check_invariants
from openday.demo import (DEMO_CITIES, DEMO_PASSWORD, credit_check_character, credit_code,
                          is_valid_credit_code, organisation_code)
from openday.events.models import Campaign, Event, EventKind, Slot
from openday.geo import service as geo
from openday.labs.models import Lab
from tests.conftest import valid_credit_code


def counts(db) -> dict[str, int]:
    return {model.__name__: db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
            for model in (User, Lab, Campaign, Event, Slot)}


def test_demo_loads_once_and_a_second_run_changes_nothing(runner, db):
    first = runner.invoke(args=["openday", "demo"])
    assert first.exit_code == 0, first.output
    assert "openday-demo" in first.output and "lab1@openday.test" in first.output
    before = counts(db)
    second = runner.invoke(args=["openday", "demo"])
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output
    assert counts(db) == before


def test_demo_accounts_log_in_with_the_printed_password(runner, db, client):
    runner.invoke(args=["openday", "demo"])
    users = {u.email: u for u in db.session.execute(sa.select(User)).scalars()}
    assert users["admin@openday.test"].role == "admin"
    assert users["regulator@openday.test"].role == "regulator"
    assert users["regulator@openday.test"].region_scope == NATIONAL
    lab1, lab2 = users["lab1@openday.test"].lab, users["lab2@openday.test"].lab
    assert (lab1.status, lab1.city_adcode) == ("approved", "430100")
    assert (lab2.status, lab2.city_adcode) == ("approved", "310100")
    assert lab1.name == "湖南省产品质量检验检测研究院"
    for email in ("admin@openday.test", "regulator@openday.test", "lab1@openday.test",
                  "lab2@openday.test"):
        assert users[email].check_password(DEMO_PASSWORD)
    response = client.submit("/login", {"email": "lab1@openday.test", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_demo_campaign_covers_today_and_the_next_30_days(runner, db):
    runner.invoke(args=["openday", "demo"])
    current = db.session.execute(sa.select(Campaign).where(Campaign.is_current)).scalar_one()
    today = clock.today()
    assert current.starts_on <= today and current.ends_on >= today + timedelta(days=30)
    assert (current.year, current.edition, current.theme) == (today.year, today.year - 2010, "检验检测，为民服务")
    past = db.session.execute(sa.select(Campaign).where(Campaign.year == 2019)).scalar_one()
    assert past.edition == 9 and not past.is_current
    past_seats = db.session.execute(sa.select(sa.func.sum(Slot.seats_taken))
                                    .where(Slot.campaign_id == past.id)).scalar_one()
    assert past_seats > 0


def test_demo_labs_cover_30_cities_with_events_of_every_kind(runner, db):
    runner.invoke(args=["openday", "demo"])
    labs = db.session.execute(sa.select(Lab)).scalars().all()
    approved_cities = {lab.city_adcode for lab in labs if lab.status == "approved"}
    assert len(approved_cities) >= 30
    for name in ("北京", "上海", "广州", "深圳", "长沙", "成都", "武汉", "杭州"):
        assert geo.resolve_city(name).adcode in approved_cities
    assert len(DEMO_CITIES) >= 30
    assert any(lab.status == "pending" for lab in labs)
    assert all(is_valid_credit_code(lab.credit_code) for lab in labs)
    assert len({lab.credit_code for lab in labs}) == len(labs)
    current = db.session.execute(sa.select(Campaign).where(Campaign.is_current)).scalar_one()
    kinds = set(db.session.execute(sa.select(Event.kind).where(
        Event.campaign_id == current.id, Event.status == "published")).scalars())
    assert kinds == {k.value for k in EventKind}
    slots = db.session.execute(sa.select(Slot).where(Slot.campaign_id == current.id)).scalars().all()
    assert slots and all(10 <= s.capacity <= 60 for s in slots)
    # Future slots, but for yesterday's visit in 长沙 that its visitors rated (SPEC §13).
    visited = [s for s in slots if s.starts_at <= clock.now()]
    assert [(s.city_adcode, s.rating_count > 0) for s in visited] == [("430100", True)]
    assert all(s.listed for s in slots)


def test_demo_has_ballots_ahead_and_drawn_in_changsha(runner, db, client):
    runner.invoke(args=["openday", "demo"])
    ballots = db.session.execute(sa.select(Slot).where(Slot.mode == "ballot")
                                 .order_by(Slot.draw_at)).scalars().all()
    assert {s.city_adcode for s in ballots} == {"430100"}
    drawn, ahead = ballots
    assert drawn.drawn_at is not None and drawn.draw_entries > drawn.draw_winners > 0
    assert ahead.drawn_at is None and ahead.draw_at > clock.now() and ahead.entered_count > 0
    published = client.get(f"/api/v1/slots/{drawn.id}").get_json()["draw"]
    assert len(published["order"]) == drawn.draw_entries and len(published["seed"]) == 64
    assert ballot.verify_draw(drawn.id).ok


def test_demo_bookings_keep_every_invariant(runner, db):
    runner.invoke(args=["openday", "demo"])
    report = check_invariants()
    assert report.ok, [str(p) for p in report.problems]
    assert report.bookings > 0
    assert db.session.execute(sa.select(sa.func.sum(Slot.waitlisted_count))).scalar_one() > 0


def test_credit_codes_carry_the_gb32100_check_character():
    assert is_valid_credit_code("91350100M000100Y43")  # the example printed in GB 32100
    assert not is_valid_credit_code("91350100M000100Y44")
    sample = valid_credit_code(12345)  # the test fixture's generator agrees
    assert credit_check_character(sample[:17]) == sample[17]
    code = credit_code("430100", 12345678)
    assert is_valid_credit_code(code) and code.startswith("12430100")
    for i in range(17):  # any single wrong character breaks the check
        replacement = "1" if code[i] != "1" else "2"
        assert not is_valid_credit_code(code[:i] + replacement + code[i + 1:])
    assert not is_valid_credit_code(code[:17])


def test_organisation_code_check_digit_follows_gb11714():
    assert organisation_code(71610585) == "716105852"  # inside 91330100716105852F
    assert organisation_code(0) == "000000000"
    assert credit_code("330100", 71610585, "91") == "91330100716105852F"


def test_demo_reach_shows_in_the_public_totals(runner, client):
    """Issue 4's check, the way the press would make it: through /api/v1/stats."""
    runner.invoke(args=["openday", "demo"])
    by_city = client.get("/api/v1/stats?group_by=city").get_json()
    assert len([g for g in by_city["groups"] if g["slots"] > 0]) >= 30
    by_kind = client.get("/api/v1/stats?group_by=kind").get_json()
    assert {g["key"] for g in by_kind["groups"] if g["events"] > 0} == {k.value for k in EventKind}


def test_a_demo_lab_passes_its_own_forms_when_it_applies_again(runner, db, client, login):
    """The demo's stored details are ones its forms accept (a `.test` contact address, say, is
    refused by the e-mail check), so a rejected demo lab can send them back unchanged."""
    runner.invoke(args=["openday", "demo"])
    user = db.session.execute(sa.select(User).where(User.email == "lab2@openday.test")).scalar_one()
    user.lab.status = "rejected"
    db.session.commit()
    login(user, DEMO_PASSWORD)
    from tests.labs.test_apply_again import _form_of
    response = client.submit("/lab/apply-again", _form_of(user.lab))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.get(Lab, user.lab_id).status == "pending"
