"""A lab's contact phone and a citizen's mainland booking phone follow one rule (core.phone):
the lab keeps the 11 digits, the booking the same number in E.164."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from openday.bookings.service import BookingRequest, InvalidBooking, validate_request
from openday.labs.models import Lab
from tests.labs.test_register import field_error

GOOD = ["8613812345678", "１３８１２３４５６７８", "+86 138-1234-5678", "0086 13812345678"]
BAD = ["12812345678", "1381234567", "0731-88888888", "138123456789", "8613812345", "abc",
       "+85 13812345678"]


def _booking(phone: str) -> BookingRequest:
    return BookingRequest(name="张三", phone=phone, party_size=1, consent=True)


@pytest.mark.parametrize("phone", GOOD)
def test_lab_registration_and_booking_accept_the_same_phones(client, db, registration, phone):
    response = client.submit("/labs/register", registration(contact_phone=phone))
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "contact_phone")
    assert db.session.execute(sa.select(Lab.contact_phone)).scalar_one() == "13812345678"
    assert validate_request(_booking(phone), max_party=4)[1] == "+8613812345678"


@pytest.mark.parametrize("phone", BAD)
def test_lab_registration_and_booking_refuse_the_same_phones(client, registration, counts, phone):
    html = client.submit("/labs/register", registration(contact_phone=phone)).get_data(as_text=True)
    assert "手机" in field_error(html, "contact_phone")
    assert counts() == (0, 0)
    with pytest.raises(InvalidBooking) as refused:
        validate_request(_booking(phone), max_party=4)
    assert "phone" in refused.value.fields


def test_every_bad_field_of_a_registration_is_reported_at_once(client, registration, counts,
                                                              create_user, create_lab):
    create_user(role="lab", lab=create_lab(), email="director@example.cn")
    html = client.submit("/labs/register", registration(
        contact_phone="12345", cma_number="CMA-12", credit_code="91350100M000100Y44",
        district="320102")).get_data(as_text=True)
    assert "手机" in field_error(html, "contact_phone")
    assert "12 位" in field_error(html, "cma_number")
    assert "校验位" in field_error(html, "credit_code")
    assert "不属于所选城市" in field_error(html, "district")
    assert "已注册" in field_error(html, "user_email")
    assert counts() == (1, 1)
