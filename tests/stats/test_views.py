"""The regulator's dashboard and stats page, its CSV, and the public participation page."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

from openday.stats import service
from tests.stats.world import KNOWN_PHONE, KNOWN_PHONE_MASKED, figures_from_tables


def _num(n: int) -> str:
    return f"{n:,}"


def _chart_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="stats-data">(.*?)</script>', html, re.S)
    assert match, "no chart data block"
    return json.loads(match.group(1))


def _csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # BOM: spreadsheets read it as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_regulator_stats_shows_the_totals_with_charts(client, db, world, national):
    page = client.get("/regulator/stats")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    expected = figures_from_tables(db, world)
    for figure in ("visits", "labs", "events", "slots", "capacity", "people", "checked_in"):
        assert f'<div class="fs-4 fw-semibold">{_num(expected[figure])}</div>' in html, figure
    assert "湖南省" in html and "上海市" in html
    data = _chart_data(html)
    assert data["region"]["names"] == ["上海市", "湖南省"]
    # One measure for every chart: 参与人次 unless the reader chooses another.
    assert data["measure"] == "visits" and data["label"] == "参与人次"
    assert sum(data["region"]["values"]) == expected["visits"]
    assert sum(data["dates"]["values"]) == expected["visits"]
    assert sum(k["value"] for k in data["kinds"]) == expected["visits"]
    assert sum(r["visits"] for r in data["map"]["regions"]) == expected["visits"]
    for measure in ("people", "bookings", "checked_in"):
        chosen = _chart_data(client.get(f"/regulator/stats?measure={measure}").get_data(as_text=True))
        assert chosen["measure"] == measure
        for values in (chosen["region"]["values"], chosen["dates"]["values"],
                       [k["value"] for k in chosen["kinds"]]):
            assert sum(values) == expected[measure], measure
    # stats.js fetches ECharts itself, after the page has loaded
    assert 'src="/static/js/stats.js" data-bundle="/static/vendor/echarts/echarts.custom.min.js"' in html
    assert 'src="/static/vendor/echarts/' not in html
    assert "is-invalid" not in html  # no filter chosen is no error


def test_pages_carry_no_inline_script_or_style(client, world, national):
    for url in ("/regulator/stats", "/regulator/", "/participation"):
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        assert " style=" not in html, url


def test_no_phone_number_on_the_stats_page_or_its_csv(client, world, national):
    pages = [client.get("/regulator/stats"), client.get("/regulator/"),
             client.get("/participation")]
    for group_by in service.GROUPINGS:
        pages.append(client.get(f"/regulator/stats.csv?group_by={group_by}"))
    for response in pages:
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert KNOWN_PHONE not in body and KNOWN_PHONE_MASKED not in body
        assert "张三" not in body  # nor a citizen's name


def test_csv_export_of_the_table(client, db, world, national):
    rows = _csv(client.get("/regulator/stats.csv"))
    header, *groups, total = rows
    # The columns of the screen's table, in its order.
    assert header[:4] == ["代码", "名称", "参与人次", "参与机构"]
    assert [row[0] for row in groups] == ["310000", "430000"]
    expected = figures_from_tables(db, world)
    figures = dict(zip(service.SCREEN_ORDER, total[2:]))
    assert {k: int(figures[k]) for k in service.FIGURES} == {k: expected[k] for k in service.FIGURES}
    assert figures["attendance_rate"] == "未开始"  # no slot of the world has ended yet
    by_kind = _csv(client.get("/regulator/stats.csv?group_by=kind"))
    # A kind by its name, never its code.
    assert by_kind[0][0] == "名称"
    assert [row[0] for row in by_kind[1:-1]] == ["实地参观", "科普讲座", "便民检测", "知识问答"]
    assert not any("tour" in cell for row in by_kind for cell in row)
    assert client.get("/regulator/stats.csv?group_by=lab").status_code == 400


def test_csv_header_and_api_groups_have_the_same_columns(client, world, national):
    header, first, *_rest = _csv(client.get("/regulator/stats.csv"))
    assert header == [service.COLUMN_LABELS[c] for c in service.GROUP_COLUMNS]  # zh_Hans msgids
    assert len(first) == len(header)
    groups = client.get("/api/v1/stats").get_json()["groups"]
    assert groups and all(set(group) == set(service.GROUP_COLUMNS) for group in groups)
    # Every figure a group has is a column, and every column is one of a group's figures.
    assert set(service.GROUP_COLUMNS) == set(service.Group().as_dict())


def test_filters_for_campaign_province_and_kind(client, db, world, national):
    html = client.get(f"/regulator/stats?campaign={world.previous.year}").get_data(as_text=True)
    old = figures_from_tables(db, world, campaign=world.previous)
    assert _chart_data(html)["region"]["values"] == [old["visits"]]
    html = client.get("/regulator/stats?province=430000&kind=tour").get_data(as_text=True)
    data = _chart_data(html)
    assert data["region"]["names"] == ["长沙市"]  # a province's page groups by city
    assert data["region"]["values"] == [
        figures_from_tables(db, world, province="430000", kind="tour")["visits"]]
    rows = _csv(client.get("/regulator/stats.csv?province=310000&group_by=city"))
    assert [row[1] for row in rows[1:-1]] == ["上海市"]


def test_bad_filters_fall_back_to_the_defaults(client, db, world, national):
    page = client.get("/regulator/stats?campaign=1999&province=xx&kind=party")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("is-invalid") == 3  # each bad filter says so
    data = _chart_data(page.get_data(as_text=True))
    assert sum(data["region"]["values"]) == figures_from_tables(db, world)["visits"]


def test_a_provincial_regulator_sees_only_its_province(client, db, world, hunan):
    html = client.get("/regulator/stats").get_data(as_text=True)
    expected = figures_from_tables(db, world, province="430000")
    assert f'<div class="fs-4 fw-semibold">{_num(expected["visits"])}</div>' in html
    data = _chart_data(html)
    assert data["region"]["names"] == ["长沙市", "株洲市"]
    assert "上海市" not in html
    # Asking for another province changes nothing: it is not among its choices.
    other = client.get("/regulator/stats?province=310000").get_data(as_text=True)
    assert _chart_data(other) == data and "上海市" not in other
    for url in ("/regulator/stats.csv", "/regulator/stats.csv?province=310000",
                "/regulator/stats.csv?group_by=kind", "/regulator/stats.csv?group_by=date"):
        rows = _csv(client.get(url))
        assert "上海市" not in str(rows) and "310000" not in str(rows)
        total = dict(zip(service.SCREEN_ORDER, rows[-1][-len(service.SCREEN_ORDER):]))
        assert {k: int(total[k]) for k in service.FIGURES} == {
            k: expected[k] for k in service.FIGURES}, url
    home = client.get("/regulator/").get_data(as_text=True)
    assert "湖南省" in home and f"{_num(expected['visits'])}" in home


@pytest.mark.parametrize("url", ["/regulator/", "/regulator/stats", "/regulator/stats.csv"])
def test_only_regulators_and_admins(client, create_user, create_lab, login, url, campaign):
    assert client.get(url).status_code == 302  # anonymous: to the login page
    login(create_user(role="lab", lab=create_lab()))
    assert client.get(url).status_code == 403
    for role in ("regulator", "admin"):
        client.delete_cookie("session")  # another browser
        login(create_user(role=role))
        assert client.get(url).status_code == 200, role


def test_admin_sees_everything(client, db, world, create_user, login):
    login(create_user(role="admin"))
    data = _chart_data(client.get("/regulator/stats").get_data(as_text=True))
    assert sum(data["region"]["values"]) == figures_from_tables(db, world)["visits"]


def test_regulator_home_links_to_its_work(client, world, create_lab, hunan):
    create_lab(name="待审核", status="pending", city="430100")
    create_lab(name="别省待审核", status="pending", city="310100", district="310101")
    html = client.get("/regulator/").get_data(as_text=True)
    assert 'href="/regulator/labs"' in html
    assert 'href="/regulator/notices"' in html and 'href="/regulator/stats"' in html
    assert "待审核机构：1 家" in html


def test_regulator_pages_without_any_campaign(client, national):
    assert client.get("/regulator/").status_code == 200
    assert client.get("/regulator/stats").status_code == 200
    assert client.get("/participation").status_code == 200
    assert client.get("/regulator/stats.csv").status_code == 404


def test_public_participation_page(client, db, world):
    page = client.get("/participation")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    expected = figures_from_tables(db, world)
    assert f'<div class="fs-4 fw-semibold">{_num(expected["visits"])}</div>' in html
    assert "湖南省" in html and "实地参观" in html
    assert "导出 CSV" not in html  # the export is the regulators'
    assert "is-invalid" not in html
    assert _chart_data(html)["region"]["names"] == ["上海市", "湖南省"]
    assert KNOWN_PHONE not in html and "长沙检测所" not in html


def test_public_page_in_english(client, world):
    assert client.get("/participation?lang=en").status_code == 200
