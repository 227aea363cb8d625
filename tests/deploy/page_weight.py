"""What a phone's first visit to a page transfers: the HTML and every stylesheet, script, icon and
image it names, each asked for with ``Accept-Encoding: br, gzip`` and counted as sent (body bytes,
compressed where the server compressed). ``python -m tests.deploy.page_weight PORT [--http]``
prints the table README.md keeps, for a server holding the demo."""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass

LINKED = re.compile(r'<(?:script[^>]*\bsrc|link[^>]*\bhref|img[^>]*\bsrc)="([^"]+)"[^>]*>')
KEPT = re.compile(r'<link[^>]*rel="(?:stylesheet|icon|preload|modulepreload)"|<script|<img')
# a bundle a page's script fetches once the page has loaded (ECharts on the stats pages)
BUNDLE = re.compile(r'<script[^>]*\bdata-bundle="([^"]+)"')


@dataclass
class Visit:
    html: int
    assets: dict  # path -> bytes sent
    cache: dict  # path -> Cache-Control

    @property
    def total(self) -> int:
        return self.html + sum(self.assets.values())


def first_visit(browser, path: str) -> Visit:
    page = browser.get(path)
    assert page.status == 200, (path, page.status)
    html = page.body
    if page.header("Content-Encoding") == "br":
        import brotli
        html = brotli.decompress(html)
    elif page.header("Content-Encoding") == "gzip":
        import gzip
        html = gzip.decompress(html)
    assets, cache = {}, {}
    text = html.decode()
    linked = [m.group(1) for m in LINKED.finditer(text) if KEPT.match(m.group(0))]
    for url in linked + BUNDLE.findall(text):
        if not url.startswith("/"):
            continue
        url = url.replace("&amp;", "&")
        answer = browser.get(url)
        assert answer.status == 200, (url, answer.status)
        assets[url] = len(answer.body)
        cache[url] = answer.header("Cache-Control")
    return Visit(len(page.body), assets, cache)


def booking_page(browser) -> str:
    results = browser.get("/search?city=%E9%95%BF%E6%B2%99", **{"Accept-Encoding": "identity"})
    return re.search(r'href="(/slots/\d+/book)"', results.body.decode()).group(1)


def sign_in_regulator(browser) -> None:
    from openday.demo import DEMO_PASSWORD, REGULATOR_EMAIL
    answer = browser.submit("/login", {"email": REGULATOR_EMAIL, "password": DEMO_PASSWORD})
    assert answer.status in (302, 303), answer.status


def main(argv: list[str]) -> None:
    from tests.deploy.conftest import Browser
    browser = Browser(int(argv[0]), tls="--http" not in argv)
    pages = ["/", "/search?city=%E9%95%BF%E6%B2%99", booking_page(browser), "/participation"]
    rows = [(path, first_visit(browser, path)) for path in pages]
    sign_in_regulator(browser)
    rows.append(("/regulator/stats", first_visit(browser, "/regulator/stats")))
    for path, visit in rows:
        print(f"{path:40} first visit {visit.total / 1000:8.1f} KB  "
              f"(HTML {visit.html / 1000:.1f} KB)")


if __name__ == "__main__":
    main(sys.argv[1:])
