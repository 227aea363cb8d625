"""SPEC §2 for the routes of issue 3: anonymous → login, another role → 403, the right role → 200."""
from __future__ import annotations

import pytest

# (path template, roles that may open it); {lab} is a lab in the regulator's scope, {campaign} a campaign.
PAGES = [
    ("/labs/registered", {"lab"}),
    ("/lab/users", {"lab"}),
    ("/regulator/labs", {"regulator", "admin"}),
    ("/regulator/labs?status=all", {"regulator", "admin"}),
    ("/regulator/labs/{lab}", {"regulator", "admin"}),
    ("/admin/users", {"admin"}),
    ("/admin/users/new", {"admin"}),
    ("/admin/campaigns", {"admin"}),
    ("/admin/campaigns/new", {"admin"}),
    ("/admin/campaigns/{campaign}/edit", {"admin"}),
]
ROLES = ["lab", "regulator", "admin"]


@pytest.fixture
def targets(users, campaign):
    return {"lab": users["lab"].lab_id, "campaign": campaign.id}


@pytest.mark.parametrize("path, allowed", PAGES)
def test_anonymous_is_sent_to_login(client, targets, path, allowed):
    response = client.get(path.format(**targets))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path, allowed", PAGES)
def test_each_role_gets_its_pages_and_403_elsewhere(client, login, users, targets, path, allowed, role):
    login(users[role])
    response = client.get(path.format(**targets))
    assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("role", ["lab", "regulator"])
def test_only_admin_switches_the_current_campaign(client, db, login, users, create_campaign, role):
    old = create_campaign(year=2030)
    new = create_campaign(year=2031, is_current=False)
    login(users[role])
    response = client.submit(f"/admin/campaigns/{new.id}/current", {}, form_url="/")
    assert response.status_code == 403
    db.session.expire_all()
    assert old.is_current and not new.is_current


def test_anonymous_post_to_admin_goes_to_login(client, create_campaign):
    campaign = create_campaign()
    response = client.submit(f"/admin/campaigns/{campaign.id}/current", {}, form_url="/login")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_registration_is_open_to_anyone(client):
    assert client.get("/labs/register").status_code == 200


def test_lab_of_another_province_is_404_for_a_provincial_regulator(client, login, users, create_lab):
    elsewhere = create_lab(city="310100", district="310104")
    login(users["regulator"])
    assert client.get(f"/regulator/labs/{elsewhere.id}").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_signed_in_users_do_not_register_labs(client, db, login, users, role):
    from openday.labs.models import Lab
    login(users[role])
    assert "请先退出登录" in client.get("/labs/register").get_data(as_text=True)
    client.submit("/labs/register", {"name": "又一个所", "credit_code": "91350100M000100Y43"},
                  form_url="/labs/register")
    assert db.session.execute(db.select(Lab).where(Lab.name == "又一个所")).first() is None


@pytest.mark.parametrize("role", ["lab"])
def test_lab_staff_cannot_review_labs(client, db, login, users, create_lab, role):
    pending = create_lab(status="pending")
    login(users[role])
    response = client.submit(f"/regulator/labs/{pending.id}", {"action": "approve"},
                             form_url="/lab/users")
    assert response.status_code == 403
    db.session.expire_all()
    assert pending.status == "pending"


@pytest.mark.parametrize("role, path, data", [
    ("regulator", "/lab/users", {"email": "x@example.cn", "password": "0123456789",
                                 "confirm": "0123456789"}),
    ("admin", "/lab/users", {"email": "x@example.cn", "password": "0123456789",
                             "confirm": "0123456789"}),
    ("lab", "/admin/users/new", {"email": "x@example.cn", "password": "0123456789",
                                 "confirm": "0123456789", "region_scope": "000000"}),
    ("regulator", "/admin/users/new", {"email": "x@example.cn", "password": "0123456789",
                                       "confirm": "0123456789", "region_scope": "000000"}),
    ("regulator", "/admin/campaigns/new", {"year": "2040", "edition": "30", "theme": "x"}),
])
def test_wrong_role_posts_are_refused_and_create_nothing(client, db, login, users, role, path, data):
    from openday.accounts.models import User
    from openday.events.models import Campaign
    login(users[role])
    assert client.submit(path, data, form_url="/labs/register").status_code == 403
    assert db.session.execute(db.select(User).where(User.email == "x@example.cn")).first() is None
    assert db.session.execute(db.select(Campaign).where(Campaign.year == 2040)).first() is None
