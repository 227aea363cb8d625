"""A rejected lab corrects its details and goes back into the review queue (pending)."""
from __future__ import annotations

import pytest

from openday.labs.models import Lab


@pytest.fixture
def rejected(create_lab, create_user, login):
    lab = create_lab(name="长沙检测所", status="rejected", status_reason="资质认定证书已过期")
    user = create_user(role="lab", lab=lab)
    login(user)
    return lab


def _fresh(db, lab) -> Lab:
    db.session.expire_all()
    return db.session.get(Lab, lab.id)


def _details(**changes) -> dict:
    data = {"name": "长沙市检测研究所", "cma_number": "201918000099", "province": "430000",
            "city": "430100", "district": "430104", "address": "岳麓区麓谷大道 9 号",
            "contact_name": "李工", "contact_phone": "13900001111", "contact_email": "new@example.cn",
            "testing_fields": ["food", "metrology"]}
    data.update(changes)
    return data


def _form_of(lab: Lab) -> dict:
    """The apply-again form as it comes filled from the lab's stored details."""
    return {"name": lab.name, "cma_number": lab.cma_number, "province": lab.province_adcode,
            "city": lab.city_adcode, "district": lab.district_adcode, "address": lab.address,
            "contact_name": lab.contact_name, "contact_phone": lab.contact_phone,
            "contact_email": lab.contact_email, "testing_fields": lab.field_codes}


def test_the_rejected_lab_sees_the_reason_and_the_way_back(client, rejected):
    dashboard = client.get("/lab/").get_data(as_text=True)
    assert "资质认定证书已过期" in dashboard and "/lab/apply-again" in dashboard
    page = client.get("/lab/apply-again").get_data(as_text=True)
    assert 'value="长沙检测所"' in page and rejected.credit_code in page  # filled in; the code shown, not editable
    assert 'name="credit_code"' not in page


def test_applying_again_puts_the_corrected_lab_back_in_the_queue(client, db, rejected, create_user):
    credit_code = rejected.credit_code
    response = client.submit("/lab/apply-again", _details())
    assert response.status_code == 302 and response.headers["Location"].endswith("/lab/")
    lab = _fresh(db, rejected)
    assert (lab.status, lab.status_reason, lab.reviewed_at) == ("pending", None, None)
    assert (lab.name, lab.cma_number, lab.district_adcode, lab.contact_email) == (
        "长沙市检测研究所", "201918000099", "430104", "new@example.cn")
    assert lab.field_codes == ["food", "metrology"] and lab.credit_code == credit_code
    assert lab.lat is not None  # located again from the new district


def test_bad_details_re_render_with_the_fields_error_and_change_nothing(client, db, rejected):
    response = client.submit("/lab/apply-again", _details(contact_phone="12345", name=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "请填写机构名称" in html
    lab = _fresh(db, rejected)
    assert (lab.status, lab.name) == ("rejected", "长沙检测所")


def test_only_a_rejected_lab_may_apply_again(client, db, create_lab, create_user, login):
    pending = create_lab(name="待审机构", status="pending")
    login(create_user(role="lab", lab=pending))
    assert client.get("/lab/apply-again").status_code == 302
    form_url = "/lab/users"  # any page of this session carries a CSRF token
    assert client.submit("/lab/apply-again", _details(), form_url=form_url).status_code == 302
    assert _fresh(db, pending).name == "待审机构"


def test_the_regulator_sees_no_apply_again_link(client, create_user, login, rejected):
    client.post("/logout", data={"csrf_token": client.csrf_token("/lab/")})
    login(create_user(role="regulator"))
    html = client.get(f"/regulator/labs/{rejected.id}").get_data(as_text=True)
    assert "资质认定证书已过期" in html and "/lab/apply-again" not in html


def test_applying_again_needs_a_csrf_token(client, db, rejected):
    assert client.post("/lab/apply-again", data=_details()).status_code == 400
    assert _fresh(db, rejected).status == "rejected"
