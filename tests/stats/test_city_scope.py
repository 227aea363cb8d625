"""A municipal bureau: a regulator scoped to one city (PPCC00) sees that city only, on every
page and in every export."""
from __future__ import annotations

import csv
import io
import json
import re

import openpyxl
import pytest

from openday.stats import service
from tests.stats.world import figures_from_tables


@pytest.fixture
def changsha(create_user, login):
    user = create_user(role="regulator", region_scope="430100")
    login(user)
    return user


def _chart(html):
    return json.loads(re.search(r'id="stats-data">(.*?)</script>', html, re.S).group(1))


def test_the_admin_can_create_a_city_regulator(client, db, create_user, login):
    from openday.accounts.models import User
    login(create_user(role="admin"))
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="430100"' in form and "湖南省 · 长沙市" in form
    response = client.submit("/admin/users/new", {
        "region_scope": "430100", "name": "长沙市市场监管局", "email": "cs@samr.example.cn",
        "password": "a long enough password", "confirm": "a long enough password"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    user = db.session.execute(db.select(User).where(User.email == "cs@samr.example.cn")).scalar_one()
    assert user.scope.level == "city" and user.scope.covers("430104")
    assert not user.scope.covers("430202")


def test_a_city_regulator_sees_only_its_city(client, db, world, changsha):
    changsha_lab, zhuzhou_lab = world.labs["cs"], world.labs["zz"]
    html = client.get("/regulator/stats").get_data(as_text=True)
    chart = _chart(html)
    assert chart["region"]["names"] == ["长沙市"]
    # (The map's data block names every city of the province's map; the page's text does not.)
    text = re.sub(r'<script type="application/json" id="stats-data">.*?</script>', "", html,
                  flags=re.S)
    assert "株洲" not in text and "上海" not in text
    expected = sum(g.visits for g in service.report(group_by="city", province="430000").groups
                   if g.key == "430100")
    assert chart["region"]["values"] == [expected]
    # Its map is its province's, with only its own city coloured.
    assert chart["map"]["adcode"] == "430000"
    values = {r["adcode"]: r["visits"] for r in chart["map"]["regions"]}
    assert values["430100"] == expected and values["430200"] == 0
    # Exports
    rows = list(csv.reader(io.StringIO(
        client.get("/regulator/stats.csv").get_data().decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:-1]] == ["430100"]
    book = openpyxl.load_workbook(io.BytesIO(client.get("/regulator/stats.xlsx").get_data()))
    text = str([list(ws.values) for ws in book.worksheets])
    assert "长沙市" in text and "株洲" not in text and "上海" not in text
    inactive = client.get("/regulator/stats/inactive").get_data(as_text=True)
    assert "株洲" not in inactive and "上海" not in inactive
    assert client.get("/regulator/stats/report").status_code == 200
    report = client.get("/regulator/stats/report").get_data(as_text=True)
    assert "株洲" not in re.sub(r'<script type="application/json".*?</script>', "", report,
                                flags=re.S)
    # The approval queue and a lab outside the city.
    queue = client.get("/regulator/labs?status=all").get_data(as_text=True)
    assert changsha_lab.name in queue and zhuzhou_lab.name not in queue
    assert client.get(f"/regulator/labs/{zhuzhou_lab.id}").status_code == 404
    # Asking for the province, or another, is refused or ignored, never widened.
    widened = client.get("/regulator/stats?province=430000").get_data(as_text=True)
    assert _chart(widened)["region"]["names"] == ["长沙市"]
    assert client.get("/regulator/stats/map.json?province=430000").status_code in (400, 403)


def test_a_city_regulators_totals_equal_the_tables(client, db, world, changsha):
    figures = figures_from_tables(db, world, province="430000")
    html = client.get("/regulator/stats").get_data(as_text=True)
    # 长沙 alone is less than 湖南 (株洲 had bookings too).
    people = service.report(group_by=None, scope=changsha.scope).totals.people
    assert 0 < people < figures["people"]
    assert f'<div class="fs-4 fw-semibold">{people:,}</div>' in html
