"""Page weight on the wire, through nginx (deploy/): what a phone's first visit transfers, HTML,
CSS, JS and images, with Accept-Encoding: br, gzip, against the budgets of README.md's page
weight table; and a repeat visit transfers only the HTML, every static file it names being
cached for a year as immutable."""
from __future__ import annotations

import pytest

from tests.deploy.page_weight import booking_page, first_visit, sign_in_regulator

pytestmark = [pytest.mark.nginx, pytest.mark.xdist_group("deploy")]

KB = 1000
IMMUTABLE = "public, max-age=31536000, immutable"


def check(visit, budget_kb: int, path: str) -> None:
    print(f"\n{path}: first visit {visit.total} bytes (HTML {visit.html}); "
          + ", ".join(f"{url.rsplit('/', 1)[1]} {size}" for url, size in visit.assets.items()))
    assert visit.total <= budget_kb * KB, (path, visit.total, visit.assets)
    # A repeat visit asks for none of these again: each is stored for a year and never revalidated.
    assert visit.assets and all(cache == IMMUTABLE for cache in visit.cache.values()), visit.cache


@pytest.mark.parametrize("path", ["/", "/search?city=%E9%95%BF%E6%B2%99"])
def test_home_and_search_weigh_at_most_40_kb(stack, path):
    check(first_visit(stack.browser(), path), 40, path)


def test_a_slots_booking_page_weighs_at_most_40_kb(stack):
    browser = stack.browser()
    path = booking_page(browser)
    check(first_visit(browser, path), 40, path)


def test_public_participation_with_its_charts_weighs_at_most_350_kb(stack):
    visit = first_visit(stack.browser(), "/participation")
    assert any("echarts.custom.min." in url for url in visit.assets)  # the charts are counted
    check(visit, 350, "/participation")


def test_regulator_stats_with_its_charts_weighs_at_most_350_kb(stack):
    browser = stack.browser("127.0.0.5")
    sign_in_regulator(browser)
    visit = first_visit(browser, "/regulator/stats")
    assert any("echarts.custom.min." in url for url in visit.assets)
    check(visit, 350, "/regulator/stats")
