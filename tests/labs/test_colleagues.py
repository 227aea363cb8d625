"""A lab user adds colleagues to its own lab, never to another."""
from __future__ import annotations

import sqlalchemy as sa

from openday.accounts.models import User


def users_of(db, lab) -> list[str]:
    return sorted(db.session.execute(
        sa.select(User.email).where(User.lab_id == lab.id)).scalars())


def test_lab_user_adds_a_colleague_who_can_log_in(client, db, login, create_user, create_lab):
    lab = create_lab(status="pending")
    me = create_user(role="lab", lab=lab, email="me@example.cn")
    login(me)
    response = client.submit("/lab/users", {"name": "李工", "email": "Li@Example.cn",
                                            "password": "colleague-pass", "confirm": "colleague-pass"})
    assert response.status_code == 302
    assert users_of(db, lab) == ["li@example.cn", "me@example.cn"]
    client.submit("/logout", {}, form_url="/lab/users")
    assert client.submit("/login", {"email": "li@example.cn", "password": "colleague-pass"}).status_code == 302


def test_colleague_goes_to_own_lab_whatever_the_form_says(client, db, login, create_user, create_lab):
    mine, other = create_lab(), create_lab(name="别家的所")
    login(create_user(role="lab", lab=mine))
    client.submit("/lab/users", {"email": "new@example.cn", "password": "colleague-pass",
                                 "confirm": "colleague-pass", "lab_id": str(other.id),
                                 "lab": str(other.id)})
    assert "new@example.cn" in users_of(db, mine)
    assert users_of(db, other) == []


def test_colleague_list_shows_only_own_lab(client, login, create_user, create_lab):
    mine, other = create_lab(), create_lab(name="别家的所")
    create_user(role="lab", lab=other, email="stranger@example.cn")
    login(create_user(role="lab", lab=mine, email="me@example.cn"))
    html = client.get("/lab/users").get_data(as_text=True)
    assert "me@example.cn" in html and "stranger@example.cn" not in html


def test_bad_colleague_input_creates_nothing(client, db, login, create_user, create_lab):
    lab = create_lab()
    login(create_user(role="lab", lab=lab, email="me@example.cn"))
    html = client.submit("/lab/users", {"email": "me@example.cn", "password": "colleague-pass",
                                        "confirm": "colleague-pass"}).get_data(as_text=True)
    assert 'id="email-error"' in html and "已注册" in html
    html = client.submit("/lab/users", {"email": "x@example.cn", "password": "short",
                                        "confirm": "short"}).get_data(as_text=True)
    assert 'id="password-error"' in html
    assert 'value="x@example.cn"' in html
    assert users_of(db, lab) == ["me@example.cn"]
