"""/regulator/stats.xlsx opens in a spreadsheet (read back with openpyxl): a header naming the
campaign, scope, measure and time; the screen's columns in its order; totals equal to the API's;
rates as percentages; kinds by name."""
from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest

from openday import clock
from openday.stats import service
from openday.stats.xlsx import HEADER_ROWS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _book(client, url="/regulator/stats.xlsx"):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


def _table(sheet):
    rows = list(sheet.iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    return rows[0], rows[1:]


@pytest.fixture
def ended(monkeypatch):
    later = clock.now() + timedelta(days=10)
    monkeypatch.setattr(clock, "now", lambda: later)


def test_totals_equal_the_api(client, db, world, national, ended):
    api = client.get(f"/api/v1/stats?campaign={world.campaign.year}&group_by=province").get_json()
    book = _book(client, f"/regulator/stats.xlsx?campaign={world.campaign.year}&measure=people")
    sheet = book.worksheets[0]
    # The header: campaign, scope, measure, when.
    header = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, max_row=5, values_only=True)}
    assert f"{world.campaign.year}年 第{world.campaign.edition}届" in header["开放日（届）"]
    assert header["范围"] == "全国" and header["统计口径"] == "预约人数"
    assert header["生成时间"].startswith(clock.local(clock.now()).strftime("%Y-%m-%d"))
    labels, rows = _table(sheet)
    assert list(labels) == ["行政区划代码", "省份"] + [service.FIGURE_LABELS[c]
                                                     for c in service.SCREEN_ORDER]
    *groups, total = rows
    assert [g[0] for g in groups] == [g["key"] for g in api["groups"]]
    figures = dict(zip(service.SCREEN_ORDER, total[2:]))
    for name in service.FIGURES:
        assert figures[name] == api["totals"][name], name
    assert figures["attendance_rate"] == pytest.approx(api["totals"]["attendance_rate"])
    # A rate is a number shown as a percentage.
    rate_cell = sheet.cell(row=HEADER_ROWS + 1 + len(rows),
                           column=3 + service.SCREEN_ORDER.index("attendance_rate"))
    assert rate_cell.number_format == "0.0%"
    for group, api_group in zip(groups, api["groups"]):
        assert dict(zip(service.SCREEN_ORDER, group[2:]))["visits"] == api_group["visits"]


def test_kinds_by_name_and_the_other_sheets(client, db, world, national):
    book = _book(client)
    assert book.sheetnames[:4] == ["按省份", "按活动类型", "按日期", "按机构"]
    _labels, kinds = _table(book["按活动类型"])
    assert [row[0] for row in kinds] == ["实地参观", "科普讲座", "便民检测", "知识问答"]
    assert "tour" not in str(kinds)
    # Before any slot ends the rate reads 未开始, not 0 %.
    assert kinds[0][1 + service.SCREEN_ORDER.index("attendance_rate")] == "未开始"
    _labels, labs = _table(book["按机构"])
    assert {row[0] for row in labs} == {"长沙检测所", "株洲检测所", "上海检测所"}
    _labels, cities = _table(book["城市排行"])
    # Ranked by the measure (参与人次 here), every city of the campaign.
    assert {row[0] for row in cities} == {"430100", "430200", "310100"}
    visits = [row[2] for row in cities]
    assert visits == sorted(visits, reverse=True)
    _labels, idle = _table(book["未发布活动的机构"])
    assert [row[0] for row in idle] == ["武汉检测所"]


def test_a_provincial_regulator_exports_its_province(client, db, world, hunan):
    book = _book(client)
    header = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, max_row=5,
                                                                     values_only=True)}
    assert header["范围"] == "湖南省"
    assert "上海" not in str([list(ws.values) for ws in book.worksheets])


def test_english_workbook(client, db, world, national):
    client.get("/lang/en")
    book = _book(client)
    labels, _rows = _table(book.worksheets[0])
    assert "Visits" in str(labels) or "visits" in str(labels).lower()
