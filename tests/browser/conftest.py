"""Real-browser fixtures: the app served on a free local port, Debian's Chromium driven by Playwright.

* ``live_server`` — the app from ``create_app`` on a fresh SQLite file (TESTING on, CSRF on, rate
  limits off) served by werkzeug in a thread. The factories of tests/conftest.py (``create_lab``,
  ``create_user``, ...) write to the same database, so a test seeds data and then browses it.
* ``browser`` — one Chromium per xdist worker (session scope); never downloaded by Playwright.
* ``page`` — a fresh context on the live server, parametrised over a phone and a desktop viewport.
* ``shot(page, name)`` saves a full-page screenshot under test-artifacts/screenshots/;
  ``check_page(page)`` runs axe-core (no serious or critical violation) and fails on JS errors,
  CSP refusals seen so far on that page, and a page wider than the screen.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE_JS = Path(__file__).resolve().parents[1] / "assets" / "axe-core" / "axe.min.js"

DEVICES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


# ---- the app, on SQLite only, served for real ----------------------------------------------------

@pytest.fixture
def backend() -> str:
    """Browser tests need one live server, not one per database: SQLite (the file is fresh per test)."""
    return "sqlite"


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server",
                                        daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def live_server(app):
    # OPENDAY_PUBLIC_URL makes absolute links (the QR's check-in URL) point at this server.
    server = LiveServer(app)
    app.config["OPENDAY_PUBLIC_URL"] = server.url
    server.start()
    yield server
    server.stop()


# ---- Chromium ------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = (f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
                   f"(apt-get install chromium fonts-wqy-microhei)")
        pytest.fail(message, pytrace=False)  # never a silent skip: the journeys are the product
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=list(DEVICES))
def device(request) -> str:
    return request.param


class PageProblems:
    """Console errors, uncaught exceptions and CSP refusals collected while a page is open."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, message) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.errors.append(f"console {message.type}: {message.text}")

    def take(self) -> list[str]:
        found, self.errors = self.errors, []
        return found


@pytest.fixture
def make_page(browser, live_server):
    """Open another browser context (another person: a citizen, a lab, a regulator)."""
    contexts = []

    def make(device: str = "desktop", locale: str = "zh-CN"):
        context = browser.new_context(base_url=live_server.url, locale=locale,
                                      timezone_id="Asia/Shanghai", **DEVICES[device])
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.problems = PageProblems(page)
        page.device = device
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page, device):
    return make_page(device)


# ---- screenshots and checks ----------------------------------------------------------------------

@pytest.fixture
def shot(request):
    """``shot(page, "name")`` saves test-artifacts/screenshots/<test>-<device>-<name>.png."""
    folder = Path(request.config.rootpath) / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"\[.*\]$", "", request.node.name).removeprefix("test_")

    def take(page, name: str) -> Path:
        path = folder / f"{test}-{getattr(page, 'device', 'page')}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take


_AXE_SOURCE: str | None = None


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the page as it is now; the violations of the given impacts."""
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE_JS.read_text(encoding="utf-8")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern, so the
        # check runs against the real headers (a CSP-bypassing context would hide CSP mistakes).
        page.evaluate(f"() => {{ {_AXE_SOURCE}\n; window.axe = axe; }}")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
    }""")
    return [v for v in result if v["impact"] in impacts]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:5]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']} — {summary[:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


@pytest.fixture
def check_page():
    """``check_page(page)``: no serious/critical axe violation, no JS error or CSP refusal so far,
    and no sideways scrolling."""
    def check(page) -> None:
        page.wait_for_load_state("load")
        problems = page.problems.take() if hasattr(page, "problems") else []
        violations = axe_violations(page)
        messages = []
        # Nothing may push the page sideways (a wide table belongs in .table-responsive).
        overflow = page.evaluate("""() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width + 1) return null;
            const wide = [...document.querySelectorAll('body *')].filter(el => {
                const r = el.getBoundingClientRect();
                return r.right > width + 1 && getComputedStyle(el).position !== 'fixed'
                    && !el.closest('.table-responsive, .visually-hidden, .visually-hidden-focusable');
            }).slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/ +/).join('.') : ''));
            return {scroll: document.documentElement.scrollWidth, width, wide};
        }""")
        if overflow:
            messages.append(f"{page.url} is {overflow['scroll']}px wide on a {overflow['width']}px "
                            f"screen; too wide: {overflow['wide']}")
        if violations:
            messages.append(f"axe-core on {page.url}:\n{format_violations(violations)}")
        if problems:
            messages.append(f"browser errors on {page.url}:\n  " + "\n  ".join(problems))
        assert not messages, "\n".join(messages)
    return check


# ---- the stats pages' charts ---------------------------------------------------------------------

@pytest.fixture
def participation(create_lab, create_event, create_slot, book):
    """Two cities' labs with slots and bookings: something for the charts."""
    for name, city, district, kind in [("长沙海关技术中心", "430100", "430104", "tour"),
                                       ("上海市质量监督检验技术研究院", "310100", "310115", "lecture")]:
        lab = create_lab(name=name, city=city, district=district)
        slot = create_slot(event=create_event(lab=lab, kind=kind), capacity=30)
        for i in range(3):
            book(slot, 2, name=f"市民{i}")


def assert_charts_drawn_when_scrolled_to(page) -> None:
    """On a stats page just opened: a chart box below the first screen is still empty (ECharts
    runs only for charts near the screen), and every box holds ECharts' canvas once scrolled to."""
    page.wait_for_load_state("load")
    charts = page.locator(".chart")
    assert charts.count() == 4  # map, region, kind, date
    screen = page.viewport_size["height"]
    below = [i for i in range(charts.count()) if charts.nth(i).bounding_box()["y"] >= screen]
    assert below, "the date chart sits below the first screen on a phone and a desktop"
    for i in below:
        assert charts.nth(i).locator("canvas").count() == 0, charts.nth(i).get_attribute("id")
    for i in range(charts.count()):
        charts.nth(i).scroll_into_view_if_needed()
        canvas = charts.nth(i).locator("canvas").first
        canvas.wait_for(state="visible")
        assert canvas.bounding_box()["width"] > 0
