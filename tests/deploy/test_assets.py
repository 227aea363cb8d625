"""Static files under content-hashed names (openday/assets.py): built once with Brotli and gzip
beside them, named by url_for('static', …), served by WhiteNoise for a year as immutable; and the
description and Open Graph tags every page carries (templates/base.html)."""
from __future__ import annotations

import gzip
import json
import re

import brotli
import pytest

from openday.assets import IMMUTABLE, build, hashed_name

STATIC = re.compile(r'(?:src|href)="(/static/[^"]+)"')


@pytest.fixture
def backend() -> str:
    return "sqlite"  # nothing here touches the database's dialect


@pytest.fixture
def app_config(tmp_path) -> dict:
    return {"OPENDAY_ASSETS_DIR": str(tmp_path / "assets"),
            "OPENDAY_PUBLIC_URL": "https://openday.example.cn/"}


def test_the_hash_is_of_the_content_and_the_extension_stays_last():
    assert hashed_name("css/openday.css", b"a") == "css/openday.ca978112ca1b.css"
    assert hashed_name("vendor/x.min.js", b"a") == "vendor/x.min.ca978112ca1b.js"
    assert hashed_name("vendor/LICENSE", b"a") == "vendor/LICENSE.ca978112ca1b"
    assert hashed_name("css/openday.css", b"b") != hashed_name("css/openday.css", b"a")


def test_build_writes_hashed_copies_with_smaller_variants_and_keeps_old_ones(tmp_path):
    source, target = tmp_path / "static", tmp_path / "assets"
    (source / "css").mkdir(parents=True)
    (source / "vendor" / "src").mkdir(parents=True)
    css = b".a { color: red; }\n" * 200
    (source / "css" / "site.css").write_bytes(css)
    (source / "tiny.svg").write_bytes(b"<svg/>")
    (source / "vendor" / "src" / "entry.js").write_bytes(b"import 'x';")
    manifest = build(source, target)
    hashed = manifest["css/site.css"]
    assert hashed == hashed_name("css/site.css", css)
    assert "vendor/src/entry.js" not in manifest  # make vendor's input, not a page's
    copy = target / "static" / hashed
    assert copy.read_bytes() == css
    assert brotli.decompress(copy.with_name(copy.name + ".br").read_bytes()) == css
    assert gzip.decompress(copy.with_name(copy.name + ".gz").read_bytes()) == css
    tiny = target / "static" / manifest["tiny.svg"]
    assert tiny.exists() and not tiny.with_name(tiny.name + ".br").exists()  # no smaller
    assert json.loads((target / "manifest.json").read_text()) == manifest

    (source / "css" / "site.css").write_bytes(css + b".b { color: blue; }\n")
    again = build(source, target)
    assert again["css/site.css"] != hashed
    assert copy.exists()  # a page rendered before the change may still name the old one


def test_pages_name_hashed_files_served_immutable_in_brotli(client):
    html = client.get("/").get_data(as_text=True)
    names = STATIC.findall(html)
    assert names and all(re.search(r"\.[0-9a-f]{12}(\.[a-z]+)?$", name) for name in names), names
    css = next(name for name in names if "/bootstrap.min." in name)
    response = client.get(css, headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Cookie" not in response.headers.get("Vary", "")
    plain = client.get(css, headers={"Accept-Encoding": "identity"})
    assert brotli.decompress(response.data) == plain.data
    assert plain.data.startswith(b"@charset") or b"bootstrap" in plain.data[:200].lower()


def test_an_unknown_name_is_left_to_flask(client):
    response = client.get("/static/css/openday.css")
    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_every_page_has_a_description_and_open_graph_tags(client):
    # Percent-encoded, as browsers send it.
    html = client.get("/search?city=%E9%95%BF%E6%B2%99").get_data(as_text=True)
    title = re.search(r"<title>(.*?) · openday</title>", html).group(1)
    assert re.search(r'<meta name="description" content="[^"]{10,}">', html)
    assert f'<meta property="og:title" content="{title}">' in html
    assert '<meta property="og:type" content="website">' in html
    assert ('<meta property="og:url" '
            'content="https://openday.example.cn/search?city=%E9%95%BF%E6%B2%99">' in html)


def test_without_a_public_address_og_url_is_the_requested_one(app, client):
    app.config["OPENDAY_PUBLIC_URL"] = ""
    html = client.get("/participation").get_data(as_text=True)
    assert '<meta property="og:url" content="http://localhost/participation">' in html
    description = re.search(r'<meta name="description" content="([^"]+)">', html).group(1)
    og = re.search(r'<meta property="og:description" content="([^"]+)">', html).group(1)
    assert og == description
