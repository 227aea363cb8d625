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
