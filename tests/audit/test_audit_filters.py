"""/regulator/audit filtered by lab (its name or number), actor and action; a city's regulator
reads its city's entries only."""
from __future__ import annotations

import pytest


@pytest.fixture
def entries(app, db, create_lab, create_user):
    from openday.audit import service
    changsha = create_lab(name="长沙甲检测所")
    zhuzhou = create_lab(name="株洲乙检测所", city="430200", district="430202")
    alice = create_user(role="regulator", email="alice@samr.example.cn", region_scope="430000")
    bob = create_user(role="regulator", email="bob@samr.example.cn", region_scope="430000")
    service.record("lab.approve", changsha, reason="甲由 alice 通过", actor=alice)
    service.record("lab.suspend", changsha, reason="甲由 bob 暂停", actor=bob)
    service.record("lab.approve", zhuzhou, reason="乙由 bob 通过", actor=bob)
    db.session.commit()
    return changsha, zhuzhou


def _page(client, **params) -> str:
    response = client.get("/regulator/audit", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_filter_by_actor_lab_name_and_action(client, entries, hunan):
    by_actor = _page(client, actor="bob@")
    assert "甲由 bob 暂停" in by_actor and "乙由 bob 通过" in by_actor
    assert "甲由 alice 通过" not in by_actor
    by_lab = _page(client, lab_name="株洲")
    assert "乙由 bob 通过" in by_lab and "甲由" not in by_lab
    both = _page(client, actor="bob", lab_name="长沙", action="lab.suspend")
    assert "甲由 bob 暂停" in both and "通过" not in both.split("<tbody>", 1)[1]
    assert "甲由" not in _page(client, actor="%")  # a wildcard is a character here


def test_a_city_regulator_reads_only_its_city(client, entries, create_user, login):
    login(create_user(role="regulator", region_scope="430200"))
    page = _page(client)
    assert "乙由 bob 通过" in page and "甲由" not in page
