"""``/regulator/stats.xlsx``: the stats page as a workbook a bureau attaches to its summary.

Every sheet opens with the same header (campaign, scope, measure, when it was made), then one
table in the columns and order of the screen; rates are numbers formatted as percentages (an
empty cell reads 未开始 before any slot has ended), kinds by their names. Aggregates and labs'
own contacts only: never a citizen's name or phone.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import xlsxwriter

from openday import clock
from openday.core.i18n import N_, _
from openday.stats import service
from openday.stats.activity import IdleEvent, InactiveLab
from openday.stats.service import Figures, Group, Report

HEADER_ROWS = 6  # title, campaign, scope, measure, made at, blank: the table starts on row 7


@dataclass
class Workbook:
    """What goes into the file, gathered by the view."""

    report: Report
    scope_name: str
    measure: str
    by_kind: list[Group]
    by_date: list[Group]
    by_lab: list[Group]
    by_city: list[Group] = field(default_factory=list)  # every city, best first by the measure
    inactive: list[InactiveLab] = field(default_factory=list)
    unbooked: list[IdleEvent] = field(default_factory=list)


class _Writer:
    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.buffer = io.BytesIO()
        self.xlsx = xlsxwriter.Workbook(self.buffer, {"in_memory": True})
        self.bold = self.xlsx.add_format({"bold": True})
        self.title = self.xlsx.add_format({"bold": True, "font_size": 14})
        self.percent = self.xlsx.add_format({"num_format": "0.0%"})
        self.percent_bold = self.xlsx.add_format({"num_format": "0.0%", "bold": True})
        self.number = self.xlsx.add_format({"num_format": "#,##0"})
        self.number_bold = self.xlsx.add_format({"num_format": "#,##0", "bold": True})
        self.made_at = clock.local(clock.now()).strftime("%Y-%m-%d %H:%M")

    def header(self, sheet, title: str) -> int:
        campaign = self.book.report.campaign
        sheet.write(0, 0, title, self.title)
        rows = [
            (_(N_("开放日（届）")), _("%(year)s年 第%(edition)s届", year=campaign.year,
                                     edition=campaign.edition) + f" · {campaign.theme}"),
            (_(N_("范围")), self.book.scope_name),
            (_(N_("统计口径")), _(service.FIGURE_LABELS[self.book.measure])),
            (_(N_("生成时间")), _("%(moment)s（北京时间）", moment=self.made_at)),
        ]
        for index, (label, value) in enumerate(rows, start=1):
            sheet.write(index, 0, label, self.bold)
            sheet.write(index, 1, value)
        return HEADER_ROWS

    def figures_row(self, sheet, row: int, col: int, figures: Figures, bold: bool = False) -> None:
        for offset, name in enumerate(service.SCREEN_ORDER):
            if name == "attendance_rate":
                rate = figures.attendance_rate
                if rate is None:
                    sheet.write(row, col + offset, service.rate_text(figures))
                else:
                    sheet.write_number(row, col + offset, rate,
                                       self.percent_bold if bold else self.percent)
            elif name == "rating":  # a mean of 1–5 stars, blank without any rating
                if figures.rating is None:
                    sheet.write_string(row, col + offset, "—")
                else:
                    sheet.write_number(row, col + offset, figures.rating)
            else:
                sheet.write_number(row, col + offset, figures.value(name),
                                   self.number_bold if bold else self.number)

    def group_sheet(self, name: str, title: str, key_label: str | None, first_label: str,
                    groups: list[Group], totals: Figures | None) -> None:
        sheet = self.xlsx.add_worksheet(name)
        row = self.header(sheet, title)
        labels = ([key_label] if key_label else []) + [first_label] + [
            _(service.FIGURE_LABELS[c]) for c in service.SCREEN_ORDER]
        sheet.write_row(row, 0, labels, self.bold)
        col = 2 if key_label else 1
        for group in groups:
            row += 1
            if key_label:
                sheet.write_string(row, 0, group.key)
            sheet.write_string(row, col - 1, group.name)
            self.figures_row(sheet, row, col, group)
        if totals is not None:
            row += 1
            sheet.write_string(row, col - 1, _(N_("合计")), self.bold)
            self.figures_row(sheet, row, col, totals, bold=True)
        sheet.set_column(0, col - 1, 18)
        sheet.set_column(col, col + len(service.SCREEN_ORDER), 12)
        sheet.freeze_panes(HEADER_ROWS + 1, col)

    def table_sheet(self, name: str, title: str, labels: list[str], rows: list[list]) -> None:
        sheet = self.xlsx.add_worksheet(name)
        row = self.header(sheet, title)
        sheet.write_row(row, 0, labels, self.bold)
        for values in rows:
            row += 1
            sheet.write_row(row, 0, values)
        sheet.set_column(0, len(labels), 18)
        sheet.freeze_panes(HEADER_ROWS + 1, 0)

    def write(self) -> bytes:
        book, report = self.book, self.book.report
        region_city = report.group_by == "city"
        region = _(N_("按城市")) if region_city else _(N_("按省份"))
        self.group_sheet(region, _(N_("参与统计")) + " · " + region,
                         _(N_("行政区划代码")), _(N_("城市")) if region_city else _(N_("省份")),
                         report.groups, report.totals)
        self.group_sheet(_(N_("按活动类型")), _(N_("按活动类型")), None, _(N_("活动类型")),
                         book.by_kind, None)
        self.group_sheet(_(N_("按日期")), _(N_("按日期")), None, _(N_("日期")), book.by_date, None)
        self.group_sheet(_(N_("按机构")), _(N_("按机构")), None, _(N_("机构名称")), book.by_lab,
                         None)
        self.group_sheet(_(N_("城市排行")), _(N_("城市排行")), _(N_("行政区划代码")),
                         _(N_("城市")), book.by_city, None)
        self.table_sheet(
            _(N_("未发布活动的机构")), _(N_("已通过审核但本届未发布活动的机构")),
            [_(N_("机构名称")), _(N_("城市")), _(N_("联系人")), _(N_("联系电话")),
             _(N_("联系邮箱"))],
            [[lab.name, lab.city, lab.contact_name, lab.contact_phone, lab.contact_email]
             for lab in book.inactive])
        self.table_sheet(
            _(N_("无人预约的活动")), _(N_("已发布但无人预约的活动")),
            [_(N_("活动")), _(N_("活动类型")), _(N_("机构名称")), _(N_("城市")), _(N_("联系人")),
             _(N_("联系电话")), _(N_("场次数")), _(N_("可预约名额"))],
            [[event.title, service.group_name("kind", event.kind), event.lab_name, event.city,
              event.contact_name, event.contact_phone, event.slots, event.capacity]
             for event in book.unbooked])
        self.xlsx.close()
        return self.buffer.getvalue()


def document(book: Workbook) -> bytes:
    return _Writer(book).write()
