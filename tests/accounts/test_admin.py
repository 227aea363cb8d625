"""Admin: regulator accounts with a scope, the user list, campaigns and the one current campaign."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from openday.accounts.models import NATIONAL, User
from openday.events.models import Campaign


@pytest.fixture
def admin(login, create_user):
    user = create_user(role="admin")
    login(user)
    return user


def regulator_form(**changes):
    data = {"region_scope": "430000", "name": "湖南省市场监管局", "email": "hunan@samr.example.cn",
            "password": "regulator-pass", "confirm": "regulator-pass"}
    data.update(changes)
    return data


def campaign_form(**changes):
    data = {"year": "2031", "edition": "21", "theme": "检验检测 服务民生", "starts_on": "2031-09-01",
            "ends_on": "2031-09-30", "registration_opens_at": "2031-06-01T09:00",
            "registration_closes_at": "2031-08-25T18:00"}
    data.update(changes)
    return data


def current_years(db) -> list[int]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(Campaign.year).where(Campaign.is_current)).scalars())


def test_admin_creates_a_provincial_regulator_who_sees_its_province(client, db, admin, create_lab):
    response = client.submit("/admin/users/new", regulator_form())
    assert response.status_code == 302
    regulator = db.session.execute(sa.select(User).where(User.email == "hunan@samr.example.cn")).scalar_one()
    assert (regulator.role, regulator.region_scope) == ("regulator", "430000")
    assert regulator.scope.covers("430104") and not regulator.scope.covers("310104")


def test_admin_creates_a_national_regulator(client, db, admin):
    client.submit("/admin/users/new", regulator_form(region_scope=NATIONAL))
    regulator = db.session.execute(sa.select(User).where(User.role == "regulator")).scalar_one()
    assert regulator.region_scope == NATIONAL


@pytest.mark.parametrize("changes, field", [
    ({"region_scope": "430102"}, "region_scope"),   # a district is not a scope
    ({"region_scope": ""}, "region_scope"),
    ({"email": "nope"}, "email"),
    ({"password": "short", "confirm": "short"}, "password"),
])
def test_bad_regulator_input_creates_nothing(client, db, admin, changes, field):
    html = client.submit("/admin/users/new", regulator_form(**changes)).get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert db.session.execute(sa.select(User).where(User.role == "regulator")).first() is None


def test_duplicate_regulator_email_is_refused(client, db, admin, create_user):
    create_user(role="regulator", email="hunan@samr.example.cn")
    html = client.submit("/admin/users/new", regulator_form()).get_data(as_text=True)
    assert 'id="email-error"' in html and "已注册" in html


def test_user_list_filters_by_role(client, admin, create_user, create_lab):
    create_user(role="lab", lab=create_lab(name="列表里的所"), email="labuser@example.cn")
    create_user(role="regulator", email="reg@example.cn")
    html = client.get("/admin/users").get_data(as_text=True)
    assert "labuser@example.cn" in html and "reg@example.cn" in html and "列表里的所" in html
    html = client.get("/admin/users?role=regulator").get_data(as_text=True)
    assert "reg@example.cn" in html and "labuser@example.cn" not in html


def test_admin_creates_a_campaign_in_beijing_time(client, db, admin):
    response = client.submit("/admin/campaigns/new", campaign_form())
    assert response.status_code == 302
    campaign = db.session.execute(sa.select(Campaign)).scalar_one()
    assert (campaign.year, campaign.edition, campaign.starts_on) == (2031, 21, date(2031, 9, 1))
    assert campaign.registration_opens_at.isoformat() == "2031-06-01T01:00:00+00:00"
    assert not campaign.is_current


def test_new_current_campaign_replaces_the_old_one(client, db, admin, create_campaign):
    create_campaign(year=2030)
    client.submit("/admin/campaigns/new", campaign_form(make_current="y"))
    assert current_years(db) == [2031]


def test_switching_current_campaign_keeps_exactly_one(client, db, admin, create_campaign):
    create_campaign(year=2030)
    other = create_campaign(year=2029, is_current=False)
    response = client.submit(f"/admin/campaigns/{other.id}/current", {}, form_url="/admin/campaigns")
    assert response.status_code == 302
    assert current_years(db) == [2029]


def test_edit_campaign_keeps_other_fields(client, db, admin, create_campaign):
    campaign = create_campaign(year=2030)
    page = client.get(f"/admin/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'value="2030"' in page
    client.submit(f"/admin/campaigns/{campaign.id}/edit", campaign_form(
        year="2030", theme="新主题", make_current="y"))
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.theme == "新主题" and campaign.is_current


@pytest.mark.parametrize("changes, field", [
    ({"ends_on": "2031-08-01"}, "ends_on"),
    ({"registration_closes_at": "2031-05-01T09:00"}, "registration_closes_at"),
    ({"year": "abc"}, "year"),
    ({"theme": ""}, "theme"),
    ({"starts_on": "2031-13-45"}, "starts_on"),
])
def test_bad_campaign_input_creates_nothing(client, db, admin, changes, field):
    html = client.submit("/admin/campaigns/new", campaign_form(**changes)).get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert db.session.execute(sa.select(Campaign)).first() is None


def test_duplicate_campaign_year_is_refused(client, db, admin, create_campaign):
    create_campaign(year=2031)
    html = client.submit("/admin/campaigns/new", campaign_form()).get_data(as_text=True)
    assert 'id="year-error"' in html
    assert db.session.execute(sa.select(sa.func.count()).select_from(Campaign)).scalar_one() == 1


def test_unknown_campaign_is_404(client, admin):
    assert client.get("/admin/campaigns/999/edit").status_code == 404


@pytest.mark.parametrize("page", ["0", "-3", "abc", "99999999999999999999999", "1e9"])
def test_odd_page_numbers_never_fail(client, admin, page):
    assert client.get(f"/admin/users?page={page}").status_code == 200
    assert client.get(f"/regulator/labs?status=all&page={page}").status_code == 200


def next_request_as(client):
    """The fixtures keep one app context open, so Flask-Login's per-request cache of the user
    (``g._login_user``) outlives a request; a browser's next request starts without it."""
    from flask import g
    g.pop("_login_user", None)
    return client


def test_deactivated_user_is_signed_out_and_cannot_log_in(app, db, client, create_user):
    from openday.accounts import service
    from tests.conftest import PASSWORD
    admin = create_user(role="admin")
    regulator = create_user(role="regulator")
    assert client.submit("/login", {"email": regulator.email, "password": PASSWORD}).status_code == 302
    assert client.get("/regulator/labs").status_code == 200

    service.set_active(regulator, False, by=admin)
    assert next_request_as(client).get("/regulator/labs").status_code == 302   # its session ends
    assert client.submit("/login", {"email": regulator.email, "password": PASSWORD}).status_code == 200

    service.set_active(regulator, True, by=admin)
    fresh_browser = app.test_client()
    assert fresh_browser.submit("/login", {"email": regulator.email, "password": PASSWORD}).status_code == 302


def test_reactivating_does_not_revive_old_sessions(app, db, client, create_user):
    """A session (or remember-me cookie) from before a deactivation stays dead afterwards."""
    from openday.accounts import service
    from tests.conftest import PASSWORD
    admin = create_user(role="admin")
    regulator = create_user(role="regulator")
    assert client.submit("/login", {"email": regulator.email, "password": PASSWORD,
                                    "remember": "y"}).status_code == 302
    other_device = app.test_client()
    assert other_device.submit("/login", {"email": regulator.email,
                                          "password": PASSWORD}).status_code == 302
    assert next_request_as(other_device).get("/regulator/labs").status_code == 200

    service.set_active(regulator, False, by=admin)
    service.set_active(regulator, True, by=admin)
    assert next_request_as(client).get("/regulator/labs").status_code == 302
    assert next_request_as(other_device).get("/regulator/labs").status_code == 302
    assert client.submit("/login", {"email": regulator.email, "password": PASSWORD}).status_code == 302
    assert next_request_as(client).get("/regulator/labs").status_code == 200  # signing in again works


def test_admin_deactivates_and_reactivates_from_the_user_list(client, db, admin, create_user):
    regulator = create_user(role="regulator", email="leaver@example.cn")
    assert "leaver@example.cn" in client.get("/admin/users").get_data(as_text=True)
    response = client.submit(f"/admin/users/{regulator.id}/active", {"active": "0"},
                             form_url="/admin/users")
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, regulator.id).active
    client.submit(f"/admin/users/{regulator.id}/active", {"active": "1"}, form_url="/admin/users")
    db.session.expire_all()
    assert db.session.get(User, regulator.id).active


def test_admin_cannot_deactivate_itself(client, db, admin):
    client.submit(f"/admin/users/{admin.id}/active", {"active": "0"}, form_url="/admin/users")
    db.session.expire_all()
    assert db.session.get(User, admin.id).active


def test_deactivating_needs_csrf_and_admin(client, db, login, create_user):
    target = create_user(role="regulator")
    login(create_user(role="regulator"))
    assert client.submit(f"/admin/users/{target.id}/active", {"active": "0"},
                         form_url="/regulator/labs").status_code == 403
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "0"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, target.id).active
