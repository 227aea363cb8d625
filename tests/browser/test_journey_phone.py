"""Issue 16's journeys on a 390 × 844 phone, in 简体, 繁體 and English, axe-core on every page:
a visitor from Hong Kong finds events near them (approximate distances, the city named), books
with a +852 number and a remark, closes the tab and finds the booking again under "my bookings",
and cancels after confirming; a waitlisted citizen sees their place in line and no QR until a
cancellation promotes them; the lab reads the remarks on its roster. Tap targets are measured."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday.bookings.models import Booking

pytestmark = pytest.mark.browser

LANGS = ["zh_Hans", "zh_Hant", "en"]
BROWSER_LOCALE = {"zh_Hans": "zh-CN", "zh_Hant": "zh-HK", "en": "en-GB"}
HTML_LANG = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}
# What each language calls things the journeys look for.
WORDS = {
    "zh_Hans": {"about": "约 3 公里", "city": "长沙市", "phone_error": "以 + 开头的国际号码",
                "mine": "我的预约记录", "cancelled": "您已取消此预约"},
    "zh_Hant": {"about": "約 3 公里", "city": "長沙市", "phone_error": "以 + 開頭的國際號碼",
                "mine": "我的預約紀錄", "cancelled": "您已取消此預約"},
    "en": {"about": "about 3 km", "city": "Changsha", "phone_error": "international form",
           "mine": "My bookings", "cancelled": "You have cancelled this booking"},
}
TOKEN_URL = re.compile(r"/bookings/[A-Za-z0-9_\-]{40,}$")
PASSWORD = "journey-password-2026"
MIN_TAP = 44 - 0.5  # layout may round a 44 px box to 43.99


def phone_page(make_page, lang: str):
    page = make_page("phone", locale=BROWSER_LOCALE[lang])
    page.goto(f"/lang/{lang}")
    assert page.locator("html").get_attribute("lang") == HTML_LANG[lang]
    return page


def assert_tap_targets(page, selector: str, at_least: int = 1) -> int:
    """Every visible element matching ``selector`` is at least 44 × 44 CSS px."""
    boxes = page.locator(selector).evaluate_all("""els => els
        .filter(el => el.offsetParent !== null)
        .map(el => { const r = el.getBoundingClientRect();
                     return {what: el.outerHTML.slice(0, 90), width: r.width, height: r.height}; })""")
    small = [box for box in boxes if box["width"] < MIN_TAP or box["height"] < MIN_TAP]
    assert len(boxes) >= at_least, f"{selector}: {len(boxes)} on {page.url}"
    assert not small, f"tap targets under 44 × 44 on {page.url}: {small}"
    return len(boxes)


def open_menu_link(page, href: str) -> None:
    """A header link on a phone: open the collapsed menu first."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    page.locator(f'header a[href="{href}"]').click()


@pytest.fixture
def near_changsha(create_lab, create_event, create_slot):
    """Two events east of a lab in 长沙: one only geocoded (~3 km), one at a point its lab set."""
    lab = create_lab(name="湖南省计量检测研究院")
    near = create_event(lab=lab, kind="tour", title="走进计量实验室", lat=28.2282,
                        lon=112.9388 + 0.032)
    far = create_event(lab=lab, kind="lecture", title="食品安全科普讲座", lat=28.2282,
                       lon=112.9388 + 0.1, point_exact=True)
    slots = [create_slot(event=near, capacity=10, starts_in=timedelta(days=3, hours=i))
             for i in range(3)]
    slots += [create_slot(event=far, capacity=10, starts_in=timedelta(days=3, hours=i))
              for i in range(22)]  # more than a page: the pager shows
    return near, slots[0]


@pytest.mark.parametrize("lang", LANGS)
def test_a_visitor_books_with_a_hong_kong_number_and_finds_it_again(
        live_server, make_page, shot, check_page, db, near_changsha, lang):
    words = WORDS[lang]
    near, slot = near_changsha
    page = phone_page(make_page, lang)

    # A typo: the suggestions are links a thumb can hit.
    page.goto("/search?city=长莎")
    assert_tap_targets(page, ".suggestions a", at_least=1)
    check_page(page)

    # Near me: the nearest first, its distance approximate, each card naming its city.
    page.goto("/search?lat=28.2282&lon=112.9388&radius_km=30")
    first = page.locator(".result-card").first
    assert "走进计量实验室" in first.inner_text()
    assert words["about"] in first.locator(".slot-distance").inner_text()
    assert first.locator(".slot-city").inner_text() == words["city"]
    # the first screen of a phone shows a whole result, its button included
    assert first.locator("a.btn").bounding_box()["y"] + 44 <= 844
    assert_tap_targets(page, ".result-card a.btn", at_least=20)
    assert_tap_targets(page, ".result-card h2 a", at_least=20)
    assert_tap_targets(page, ".pagination .page-link", at_least=2)
    assert_tap_targets(page, "main button, header button")
    full = shot(page, f"1-{lang}-near-me")
    page.screenshot(path=str(full.with_name(full.stem + "-first-screen.png")))  # as a phone sees it
    check_page(page)

    # A number without its country code is refused in the reader's language, focus on it.
    first.locator("a.btn").click()
    page.wait_for_url(f"**/slots/{slot.id}/book")
    assert_tap_targets(page, "main .btn")
    page.locator("#name").fill("陳大文")
    page.locator("#phone").fill("9123 4567")
    page.locator("#consent").check()
    page.locator("#submit").click()
    page.wait_for_load_state("load")
    assert words["phone_error"] in page.locator("#phone-error").inner_text()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'phone'")
    shot(page, f"2-{lang}-phone-error")
    check_page(page)

    page.locator("#phone").fill("+852 9123 4567")
    page.locator("#remarks").fill("坐轮椅")
    page.locator("#consent").check()
    page.locator("#submit").click()
    page.wait_for_url(TOKEN_URL)
    main = page.locator("main").inner_text()
    assert "+852 ****4567" in main and "9123 4567" not in main
    assert page.locator(".qr svg").is_visible()
    assert "/lab/checkin" not in page.content()  # the staff's URL stays in the QR
    assert "坐轮椅" not in main                 # remarks are the lab's, not the page's
    manage_url = page.url
    shot(page, f"3-{lang}-booked")
    check_page(page)

    # The tab is closed; later, a new tab of the same browser finds the booking again.
    context = page.context
    page.close()
    again = context.new_page()
    again.problems = type(page.problems)(again)
    again.device = "phone"
    again.goto("/")
    open_menu_link(again, "/bookings/mine")
    again.wait_for_url("**/bookings/mine")
    assert again.get_by_role("heading", level=1).inner_text() == words["mine"]
    card = again.locator("#my-bookings .result-card")
    assert card.count() == 1 and "走进计量实验室" in card.inner_text()
    assert_tap_targets(again, "#my-bookings a.btn", at_least=1)
    shot(again, f"4-{lang}-my-bookings")
    check_page(again)
    card.locator("a.btn").click()
    again.wait_for_url(manage_url)

    # Cancelling asks first; confirming frees the seat.
    again.locator('a[href$="/cancel"]').click()
    again.wait_for_url(re.compile(r"/cancel$"))
    assert_tap_targets(again, "main .btn", at_least=1)
    shot(again, f"5-{lang}-confirm-cancel")
    check_page(again)
    again.locator("main form button[type=submit], main form input[type=submit]").first.click()
    again.wait_for_url(manage_url)
    assert words["cancelled"] in again.locator("main").inner_text()
    check_page(again)
    db.session.rollback()
    booking = db.session.execute(sa.select(Booking)).scalar_one()
    assert (booking.status, booking.phone, booking.remarks) == ("cancelled", "+85291234567", "坐轮椅")


@pytest.mark.parametrize("lang", LANGS)
def test_waitlisted_then_promoted_and_the_lab_reads_the_remarks(
        live_server, make_page, shot, check_page, db, create_slot, create_user, book, lang):
    from openday.bookings import service
    from openday.bookings.models import CancelledBy
    slot = create_slot(capacity=2, max_party=2)
    lab_user = create_user(role="lab", lab=slot.event.lab, email=f"lab-{lang.lower()}@openday.test",
                           password=PASSWORD)
    ahead = book(slot, 2)
    page = phone_page(make_page, lang)

    page.goto(f"/slots/{slot.id}/book")
    page.locator("#name").fill("Lee Mei")
    page.locator("#phone").fill("+44 7911 123456")
    page.locator("#party_size").fill("2")
    page.locator("#remarks").fill("带 2 名儿童")
    page.locator("#consent").check()
    page.locator("#submit").click()
    page.wait_for_url(TOKEN_URL)
    assert page.locator("#waitlist-next").is_visible()
    assert "1" in page.locator("#booking-status").inner_text()
    assert page.locator(".qr svg").count() == 0
    assert page.locator('a[href$=".ics"]').count() == 0
    assert "+44 ****3456" in page.locator("main").inner_text()
    shot(page, f"1-{lang}-waitlisted")
    check_page(page)

    service.cancel(ahead, by=CancelledBy.citizen)   # someone ahead cancels: promoted
    page.reload()
    assert page.locator(".qr svg").is_visible()
    assert page.locator('a[href$=".ics"]').is_visible()
    assert page.locator("#waitlist-next").count() == 0
    shot(page, f"2-{lang}-promoted")
    check_page(page)

    lab = make_page("phone", locale=BROWSER_LOCALE[lang])
    lab.goto(f"/lang/{lang}")
    lab.goto("/login")
    lab.locator("input[name=email]").fill(lab_user.email)
    lab.locator("input[name=password]").fill(PASSWORD)
    lab.locator("main form [type=submit]").click()
    lab.wait_for_url("**/lab/")
    lab.goto(f"/lab/slots/{slot.id}/roster")
    roster = lab.locator("main table").inner_text()
    assert "带 2 名儿童" in roster and "+44 7911 123456" in roster and "Lee Mei" in roster
    shot(lab, f"3-{lang}-roster")
    check_page(lab)
