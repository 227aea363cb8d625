"""On a phone: two citizens enter a ballot, the draw runs, the winner's page shows the QR and the
other's its place in line; the winner, checked in, rates the visit; the regulator reads it.
axe-core runs on every page."""
from __future__ import annotations

from datetime import timedelta

import pytest

from openday import clock
from openday.bookings import ballot, staff
from openday.bookings.models import Booking
from tests.browser.test_journey_staff import PASSWORD, log_in

pytestmark = pytest.mark.browser


def enter(page, slot_id: int, name: str, phone: str, shot=None, check_page=None) -> str:
    page.goto(f"/slots/{slot_id}/book")
    assert page.locator("#ballot-entry-note").is_visible()
    page.get_by_label("姓名").fill(name)
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("人数").fill("2")
    page.get_by_label("我已阅读并同意").check()
    if shot:
        shot(page, "1-enter")
        check_page(page)
    page.get_by_role("button", name="报名抽签").click()
    page.wait_for_url("**/bookings/*")
    assert page.locator("#ballot-entered").is_visible()
    assert page.locator("svg.qr-code").count() == 0
    return page.url.rsplit("/", 1)[1]


def test_ballot_draw_then_feedback_on_a_phone(live_server, make_page, shot, check_page, db,
                                              monkeypatch, create_lab, create_event, create_slot,
                                              create_user):
    lab = create_lab(name="长沙市计量检定测试院")
    event = create_event(lab=lab, title="走进国家计量实验室")
    slot = create_slot(event=event, capacity=2, max_party=2, mode="ballot",
                       draw_at=clock.now() + timedelta(hours=1))
    slot_id, lab_id, starts_at, draw_at = slot.id, lab.id, slot.starts_at, slot.draw_at
    create_user(role="regulator", email="regulator-ballot@openday.test", password=PASSWORD)
    db.session.commit()

    first, second = make_page("phone"), make_page("phone")
    tokens = [enter(first, slot_id, "李雷", "13800138001", shot, check_page),
              enter(second, slot_id, "韩梅梅", "13800138002")]
    shot(first, "2-entered")
    check_page(first)

    assert ballot.draw_slot(slot_id, draw_at + timedelta(seconds=1))  # the worker's job
    db.session.commit()
    for page in (first, second):
        page.reload()
    won, lost = (first, second) if first.locator("svg.qr-code").count() else (second, first)
    won_token = tokens[0] if won is first else tokens[1]
    assert won.locator("svg.qr-code").is_visible()
    assert "恭喜，您已中签" in won.locator("#ballot-result").inner_text()
    assert lost.locator("svg.qr-code").count() == 0
    assert "候补第 1 位" in lost.locator("#waitlist-next").inner_text()
    shot(won, "3-won")
    check_page(won)
    shot(lost, "3-waitlisted")
    check_page(lost)

    # The winner comes and is checked in; after the visit's start the page asks for a rating.
    code = db.session.query(Booking.code).filter(Booking.manage_token == won_token).scalar()
    later = starts_at + timedelta(minutes=40)
    monkeypatch.setattr(clock, "now", lambda: later)  # check-in opens on the slot's day
    assert staff.check_in(lab_id, code).outcome == "checked_in"
    db.session.commit()
    won.reload()
    form = won.locator("#feedback")
    form.get_by_label("★★★★ 4").check()
    form.get_by_label("意见和建议（选填）").fill("讲解清楚，<b>值得</b>一去")
    shot(won, "4-feedback")
    check_page(won)
    form.get_by_role("button", name="提交评价").click()
    won.wait_for_url("**/bookings/*")
    assert "您的评分：4 星" in won.locator("#feedback-given").inner_text()
    check_page(won)

    regulator = make_page("phone")
    log_in(regulator, "regulator-ballot@openday.test")
    regulator.goto("/regulator/feedback")
    assert "平均 4.00 分，共 1 条评价" in regulator.locator("#feedback-overall").inner_text()
    comments = regulator.locator("#feedback-comments").inner_text()
    assert "讲解清楚，<b>值得</b>一去" in comments and "李雷" not in comments
    assert "138" not in regulator.locator("main").inner_text()
    shot(regulator, "5-regulator")
    check_page(regulator)
