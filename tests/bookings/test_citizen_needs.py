"""What a citizen on a phone needs beyond booking itself (issue 16): remarks for the hosting lab
only, phones beyond the mainland, their own bookings found again, distances honest about what
the venue's point is, slot times read at a glance."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from openday.bookings.models import Booking

HK = "+852 9123 4567"
WHEELCHAIR = "坐轮椅，需要无障碍通道"


def payload(**changes):
    body = {"name": "陈大文", "phone": HK, "party_size": 1, "consent": True}
    body.update(changes)
    return body


def only_booking(db) -> Booking:
    db.session.rollback()
    return db.session.execute(sa.select(Booking)).scalar_one()


# ---- remarks -------------------------------------------------------------------------------------

def test_api_remarks_are_stored_trimmed_and_never_answered(client, db, create_slot):
    slot = create_slot()
    created = client.post(f"/api/v1/slots/{slot.id}/bookings",
                          json=payload(remarks=f"  {WHEELCHAIR}  "))
    assert created.status_code == 201, created.get_json()
    assert "remarks" not in created.get_json()
    assert only_booking(db).remarks == WHEELCHAIR
    shown = client.get(f"/api/v1/bookings/{created.get_json()['manage_token']}")
    assert WHEELCHAIR not in shown.get_data(as_text=True) and "remarks" not in shown.get_json()
    assert WHEELCHAIR not in client.get(f"/api/v1/slots/{slot.id}").get_data(as_text=True)


@pytest.mark.parametrize("remarks", ["字" * 201, "带\x07孩子", "第一行\n第二行", 42, ["坐轮椅"]])
def test_api_refuses_remarks_too_long_or_not_one_line_of_text(client, db, create_slot, remarks):
    slot = create_slot()
    refused = client.post(f"/api/v1/slots/{slot.id}/bookings", json=payload(remarks=remarks))
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == ["remarks"]
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count(Booking.id))).scalar_one() == 0


def test_two_hundred_characters_and_no_remarks_are_both_fine(client, db, create_slot):
    slot = create_slot()
    url = f"/api/v1/slots/{slot.id}/bookings"
    assert client.post(url, json=payload(remarks="字" * 200)).status_code == 201
    assert client.post(url, json=payload(phone="13800138000", remarks="   ")).status_code == 201
    assert client.post(url, json=payload(phone="13800138001", remarks=None)).status_code == 201
    db.session.rollback()
    assert sorted(db.session.execute(sa.select(Booking.remarks)).scalars(), key=str) == [
        None, None, "字" * 200]


def test_form_remarks_reach_the_labs_roster_and_csv_but_no_public_page(
        client, db, create_slot, create_user, login):
    slot = create_slot(capacity=5)
    page = client.submit(f"/slots/{slot.id}/book", {
        "name": "李四", "phone": "13800138000", "party_size": "2", "consent": "y",
        "remarks": WHEELCHAIR})
    assert page.status_code == 303
    booking = only_booking(db)
    assert booking.remarks == WHEELCHAIR
    for public in (page.headers["Location"], f"/events/{slot.event_id}", "/search?city=长沙",
                   "/bookings/mine", f"/slots/{slot.id}/book"):
        assert WHEELCHAIR not in client.get(public).get_data(as_text=True), public

    login(create_user(role="lab", lab=slot.event.lab))
    roster = client.get(f"/lab/slots/{slot.id}/roster").get_data(as_text=True)
    assert WHEELCHAIR in roster and "备注" in roster
    rows = list(csv.reader(io.StringIO(
        client.get(f"/lab/slots/{slot.id}/roster.csv").data.decode("utf-8-sig"))))
    assert rows[0][-1] == "备注" and rows[1][-1] == WHEELCHAIR


def test_the_form_says_when_remarks_are_too_long(client, db, create_slot):
    slot = create_slot()
    page = client.submit(f"/slots/{slot.id}/book", {
        "name": "李四", "phone": "13800138000", "party_size": "1", "consent": "y",
        "remarks": "字" * 201}).get_data(as_text=True)
    assert 'id="remarks-error"' in page and "备注最多 200 个字" in page
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count(Booking.id))).scalar_one() == 0


def test_another_labs_roster_is_not_reachable(client, create_slot, create_lab, create_user,
                                              login, book):
    slot = create_slot()
    book(slot, remarks=WHEELCHAIR)
    login(create_user(role="lab", lab=create_lab(name="另一家检测所")))
    response = client.get(f"/lab/slots/{slot.id}/roster")
    assert response.status_code in (403, 404) and WHEELCHAIR not in response.get_data(as_text=True)


# ---- phones beyond the mainland --------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "stored", "masked"), [
    ("+852 9123 4567", "+85291234567", "+852 ****4567"),
    ("00853 6612 3456", "+85366123456", "+853 ****3456"),
    ("+886 912-345-678", "+886912345678", "+886 ****5678"),
    ("+44 7911 123456", "+447911123456", "+44 ****3456"),
    ("+86 138 1234 5678", "+8613812345678", "138****5678"),
])
def test_api_books_phones_abroad_in_e164_and_masks_them(client, db, create_slot, typed, stored,
                                                        masked):
    slot = create_slot()
    created = client.post(f"/api/v1/slots/{slot.id}/bookings", json=payload(phone=typed))
    assert created.status_code == 201, created.get_json()
    assert only_booking(db).phone == stored
    token = created.get_json()["manage_token"]
    shown = client.get(f"/api/v1/bookings/{token}")
    assert shown.get_json()["phone"] == masked
    assert stored[-8:] not in shown.get_data(as_text=True)
    page = client.get(f"/bookings/{token}").get_data(as_text=True)
    assert masked in page and stored[-8:] not in page


@pytest.mark.parametrize("typed", ["91234567", "+852 2123 4567", "+852 9123", "+999 12345678",
                                   "+86 10 8888 8888", "852 9123 4567"])
def test_api_refuses_numbers_that_are_not_mobiles_in_international_form(client, create_slot,
                                                                          typed):
    refused = client.post(f"/api/v1/slots/{create_slot().id}/bookings", json=payload(phone=typed))
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert list(error["fields"]) == ["phone"] and "+" in str(error["fields"]["phone"])


def test_one_number_however_written_holds_one_booking_per_slot(client, create_slot):
    slot = create_slot()
    url = f"/api/v1/slots/{slot.id}/bookings"
    assert client.post(url, json=payload(phone="+852 9123 4567")).status_code == 201
    again = client.post(url, json=payload(phone="00852-9123-4567"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_booked"


@pytest.mark.parametrize("app_config", [{"OPENDAY_PHONE_DAILY_LIMIT": 2}])
def test_the_daily_cap_counts_a_number_abroad_however_written(client, create_event, create_slot):
    event = create_event()
    slots = [create_slot(event=event, hours=1, starts_at=None) for _ in range(3)]
    for slot, written in zip(slots[:2], ("+852 9123 4567", "0085291234567"), strict=True):
        assert client.post(f"/api/v1/slots/{slot.id}/bookings",
                           json=payload(phone=written)).status_code == 201
    third = client.post(f"/api/v1/slots/{slots[2].id}/bookings", json=payload(phone="+85291234567"))
    assert third.status_code == 409 and third.get_json()["error"]["code"] == "daily_limit"


@pytest.mark.parametrize(("lang", "hint", "error"), [
    ("zh_Hans", "港澳台及海外号码请以 +", "以 + 开头的国际号码"),
    ("zh_Hant", "港澳台及海外號碼請以 +", "以 + 開頭的國際號碼"),
    ("en", "start with + and the country", "international form"),
])
def test_the_form_explains_international_numbers_in_each_language(client, create_slot, lang, hint,
                                                                   error):
    slot = create_slot()
    page = client.get(f"/slots/{slot.id}/book?lang={lang}").get_data(as_text=True)
    assert hint in page
    refused = client.submit(f"/slots/{slot.id}/book", {
        "name": "Chan", "phone": "91234567", "party_size": "1", "consent": "y"}).get_data(as_text=True)
    assert 'id="phone-error"' in refused and error in refused


def test_the_lab_sees_a_number_abroad_in_full(client, create_slot, create_user, login, book):
    slot = create_slot()
    book(slot, phone="+85291234567", name="陳大文")
    login(create_user(role="lab", lab=slot.event.lab))
    roster = client.get(f"/lab/slots/{slot.id}/roster").get_data(as_text=True)
    assert "+852 9123 4567" in roster and 'href="tel:+85291234567"' in roster
    rows = list(csv.reader(io.StringIO(
        client.get(f"/lab/slots/{slot.id}/roster.csv").data.decode("utf-8-sig"))))
    assert "+852 9123 4567" in rows[1][3]


# ---- my bookings ---------------------------------------------------------------------------------

def test_my_bookings_lists_what_this_browser_booked(client, app, create_slot, create_event):
    first = create_slot(event=create_event(title="走进计量院"))
    second = create_slot(event=create_event(title="食品快检体验"), capacity=1)
    client.submit(f"/slots/{first.id}/book", {"name": "李四", "phone": "13800138000",
                                               "party_size": "1", "consent": "y"})
    client.post(f"/api/v1/slots/{second.id}/bookings", json=payload())  # not this browser's
    client.submit(f"/slots/{second.id}/book", {"name": "李四", "phone": "13800138000",
                                                "party_size": "1", "consent": "y"})
    page = client.get("/bookings/mine")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert html.index("食品快检体验") < html.index("走进计量院")  # newest first
    assert "候补第 1 位" in html and "已确认" in html
    assert html.replace('href="/bookings/mine"', "").count('href="/bookings/') == 2
    assert 'href="/bookings/mine"' in client.get("/").get_data(as_text=True)  # in the header

    stranger = app.test_client()
    empty = stranger.get("/bookings/mine").get_data(as_text=True)
    assert 'id="no-bookings"' in empty and "管理链接" in empty
    assert "查看预约" not in empty


# ---- where it is ---------------------------------------------------------------------------------

def test_nationwide_lists_name_the_city_and_a_city_list_does_not(client, create_slot,
                                                                  create_event, create_lab):
    shanghai = create_lab(name="上海市计量测试所", city="310100", district="310104", lat=31.17,
                          lon=121.42)
    create_slot(event=create_event(lab=shanghai, title="计量开放日"))
    create_slot(event=create_event(title="食品检测开放日"))
    nationwide = client.get("/search").get_data(as_text=True)
    assert '<span class="slot-city fw-semibold">上海市</span>' in nationwide
    assert '<span class="slot-city fw-semibold">长沙市</span>' in nationwide
    assert "slot-city" in client.get("/").get_data(as_text=True)
    assert "slot-city" not in client.get("/search?city=430100").get_data(as_text=True)


@pytest.mark.parametrize(("lang", "approximate"), [("zh_Hans", "约 3 公里"), ("zh_Hant", "約 3 公里"),
                                                   ("en", "about 3 km")])
def test_a_distance_to_a_geocoded_point_is_approximate_and_sorted_the_same(
        client, create_slot, create_event, lang, approximate):
    near = create_event(title="近处的活动", lat=28.2282, lon=112.9388 + 0.032)  # ~3.1 km east
    far = create_event(title="远处的活动", lat=28.2282, lon=112.9388 + 0.1, point_exact=True)
    create_slot(event=far)
    create_slot(event=near)
    url = f"/search?lat=28.2282&lon=112.9388&radius_km=30&lang={lang}"
    html = client.get(url).get_data(as_text=True)
    assert approximate in html
    assert html.index("近处的活动") < html.index("远处的活动")
    items = client.get("/api/v1/slots?lat=28.2282&lon=112.9388&radius_km=30").get_json()["items"]
    assert [item["title"] for item in items] == ["近处的活动", "远处的活动"]
    assert all(isinstance(item["distance_km"], float) for item in items)
    exact = f"{items[1]['distance_km']}"
    assert exact in html and f"约 {exact}" not in html and f"about {exact}" not in html


def test_a_lab_pastes_the_venues_point_from_a_baidu_link(client, db, create_lab, create_user,
                                                          login, campaign):
    from openday.events.models import Event
    from openday.geo.coords import bd09_to_gcj02
    lab = create_lab()
    login(create_user(role="lab", lab=lab))
    form = {"kind": "lecture", "title": "走进校园的科普课", "summary": "检测原来是这样",
            "venue_type": "school", "venue_name": "长沙市第一中学", "venue_address": "湘春路 55 号",
            "venue_district": "430105", "audience": ["students"], "save": "保存草稿"}
    bad = client.submit("/lab/events/new", {**form, "venue_point": "不是坐标"})
    assert 'id="venue_point-error"' in bad.get_data(as_text=True)
    link = ("https://api.map.baidu.com/marker?location=28.2006,112.9874&title=x"
            "&coord_type=bd09ll&output=html")
    assert client.submit("/lab/events/new", {**form, "venue_point": link}).status_code == 302
    event = db.session.execute(sa.select(Event)).scalar_one()
    assert event.point_exact
    assert (event.lat, event.lon) == pytest.approx(bd09_to_gcj02(28.2006, 112.9874), abs=1e-6)
    edit = client.get(f"/lab/events/{event.id}/edit").get_data(as_text=True)
    assert f"{event.lat:.6f}, {event.lon:.6f}" in edit
    # without a point the venue is only geocoded again
    client.submit(f"/lab/events/{event.id}/edit", {**form, "venue_point": ""},
                  form_url=f"/lab/events/{event.id}/edit")
    db.session.refresh(event)
    assert not event.point_exact


def test_slot_pages_show_times_at_a_glance(client, create_slot, book):
    from datetime import UTC, datetime
    slot = create_slot(starts_at=datetime(2026, 12, 5, 1, 30, tzinfo=UTC), hours=1)
    for lang, shown in (("zh_Hans", "12月5日 周六 09:30–10:30"), ("zh_Hant", "12月5日 週六 09:30–10:30"),
                        ("en", "Sat 5 Dec 09:30–10:30")):
        for url in (f"/events/{slot.event_id}", f"/slots/{slot.id}/book"):
            assert shown in client.get(f"{url}?lang={lang}").get_data(as_text=True), (lang, url)


def test_an_approximate_distance_is_never_zero(client, create_slot, create_event):
    create_slot(event=create_event(title="就在附近", lat=28.2282, lon=112.9388 + 0.002))  # ~0.2 km
    html = client.get("/search?lat=28.2282&lon=112.9388&radius_km=5").get_data(as_text=True)
    assert "约 1 公里" in html and "约 0 公里" not in html
