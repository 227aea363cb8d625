"""One scope rule (core.scope.Scope) for labs, stats, notices and the audit log: a regulator whose
region_scope is missing or empty sees nothing, never the whole country."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from openday.core.errors import RuleError
from openday.core.scope import NATIONAL, Scope
from openday.labs.models import Lab
from openday.notices import service as notices
from openday.notices.models import Notice

# Districts of 长沙 (430100), of 株洲 (430200, same province) and of 上海.
DISTRICTS = {"430102": "430100", "430104": "430100", "430202": "430200", "310101": "310100"}


def test_a_city_scope_covers_its_districts_only():
    changsha = Scope.parse("430100")
    assert changsha.level == "city" and changsha.province == "430000"
    assert changsha.covers("430102") and changsha.covers("430100")
    assert not changsha.covers("430202") and not changsha.covers("430000")
    assert not changsha.covers(None)


@pytest.mark.parametrize("raw", [None, "", "430102", "abc", "4301"])
def test_missing_empty_or_malformed_scopes_are_nothing(raw):
    scope = Scope.parse(raw)
    assert scope.empty and not scope.national
    assert not scope.covers("430102")


def test_condition_agrees_with_covers_in_sql(db, create_lab):
    labs = {district: create_lab(name=f"检测所{district}", city=city, district=district)
            for district, city in DISTRICTS.items()}
    for raw in (NATIONAL, "430000", "430100", "310000", None):
        scope = Scope.parse(raw)
        found = set(db.session.execute(
            sa.select(Lab.district_adcode).where(scope.condition(Lab.district_adcode))).scalars())
        assert found == {d for d in labs if scope.covers(d)}, raw


@pytest.fixture
def world(db, create_lab, create_slot, create_user):
    """A pending lab and a listed slot (30 seats) in 长沙, and a national and a 湖南 notice."""
    create_lab(name="待审核的长沙检测所", status="pending")
    create_slot(capacity=30)
    author = create_user(role="admin")
    db.session.add_all([
        Notice(title="全国的通知", body="正文", region_scope=None, author_id=author.id),
        Notice(title="湖南的通知", body="正文", region_scope="430000", author_id=author.id)])
    db.session.commit()


@pytest.fixture(params=[None, ""], ids=["null", "empty"])
def unscoped(request, db, create_user, login):
    """A signed-in regulator whose region_scope is NULL or ""."""
    user = create_user(role="regulator", region_scope="430000")
    user.region_scope = request.param
    db.session.commit()
    login(user)
    return user


def _csv_totals(response) -> list[str]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))[-1]


def test_a_national_regulator_sees_the_world(client, world, national):
    assert "待审核的长沙检测所" in client.get("/regulator/labs").get_data(as_text=True)
    assert _csv_totals(client.get("/regulator/stats.csv"))[6] == "30"  # capacity, after 参与人次
    assert "待审核机构：1 家" in client.get("/regulator/").get_data(as_text=True)
    page = client.get("/regulator/notices").get_data(as_text=True)
    assert "全国的通知" in page and "湖南的通知" in page


def test_a_regulator_without_a_scope_sees_no_lab(client, world, unscoped):
    for url in ("/regulator/labs", "/regulator/labs?status=all"):
        page = client.get(url).get_data(as_text=True)
        assert "待审核的长沙检测所" not in page
    assert "范围：未设置" in page


def test_a_regulator_without_a_scope_has_zero_totals(client, world, unscoped):
    totals = _csv_totals(client.get("/regulator/stats.csv"))
    assert totals[1] == "合计" and set(totals[2:12]) == {"0"}
    home = client.get("/regulator/").get_data(as_text=True)
    assert "待审核机构：0 家" in home and "管辖范围：未设置" in home
    assert client.get("/regulator/stats").status_code == 200


def test_a_regulator_without_a_scope_manages_no_notice(app, client, db, world, unscoped):
    page = client.get("/regulator/notices").get_data(as_text=True)
    assert "全国的通知" not in page and "湖南的通知" not in page
    before = db.session.execute(sa.select(sa.func.count(Notice.id))).scalar_one()
    response = client.submit("/regulator/notices", {"title": "越权的通知", "body": "正文",
                                                    "region_scope": ""})
    assert response.status_code == 200
    assert db.session.execute(sa.select(sa.func.count(Notice.id))).scalar_one() == before
    national_notice = db.session.execute(
        sa.select(Notice).where(Notice.region_scope.is_(None))).scalar_one()
    assert client.get(f"/regulator/notices/{national_notice.id}/edit").status_code == 404
    with app.test_request_context():
        with pytest.raises(RuleError) as refused:
            notices.save_notice(None, unscoped, title="越权", body="正文", region_scope=None,
                                published_at=None)
    assert (refused.value.code, refused.value.status) == ("forbidden", 403)
    assert list(refused.value.fields) == ["region_scope"]


def test_a_provincial_regulator_cannot_publish_nationally(app, db, create_user):
    hunan = create_user(role="regulator", region_scope="430000")
    with app.test_request_context():
        with pytest.raises(RuleError):
            notices.save_notice(None, hunan, title="越权", body="正文", region_scope=None,
                                published_at=None)
        saved = notices.save_notice(None, hunan, title="湖南", body="正文", region_scope="430000",
                                    published_at=None)
    assert saved.region_scope == "430000"


def test_a_city_regulator_reviews_its_city_only(client, db, create_user, create_lab, login):
    changsha = create_lab(name="长沙的检测所", status="pending", city="430100", district="430102")
    zhuzhou = create_lab(name="株洲的检测所", status="pending", city="430200", district="430202")
    login(create_user(role="regulator", region_scope="430100"))
    page = client.get("/regulator/labs").get_data(as_text=True)
    assert "长沙的检测所" in page and "株洲的检测所" not in page
    assert client.get(f"/regulator/labs/{changsha.id}").status_code == 200
    assert client.get(f"/regulator/labs/{zhuzhou.id}").status_code == 404


def test_a_city_scope_is_a_valid_regulator_scope(app):
    from openday.accounts.service import valid_scope
    with app.app_context():
        assert valid_scope(NATIONAL) and valid_scope("430000") and valid_scope("430100")
        assert not valid_scope("430102") and not valid_scope("") and not valid_scope(None)
        assert not valid_scope("990000")
