"""Logging out: POST only, and it ends that sign-in's cookies for good (SPEC §8)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import PASSWORD

SESSION, REMEMBER = "session", "remember_token"


def sign_in(client, user, remember: bool = True):
    data = {"email": user.email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    assert client.submit("/login", data).status_code == 302
    return client


def signed_in(client) -> bool:
    return client.get("/regulator/").status_code == 200


def browser_with(app, **cookies):
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)
    return browser


def test_copied_session_and_remember_cookies_stop_working_after_logout(app, client, create_user):
    user = create_user(role="admin")
    sign_in(client, user)
    session, remember = client.get_cookie(SESSION).value, client.get_cookie(REMEMBER).value
    # the copies work while the sign-in lasts, so what follows proves logging out ended them
    assert signed_in(browser_with(app, session=session))
    assert signed_in(browser_with(app, remember_token=remember))

    assert client.submit("/logout", {}, form_url="/regulator/").status_code == 302
    assert not signed_in(client)
    assert not signed_in(browser_with(app, session=session, remember_token=remember))
    assert not signed_in(browser_with(app, session=session))
    assert not signed_in(browser_with(app, remember_token=remember))


def test_logging_out_on_one_device_keeps_the_others_signed_in(app, create_user):
    user = create_user(role="admin")
    desk, phone = sign_in(app.test_client(), user), sign_in(app.test_client(), user)
    desk.submit("/logout", {}, form_url="/regulator/")
    assert not signed_in(desk)
    assert signed_in(phone)


def test_get_logout_does_not_log_out(client, create_user):
    sign_in(client, create_user(role="admin"))
    assert client.get("/logout").status_code == 405
    assert signed_in(client)


def test_logout_without_csrf_token_is_refused(client, create_user):
    sign_in(client, create_user(role="admin"))
    assert client.post("/logout").status_code == 400
    assert signed_in(client)


def test_logout_when_not_signed_in_just_goes_home(client):
    response = client.submit("/logout", {}, form_url="/login")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_signing_in_forgets_sign_ins_older_than_any_cookie(app, db, client, create_user):
    from openday import clock
    from openday.accounts.models import LoginSession
    user = create_user(role="admin")
    db.session.add_all([LoginSession(user_id=user.id, token=token, created_at=clock.now() - age)
                        for token, age in [("expired", timedelta(days=400)),
                                           ("recent", timedelta(days=3))]])
    db.session.commit()
    sign_in(client, user)
    tokens = set(db.session.scalars(
        db.select(LoginSession.token).where(LoginSession.user_id == user.id)))
    assert "expired" not in tokens and "recent" in tokens and len(tokens) == 2


@pytest.mark.parametrize("cookie_id", [
    "{id}", "{id}.0", "{id}.0.", "{id}.0.no-such-sign-in", "{id}.1.{token}", "{id}.0.{token}.x",
    "x.0.{token}", "{other}.0.{token}",
])
def test_a_cookie_naming_no_live_sign_in_signs_nobody_in(app, db, client, create_user, cookie_id):
    from openday.accounts.models import LoginSession
    from openday.extensions import login_manager
    user, other = create_user(role="admin"), create_user(role="admin")
    sign_in(client, user)
    token = db.session.scalar(db.select(LoginSession.token).where(LoginSession.user_id == user.id))
    assert login_manager._user_callback(f"{user.id}.0.{token}") == user
    named = cookie_id.format(id=user.id, other=other.id, token=token)
    assert login_manager._user_callback(named) is None
