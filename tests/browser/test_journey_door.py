"""The lab at the door, in Debian's Chromium on a 390x844 phone: the check-in page's scanner reads
real bookings' QR codes from a fake camera (a .y4m made here from their check-in URLs) and checks
each person in without a reload; a party's arrived count is corrected and a check-in undone; a
lost code is found by name. Then the printed sign-in sheet and door poster as Chromium's PDFs and
PNGs under test-artifacts/print/, and the roster on a phone with its 签到时间 in view."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import segno
import sqlalchemy as sa

from openday.bookings import service
from openday.bookings.models import Booking
from openday.events.models import Slot

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DEVICES

pytestmark = pytest.mark.browser

PASSWORD = "door-password-2026"
WIDTH, HEIGHT, FPS = 640, 480, 10


def qr_plane(text: str) -> bytes:
    """The Y (luma) plane of one frame: the QR of ``text`` black on white, centred."""
    matrix = segno.make(text, error="m").matrix
    modules = len(matrix) + 8  # a quiet zone of 4 modules each side
    scale = min(WIDTH, HEIGHT) * 9 // 10 // modules
    size = modules * scale
    left, top = (WIDTH - size) // 2, (HEIGHT - size) // 2
    plane = bytearray(b"\xff" * (WIDTH * HEIGHT))
    for r, row in enumerate(matrix):
        line = bytearray()
        for dark in row:
            line += (b"\x00" if dark else b"\xff") * scale
        for dy in range(scale):
            start = (top + (r + 4) * scale + dy) * WIDTH + left + 4 * scale
            plane[start:start + len(line)] = line
    return bytes(plane)


def write_y4m(path: Path, texts: list[str], seconds_each: int = 3) -> Path:
    """A raw YUV4MPEG2 (4:2:0) video showing each text's QR in turn, the file Chromium's fake
    camera plays in a loop."""
    chroma = b"\x80" * (WIDTH // 2 * HEIGHT // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for text in texts:
            frame = b"FRAME\n" + qr_plane(text) + chroma + chroma
            for _ in range(seconds_each * FPS):
                out.write(frame)
    return path


@pytest.fixture
def door(db, campaign, create_lab, create_user, create_event, create_slot, book, travel):
    lab = create_lab(name="长沙市食品药品检验所")
    user = create_user(role="lab", lab=lab, email="door@openday.test", password=PASSWORD)
    slot = create_slot(event=create_event(lab=lab, title="走进食品检测实验室"), capacity=20)
    single = book(slot, 1, name="李雷", phone="13800001111")
    party = book(slot, 3, name="韩梅梅", phone="13900002222")
    lost = book(slot, 2, name="王小明", phone="13700004321")
    # Half an hour before the slot, on its day (check-in opens that day), for the live server too.
    travel(slot.starts_at - timedelta(minutes=30))
    return {"user": user, "slot": slot, "single": single, "party": party, "lost": lost}


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("load")
    assert "/login" not in page.url


def booking(db, code: str) -> Booking:
    db.session.rollback()
    return db.session.execute(sa.select(Booking).where(Booking.code == code)).scalar_one()


def test_the_scanner_checks_two_people_in_from_a_fake_camera_without_a_reload(
        browser, live_server, db, door, tmp_path, shot, check_page):
    codes = [door["single"].code, door["party"].code]
    with_app = live_server.app.test_request_context(base_url=live_server.url)
    with with_app:
        urls = [service.checkin_url(door["single"]), service.checkin_url(door["party"])]
    video = write_y4m(tmp_path / "qr.y4m", urls)
    camera = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera.new_context(base_url=live_server.url, locale="zh-CN",
                                     timezone_id="Asia/Shanghai", **DEVICES["phone"])
        context.grant_permissions(["camera"], origin=live_server.url)
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.device = "phone"
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        log_in(page, door["user"].email)
        page.goto("/lab/checkin")
        page.evaluate("() => { window.sameDocument = true; }")
        page.get_by_role("button", name="开始扫码").click()
        for code in codes:
            card = page.locator(f'.scan-result[data-code="{code}"]').first
            card.wait_for()
            assert card.get_attribute("data-outcome") == "checked_in", card.inner_text()
            assert "alert-success" in card.get_attribute("class")
        assert page.evaluate("() => window.sameDocument === true")  # no reload between people
        shot(page, "scanned")
        assert [booking(db, c).checked_in_at is not None for c in codes] == [True, True]
        assert booking(db, codes[1]).arrived == 3

        # Of the party of 3 only 2 came: corrected on its card; the first check-in was a mistake.
        party_card = page.locator(f'.scan-result[data-code="{codes[1]}"]').first
        party_card.get_by_label("到场人数").select_option("2")
        party_card.get_by_role("button", name="更正人数").click()
        page.locator(f'.scan-result[data-code="{codes[1]}"][data-outcome="corrected"]').wait_for()
        single_card = page.locator(f'.scan-result[data-code="{codes[0]}"]').first
        single_card.get_by_role("button", name="撤销签到").click()
        page.locator(f'.scan-result[data-code="{codes[0]}"][data-outcome="undone"]').wait_for()
        assert booking(db, codes[1]).arrived == 2
        assert booking(db, codes[0]).checked_in_at is None
        db.session.rollback()
        assert db.session.get(Slot, door["slot"].id).checked_in_people == 2
        page.get_by_role("button", name="停止扫码").click()

        # A lost code: found by name, checked in from the list, still without a reload.
        page.get_by_placeholder("姓名或手机号后 4 位").fill("小明")
        page.get_by_role("button", name="查找").click()
        item = page.locator(".search-item", has_text="王小明")
        item.wait_for()
        assert "13700004321" in item.inner_text()
        item.get_by_role("button", name="签到").click()
        lost = door["lost"].code
        page.locator(f'.scan-result[data-code="{lost}"][data-outcome="checked_in"]').wait_for()
        assert page.evaluate("() => window.sameDocument === true")
        assert booking(db, lost).checked_in_at is not None
        shot(page, "after-search")
        page.problems = type("NoProblems", (), {"take": lambda self: errors})()
        check_page(page)
    finally:
        camera.close()


def test_partial_check_in_and_undo_with_the_plain_forms(make_page, live_server, db, door,
                                                         check_page):
    page = make_page("phone")
    log_in(page, door["user"].email)
    code = door["party"].code
    page.goto(f"/lab/checkin?code={code}")
    page.get_by_label("到场人数").fill("2")
    page.get_by_role("button", name=re.compile("确认签到")).click()
    page.wait_for_url(re.compile(r"checked="))
    assert "到场 2 人" in page.locator("main").inner_text()
    assert booking(db, code).arrived == 2
    check_page(page)
    page.locator("#booking-card").get_by_role("button", name="撤销签到").click()
    page.wait_for_load_state("load")
    assert "已撤销" in page.locator("main").inner_text()
    assert booking(db, code).checked_in_at is None


def test_the_sign_in_sheet_and_poster_print_to_a4_pdfs(make_page, live_server, db, door,
                                                        check_page):
    out = Path(__file__).resolve().parents[2] / "test-artifacts" / "print"
    out.mkdir(parents=True, exist_ok=True)
    page = make_page("desktop")
    log_in(page, door["user"].email)
    slot = door["slot"]
    for name, url in [("sign-in-sheet", f"/lab/slots/{slot.id}/sign-in-sheet"),
                      ("poster", f"/lab/events/{slot.event_id}/poster")]:
        page.goto(url)
        check_page(page)
        page.emulate_media(media="print")
        assert not page.locator(".print-toolbar").is_visible()  # no buttons or navigation on paper
        assert page.locator("nav, header.navbar").count() == 0
        pdf = out / f"{name}.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
        body = pdf.read_bytes()
        assert body.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", body))
        assert pages == 1, f"{name}: {pages} pages"
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi, as on paper
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        page.emulate_media(media="screen")
    page.goto(f"/lab/slots/{slot.id}/sign-in-sheet")
    text = page.locator("main").inner_text()
    assert "韩梅梅" in text and "139****2222" in text and "签名" in text


def test_the_roster_keeps_its_check_in_time_in_view_on_a_phone(make_page, live_server, db, door,
                                                               shot, check_page):
    from openday.bookings import staff
    staff.check_in(door["slot"].lab_id, door["party"].code, arrived=2)
    page = make_page("phone")
    log_in(page, door["user"].email)
    page.goto(f"/lab/slots/{door['slot'].id}/roster")
    row = page.locator("tr", has_text="韩梅梅")
    cell = row.locator("td.checked-in-at")
    assert cell.is_visible()
    box = cell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert "签到时间" in cell.evaluate("el => getComputedStyle(el, '::before').content")
    assert "到场 2/3 人" in cell.inner_text()
    shot(page, "roster")
    check_page(page)
