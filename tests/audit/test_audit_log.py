"""The audit log (SPEC §8): every action that matters leaves one entry, written in the transaction
of the change, naming the actor, the action and the object, never a citizen; admins read it all,
regulators their province, nobody else any of it; nothing rewrites it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.audit.models import AuditEntry

PHONE, NAME = "13812345678", "张小明"


def entries(db, **where) -> list[AuditEntry]:
    db.session.expire_all()
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    for column, value in where.items():
        query = query.where(getattr(AuditEntry, column) == value)
    return list(db.session.execute(query).scalars())


def one(db, action: str) -> AuditEntry:
    [entry] = entries(db, action=action)
    return entry


def assert_no_citizen(db) -> None:
    """No column of any entry holds the booking's name or phone (in any spelling)."""
    rows = db.session.execute(sa.select(AuditEntry.__table__)).all()
    assert rows
    for row in rows:
        text = " ".join(str(value) for value in row)
        assert NAME not in text and PHONE not in text and PHONE[-8:] not in text


@pytest.fixture
def lab(create_lab):
    return create_lab(name="长沙市食品检验所")


@pytest.fixture
def staff(create_user, lab):
    return create_user(role="lab", lab=lab, email="staff@lab.example.cn")


@pytest.fixture
def slot(create_slot, create_event, lab):
    return create_slot(event=create_event(lab=lab), capacity=6, max_party=4)


@pytest.fixture
def booking(app, slot):
    from openday.bookings import service
    booking = service.book(slot.id, service.BookingRequest(
        name=NAME, phone=PHONE, party_size=3, consent=True))
    return booking


@pytest.fixture
def switch(client, login):
    def do(user):
        client.submit("/logout", {}, form_url="/")
        login(user)
        return user
    return do


# ---- what is recorded ----------------------------------------------------------------------------

def test_reviews_record_the_regulator_the_lab_and_the_reason(client, db, create_lab, hunan):
    pending, other, running = (create_lab(status="pending"), create_lab(status="pending"),
                               create_lab(status="approved"))
    client.submit(f"/regulator/labs/{pending.id}", {"action": "approve"})
    client.submit(f"/regulator/labs/{other.id}", {"action": "reject", "reason": "证书编号不符"})
    client.submit(f"/regulator/labs/{running.id}", {"action": "suspend", "reason": "投诉待查"})
    client.submit(f"/regulator/labs/{running.id}", {"action": "reinstate"})
    got = [(e.action, e.object_type, e.object_id, e.lab_id, e.reason) for e in entries(db)]
    assert got == [("lab.approve", "lab", pending.id, pending.id, ""),
                   ("lab.reject", "lab", other.id, other.id, "证书编号不符"),
                   ("lab.suspend", "lab", running.id, running.id, "投诉待查"),
                   ("lab.reinstate", "lab", running.id, running.id, "")]
    for entry in entries(db):
        assert (entry.actor_id, entry.actor_email, entry.actor_role) == (
            hunan.id, hunan.email, "regulator")
        assert (entry.adcode, entry.province_adcode) == ("430102", "430000")
        assert entry.created_at is not None


def test_a_refused_review_records_nothing(client, db, create_lab, hunan):
    lab = create_lab(status="approved")
    client.submit(f"/regulator/labs/{lab.id}", {"action": "suspend", "reason": " "})
    client.submit(f"/regulator/labs/{lab.id}", {"action": "approve"})  # already approved
    assert entries(db) == []


def test_the_labs_actions_are_recorded_with_the_booking_code_and_never_the_citizen(
        client, db, login, staff, lab, slot, booking, create_slot):
    login(staff)
    event_id = slot.event_id
    client.submit(f"/lab/slots/{slot.id}/edit", {"capacity": "10", "max_party": "4",
                                                 "closes_hours": "2"})
    client.submit("/lab/checkin", {"code": booking.code, "early": "y"})
    assert client.get(f"/lab/slots/{slot.id}/roster.csv").status_code == 200
    client.get(f"/lab/slots/{slot.id}/roster")  # reading the page is not an export
    spare = create_slot(event=slot.event, starts_in=timedelta(days=4))
    client.submit(f"/lab/slots/{spare.id}/cancel", {"reason": "讲解员请假"})
    client.submit(f"/lab/events/{event_id}/cancel", {"reason": "场馆维修"})

    update = one(db, "slot.update")
    assert (update.object_type, update.object_id) == ("slot", slot.id)
    assert update.reason == "capacity 6 → 10; closes_hours — → 2"
    check_in = one(db, "booking.check_in")
    assert (check_in.object_type, check_in.object_id) == ("booking", booking.id)
    assert check_in.reason == f"code {booking.code}, arrived 3/3, early"
    export = one(db, "roster.export")
    assert (export.object_type, export.object_id, export.reason) == ("slot", slot.id, "csv, 1 rows")
    cancelled = one(db, "slot.cancel")
    assert (cancelled.object_id, cancelled.reason) == (spare.id, "讲解员请假")
    event = one(db, "event.cancel")
    assert (event.object_type, event.object_id, event.reason) == ("event", event_id, "场馆维修")
    for entry in entries(db):
        assert (entry.actor_id, entry.actor_email, entry.actor_role) == (staff.id, staff.email, "lab")
        assert (entry.lab_id, entry.province_adcode) == (lab.id, "430000")
    assert_no_citizen(db)


def test_a_second_scan_records_no_second_check_in(client, db, login, staff, booking):
    login(staff)
    client.submit("/lab/checkin", {"code": booking.code, "early": "y"})
    client.submit("/lab/checkin", {"code": booking.code, "early": "y"})
    assert len(entries(db, action="booking.check_in")) == 1


def test_events_and_slots_created_and_edited_are_recorded(client, db, login, staff, lab, campaign):
    login(staff)
    data = {"kind": "tour", "title": "走进实验室", "summary": "参观", "venue_type": "lab",
            "venue_district": "430102", "audience": ["public"], "save": "保存草稿"}
    client.submit("/lab/events/new", data)
    [created] = entries(db, action="event.create")
    assert (created.object_type, created.reason, created.lab_id) == ("event", "draft", lab.id)
    url = f"/lab/events/{created.object_id}/edit"
    client.submit(url, {**data, "title": "走进食品实验室", "publish": "发布"})
    client.submit(url, {**data, "title": "走进食品实验室", "publish": "发布"})  # no change
    [update] = entries(db, action="event.update")
    assert update.reason == "status, title"
    day = (campaign.starts_on + timedelta(days=5)).isoformat()
    client.submit(f"/lab/events/{created.object_id}/slots",
                  {"day": day, "start_times": "09:30, 14:00", "duration": "60", "capacity": "20",
                   "max_party": "4"}, form_url=url)
    added = entries(db, action="slot.create")
    assert len(added) == 2 and all(e.object_type == "slot" and e.object_id for e in added)
    assert added[0].reason.endswith("09:30–10:30, capacity 20")
    client.submit(f"/lab/slots/{added[0].object_id}/delete", {},
                  form_url=f"/lab/slots/{added[0].object_id}/edit")
    assert one(db, "slot.delete").object_id == added[0].object_id


def test_users_and_campaigns_managed_by_the_admin_are_recorded(client, db, create_user, login,
                                                              create_campaign):
    admin = create_user(role="admin")
    login(admin)
    client.submit("/admin/users/new", {"region_scope": "430000", "name": "湖南省局",
                                       "email": "hunan@samr.example.cn", "password": "regulator-pass",
                                       "confirm": "regulator-pass"})
    created = one(db, "user.create")
    assert (created.object_type, created.reason, created.province_adcode) == (
        "user", "regulator 430000", "430000")
    target = create_user(role="regulator")
    for active in ("0", "1"):
        client.submit(f"/admin/users/{target.id}/active", {"active": active}, form_url="/admin/users")
    assert [e.action for e in entries(db, object_type="user", object_id=target.id)] == [
        "user.deactivate", "user.reactivate"]
    old = create_campaign(year=2030, is_current=True)
    client.submit("/admin/campaigns/new", {
        "year": "2031", "edition": "21", "theme": "检验检测 服务民生", "starts_on": "2031-09-01",
        "ends_on": "2031-09-30", "registration_opens_at": "2031-06-01T09:00",
        "registration_closes_at": "2031-08-25T18:00"})
    new = one(db, "campaign.create")
    assert (new.object_type, new.reason, new.province_adcode) == ("campaign", "2031 #21", None)
    client.submit(f"/admin/campaigns/{new.object_id}/current", {}, form_url="/admin/campaigns")
    client.submit(f"/admin/campaigns/{old.id}/edit", {
        "year": "2030", "edition": "20", "theme": "改过的主题", "starts_on": "2030-09-01",
        "ends_on": "2030-09-30", "registration_opens_at": "2030-06-01T09:00",
        "registration_closes_at": "2030-08-25T18:00"})
    assert one(db, "campaign.make_current").object_id == new.object_id
    assert one(db, "campaign.update").object_id == old.id
    for entry in entries(db):
        assert (entry.actor_id, entry.actor_email, entry.actor_role) == (admin.id, admin.email, "admin")


def test_a_colleague_added_by_a_lab_is_recorded_with_the_lab(client, db, login, staff, lab):
    login(staff)
    client.submit("/lab/users", {"name": "李工", "email": "li@lab.example.cn",
                                      "password": "colleague-pass", "confirm": "colleague-pass"})
    entry = one(db, "user.create")
    assert (entry.lab_id, entry.actor_id, entry.province_adcode) == (lab.id, staff.id, "430000")


def test_the_entry_and_the_change_roll_back_together(app, db, lab, hunan):
    from openday.labs import service
    with app.test_request_context():
        service.lab_status_changed.connect(_fail, weak=False)
        try:
            with pytest.raises(RuntimeError):
                service.review(lab, "suspend", "投诉待查")
        finally:
            service.lab_status_changed.disconnect(_fail)
    db.session.rollback()
    assert entries(db) == []
    db.session.refresh(lab)
    assert lab.status == "approved"


def _fail(_lab, **_extra):
    raise RuntimeError("the change fails after the entry was added")


# ---- append-only ---------------------------------------------------------------------------------

def test_the_log_refuses_updates_and_deletes(app, db, lab):
    from openday.audit import service
    with app.test_request_context():
        entry = service.record("lab.suspend", lab, reason="投诉待查")
        db.session.commit()
    entry_id = entry.id
    entry.reason = "改写"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    for statement in ("UPDATE audit_entry SET reason = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    assert [e.reason for e in entries(db, id=entry_id)] == ["投诉待查"]


def test_unknown_action_codes_are_refused(app, lab):
    from openday.audit import service
    with pytest.raises(ValueError):
        service.record("lab.delete", lab)


def test_every_action_code_has_a_label():
    from openday.audit.forms import ACTION_LABELS
    from openday.audit.service import ACTIONS
    assert set(ACTION_LABELS) == set(ACTIONS)


# ---- who reads it --------------------------------------------------------------------------------

@pytest.fixture
def two_provinces(app, db, create_lab, create_user):
    """An entry for a 湖南 lab, one for a 上海 lab, one for a campaign (admins only)."""
    from openday.audit import service
    from openday.events.models import Campaign
    hunan_lab = create_lab(name="湖南检测院")
    shanghai_lab = create_lab(name="上海检测院", city="310100", district="310104")
    actor = create_user(role="admin", email="boss@openday.test")
    campaign = Campaign(year=2040, edition=30, theme="主题", starts_on=date(2040, 9, 1),
                        ends_on=date(2040, 9, 30), registration_opens_at=clock.now(),
                        registration_closes_at=clock.now() + timedelta(days=1))
    db.session.add(campaign)
    db.session.flush()
    service.record("lab.suspend", hunan_lab, reason="湖南的原因", actor=actor)
    service.record("lab.suspend", shanghai_lab, reason="上海的原因", actor=actor)
    service.record("campaign.create", campaign, reason="届次的记录", actor=actor)
    db.session.commit()
    return hunan_lab, shanghai_lab


def test_an_admin_reads_every_entry(client, two_provinces, create_user, login):
    login(create_user(role="admin"))
    page = client.get("/regulator/audit").get_data(as_text=True)
    assert "湖南的原因" in page and "上海的原因" in page and "届次的记录" in page
    assert "boss@openday.test" in page


def test_a_provincial_regulator_reads_only_its_province(client, two_provinces, hunan):
    response = client.get("/regulator/audit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "湖南的原因" in page
    assert "上海的原因" not in page and "届次的记录" not in page
    _hunan_lab, shanghai_lab = two_provinces
    page = client.get(f"/regulator/audit?lab={shanghai_lab.id}").get_data(as_text=True)
    assert "上海的原因" not in page


def test_a_national_regulator_reads_every_region_but_not_admin_business(client, two_provinces,
                                                                       national):
    page = client.get("/regulator/audit").get_data(as_text=True)
    assert "湖南的原因" in page and "上海的原因" in page and "届次的记录" not in page


def test_lab_users_and_anonymous_cannot_read_the_log(client, two_provinces, create_user, login,
                                                     lab):
    response = client.get("/regulator/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(create_user(role="lab", lab=lab))
    response = client.get("/regulator/audit")
    assert response.status_code == 403 and "湖南的原因" not in response.get_data(as_text=True)


def test_filters_by_action_and_lab_newest_first_in_pages(app, client, db, create_lab, create_user,
                                                         login):
    from openday.audit import service
    lab, other = create_lab(name="甲检测所"), create_lab(name="乙检测所")
    with app.test_request_context():
        for n in range(55):
            service.record("lab.suspend", lab, reason=f"第{n:02d}条")
        service.record("lab.approve", other, reason="乙的记录")
        db.session.commit()
    login(create_user(role="admin"))
    first = client.get("/regulator/audit").get_data(as_text=True)
    assert first.index("乙的记录") < first.index("第54条") < first.index("第06条")
    assert "第05条" not in first and "1 / 2" in first
    second = client.get("/regulator/audit?page=2").get_data(as_text=True)
    assert "第05条" in second and "第00条" in second and "第06条" not in second
    by_action = client.get("/regulator/audit?action=lab.approve").get_data(as_text=True)
    assert "乙的记录" in by_action and "第54条" not in by_action
    by_lab = client.get(f"/regulator/audit?lab={lab.id}").get_data(as_text=True)
    assert "乙的记录" not in by_lab and "第54条" in by_lab
    for junk in ("?action=nonsense", "?lab=abc", "?lab=99999999999", "?page=-3"):
        assert client.get("/regulator/audit" + junk).status_code == 200


def test_the_regulator_home_and_the_admin_tabs_link_to_the_log(client, create_user, login, hunan):
    assert 'href="/regulator/audit"' in client.get("/regulator/").get_data(as_text=True)
    client.submit("/logout", {}, form_url="/")
    login(create_user(role="admin"))
    assert 'href="/regulator/audit"' in client.get("/admin/users").get_data(as_text=True)


def test_the_page_takes_the_same_queries_for_one_entry_or_a_full_page(app, client, db, create_lab,
                                                                      create_user, login):
    from openday.audit import service
    labs = [create_lab(name=f"检测所{n}") for n in range(3)]
    login(create_user(role="admin"))

    def statements() -> int:
        seen: list[str] = []
        engine = app.extensions["sqlalchemy"].engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/regulator/audit").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    with app.test_request_context():
        service.record("lab.suspend", labs[0])
        db.session.commit()
    statements()  # warm up: the login's user is loaded once per session
    one_entry = statements()
    with app.test_request_context():
        for n in range(60):
            service.record("lab.approve", labs[n % 3])
        db.session.commit()
    assert statements() == one_entry <= 4
