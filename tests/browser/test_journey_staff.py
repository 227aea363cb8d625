"""Staff journeys on a phone and a desktop, axe-core on every page:
a lab logs in, creates an event with two slots, sees a booking on the roster and checks it in;
a regulator approves a new lab and opens the totals with their charts."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday import clock
from openday.bookings.models import Booking
from openday.events.models import Event, Slot
from openday.labs.models import Lab

from tests.browser.conftest import assert_charts_drawn_when_scrolled_to

pytestmark = pytest.mark.browser

PASSWORD = "journey-password-2026"


def log_in(page, email: str, shot=None, check_page=None) -> None:
    page.goto("/login")
    if check_page:
        check_page(page)
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    if shot:
        shot(page, "0-login")
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("load")
    assert "/login" not in page.url, page.locator("main").inner_text()


def test_lab_creates_an_event_with_two_slots_and_checks_a_booking_in(
        live_server, page, shot, check_page, db, campaign, create_lab, create_user, book):
    lab = create_lab(name="长沙市计量检定测试院")
    user = create_user(role="lab", lab=lab, email="lab-journey@openday.test", password=PASSWORD)
    lab_id = lab.id

    log_in(page, user.email, shot, check_page)
    page.wait_for_url("**/lab/")
    shot(page, "1-dashboard")
    check_page(page)

    page.get_by_role("link", name="新建活动").first.click()
    page.wait_for_url("**/lab/events/new")
    page.get_by_label("科普讲座").check()
    page.get_by_label("活动名称").fill("计量与生活：家用电子秤准不准")
    page.get_by_label("一句话简介").fill("带上家里的电子秤，现场免费校准并讲解计量知识")
    page.get_by_label("活动详情").fill("讲座约 40 分钟，之后参观质量计量实验室。")
    shot(page, "2-new-event")
    check_page(page)
    page.get_by_role("button", name="发布").click()
    page.wait_for_url(re.compile(r"/lab/events/\d+/edit"))
    event_id = int(re.search(r"/lab/events/(\d+)/edit", page.url).group(1))

    day = (clock.today() + timedelta(days=2)).isoformat()
    page.get_by_label("日期").fill(day)
    page.get_by_label("开始时间").fill("09:30, 14:00")
    page.get_by_label("每场人数上限").fill("25")
    page.get_by_role("button", name="添加场次").click()
    page.wait_for_url(re.compile(rf"/lab/events/{event_id}/edit"))
    db.session.rollback()
    slots = db.session.execute(sa.select(Slot).where(Slot.event_id == event_id)
                               .order_by(Slot.starts_at)).scalars().all()
    assert [clock.local(s.starts_at).strftime("%H:%M") for s in slots] == ["09:30", "14:00"]
    assert all(s.capacity == 25 and s.listed for s in slots)
    assert db.session.get(Event, event_id).status == "published"
    shot(page, "3-event-with-slots")
    check_page(page)

    # A citizen books the morning slot.
    booking = book(slots[0], 3, phone="13900139000", name="韩梅梅")
    code, slot_id = booking.code, slots[0].id
    db.session.rollback()

    page.locator(f'a[href$="/lab/slots/{slot_id}/roster"]').first.click()
    page.wait_for_url(f"**/lab/slots/{slot_id}/roster")
    roster = page.locator("main").inner_text()
    assert "韩梅梅" in roster and "13900139000" in roster and code in roster  # full phone for the host
    shot(page, "4-roster")
    check_page(page)

    # The QR on the citizen's page opens the check-in page with the code filled in.
    page.goto(f"/lab/checkin?code={code}")
    assert "韩梅梅" in page.locator("main").inner_text()
    shot(page, "5-checkin")
    check_page(page)
    # The slot is two days ahead: check-in opens on its day, earlier only when ticked.
    page.get_by_label(re.compile("提前签到")).check()
    page.get_by_role("button", name=re.compile("确认签到")).click()
    page.wait_for_load_state("load")
    shot(page, "6-checked-in")
    check_page(page)
    db.session.rollback()
    checked = db.session.execute(sa.select(Booking).where(Booking.code == code)).scalar_one()
    assert checked.checked_in_at is not None
    assert db.session.get(Slot, slot_id).checked_in_people == 3
    assert db.session.get(Lab, lab_id).status == "approved"


def test_regulator_approves_a_lab_and_opens_the_totals_with_charts(
        live_server, page, shot, check_page, db, campaign, create_lab, create_user, participation):
    pending = create_lab(name="株洲市产商品质量检验检测中心", status="pending", city="430200", district="430202")
    create_user(role="lab", lab=pending, email="new-lab@openday.test")
    regulator = create_user(role="regulator", email="regulator-journey@openday.test", password=PASSWORD)
    pending_id = pending.id

    log_in(page, regulator.email)
    page.wait_for_url("**/regulator/")
    shot(page, "1-home")
    check_page(page)

    page.get_by_role("link", name="进入审核").click()
    page.wait_for_load_state("load")
    shot(page, "2-queue")
    check_page(page)
    page.get_by_role("link", name="株洲市产商品质量检验检测中心").click()
    page.wait_for_url(f"**/regulator/labs/{pending_id}")
    shot(page, "3-lab")
    check_page(page)
    page.get_by_role("button", name=re.compile("通过")).click()
    page.wait_for_load_state("load")
    shot(page, "4-approved")
    check_page(page)
    db.session.rollback()
    assert db.session.get(Lab, pending_id).status == "approved"

    page.goto("/regulator/")
    page.get_by_role("link", name="查看统计").click()
    page.wait_for_url("**/regulator/stats*")
    assert_charts_drawn_when_scrolled_to(page)
    assert "参与人次" in page.locator("main").inner_text()
    shot(page, "5-stats")
    check_page(page)
