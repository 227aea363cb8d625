"""Fragments rendered once and remembered (the anonymous header and footer, the search form):
each must still be what that reader, on that page, in that language, should see."""
from __future__ import annotations

import re
from urllib.parse import unquote

from flask_babel import refresh


def _language_links(html: str) -> list[str]:
    return [unquote(link) for link in re.findall(r'class="dropdown-item" lang="[^"]+" href="([^"]+)"', html)]


def test_the_language_links_lead_back_to_each_page(client, db):
    privacy = _language_links(client.get("/privacy").get_data(as_text=True))
    search = _language_links(client.get("/search?city=上海").get_data(as_text=True))
    assert len(privacy) == len(search) == 3
    assert all("next=/privacy" in link for link in privacy)
    assert all("next=/search?city=上海" in link for link in search)


def test_the_header_speaks_the_readers_language(client, db):
    chinese = client.get("/privacy").get_data(as_text=True)
    refresh()  # the test's app context outlives the request; a server's next request would not
    english = client.get("/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "机构报名" in chinese and "机构报名" not in english
    refresh()
    assert "机构报名" in client.get("/privacy").get_data(as_text=True)


def test_a_signed_in_header_is_never_shown_to_anyone_else(app, client, db, national):
    mine = client.get("/privacy").get_data(as_text=True)
    assert "监管工作台" in mine and 'name="csrf_token"' in mine  # the logout form
    anonymous = app.test_client().get("/privacy").get_data(as_text=True)
    assert "监管工作台" not in anonymous and 'name="csrf_token"' not in anonymous
    assert "登录" in anonymous
    # and the remembered anonymous header is not what the signed-in user gets next
    assert "监管工作台" in client.get("/privacy").get_data(as_text=True)


def test_the_search_form_shows_each_querys_values(client, db):
    first = client.get("/search?city=上海&kind=quiz&q=计量").get_data(as_text=True)
    assert 'value="上海"' in first and 'value="计量"' in first
    assert re.search(r'<option value="quiz" selected>', first)
    second = client.get("/search?city=长沙").get_data(as_text=True)
    assert 'value="长沙"' in second and 'value="计量"' not in second
    assert not re.search(r'<option value="[a-z_]+" selected>', second)


def test_the_search_form_escapes_what_it_echoes(client, db):
    html = client.get('/search?q="><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html


def test_the_remembered_header_is_what_rendering_it_for_the_page_gives(app, db):
    """The anonymous header is rendered once with a marker for the address and the address put
    in after: byte for byte what rendering it for that address gives, quoting and escaping
    included."""
    from flask import get_template_attribute, request

    from openday.web import chrome

    paths = ["/search?city=长沙&kind=tour&q=a+b%26c", "/privacy", "/search?q=\"><'x'&page=2",
             "/events/7?lang=en", "/search?city=%E9%95%BF&q=50%25!$()*,;:@"]
    for path in paths:
        with app.test_request_context(path):
            for part in ("site_header", "site_footer"):
                expected = get_template_attribute("_chrome.html", part)(None, request.full_path)
                assert chrome(part) == expected
                assert chrome(part) == expected  # and again, from memory
