"""Lab self-registration at /labs/register (issue 3)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from openday.accounts.models import User
from openday.core.errors import RuleError
from openday.labs import service
from openday.labs.models import Lab


def field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error"[^>]*>([^<]*)<', html)
    return match.group(1) if match else ""


def only_lab(db) -> Lab:
    return db.session.execute(sa.select(Lab)).scalar_one()


def test_form_offers_provinces_and_works_without_javascript(client):
    html = client.get("/labs/register").get_data(as_text=True)
    assert '<option value="430000">湖南省</option>' in html
    assert 'name="refresh_regions"' in html
    assert "js/regions.js" in html
    for code in ("food", "building_materials", "jewellery"):
        assert f'value="{code}"' in html


def test_refreshing_the_province_narrows_the_city_list_and_stores_nothing(client, registration, counts):
    response = client.submit("/labs/register", registration(
        province="430000", city="", district="", refresh_regions="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<option value="430100">长沙市</option>' in html
    assert "320100" not in html  # 南京 is not in 湖南
    assert 'aria-invalid="true"' not in html  # a refresh is not a failed submission
    assert 'value="湖南省食品质量监督检验研究院"' in html
    assert counts() == (0, 0)


def test_refreshing_the_city_lists_its_districts(client, registration):
    html = client.submit("/labs/register", registration(
        district="", refresh_regions="1")).get_data(as_text=True)
    assert '<option value="430104">岳麓区</option>' in html


def test_registration_creates_a_pending_lab_and_its_first_user(client, db, registration):
    response = client.submit("/labs/register", registration())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/labs/registered")
    lab = only_lab(db)
    assert lab.status == "pending"
    assert (lab.province_adcode, lab.city_adcode, lab.district_adcode) == ("430000", "430100", "430104")
    assert lab.credit_code == "91350100M000100Y43"
    assert lab.contact_phone == "13812345678"
    assert lab.field_codes == ["food", "water"]
    assert lab.lat == pytest.approx(28.23, abs=0.1) and lab.lon == pytest.approx(112.93, abs=0.1)
    user = db.session.execute(sa.select(User)).scalar_one()
    assert (user.email, user.role, user.lab_id) == ("director@example.cn", "lab", lab.id)
    assert user.check_password("a-long-password")
    # logged in, and told what happens next
    page = client.get("/labs/registered")
    assert page.status_code == 200
    assert "待审核" in page.get_data(as_text=True)


def test_logged_in_applicant_can_log_in_again_later(client, registration, login):
    client.submit("/labs/register", registration())
    client.submit("/logout", {}, form_url="/labs/registered")
    response = client.submit("/login", {"email": "director@example.cn", "password": "a-long-password"})
    assert response.status_code == 302


@pytest.mark.parametrize("code", ["91350100M000100Y44", "91350100M000100Y", "91350100M0001O0Y43"])
def test_bad_credit_code_is_a_field_error_and_nothing_is_stored(client, registration, counts, code):
    response = client.submit("/labs/register", registration(credit_code=code))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "统一社会信用代码" in field_error(html, "credit_code")
    assert f'value="{code}"' in html                   # what was typed is kept …
    assert "a-long-password" not in html               # … except the password
    assert counts() == (0, 0)


def test_duplicate_credit_code_is_refused(client, registration, counts, create_lab):
    create_lab(credit_code="91350100M000100Y43")
    before = counts()
    html = client.submit("/labs/register", registration()).get_data(as_text=True)
    assert "已报名" in field_error(html, "credit_code")
    assert counts() == before


def test_duplicate_credit_code_typed_in_lower_case_is_still_a_duplicate(client, registration, counts,
                                                                        create_lab):
    create_lab(credit_code="91350100M000100Y43")
    html = client.submit("/labs/register", registration(
        credit_code="91350100m000100y43")).get_data(as_text=True)
    assert "已报名" in field_error(html, "credit_code")
    assert counts() == (1, 0)


def test_duplicate_login_email_is_refused(client, registration, counts, create_user, create_lab):
    create_user(role="lab", lab=create_lab(), email="director@example.cn")
    html = client.submit("/labs/register", registration()).get_data(as_text=True)
    assert "已注册" in field_error(html, "user_email")
    assert counts() == (1, 1)


def test_district_of_another_city_is_a_field_error_and_nothing_is_stored(client, registration, counts):
    html = client.submit("/labs/register", registration(district="320102")).get_data(as_text=True)
    assert "不属于所选城市" in field_error(html, "district")
    assert counts() == (0, 0)


def test_city_of_another_province_is_a_field_error(client, registration, counts):
    html = client.submit("/labs/register", registration(
        city="320100", district="320102")).get_data(as_text=True)
    assert "不属于所选省份" in field_error(html, "city")
    assert counts() == (0, 0)


def test_forged_region_codes_are_refused(client, registration, counts):
    html = client.submit("/labs/register", registration(province="999999")).get_data(as_text=True)
    assert field_error(html, "province") or field_error(html, "city")
    assert counts() == (0, 0)


def test_county_level_city_without_districts_registers(client, db, registration):
    response = client.submit("/labs/register", registration(province="420000", city="429004", district=""))
    assert response.status_code == 302
    assert only_lab(db).district_adcode == "429004"


@pytest.mark.parametrize("changes, field, message", [
    ({"password": "short", "confirm": "short"}, "password", "密码长度"),
    ({"confirm": "another-long-password"}, "confirm", "不一致"),
    ({"contact_phone": "12345"}, "contact_phone", "手机"),
    ({"cma_number": "CMA-12"}, "cma_number", "12 位"),
    ({"testing_fields": []}, "testing_fields", "检验检测领域"),
    ({"name": ""}, "name", "机构名称"),
    ({"contact_email": "not-an-email"}, "contact_email", "邮箱"),
])
def test_each_bad_field_is_reported_next_to_it(client, registration, counts, changes, field, message):
    response = client.submit("/labs/register", registration(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in field_error(html, field)
    assert 'value="91350100M000100Y43"' in html
    assert counts() == (0, 0)


def test_registration_without_csrf_token_is_refused(client, registration, counts):
    response = client.post("/labs/register", data=registration())
    assert response.status_code == 400
    assert counts() == (0, 0)


def test_nothing_is_stored_when_creating_the_user_fails(app, db, registration, counts, monkeypatch):
    from openday.labs.forms import RegistrationForm

    def explode(self, password):
        raise RuntimeError("hash failed")

    with app.test_request_context("/labs/register", method="POST", data=registration()):
        form = RegistrationForm(meta={"csrf": False})
        form.narrow_regions()
        assert form.validate(), form.errors
        application = form.application()
    monkeypatch.setattr(User, "set_password", explode)
    with pytest.raises(RuntimeError):
        service.register_lab(application)
    assert counts() == (0, 0)


def test_a_race_for_the_same_credit_code_is_a_field_error(app, db, registration, counts, create_lab,
                                                           monkeypatch):
    """The pre-check passed, then another registration took the code: the unique index decides."""
    from openday.labs.forms import RegistrationForm

    with app.test_request_context("/labs/register", method="POST", data=registration()):
        form = RegistrationForm(meta={"csrf": False})
        form.narrow_regions()
        assert form.validate()
        application = form.application()
    create_lab(credit_code="91350100M000100Y43")
    real = service.credit_code_taken
    calls = iter([False, False])  # validate_application's check, then the transaction's
    monkeypatch.setattr(service, "credit_code_taken", lambda code: next(calls, None) or real(code))
    with pytest.raises(RuleError) as error:
        service.register_lab(application)
    assert list(error.value.fields) == ["credit_code"]
    assert counts() == (1, 0)


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                "OPENDAY_REGISTER_LIMIT": "3 per hour"}

    def test_registration_posts_are_limited_per_address(self, client, registration):
        for _ in range(3):
            assert client.submit("/labs/register", registration(credit_code="bad")).status_code == 200
        assert client.submit("/labs/register", registration()).status_code == 429
        assert client.get("/labs/register").status_code == 200  # reading the form is not limited


def test_forged_testing_field_is_a_field_error(client, registration, counts):
    html = client.submit("/labs/register", registration(testing_fields=["food", "astrology"])).get_data(as_text=True)
    assert "检验检测领域" in field_error(html, "testing_fields")
    assert counts() == (0, 0)


def test_signed_in_user_is_not_offered_a_second_registration(client, registration, counts, login,
                                                            create_user, create_lab):
    login(create_user(role="lab", lab=create_lab()))
    page = client.get("/labs/register").get_data(as_text=True)
    assert "请先退出登录" in page and 'name="credit_code"' not in page
    response = client.submit("/labs/register", registration(), form_url="/lab/users")  # a valid token
    assert response.status_code == 200
    assert counts() == (1, 1)


def test_form_shows_the_current_campaign_registration_deadline(client, campaign):
    html = client.get("/labs/register").get_data(as_text=True)
    assert f"{campaign.year} 年开放日" in html


def test_region_script_is_served(client):
    response = client.get("/static/js/regions.js")
    assert response.status_code == 200 and b"/geo/children" in response.data
    response.close()


def test_new_lab_sees_pending_status_on_its_dashboard(client, registration):
    client.submit("/labs/register", registration())
    html = client.get("/lab/").get_data(as_text=True)
    assert 'data-status="pending"' in html


class TestRefreshIsNotLimited:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                "OPENDAY_REGISTER_LIMIT": "1 per hour"}

    def test_refreshing_region_lists_does_not_use_up_the_limit(self, client, registration, db):
        for _ in range(3):
            response = client.submit("/labs/register", registration(refresh_regions="1"))
            assert response.status_code == 200
        assert client.submit("/labs/register", registration()).status_code == 302


def test_the_page_tells_the_current_campaigns_registration_window(client, create_campaign):
    assert "机构报名截止时间" not in client.get("/labs/register").get_data(as_text=True)  # no campaign
    create_campaign(theme="检验检测，为民服务")
    html = client.get("/labs/register").get_data(as_text=True)
    assert "开放日（检验检测，为民服务）机构报名截止时间" in html
