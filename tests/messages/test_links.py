"""Find my bookings (an SMS with a one-time link) and password reset (a mailed one-time link):
the same answer whether or not there is anything behind the phone or address, and a link that
works once. Delivered by a real worker to the local relay and SMTP server."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from openday.messages.models import OneTimeLink
from tests.conftest import CSRF_RE, PASSWORD
from tests.messages.gateways import wait_for
from tests.phones import next_phone

LINK = re.compile(r"http://openday\.test(/\S+)")


def answer(response) -> str:
    """The page without what differs on every request (its CSRF token)."""
    return CSRF_RE.sub("", response.get_data(as_text=True))


def test_find_my_bookings_answers_alike_and_its_link_works_once(
        client, db, sms, book, create_slot, start_worker):
    start_worker()
    slot = create_slot()
    holder, stranger = next_phone(), next_phone()
    mine = [book(slot, phone=holder), book(create_slot(), phone=holder)]
    wait_for(lambda: len(sms.to("+86" + holder)) == 2, what="the confirmations")

    with_bookings = client.submit("/my-bookings", {"phone": holder})
    without = client.submit("/my-bookings", {"phone": stranger})
    assert with_bookings.status_code == without.status_code == 200
    assert answer(with_bookings) == answer(without)
    assert 'id="find-sent"' in answer(without)

    texts = wait_for(lambda: [p["text"] for p in sms.to("+86" + holder) if "预约列表" in p["text"]],
                     what="the lookup SMS")
    assert not sms.to("+86" + stranger)
    path = LINK.search(texts[0]).group(1)
    assert path.startswith("/my-bookings/")
    token = path.rsplit("/", 1)[1]
    stored = db.session.execute(sa.select(OneTimeLink.token_hash)).scalars().all()
    assert token not in stored and len(stored) == 1  # only its hash is kept

    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for booking in mine:
        assert f"/bookings/{booking.manage_token}" in html
    again = client.get(path)
    assert again.status_code == 404 and 'id="lookup-expired"' in again.get_data(as_text=True)
    for booking in mine:
        assert booking.manage_token not in again.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"OPENDAY_SMS_WEBHOOK_URL": "",
                                         "TRUSTED_HOSTS": ["localhost"]}])
def test_without_a_gateway_find_my_bookings_points_to_the_link_or_the_lab(client):
    html = client.get("/my-bookings").get_data(as_text=True)
    assert 'id="find-no-gateway"' in html and "管理链接" in html and "主办机构" in html


@pytest.mark.parametrize("limited", [{}])
def test_find_my_bookings_is_limited_per_phone(client, limited):
    phone = next_phone()
    answers = [client.submit("/my-bookings", {"phone": phone}).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert client.submit("/my-bookings", {"phone": next_phone()}).status_code == 200


@pytest.mark.parametrize("limited", [{"OPENDAY_FIND_ADDRESS_LIMIT": "3 per hour"}])
def test_find_my_bookings_is_limited_per_address(client, limited):
    answers = [client.submit("/my-bookings", {"phone": next_phone()}).status_code
               for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_password_reset_mail_and_its_link_work_once(client, db, smtp, create_lab, create_user,
                                                    start_worker):
    start_worker()
    user = create_user(lab=create_lab())
    known = client.submit("/password/reset", {"email": user.email.upper()})
    unknown = client.submit("/password/reset", {"email": "nobody@openday.test"})
    assert answer(known) == answer(unknown) and 'id="reset-sent"' in answer(known)

    mail = wait_for(lambda: smtp.to(user.email), what="the reset mail")[0]
    assert "重设密码" in mail["Subject"]
    path = LINK.search(mail.get_content()).group(1)
    assert client.get(path).status_code == 200       # looking does not use it up
    new = "a brand new passphrase"
    response = client.submit(path, {"password": new, "confirm": new})
    assert response.status_code == 303
    assert client.get(path).status_code == 404
    assert client.submit("/login", {"email": user.email, "password": PASSWORD}).status_code == 200
    assert client.submit("/login", {"email": user.email, "password": new}).status_code == 302


def test_an_admin_sends_a_reset_link_from_the_user_list(client, db, smtp, create_user, login,
                                                        create_lab, start_worker):
    start_worker()
    admin = create_user(role="admin")
    user = create_user(lab=create_lab())
    login(admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{user.id}/password-reset" in page
    response = client.submit(f"/admin/users/{user.id}/password-reset", {},
                             form_url="/admin/users")
    assert response.status_code == 302
    mail = wait_for(lambda: smtp.to(user.email), what="the reset mail")[0]
    assert "/password/reset/" in mail.get_content()
