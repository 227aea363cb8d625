"""roster.xlsx (SPEC §5): what Excel and WPS open right — codes and phones as text cells, times as
dates, a title row naming the event and the slot; audited like the CSV."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from openday import clock
from openday.audit.models import AuditEntry


@pytest.fixture
def lab(create_lab):
    return create_lab(name="长沙市食品检验所")


@pytest.fixture
def slot(create_slot, create_event, lab):
    return create_slot(event=create_event(lab=lab, title="走进食品检测实验室"), capacity=6)


def test_the_xlsx_has_text_codes_and_phones_dates_and_the_right_rows(
        client, db, create_user, login, lab, slot, book, travel):
    login(create_user(role="lab", lab=lab))
    first = book(slot, 4, name="张三", phone="13812345678")
    book(slot, 2, name="=HYPERLINK(\"http://evil\")")
    waiting = book(slot, 3, name="王五")
    # A code that a spreadsheet would read as a number in scientific notation.
    db.session.execute(sa.update(type(first)).where(type(first).id == first.id)
                       .values(code="23456E78"))
    db.session.commit()
    from openday.bookings import staff
    travel(slot.starts_at - timedelta(minutes=10))
    staff.check_in(lab.id, "23456E78", arrived=3)

    response = client.get(f"/lab/slots/{slot.id}/roster.xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert ".xlsx" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "走进食品检测实验室" in rows[0][0]
    assert f"{clock.local(slot.starts_at):%Y-%m-%d %H:%M}" in rows[0][0]
    assert rows[1][:6] == ("序号", "预约码", "姓名", "手机号", "人数", "状态")
    assert len(rows) == 2 + 3
    code, name, phone = sheet.cell(3, 2), sheet.cell(3, 3), sheet.cell(3, 4)
    assert (code.value, code.data_type) == ("23456E78", "s")
    assert (phone.value, phone.data_type) == ("13812345678", "s")
    assert name.value == "张三"
    assert sheet.cell(4, 3).value == "=HYPERLINK(\"http://evil\")"
    assert sheet.cell(4, 3).data_type == "s"  # text, never a formula
    assert isinstance(sheet.cell(3, 9).value, datetime)  # 签到时间 is a date
    assert sheet.cell(3, 10).value == 3  # arrived
    assert sheet.cell(5, 3).value == "王五" and sheet.cell(5, 7).value == 1  # waitlist place
    assert waiting.status == "waitlisted"
    assert sheet.column_dimensions["D"].width >= 14
    entry = db.session.execute(sa.select(AuditEntry).where(
        AuditEntry.action == "roster.export")).scalar_one()
    assert entry.reason == "xlsx, 3 rows"
    page = client.get(f"/lab/slots/{slot.id}/roster").get_data(as_text=True)
    assert f"/lab/slots/{slot.id}/roster.xlsx" in page and f"/lab/slots/{slot.id}/roster.csv" in page


def test_another_lab_gets_404_for_the_xlsx(client, create_user, create_lab, login, slot):
    login(create_user(role="lab", lab=create_lab(name="别家", city="310100", district="310104")))
    assert client.get(f"/lab/slots/{slot.id}/roster.xlsx").status_code == 404
