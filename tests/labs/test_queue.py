"""The approval queue at scale: search by name, credit code or CMA number; filters by status,
city and registration date; sorting; after approving or rejecting, on to the next pending lab;
the credit code's region against the chosen city; a link to look the CMA certificate up."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from openday import clock
from openday.labs.models import Lab
from openday.labs.service import credit_code_check_character


def code_in(region: str, serial: int) -> str:
    body = f"91{region}{serial:09d}"
    return body + credit_code_check_character(body)


def ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-lab-id="(\d+)"', html)]


@pytest.fixture
def queue(create_lab):
    now = clock.now()
    return {
        "cs": create_lab(name="长沙食品检验所", status="pending", credit_code=code_in("430102", 1),
                         cma_number="201918000001", created_at=now - timedelta(days=30)),
        "zz": create_lab(name="株洲环境监测站", status="pending", city="430200", district="430202",
                         credit_code=code_in("430202", 2), cma_number="221843000777",
                         created_at=now - timedelta(days=20)),
        "yy": create_lab(name="岳阳计量所", status="pending", city="430600", district="430602",
                         credit_code=code_in("310101", 3), created_at=now - timedelta(days=10)),
        "ok": create_lab(name="长沙已通过的所", status="approved", credit_code=code_in("430100", 4),
                         created_at=now - timedelta(days=40)),
        "sh": create_lab(name="上海检测所", status="pending", city="310100", district="310101",
                         credit_code=code_in("310101", 5), created_at=now - timedelta(days=5)),
    }


def test_search_by_name_credit_code_or_cma_number(client, queue, national):
    def found(q):
        return ids(client.get("/regulator/labs", query_string={"q": q, "status": "all"})
                   .get_data(as_text=True))
    assert found("食品") == [queue["cs"].id]
    assert found(queue["zz"].credit_code) == [queue["zz"].id]
    assert found(queue["zz"].credit_code.lower()) == [queue["zz"].id]
    assert found("221843000777") == [queue["zz"].id]
    assert found("CMA 2218-4300") == [queue["zz"].id]   # as copied from a certificate
    assert found("100%_") == []                         # LIKE's wildcards are plain text
    assert found("无此机构") == []


def test_filters_by_status_city_and_registration_date(client, queue, national):
    def listed(**params):
        return set(ids(client.get("/regulator/labs", query_string=params).get_data(as_text=True)))
    pending = {queue[k].id for k in ("cs", "zz", "yy", "sh")}
    assert listed() == pending
    assert listed(status="approved") == {queue["ok"].id}
    assert listed(city="430200") == {queue["zz"].id}
    day = clock.today()
    assert listed(registered_from=(day - timedelta(days=15)).isoformat()) == {
        queue["yy"].id, queue["sh"].id}
    assert listed(registered_to=(day - timedelta(days=25)).isoformat()) == {queue["cs"].id}
    # Filters that make no sense are ignored, never a 500.
    assert listed(city="999999", registered_from="not a date", sort="nonsense") == pending


def test_sorting(client, queue, national):
    def order(sort):
        return ids(client.get(f"/regulator/labs?sort={sort}").get_data(as_text=True))
    by_age = [queue[k].id for k in ("cs", "zz", "yy", "sh")]
    assert order("oldest") == by_age and order("newest") == by_age[::-1]
    assert order("city") == [queue[k].id for k in ("sh", "cs", "zz", "yy")]  # 310100 < 430100 …


def test_search_stays_in_scope(client, queue, hunan):
    listed = ids(client.get("/regulator/labs?q=上海&status=all").get_data(as_text=True))
    assert listed == []
    assert queue["sh"].id not in ids(client.get("/regulator/labs").get_data(as_text=True))


def test_after_approving_or_rejecting_the_next_pending_lab_opens(client, db, queue, hunan):
    first = f"/regulator/labs/{queue['cs'].id}"
    response = client.submit(first, {"action": "approve", "reason": ""})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/regulator/labs/{queue['zz'].id}")
    following = f"/regulator/labs/{queue['zz'].id}"
    response = client.submit(following, {"action": "reject", "reason": "证书编号不符"})
    assert response.headers["Location"].endswith(f"/regulator/labs/{queue['yy'].id}")
    last = f"/regulator/labs/{queue['yy'].id}"
    response = client.submit(last, {"action": "approve", "reason": ""})
    # 上海's lab is not in 湖南's queue: none is left.
    assert response.headers["Location"].endswith("/regulator/labs")
    assert db.session.get(Lab, queue["sh"].id).status == "pending"


def test_the_credit_codes_region_against_the_chosen_city(client, queue, national):
    same = client.get(f"/regulator/labs/{queue['cs'].id}").get_data(as_text=True)
    assert "登记地与所选区县一致" in same
    other = client.get(f"/regulator/labs/{queue['yy'].id}").get_data(as_text=True)
    assert "登记地与所选城市不一致" in other and "310101" in other and "黄浦区" in other
    city = client.get(f"/regulator/labs/{queue['ok'].id}").get_data(as_text=True)
    assert "登记地与所选城市一致" in city
    # The queue flags it too, on the row of the lab whose code names another region.
    listing = client.get("/regulator/labs").get_data(as_text=True)
    flagged = re.findall(r'<tr data-lab-id="(\d+)">(?:(?!</tr>).)*登记地不符', listing, re.S)
    assert [int(n) for n in flagged] == [queue["yy"].id]


def test_a_link_to_look_up_the_cma_certificate_and_nothing_fetched(app, client, queue, national):
    html = client.get(f"/regulator/labs/{queue['cs'].id}").get_data(as_text=True)
    assert f'href="{app.config["OPENDAY_CMA_QUERY_URL"]}"' in html
    assert 'rel="noopener noreferrer"' in html
