import pytest

from openday import create_app


def test_home_renders_in_simplified_chinese_by_default(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert 'name="city"' in html


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_anonymous_is_sent_to_login_for_staff_pages(client):
    response = client.get("/lab/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_api_path_answers_error_object(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert set(response.get_json()["error"]) == {"code", "message", "fields"}


def test_refuses_to_start_without_real_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"OPENDAY_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_login_form_without_csrf_token_is_refused(client, create_user):
    user = create_user(role="admin")
    response = client.post("/login", data={"email": user.email, "password": "x"})
    assert response.status_code == 400


def test_login_then_logout(client, create_user, login):
    user = create_user(role="admin")
    assert login(user).headers["Location"].endswith("/regulator/")
    assert client.get("/regulator/").status_code == 200
    client.submit("/logout", {}, form_url="/regulator/")
    assert client.get("/regulator/").status_code == 302


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_home_lists_upcoming_slots_in_the_city_last_searched(client, create_lab, create_event, create_slot):
    changsha = create_event(lab=create_lab(), title="长沙的实验室参观")
    shanghai = create_event(lab=create_lab(name="上海市质检院", city="310100", district="310115",
                                           lat=31.22, lon=121.54), title="上海的科普讲座")
    create_slot(event=changsha)
    create_slot(event=shanghai)

    everywhere = client.get("/").get_data(as_text=True)
    assert "长沙的实验室参观" in everywhere and "上海的科普讲座" in everywhere

    assert client.get("/search?city=changsha").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert "长沙的实验室参观" in home and "上海的科普讲座" not in home


def test_home_ignores_a_forged_city_cookie(client):
    client.set_cookie("openday_city", "no-such-city")
    assert client.get("/").status_code == 200


def test_every_setting_openday_reads_has_its_default_in_from_env(tmp_path):
    import re
    from pathlib import Path

    import openday
    from openday.config import from_env

    package = Path(openday.__file__).parent
    read = set()
    for path in package.rglob("*.py"):
        if path.name in ("config.py", "gunicorn_conf.py"):  # env names; gunicorn's own settings
            continue
        read |= set(re.findall(r"[\"'](OPENDAY_[A-Z_]+)[\"']", path.read_text("utf-8")))
    assert read and read <= set(from_env(str(tmp_path)))


def test_a_test_app_reads_figures_fresh_and_a_real_one_remembers_them(monkeypatch, tmp_path):
    for name in ("OPENDAY_STATS_CACHE_SECONDS", "OPENDAY_SEARCH_CACHE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path}/x.db"
    testing = create_app({"TESTING": True, "OPENDAY_DATABASE_URL": url})
    assert (testing.config["OPENDAY_STATS_CACHE_SECONDS"],
            testing.config["OPENDAY_SEARCH_CACHE_SECONDS"]) == (0, 0)
    real = create_app({"OPENDAY_DATABASE_URL": url, "SECRET_KEY": "a-real-secret-key-0123456789"})
    assert (real.config["OPENDAY_STATS_CACHE_SECONDS"],
            real.config["OPENDAY_SEARCH_CACHE_SECONDS"]) == (60, 2)
    chosen = create_app({"TESTING": True, "OPENDAY_DATABASE_URL": url,
                         "OPENDAY_SEARCH_CACHE_SECONDS": 60})
    assert chosen.config["OPENDAY_SEARCH_CACHE_SECONDS"] == 60  # a test's own setting wins


def test_the_user_loader_is_accounts_session(app):
    from openday.accounts.session import load_user

    assert app.login_manager._user_callback is load_user
    assert load_user("not-an-id") is None and load_user("1.0.") is None
