"""Changing one's password (it ends the account's other sign-ins) and a lab removing a colleague
(not itself, not the last login), both audited."""
from __future__ import annotations

import sqlalchemy as sa

from openday.accounts.models import LoginSession, User
from openday.audit.models import AuditEntry
from tests.conftest import PASSWORD

NEW = "a-much-better-password"


def audit(db, action):
    return db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


def test_changing_the_password_ends_the_other_sign_ins_and_keeps_this_one(
        app, client, db, create_user, create_lab, login):
    user = create_user(role="lab", lab=create_lab())
    elsewhere = app.test_client()  # the user's phone, signed in too
    elsewhere.submit("/login", {"email": user.email, "password": PASSWORD})
    assert elsewhere.get("/lab/").status_code == 200
    login(user)
    response = client.submit("/account/password", {"current_password": PASSWORD, "password": NEW,
                                                   "confirm": NEW})
    assert response.status_code == 302
    assert "其他设备上的 1 处登录已退出" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/lab/").status_code == 200  # this browser stays signed in
    assert elsewhere.get("/lab/").status_code == 302  # the other is sent to the login page
    assert db.session.execute(sa.select(sa.func.count()).select_from(LoginSession)).scalar() == 1
    client.submit("/logout", {}, form_url="/")
    assert client.submit("/login", {"email": user.email, "password": PASSWORD}).status_code == 200
    assert client.submit("/login", {"email": user.email, "password": NEW}).status_code == 302
    [entry] = audit(db, "user.password_change")
    assert entry.object_id == user.id and entry.reason == "1 other sign-ins ended"


def test_a_wrong_current_password_short_or_mismatched_new_one_is_a_form_error(
        client, db, create_user, login):
    user = create_user(role="regulator")
    login(user)
    cases = [({"current_password": "nope-nope-nope", "password": NEW, "confirm": NEW}, "当前密码不正确"),
             ({"current_password": PASSWORD, "password": "short", "confirm": "short"}, "密码长度应为"),
             ({"current_password": PASSWORD, "password": NEW, "confirm": NEW + "x"}, "两次输入的密码不一致"),
             ({"current_password": PASSWORD, "password": PASSWORD, "confirm": PASSWORD}, "不能与当前密码相同")]
    for data, message in cases:
        response = client.submit("/account/password", data)
        assert response.status_code == 200 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert user.check_password(PASSWORD) and audit(db, "user.password_change") == []


def test_the_password_page_needs_a_sign_in(client):
    assert client.get("/account/password").status_code == 302


def test_a_lab_user_removes_a_colleague_who_can_no_longer_sign_in(
        app, client, db, create_user, create_lab, login):
    lab = create_lab()
    me, colleague = create_user(role="lab", lab=lab), create_user(role="lab", lab=lab)
    colleague_id, colleague_email = colleague.id, colleague.email
    theirs = app.test_client()
    theirs.submit("/login", {"email": colleague.email, "password": PASSWORD})
    login(me)
    page = client.get("/lab/users").get_data(as_text=True)
    assert f"/lab/users/{colleague_id}/remove" in page and f"/lab/users/{me.id}/remove" not in page
    response = client.submit(f"/lab/users/{colleague_id}/remove", {}, form_url="/lab/users")
    assert response.status_code == 302
    assert db.session.get(User, colleague_id) is None
    assert theirs.get("/lab/").status_code == 302
    [entry] = audit(db, "user.remove")
    assert (entry.object_id, entry.actor_id, entry.lab_id, entry.reason) == (
        colleague_id, me.id, lab.id, colleague_email)


def test_not_oneself_not_the_last_and_not_another_labs_user(client, db, create_user, create_lab,
                                                            login):
    lab, other = create_lab(), create_lab(name="别家的所")
    me = create_user(role="lab", lab=lab)
    stranger = create_user(role="lab", lab=other)
    create_user(role="lab", lab=other)
    login(me)
    page = client.submit(f"/lab/users/{me.id}/remove", {}, form_url="/lab/users",
                         follow_redirects=True).get_data(as_text=True)
    assert "不能移除自己的账号" in page
    assert client.submit(f"/lab/users/{stranger.id}/remove", {},
                         form_url="/lab/users").status_code == 404
    assert db.session.get(User, stranger.id) is not None and db.session.get(User, me.id) is not None
    assert audit(db, "user.remove") == []


def test_the_last_login_of_a_lab_stays(app, db, create_user, create_lab):
    from openday.accounts import service
    from openday.core.errors import RuleError
    lab = create_lab()
    only = create_user(role="lab", lab=lab)
    admin = create_user(role="lab", lab=create_lab(name="另一家"))
    try:
        service.remove_colleague(lab.id, only.id, admin)
    except RuleError as error:
        assert (error.status, list(error.fields)) == (409, ["user"])
    else:
        raise AssertionError("the last login was removed")
