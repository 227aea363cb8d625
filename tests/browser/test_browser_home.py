"""The home page in a real browser (issue 2's must-show): search box, language, a phone screenshot."""
import pytest

pytestmark = pytest.mark.browser


def test_home_on_a_phone_shows_the_city_search_in_simplified_chinese(make_page, shot, check_page):
    page = make_page("phone")
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    search = page.get_by_role("search").get_by_role("textbox")
    assert search.is_visible()
    assert search.get_attribute("name") == "city"
    path = shot(page, "home")
    assert path.stat().st_size > 10_000
    check_page(page)
    # Nothing wider than the phone: no sideways scrolling on a 390px screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_phone_menu_opens_and_the_language_switcher_remembers_the_choice(make_page, shot, check_page):
    page = make_page("phone")
    page.goto("/")
    menu = page.get_by_role("button", name="展开菜单")
    assert page.get_by_role("link", name="找活动").is_hidden()
    menu.click()
    page.locator("#nav-main.show:not(.collapsing)").wait_for()   # the opening animation is over
    assert page.get_by_role("link", name="找活动").is_visible()
    assert menu.get_attribute("aria-expanded") == "true"
    page.get_by_role("button", name="语言").click()
    page.get_by_role("link", name="English").wait_for(state="visible")
    shot(page, "menu-open")
    check_page(page)
    page.get_by_role("link", name="繁體中文").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    page.goto("/login")                                    # remembered on the next page
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    assert page.get_by_role("heading", level=1).inner_text() == "登入"
    shot(page, "login-zh-Hant")
    check_page(page)
