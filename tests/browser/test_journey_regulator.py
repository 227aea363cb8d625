"""The regulator's desk in a real browser, on a desktop and a phone: the stats page with the map
of China drawn, a click on a province drilling into its cities and back, the queue, and the
one-page report printed to PDF by Chromium (test-artifacts/regulator-report-*.pdf)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest


pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def sign_in(page, user) -> None:
    page.goto("/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/regulator/"))


def wait_for_map(page) -> None:
    page.locator("#chart-map").scroll_into_view_if_needed()
    page.wait_for_selector("#chart-map[data-drawn='1'] canvas", state="visible")


def click_region(page, lon: float, lat: float) -> None:
    """Click the map where (lon, lat) is drawn."""
    box = page.locator("#chart-map").bounding_box()
    x, y = page.evaluate("""([lon, lat]) => {
        const chart = echarts.getInstanceByDom(document.getElementById('chart-map'));
        return chart.convertToPixel({seriesIndex: 0}, [lon, lat]);
    }""", [lon, lat])
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_the_regulators_journey_with_the_map(live_server, page, shot, check_page, create_user,
                                             create_lab, campaign, participation):
    create_lab(name="待审核的长沙机构", status="pending", city="430100", district="430104")
    sign_in(page, create_user(role="regulator"))
    page.goto("/regulator/stats?measure=people")
    wait_for_map(page)
    assert page.locator("#chart-map-title").inner_text() == "地图 · 预约人数"
    # The measure is named and explained where it is first shown, and 到场率 says what it counts.
    assert "参与人次 = 签到人数 + 现场来访人数" in page.locator(".stats-figures").inner_text()
    assert "未开始" in page.locator(".stats-figures").inner_text()
    shot(page, "stats-map")
    page.screenshot(path=str(ARTIFACTS / "screenshots" / f"regulator-{page.device}-first-screens.png"),
                    clip={"x": 0, "y": 0, "width": page.viewport_size["width"],
                          "height": page.viewport_size["height"] * 2}, full_page=True)
    page.locator("#chart-map").screenshot(
        path=str(ARTIFACTS / "screenshots" / f"regulator-{page.device}-country-map.png"))
    # 湖南 (长沙 112.98E 28.19N): the map drills into its cities, and back.
    click_region(page, 112.0, 27.6)
    page.wait_for_function(
        "() => document.getElementById('chart-map-title').textContent.startsWith('湖南省')")
    assert page.locator("#chart-map-back").is_visible()
    page.locator("#chart-map").scroll_into_view_if_needed()
    page.locator("#chart-map").screenshot(
        path=str(ARTIFACTS / "screenshots" / f"regulator-{page.device}-hunan-cities.png"))
    page.click("#chart-map-back")
    page.wait_for_function(
        "() => document.getElementById('chart-map-title').textContent.startsWith('地图')")
    for id_ in ("chart-region", "chart-kind", "chart-date"):
        page.locator(f"#{id_}").scroll_into_view_if_needed()
        page.wait_for_selector(f"#{id_}[data-drawn='1'] canvas", state="visible")
    check_page(page)
    # Another measure, once, for every chart.
    page.select_option("select[name=measure]", "bookings")
    page.click("form[aria-label] button[type=submit]")
    wait_for_map(page)
    assert page.locator("#chart-map-title").inner_text() == "地图 · 预约单数"
    # The queue, searched.
    page.goto("/regulator/labs")
    page.fill("input[name=q]", "长沙")
    page.click("form[role=search] button[type=submit]")
    assert "待审核的长沙机构" in page.locator("#queue").inner_text()
    shot(page, "queue")
    check_page(page)


def test_the_report_prints_on_one_a4_page(live_server, make_page, create_user, campaign,
                                          participation, create_lab, create_event, create_slot,
                                          book):
    # More cities than the top and bottom five, so both lists are printed.
    for n, (city, district) in enumerate([("430200", "430202"), ("430300", "430302"),
                                          ("430400", "430405"), ("420100", "420102"),
                                          ("440100", "440103"), ("510100", "510104")]):
        lab = create_lab(name=f"第{n}检测所", city=city, district=district)
        slot = create_slot(event=create_event(lab=lab, kind="free_testing"), capacity=40)
        for i in range(n + 1):
            book(slot, 2, name=f"市民{i}")
    page = make_page("desktop")
    sign_in(page, create_user(role="regulator"))
    page.goto("/regulator/stats/report?measure=people")
    for id_ in ("chart-map", "chart-region", "chart-kind", "chart-date"):
        page.wait_for_selector(f"#{id_}[data-drawn='1'] canvas", state="attached")
    page.emulate_media(media="print")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "regulator-report.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages == 1, f"{pages} pages"
    # A picture of it for a person to look at.
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf),
                    str(ARTIFACTS / "regulator-report")], check=True)
    assert (ARTIFACTS / "regulator-report.png").stat().st_size > 10_000
