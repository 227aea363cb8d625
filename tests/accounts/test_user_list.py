"""The admin's user list at national scale: natural order (lab2 before lab10) and search."""
from __future__ import annotations

import re

import pytest

from openday.accounts.models import natural_key


def emails(html: str) -> list[str]:
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<td class="text-break">([^<\s]+@[^<\s]+)', table)


@pytest.fixture
def admin(create_user, login):
    user = create_user(role="admin", email="admin@openday.test")
    login(user)
    return user


def test_natural_key_orders_numbers_by_value():
    assert sorted(["lab10@x", "lab2@x", "Lab1@x", "lab100@x"], key=natural_key) == [
        "Lab1@x", "lab2@x", "lab10@x", "lab100@x"]


def test_the_list_is_in_natural_order(client, db, create_lab, create_user, admin):
    lab = create_lab()
    for n in (10, 2, 1, 100, 21):
        create_user(role="lab", lab=lab, email=f"lab{n}@openday.test")
    listed = [e for e in emails(client.get("/admin/users?role=lab").get_data(as_text=True))]
    assert listed == [f"lab{n}@openday.test" for n in (1, 2, 10, 21, 100)]


def test_search_by_email_name_or_lab(client, db, create_lab, create_user, admin):
    wuhan = create_lab(name="武汉计量测试所", city="420100", district="420102")
    create_user(role="lab", lab=wuhan, email="metrology@wh.example.cn")
    create_user(role="regulator", email="hunan@samr.example.cn", name="湖南局张三",
                region_scope="430000")
    create_user(role="lab", lab=create_lab(), email="other@cs.example.cn")

    def found(q, **extra):
        return emails(client.get("/admin/users", query_string={"q": q, **extra})
                      .get_data(as_text=True))
    assert found("武汉") == ["metrology@wh.example.cn"]
    assert found("张三") == ["hunan@samr.example.cn"]
    assert found("SAMR.example") == ["hunan@samr.example.cn"]
    assert found("example.cn", role="lab") == ["metrology@wh.example.cn", "other@cs.example.cn"]
    assert found("%") == [] and found("_") == []
    assert "没有符合条件的账号" in client.get("/admin/users?q=nobody").get_data(as_text=True)
