"""Accessibility beyond the journeys: the public pages in all three languages, form errors that
are announced, and a booking made with the keyboard alone."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def site(campaign, create_lab, create_event, create_slot, create_user, db):
    """A little of everything the public pages show: an event with a slot, and a notice."""
    from openday.notices.models import Notice
    event = create_event(lab=create_lab(), title="走进食品检测实验室")
    slot = create_slot(event=event, capacity=12, starts_in=timedelta(days=2))
    author = create_user(role="regulator")
    notice = Notice(title="关于第十六届检验检测机构开放日的通知", region_scope=None, author_id=author.id,
                    body="各地市场监管部门：请做好开放日组织工作，**按时**发布活动。")
    db.session.add(notice)
    db.session.commit()
    return {"event": event.id, "slot": slot.id, "notice": notice.id}


PUBLIC_PAGES = ["/", "/search?city=长沙", "/search?city=火星", "/events/{event}", "/slots/{slot}/book",
                "/login", "/labs/register", "/privacy", "/participation", "/notices/", "/notices/{notice}"]


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_public_pages_pass_axe_in_every_language(live_server, make_page, check_page, shot, site, lang):
    page = make_page("desktop" if lang != "zh_Hans" else "phone")
    page.goto(f"/lang/{lang}")
    expected = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}[lang]
    for path in PUBLIC_PAGES:
        response = page.goto(path.format(**site))
        assert response.status == 200, f"{path}: {response.status}"
        assert page.locator("html").get_attribute("lang") == expected, path
        check_page(page)
    shot(page, f"{lang}-last-page")


def test_booking_errors_are_announced_and_tied_to_their_fields(live_server, make_page, check_page, shot, site):
    page = make_page("phone")
    page.goto(f"/slots/{site['slot']}/book")
    page.get_by_label("手机号").fill("12345")
    page.get_by_role("button", name="提交预约").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("alert").first.is_visible()          # the summary is announced
    phone = page.get_by_label("手机号")
    assert phone.get_attribute("aria-invalid") == "true"
    described = phone.get_attribute("aria-describedby").split()
    messages = " ".join(page.locator(f"#{id_}").inner_text() for id_ in described)
    assert "手机号" in messages
    shot(page, "errors")
    check_page(page)


def test_a_booking_can_be_made_with_the_keyboard_alone(live_server, make_page, site):
    page = make_page("desktop")
    page.goto(f"/slots/{site['slot']}/book")
    page.keyboard.press("Tab")                              # the skip link comes first
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")

    def tab_to(label: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.labels && document.activeElement.labels[0] "
                             "&& document.activeElement.labels[0].innerText") and label in page.evaluate(
                                 "document.activeElement.labels[0].innerText"):
                return
        raise AssertionError(f"Tab never reached the field labelled {label}")

    tab_to("姓名")
    page.keyboard.type("王小明")
    tab_to("手机号")
    page.keyboard.type("13700137000")
    tab_to("人数")
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    tab_to("我已阅读并同意")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")                              # to the submit button
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/bookings/[A-Za-z0-9_\-]{40,}$"))
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", page.locator("#booking-code").inner_text().strip())
