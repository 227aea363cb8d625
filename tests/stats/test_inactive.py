"""The labs that did nothing: approved labs in scope with no published event in the campaign,
checked against the tables row by row; and the events nobody booked."""
from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from openday.events.models import Event, EventStatus
from openday.labs.models import Lab, LabStatus


def _idle_from_tables(db, campaign, province: str | None = None) -> set[int]:
    labs = db.session.execute(sa.select(Lab)).scalars().all()
    events = db.session.execute(sa.select(Event)).scalars().all()
    active = {e.lab_id for e in events
              if e.campaign_id == campaign.id and e.status == EventStatus.published}
    return {lab.id for lab in labs if lab.status == LabStatus.approved and lab.id not in active
            and (province is None or lab.district_adcode[:2] == province[:2])}


def _more_labs(create_lab, create_event, world):
    idle = create_lab(name="岳阳无活动所", city="430600", district="430602")
    pending = create_lab(name="待审核所", status="pending", city="430100", district="430102")
    withdrawn = create_lab(name="取消了活动的所", city="430100", district="430103")
    create_event(lab=withdrawn, status=EventStatus.cancelled, title="取消的活动")
    last_year = create_lab(name="只去年办过的所", city="310100", district="310104")
    create_event(lab=last_year, campaign_id=world.previous.id, title="去年的活动")
    return idle, pending, withdrawn, last_year


def _ids(html: str) -> set[int]:
    import re
    block = html.split('id="inactive-labs"', 1)[1].split("</table>", 1)[0]
    return {int(n) for n in re.findall(r'data-lab-id="(\d+)"', block)}


def test_the_table_lists_exactly_the_approved_labs_without_a_published_event(
        client, db, world, national, create_lab, create_event):
    idle, pending, withdrawn, last_year = _more_labs(create_lab, create_event, world)
    expected = _idle_from_tables(db, world.campaign)
    assert expected == {world.labs["wh"].id, idle.id, withdrawn.id, last_year.id}
    html = client.get("/regulator/stats/inactive").get_data(as_text=True)
    assert _ids(html) == expected
    assert "13800000000" in html and "王工" in html  # the lab's contact, to phone it
    # Sortable: by name, both ways.
    by_name = client.get("/regulator/stats/inactive?sort=name&order=desc").get_data(as_text=True)
    names = [row for row in (lab.name for lab in db.session.execute(
        sa.select(Lab).where(Lab.id.in_(expected))).scalars())]
    positions = [by_name.index(name) for name in sorted(names, reverse=True)]
    assert positions == sorted(positions)
    # Exportable: the CSV lists the same labs with their contacts.
    rows = list(csv.reader(io.StringIO(
        client.get("/regulator/stats/inactive.csv").get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["机构名称", "城市", "联系人", "联系电话"]
    assert sorted(row[0] for row in rows[1:]) == sorted(names)


def test_a_provincial_regulator_sees_its_province_only(client, db, world, hunan, create_lab,
                                                       create_event):
    _more_labs(create_lab, create_event, world)
    html = client.get("/regulator/stats/inactive").get_data(as_text=True)
    assert _ids(html) == _idle_from_tables(db, world.campaign, "430000")
    assert "只去年办过的所" not in html


def test_events_nobody_booked(client, db, world, national, create_event, create_slot):
    lonely = create_event(lab=world.labs["zz"], kind="lecture", title="没人来的讲座")
    create_slot(event=lonely, capacity=10)
    html = client.get("/regulator/stats/inactive").get_data(as_text=True)
    block = html.split('id="unbooked-events"', 1)[1].split("</table>", 1)[0]
    assert "没人来的讲座" in block
    assert "食品安全讲座" not in block  # booked
