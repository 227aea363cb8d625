"""Trust on the public path (SPEC §8, §9): the client's address through OPENDAY_PROXY_HOPS
proxies, and OPENDAY_PUBLIC_URL as the only host answered and the root of every absolute link."""
from __future__ import annotations

import logging

import pytest
from icalendar import Calendar

from openday import create_app

PUBLIC = "https://openday.example.cn"
LIMITED = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
           "OPENDAY_LOGIN_ADDRESS_LIMIT": "3 per 15 minutes"}


def failed_login(client, n: int, forwarded_for: str | None = None):
    """A wrong password for a new account each time, so only the per-address limit adds up."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.submit("/login", {"email": f"nobody{n}@openday.test", "password": "guess"},
                         headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})  # the balancer


@pytest.mark.parametrize("app_config", [{**LIMITED, "OPENDAY_PROXY_HOPS": 1}])
def test_behind_one_proxy_each_forwarded_citizen_has_their_own_limit(client):
    for n in range(3):
        assert failed_login(client, n, "198.51.100.1").status_code == 200
    assert failed_login(client, 3, "198.51.100.1").status_code == 429
    # Another citizen behind the same balancer is not held to the first one's count.
    assert failed_login(client, 4, "198.51.100.2").status_code == 200
    # Only the hop the proxy appended counts: what the client wrote to the left of it does not.
    assert failed_login(client, 5, "203.0.113.9, 198.51.100.1").status_code == 429


@pytest.mark.parametrize("app_config", [LIMITED])
def test_without_proxies_a_forged_forwarded_for_is_ignored(client):
    for n in range(3):
        assert failed_login(client, n, f"198.51.100.{n}").status_code == 200
    assert failed_login(client, 3, "198.51.100.77").status_code == 429


@pytest.mark.parametrize("app_config", [{"OPENDAY_PROXY_HOPS": 1}])
def test_the_forwarded_scheme_is_believed_from_the_proxy(app, client):
    seen = {}

    @app.get("/_test/where")
    def where():
        from flask import request
        seen.update(addr=request.remote_addr, scheme=request.scheme, host=request.host)
        return ""

    client.get("/_test/where", headers={"X-Forwarded-For": "198.51.100.1",
                                        "X-Forwarded-Proto": "https",
                                        "X-Forwarded-Host": "evil.example"},
               environ_base={"REMOTE_ADDR": "10.0.0.2"})
    # The host is the Host header the proxy passed on; X-Forwarded-Host is not read.
    assert seen == {"addr": "198.51.100.1", "scheme": "https", "host": "localhost"}


@pytest.mark.parametrize("app_config", [{"OPENDAY_PUBLIC_URL": PUBLIC}])
def test_requests_for_another_host_are_refused(client):
    assert client.get("/", base_url=PUBLIC).status_code == 200
    page = client.get("/", headers={"Host": "evil.example"})
    assert page.status_code == 400
    assert "主机名" in page.get_data(as_text=True)
    # Refused before CSRF and the limiter look at it: a form post is the same 400.
    assert client.post("/login", data={"email": "a@b.cn"}, headers={"Host": "evil.example"}
                       ).status_code == 400
    answer = client.get("/api/v1/cities?q=长沙", headers={"Host": "evil.example"})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "bad_host"


@pytest.mark.parametrize("app_config", [{}])
def test_without_a_public_url_any_host_is_answered(client):
    assert client.get("/", headers={"Host": "anything.example"}).status_code == 200


@pytest.mark.parametrize("app_config", [{"OPENDAY_PUBLIC_URL": PUBLIC + "/"}])
def test_qr_and_calendar_links_use_the_public_url(client, db, create_slot):
    from openday.bookings import service
    booking = service.book(create_slot().id, service.BookingRequest("张三", "13812345678", 1, True))
    # Reached over plain http on another port (a proxy without X-Forwarded-Proto): links still
    # name the public address.
    manage = client.get(f"/bookings/{booking.manage_token}", base_url="http://openday.example.cn:8080")
    html = manage.get_data(as_text=True)
    assert manage.status_code == 200
    from tests.bookings.test_booking_pages import qr_of
    assert qr_of(f"{PUBLIC}/lab/checkin?code={booking.code}") in html
    assert f"{PUBLIC}/bookings/{booking.manage_token}" in html
    ics = client.get(f"/bookings/{booking.manage_token}.ics", base_url="http://openday.example.cn:8080")
    event = next(c for c in Calendar.from_ical(ics.data).walk() if c.name == "VEVENT")
    assert str(event["url"]).startswith(f"{PUBLIC}/")
    assert ":8080" not in ics.get_data(as_text=True)


def production_app(tmp_path, **config):
    return create_app({"SECRET_KEY": "a-real-secret-key-for-this-test",
                       "OPENDAY_DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}", **config})


def test_start_up_warns_once_when_links_follow_the_request_host(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        production_app(tmp_path)
    warnings = [r for r in caplog.records if "OPENDAY_PUBLIC_URL" in r.getMessage()]
    assert len(warnings) == 1
    caplog.clear()
    # A command (flask db upgrade, openday demo) answers no requests: no warning on its console.
    import click
    with click.Context(click.Command("upgrade"), info_name="upgrade"), caplog.at_level(logging.WARNING):
        production_app(tmp_path)
    assert not [r for r in caplog.records if "OPENDAY_PUBLIC_URL" in r.getMessage()]
    with caplog.at_level(logging.WARNING):
        app = production_app(tmp_path, OPENDAY_PUBLIC_URL=PUBLIC)
    assert not [r for r in caplog.records if "OPENDAY_PUBLIC_URL" in r.getMessage()]
    assert app.config["TRUSTED_HOSTS"] == ["openday.example.cn"]


@pytest.mark.parametrize("url", ["openday.example.cn", "ftp://openday.example.cn", "https://"])
def test_a_public_url_that_is_not_one_refuses_to_start(tmp_path, url):
    with pytest.raises(RuntimeError, match="OPENDAY_PUBLIC_URL"):
        production_app(tmp_path, OPENDAY_PUBLIC_URL=url)


def test_proxy_hops_and_body_cap_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENDAY_PROXY_HOPS", "2")
    monkeypatch.setenv("OPENDAY_MAX_CONTENT_LENGTH", "4096")
    app = production_app(tmp_path)
    assert app.config["OPENDAY_PROXY_HOPS"] == 2 and app.config["MAX_CONTENT_LENGTH"] == 4096
    from werkzeug.middleware.proxy_fix import ProxyFix
    assert isinstance(app.wsgi_app, ProxyFix) and app.wsgi_app.x_for == 2
    monkeypatch.delenv("OPENDAY_PROXY_HOPS")
    assert not isinstance(production_app(tmp_path).wsgi_app, ProxyFix)
