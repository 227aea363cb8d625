"""deploy/nginx-openday.conf in front of gunicorn, as an operator runs it (deploy/README.md): the
client's address reaches the app, pages and JSON are compressed, static files are cached for a
year, bodies over 1 MB are refused, and a citizen books through it."""
from __future__ import annotations

import gzip
import re

import brotli
import pytest

pytestmark = [pytest.mark.nginx, pytest.mark.xdist_group("deploy")]

STATIC = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def failed_login(browser, n: int, **headers):
    page = browser.text("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    from urllib.parse import urlencode
    body = urlencode({"csrf_token": token, "email": f"nobody{n}@example.cn",
                      "password": "wrong-password"}).encode()
    return browser.request("POST", "/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": "https://openday.example.cn/login", **headers}).status


def test_the_app_limits_the_address_nginx_forwards(stack):
    """Failed logins are limited per client address (3 per hour here). Every request reaches
    gunicorn from nginx's 127.0.0.1: only if the app takes the address nginx appends to
    X-Forwarded-For (OPENDAY_PROXY_HOPS=1) does a second client keep its own allowance, and only
    if it trusts that last entry alone can a client not buy a fresh one with a forged header."""
    first, second = stack.browser("127.0.0.2"), stack.browser("127.0.0.3")
    assert [failed_login(first, n) for n in range(3)] == [200, 200, 200]
    assert failed_login(first, 3) == 429
    assert failed_login(first, 4, **{"X-Forwarded-For": "198.51.100.7"}) == 429
    assert failed_login(second, 5) == 200


@pytest.mark.parametrize("path, kind", [
    ("/", "text/html"), ("/api/v1/openapi.json", "application/json"),
    ("/search?city=%E9%95%BF%E6%B2%99", "text/html")])
def test_pages_and_json_are_gzipped(stack, path, kind):
    browser = stack.browser()
    response = browser.get(path, **{"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.header("Content-Type").startswith(kind)
    assert response.header("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in response.header("Vary")
    assert response.header("Strict-Transport-Security") == "max-age=31536000"
    plain = gzip.decompress(response.body)
    assert len(response.body) < len(plain) / 2
    assert plain == browser.get(path, **{"Accept-Encoding": "identity"}).body


def test_static_files_are_hashed_immutable_and_precompressed(stack):
    browser = stack.browser()
    names = STATIC.findall(browser.text("/"))
    css = next(name for name in names if "bootstrap.min." in name)
    assert re.search(r"\.[0-9a-f]{12}\.css$", css), css  # the name carries the content's hash
    plain = browser.get(css, **{"Accept-Encoding": "identity"})
    assert plain.status == 200 and not plain.header("Content-Encoding")
    assert plain.header("Cache-Control") == "public, max-age=31536000, immutable"
    assert "Cookie" not in plain.header("Vary")
    as_brotli = browser.get(css, **{"Accept-Encoding": "br, gzip"})
    assert as_brotli.header("Content-Encoding") == "br"
    assert brotli.decompress(as_brotli.body) == plain.body
    as_gzip = browser.get(css, **{"Accept-Encoding": "gzip"})
    assert as_gzip.header("Content-Encoding") == "gzip"
    assert gzip.decompress(as_gzip.body) == plain.body
    for response in (as_brotli, as_gzip):
        assert response.header("Cache-Control") == "public, max-age=31536000, immutable"
        assert "Accept-Encoding" in response.header("Vary")
    # nginx sends the very files the app built (the .br is the one on disk, not recompressed).
    assert as_brotli.body == (stack.assets / css.lstrip("/")).with_name(
        css.rsplit("/", 1)[1] + ".br").read_bytes()
    # A name that is not a built copy goes on to the app, which answers it without that promise.
    unhashed = browser.get("/static/css/openday.css")
    assert unhashed.status == 200
    assert "immutable" not in unhashed.header("Cache-Control")


def test_bodies_over_one_megabyte_are_refused(stack):
    browser = stack.browser()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    too_big = browser.request("POST", "/login", body=b"a=" + b"x" * (1024 * 1024), headers=headers)
    assert too_big.status == 413
    under = browser.request("POST", "/login", body=b"a=" + b"x" * (1000 * 1000), headers=headers)
    assert under.status != 413  # it reached the app (which wants its CSRF token: 400)
    assert under.status == 400


def test_plain_http_is_sent_to_https(stack):
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=10)
    connection.request("GET", "/search?city=x", headers={"Host": "openday.example.cn"})
    answer = connection.getresponse()
    assert answer.status == 301
    assert answer.getheader("Location") == "https://openday.example.cn/search?city=x"
    connection.close()


def test_a_booking_end_to_end_through_nginx(stack):
    browser = stack.browser("127.0.0.4")
    results = browser.text("/search?city=%E9%95%BF%E6%B2%99")
    slot_paths = re.findall(r'href="(/slots/\d+/book)"', results)
    assert slot_paths, "the demo has bookable slots in 长沙"
    book = slot_paths[0]
    answer = browser.submit(book, {"name": "张三", "phone": "13800138000", "party_size": "1",
                                   "consent": "y"})
    assert answer.status in (302, 303), answer.body[:500]
    manage = answer.header("Location")
    assert re.search(r"/bookings/[^/]+$", manage), manage
    page = browser.get(manage.replace("https://openday.example.cn", ""),
                       **{"Accept-Encoding": "identity"})
    assert page.status == 200
    assert "张三" in page.body.decode()
