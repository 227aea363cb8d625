"""Login: wrong passwords, inactive accounts, and the limits on failed attempts."""
from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD


def attempt(client, email, password, address="203.0.113.7"):
    return client.submit("/login", {"email": email, "password": password},
                         environ_base={"REMOTE_ADDR": address})


def test_wrong_password_is_a_field_error_without_echoing_it(client, create_user):
    user = create_user(role="admin")
    response = client.submit("/login", {"email": user.email, "password": "wrong-password-123"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="password-error"[^>]*>邮箱或密码不正确', html)
    assert "wrong-password-123" not in html
    assert f'value="{user.email}"' in html


def test_email_is_case_insensitive(client, create_user):
    create_user(role="admin", email="boss@openday.test")
    assert client.submit("/login", {"email": " BOSS@openday.test", "password": PASSWORD}).status_code == 302


def test_inactive_account_cannot_log_in(client, create_user):
    user = create_user(role="admin", active=False)
    assert client.submit("/login", {"email": user.email, "password": PASSWORD}).status_code == 200


def test_login_refuses_offsite_next(client, create_user):
    user = create_user(role="admin")
    response = client.submit("/login?next=//evil.example/", {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/regulator/"


class TestFailedLoginLimits:
    """Rate limiting on: tight per account, generous per address."""

    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                "OPENDAY_LOGIN_ACCOUNT_LIMIT": "5 per 15 minutes",
                "OPENDAY_LOGIN_ADDRESS_LIMIT": "8 per 15 minutes"}

    def test_account_is_locked_after_five_failures_even_from_many_addresses(self, client, create_user):
        victim = create_user(role="admin")
        for i in range(5):
            assert attempt(client, victim.email, "guess", address=f"198.51.100.{i}").status_code == 200
        # the sixth try is refused, even with the right password, from a fresh address
        assert attempt(client, victim.email, PASSWORD, address="198.51.100.99").status_code == 429
        # other accounts are not affected
        other = create_user(role="admin")
        assert attempt(client, other.email, PASSWORD, address="198.51.100.99").status_code == 302

    def test_account_key_ignores_case_and_spaces(self, client, create_user):
        create_user(role="admin", email="victim@openday.test")
        for variant in ["victim@openday.test", "VICTIM@openday.test", " Victim@Openday.test",
                        "victim@OPENDAY.test", "vIctim@openday.test"]:
            attempt(client, variant, "guess")
        assert attempt(client, "victim@openday.test", PASSWORD, address="192.0.2.1").status_code == 429

    def test_address_is_limited_across_accounts(self, client, create_user):
        for i in range(8):
            assert attempt(client, f"nobody{i}@openday.test", "guess").status_code == 200
        someone = create_user(role="admin")
        assert attempt(client, someone.email, PASSWORD).status_code == 429
        # the same person from another address gets in
        assert attempt(client, someone.email, PASSWORD, address="192.0.2.50").status_code == 302

    def test_successful_logins_do_not_count(self, client, create_user):
        user = create_user(role="admin")
        for _ in range(10):
            assert attempt(client, user.email, PASSWORD).status_code == 302
            client.submit("/logout", {}, form_url="/regulator/")

    def test_default_limits_are_tight_per_account_and_generous_per_address(self):
        from openday.accounts.views import LOGIN_ACCOUNT_LIMIT, LOGIN_ADDRESS_LIMIT
        from limits import parse_many
        per_account = min(item.amount for item in parse_many(LOGIN_ACCOUNT_LIMIT))
        per_address = min(item.amount for item in parse_many(LOGIN_ADDRESS_LIMIT))
        assert per_account <= 10 < per_address
