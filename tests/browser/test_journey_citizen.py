"""A citizen, on a phone and on a desktop: types 長沙 on the home page, opens an event, books two
seats, sees the code, the QR and the calendar link, and cancels after confirming. axe-core runs
on every page."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday.bookings.models import Booking
from openday.events.models import Slot

pytestmark = pytest.mark.browser


@pytest.fixture
def changsha_event(create_lab, create_event, create_slot):
    lab = create_lab(name="湖南省食品质量监督检验研究院")
    event = create_event(lab=lab, kind="free_testing", title="家庭食品安全免费检测",
                         summary="带上家里的蔬菜水果，现场快检农药残留",
                         testing_items="蔬菜、水果农药残留；食用油酸价", what_to_bring="约 200 克样品")
    slot = create_slot(event=event, capacity=20, starts_in=timedelta(days=3), max_party=4)
    create_slot(event=event, capacity=10, starts_in=timedelta(days=4))
    return event, slot


def test_citizen_finds_books_and_cancels(live_server, page, shot, check_page, changsha_event, db):
    event, slot = changsha_event
    slot_id, event_id = slot.id, event.id

    page.goto("/")
    check_page(page)
    page.get_by_role("search").get_by_role("textbox").fill("長沙")
    page.get_by_role("search").get_by_role("button").click()
    page.wait_for_url(re.compile(r"/search\?"))
    assert page.get_by_role("link", name="家庭食品安全免费检测").first.is_visible()
    shot(page, "1-search")
    check_page(page)

    page.get_by_role("link", name="家庭食品安全免费检测").first.click()
    page.wait_for_url(f"**/events/{event_id}")
    assert page.get_by_role("heading", level=1).inner_text() == "家庭食品安全免费检测"
    shot(page, "2-event")
    check_page(page)

    page.locator(f'a[href*="/slots/{slot_id}/book"]').click()
    page.wait_for_url(f"**/slots/{slot_id}/book")
    # Consent is asked next to the purpose statement (PIPL): what is collected, for what, how long.
    assert page.locator(".purpose-statement").is_visible()
    assert "只收集姓名、手机号和人数" in page.locator(".purpose-statement").inner_text()
    page.get_by_label("姓名").fill("李雷")
    page.get_by_label("手机号").fill("138 0013 8000")
    page.get_by_label("人数").fill("2")
    page.get_by_label("我已阅读并同意").check()
    shot(page, "3-book")
    check_page(page)
    page.get_by_role("button", name="提交预约").click()

    page.wait_for_url(re.compile(r"/bookings/[A-Za-z0-9_\-]{40,}$"))
    code = page.locator("#booking-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", code)
    assert page.locator(".qr svg").is_visible()
    assert "138****8000" in page.content()
    calendar = page.get_by_role("link", name=re.compile(r"\.ics"))
    assert calendar.is_visible()
    ics = page.request.get(calendar.get_attribute("href"))
    assert ics.ok and "BEGIN:VCALENDAR" in ics.text() and code in ics.text()
    shot(page, "4-booked")
    check_page(page)
    db.session.rollback()  # a fresh snapshot: the server wrote in its own connection
    assert db.session.get(Slot, slot_id).seats_taken == 2

    page.get_by_role("link", name="取消预约").click()
    page.wait_for_url(re.compile(r"/bookings/[A-Za-z0-9_\-]{40,}/cancel$"))
    assert "此操作不可撤销" in page.locator("main").inner_text()
    shot(page, "5-confirm-cancel")
    check_page(page)
    db.session.rollback()
    assert db.session.get(Slot, slot_id).seats_taken == 2  # asking changed nothing
    page.get_by_role("button", name="确认取消").click()
    page.wait_for_url(re.compile(r"/bookings/[A-Za-z0-9_\-]{40,}$"))
    assert "您已取消此预约" in page.locator("main").inner_text()
    shot(page, "6-cancelled")
    check_page(page)
    db.session.rollback()  # a fresh snapshot: the server wrote in its own connection
    booking = db.session.execute(sa.select(Booking).where(Booking.code == code)).scalar_one()
    assert booking.status == "cancelled" and db.session.get(Slot, slot_id).seats_taken == 0


def test_waitlisted_citizen_waits_then_gets_the_qr(live_server, page, shot, check_page, create_slot,
                                                    book, db):
    from openday.bookings import service
    from openday.bookings.models import CancelledBy
    slot = create_slot(capacity=1, max_party=1)
    first, waiting = book(slot), book(slot)
    page.goto(f"/bookings/{waiting.manage_token}")
    main = page.locator("main").inner_text()
    assert "当前排在候补第 1 位" in main and "递补结果会显示在这里" in main
    assert page.locator(".qr svg").count() == 0
    assert page.get_by_role("link", name=re.compile(r"\.ics")).count() == 0
    shot(page, "waitlisted")
    check_page(page)

    service.cancel(first, by=CancelledBy.citizen)
    page.reload()
    assert page.locator(".qr svg").is_visible()
    assert page.get_by_role("link", name=re.compile(r"\.ics")).is_visible()
    assert "候补名单" not in page.locator("main").inner_text()
