"""Creating, editing and publishing events; who may; the public event page."""
from __future__ import annotations

from datetime import timedelta

import pytest

from openday.events.models import Event, EventStatus


def events_of(db, lab):
    return db.session.execute(db.select(Event).where(Event.lab_id == lab.id)).scalars().all()


def test_lab_saves_a_draft_at_its_own_address(client, db, lab, logged_in, campaign, event_form):
    response = client.submit("/lab/events/new", event_form())
    assert response.status_code == 302
    [event] = events_of(db, lab)
    assert response.headers["Location"].endswith(f"/lab/events/{event.id}/edit")
    assert event.status == EventStatus.draft
    assert event.campaign_id == campaign.id
    assert (event.venue_type, event.venue_address) == ("lab", lab.address)
    assert (event.city_adcode, event.district_adcode, event.lat) == (lab.city_adcode,
                                                                     lab.district_adcode, lab.lat)
    assert event.audience == "public,seniors"
    assert event.testing_items == "金银首饰、翡翠"


def test_publishing_makes_the_event_public(client, db, lab, logged_in, campaign, event_form):
    client.submit("/lab/events/new", event_form(save=None, publish="发布"))
    [event] = events_of(db, lab)
    assert event.status == EventStatus.published
    client.submit("/logout", {}, form_url="/")
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    for text in ("珠宝玉石免费检测", "便民检测", lab.name, lab.address, "社会公众", "老年人",
                 "金银首饰、翡翠", "身份证", "一楼有无障碍通道", "<p>第二段。</p>"):
        assert text in page
    assert "https://uri.amap.com/marker?position=112.938800%2C28.228200" in page


def test_an_off_site_venue_is_placed_in_its_district(client, db, lab, logged_in, campaign,
                                                     event_form):
    client.submit("/lab/events/new", event_form(
        venue_type="school", venue_name="长沙市第一中学", venue_address="开福区湘春路 55 号",
        venue_district="430105"))
    [event] = events_of(db, lab)
    assert (event.venue_type, event.venue_name) == ("school", "长沙市第一中学")
    assert event.venue_address == "开福区湘春路 55 号"
    assert (event.province_adcode, event.city_adcode, event.district_adcode) == (
        "430000", "430100", "430105")
    assert event.lat is not None and abs(event.lat - 28.2) < 0.5 and abs(event.lon - 113.0) < 0.5


@pytest.mark.parametrize("changes, field_error", [
    ({"venue_name": ""}, "场外活动请填写场所名称"),
    ({"venue_address": ""}, "场外活动请填写场所地址"),
    ({"venue_district": "999999"}, "请选择场所所在区县"),
    ({"venue_district": "430000"}, "请选择场所所在区县"),
])
def test_an_off_site_venue_needs_name_address_and_district(client, db, lab, logged_in, campaign,
                                                          event_form, changes, field_error):
    data = event_form(venue_type="community", venue_name="麓山社区", venue_address="麓山南路 1 号",
                      venue_district="430104")
    data.update(changes)
    response = client.submit("/lab/events/new", data)
    assert response.status_code == 200
    assert field_error in response.get_data(as_text=True)
    assert events_of(db, lab) == []


@pytest.mark.parametrize("district", ["310104", "110101", "440300"])
def test_an_off_site_venue_outside_the_labs_province_is_refused(client, db, lab, logged_in,
                                                                campaign, event_form, district):
    """The page offers the districts of the lab's province; posting another is a field error."""
    page = client.get("/lab/events/new").get_data(as_text=True)
    assert 'value="430104"' in page and f'value="{district}"' not in page
    response = client.submit("/lab/events/new", event_form(
        venue_type="school", venue_name="徐汇中学", venue_address="虹桥路 68 号",
        venue_district=district))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "场外活动须在本机构所在省份内" in page and 'id="venue_district-error"' in page
    assert events_of(db, lab) == []


def test_the_events_service_refuses_a_venue_outside_the_labs_province(app, db, lab, campaign,
                                                                      event_form):
    from openday.events import service
    data = event_form(venue_type="school", venue_name="徐汇中学", venue_address="虹桥路 68 号",
                      venue_district="310104")
    with app.test_request_context():
        with pytest.raises(service.RuleError) as refused:
            service.save_event(lab, data)
    assert set(refused.value.fields) == {"venue_district"}
    db.session.rollback()
    assert events_of(db, lab) == []


def test_editing_an_event_cannot_move_it_to_another_province(client, db, lab, logged_in,
                                                             create_event, event_form):
    event = create_event(lab=lab, title="原来的活动")
    response = client.submit(f"/lab/events/{event.id}/edit", event_form(
        venue_type="community", venue_name="外省社区", venue_address="某路 1 号",
        venue_district="310104"))
    assert response.status_code == 200
    assert "场外活动须在本机构所在省份内" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (event.title, event.province_adcode) == ("原来的活动", "430000")


@pytest.mark.parametrize("changes, message", [
    ({"title": ""}, "请填写活动名称"),
    ({"kind": "party"}, "Not a valid choice"),
    ({"audience": []}, "请至少选择一类人群"),
    ({"audience": ["public", "robots"]}, "Not a valid choice"),
])
def test_bad_event_input_is_a_form_error(client, db, lab, logged_in, campaign, event_form,
                                         changes, message):
    response = client.submit("/lab/events/new", event_form(**changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page or "is-invalid" in page
    assert events_of(db, lab) == []


def test_a_pending_lab_prepares_drafts_and_slots_but_cannot_publish(
        client, db, create_lab, create_user, login, campaign, event_form):
    pending = create_lab(status="pending")
    login(create_user(role="lab", lab=pending))
    page = client.get("/lab/events/new").get_data(as_text=True)
    assert "可以先保存活动草稿" in page and 'name="publish"' not in page
    refused = client.submit("/lab/events/new", event_form(save=None, publish="发布"))
    assert "机构通过审核后才能发布活动" in refused.get_data(as_text=True)
    assert events_of(db, pending) == []
    assert client.submit("/lab/events/new", event_form()).status_code == 302
    [event] = events_of(db, pending)
    day = (campaign.starts_on + timedelta(days=5)).isoformat()
    added = client.submit(f"/lab/events/{event.id}/slots",
                          {"day": day, "start_times": "09:30", "duration": "60", "capacity": "20",
                           "max_party": "4"}, form_url=f"/lab/events/{event.id}/edit")
    assert added.status_code == 302
    db.session.expire_all()
    assert event.status == EventStatus.draft and len(event.slots) == 1
    assert not event.slots[0].listed
    assert client.get(f"/lab/slots/{event.slots[0].id}/edit").status_code == 200
    assert client.get("/lab/checkin").status_code == 403  # citizens' data waits for approval


@pytest.mark.parametrize("status", ["suspended", "rejected"])
def test_a_suspended_or_rejected_lab_cannot_create_events(client, create_lab, create_user, login,
                                                          campaign, status):
    login(create_user(role="lab", lab=create_lab(status=status)))
    assert client.get("/lab/events/new").status_code == 403
    assert client.get("/lab/").status_code == 200


def test_publishing_an_event_without_slots_warns_nothing_can_be_booked(client, lab, logged_in,
                                                                        campaign, event_form):
    response = client.submit("/lab/events/new", event_form(save=None, publish="发布"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "市民暂时无法预约" in page


def test_only_lab_staff_reach_the_lab_pages(client, create_user, login, campaign):
    assert client.get("/lab/events/new").status_code == 302  # to the login page
    login(create_user(role="regulator"))
    assert client.get("/lab/events/new").status_code == 403


def test_another_labs_event_is_not_found(client, db, logged_in, other_lab, create_event,
                                         event_form):
    theirs = create_event(lab=other_lab, title="他们的活动")
    assert client.get(f"/lab/events/{theirs.id}/edit").status_code == 404
    response = client.submit(f"/lab/events/{theirs.id}/edit", event_form(title="改掉"),
                             form_url="/lab/events/new")
    assert response.status_code == 404
    assert client.get("/lab/events/999999/edit").status_code == 404
    db.session.refresh(theirs)
    assert theirs.title == "他们的活动"


def test_editing_a_published_event_keeps_its_bookings(client, db, lab, logged_in, create_event,
                                                      create_slot, book, event_form):
    event = create_event(lab=lab)
    slot = create_slot(event=event, capacity=10)
    booking = book(slot, party_size=3)
    response = client.submit(f"/lab/events/{event.id}/edit",
                             event_form(kind="lecture", title="食品安全讲座", save="保存修改"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (event.title, event.kind, event.status) == ("食品安全讲座", "lecture", "published")
    assert (slot.kind, slot.listed) == ("lecture", True)
    assert (slot.seats_taken, slot.confirmed_count) == (3, 1)
    assert booking.status == "confirmed"


def test_publishing_a_draft_lists_its_slots(client, db, lab, logged_in, create_event, create_slot,
                                            event_form):
    event = create_event(lab=lab, status="draft")
    slot = create_slot(event=event)
    assert slot.listed is False
    client.submit(f"/lab/events/{event.id}/edit", event_form(save=None, publish="发布"))
    db.session.expire_all()
    assert event.status == "published" and slot.listed is True


def test_the_edit_form_shows_the_event(client, lab, logged_in, create_event, create_slot):
    event = create_event(lab=lab, title="走进计量")
    create_slot(event=event)
    page = client.get(f"/lab/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="走进计量"' in page
    assert "/lab/slots/" in page and "/roster" in page


def test_drafts_and_unapproved_labs_are_not_public(client, db, lab, create_lab, create_event,
                                                   logged_in):
    draft = create_event(lab=lab, status="draft", title="草稿活动")
    assert "草稿预览" in client.get(f"/events/{draft.id}").get_data(as_text=True)  # its own lab
    suspended = create_event(lab=create_lab(status="suspended"), title="暂停机构的活动")
    cancelled = create_event(lab=lab, status="cancelled")
    client.submit("/logout", {}, form_url="/")
    for event in (draft, suspended):
        assert client.get(f"/events/{event.id}").status_code == 404
    page = client.get(f"/events/{cancelled.id}")  # public, saying it was cancelled
    assert page.status_code == 200 and "该活动已取消" in page.get_data(as_text=True)
    assert client.get("/events/424242").status_code == 404


def test_the_public_page_lists_upcoming_slots_with_seats_left(client, lab, create_event,
                                                               create_slot, book):
    event = create_event(lab=lab)
    open_slot = create_slot(event=event, capacity=5)
    book(open_slot, party_size=2)
    full = create_slot(event=event, capacity=1, starts_in=timedelta(days=3))
    book(full)
    create_slot(event=event, starts_in=timedelta(days=-1))  # already over: not shown
    cancelled = create_slot(event=event, starts_in=timedelta(days=4), status="cancelled")
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "余 3 个名额" in page
    assert f'href="/slots/{open_slot.id}/book"' in page
    assert f'href="/slots/{full.id}/book"' in page and "已约满，可候补" in page
    assert f"/slots/{cancelled.id}/book" not in page and "已取消" in page
    assert page.count("/book\"") == 2


def test_the_dashboard_lists_events_and_slots(client, lab, logged_in, create_event, create_slot,
                                              other_lab, book):
    event = create_event(lab=lab, title="我们的活动")
    slot = create_slot(event=event, capacity=12)
    book(slot, party_size=4)
    create_event(lab=other_lab, title="别人的活动")
    page = client.get("/lab/").get_data(as_text=True)
    assert "我们的活动" in page and "别人的活动" not in page
    assert "4/12" in page
    assert f"/lab/slots/{slot.id}/roster" in page


def test_without_a_current_campaign_no_event_can_be_created(client, db, lab, logged_in, event_form):
    assert "当前没有进行中的开放日" in client.get("/lab/events/new").get_data(as_text=True)
    response = client.submit("/lab/events/new", event_form())
    assert "当前没有进行中的开放日" in response.get_data(as_text=True)
    assert events_of(db, lab) == []
