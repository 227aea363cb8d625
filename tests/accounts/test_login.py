"""Login: wrong passwords, inactive accounts, and the limits on failed attempts."""
from __future__ import annotations

import re
from urllib.parse import quote, urlencode

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


def test_unknown_and_inactive_accounts_still_check_a_password(client, create_user, monkeypatch):
    from openday.accounts import service
    checked = []
    real = service.check_password_hash

    def recording(password_hash, password):
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(service, "check_password_hash", recording)
    client.submit("/login", {"email": "nobody@openday.test", "password": PASSWORD})
    assert len(checked) == 1 and checked[0].startswith("scrypt:")  # hashed as real ones are
    inactive = create_user(role="admin", active=False)
    client.submit("/login", {"email": inactive.email, "password": PASSWORD})
    assert checked[1] == inactive.password_hash


OFFSITE = ["//evil.example", "/\t/evil.example", "/\n/evil.example", "/\\evil.example",
           "\\\\evil.example", "https://evil.example", "/\r\nSet-Cookie:x", "javascript:alert(1)",
           " //evil.example", "///evil.example", "/\x7f/evil.example", "/\x85/evil.example",
           "evil.example", "http:/evil.example", ""]
OWN = ["/search?city=长沙", "/lab/", "/events/1#slots"]


def with_next(path: str, target: str) -> str:
    return f"{path}?{urlencode({'next': target})}"


@pytest.mark.parametrize("target", OFFSITE)
def test_login_refuses_offsite_next(client, create_user, target):
    user = create_user(role="admin")
    response = client.submit(with_next("/login", target), {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/regulator/"


@pytest.mark.parametrize("target", OFFSITE)
def test_language_switch_refuses_offsite_next(client, target):
    response = client.get(with_next("/lang/en", target))
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OWN)
def test_next_within_the_site_is_followed(client, create_user, target):
    expected = quote(target, safe="/?=#")
    assert client.get(with_next("/lang/en", target)).headers["Location"] == expected
    user = create_user(role="admin")
    response = client.submit(with_next("/login", target), {"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == expected


class TestFailedLoginLimits:
    """Rate limiting on: tight per account and address, generous per address, a ceiling per account."""

    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                "OPENDAY_LOGIN_ACCOUNT_LIMIT": "5 per 15 minutes",
                "OPENDAY_LOGIN_ADDRESS_LIMIT": "8 per 15 minutes",
                "OPENDAY_LOGIN_ACCOUNT_CEILING": "12 per 15 minutes"}

    def test_stranger_failing_on_an_account_does_not_lock_its_owner_out(self, app, create_user):
        owner = create_user(role="admin")
        stranger = app.test_client()
        for _ in range(5):
            assert attempt(stranger, owner.email, "guess", address="198.51.100.1").status_code == 200
        assert attempt(app.test_client(), owner.email, PASSWORD, address="192.0.2.20").status_code == 302

    def test_sixth_failure_from_one_address_on_one_account_is_refused(self, client, create_user):
        victim = create_user(role="admin")
        for _ in range(5):
            assert attempt(client, victim.email, "guess").status_code == 200
        assert attempt(client, victim.email, "guess").status_code == 429
        # that address is held off this account even with the right password, not off others
        assert attempt(client, victim.email, PASSWORD).status_code == 429
        other = create_user(role="admin")
        assert attempt(client, other.email, PASSWORD).status_code == 302

    def test_account_key_ignores_case_and_spaces(self, client, create_user):
        create_user(role="admin", email="victim@openday.test")
        for variant in ["victim@openday.test", "VICTIM@openday.test", " Victim@Openday.test",
                        "victim@OPENDAY.test", "vIctim@openday.test"]:
            attempt(client, variant, "guess")
        assert attempt(client, "victim@openday.test", PASSWORD).status_code == 429

    def test_address_is_limited_across_accounts(self, client, create_user):
        for i in range(8):
            assert attempt(client, f"nobody{i}@openday.test", "guess").status_code == 200
        someone = create_user(role="admin")
        assert attempt(client, someone.email, PASSWORD).status_code == 429
        # the same person from another address gets in
        assert attempt(client, someone.email, PASSWORD, address="192.0.2.50").status_code == 302

    def test_guessing_spread_over_many_addresses_meets_the_account_ceiling(self, app, create_user):
        victim = create_user(role="admin")
        for i in range(12):
            assert attempt(app.test_client(), victim.email, "guess",
                           address=f"198.51.100.{i // 4}").status_code == 200
        assert attempt(app.test_client(), victim.email, PASSWORD, address="192.0.2.9").status_code == 429

    def test_a_correct_login_is_not_counted_as_a_failure(self, client, create_user):
        user = create_user(role="admin")
        for _ in range(4):
            assert attempt(client, user.email, "guess").status_code == 200
        for _ in range(3):
            assert attempt(client, user.email, PASSWORD).status_code == 302
            client.submit("/logout", {}, form_url="/regulator/")
        assert attempt(client, user.email, "guess").status_code == 200  # the fifth failure
        assert attempt(client, user.email, "guess").status_code == 429

    def test_default_limits_are_tight_per_account_and_address_and_generous_elsewhere(self, tmp_path,
                                                                                    monkeypatch):
        from limits import parse_many

        from openday.config import from_env
        for name in ("OPENDAY_LOGIN_ACCOUNT_LIMIT", "OPENDAY_LOGIN_ADDRESS_LIMIT",
                     "OPENDAY_LOGIN_ACCOUNT_CEILING"):
            monkeypatch.delenv(name, raising=False)
        defaults = from_env(str(tmp_path))
        per_account_and_address = min(
            item.amount for item in parse_many(defaults["OPENDAY_LOGIN_ACCOUNT_LIMIT"]))
        per_address = min(item.amount for item in parse_many(defaults["OPENDAY_LOGIN_ADDRESS_LIMIT"]))
        per_account = min(item.amount for item in parse_many(defaults["OPENDAY_LOGIN_ACCOUNT_CEILING"]))
        assert per_account_and_address <= 10 < per_address
        # a handful of strangers' addresses at the tight limit still leave the owner room
        assert per_account > 5 * per_account_and_address
