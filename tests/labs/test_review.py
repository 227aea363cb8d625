"""Regulators review labs in their scope; the lab sees its status and the reason."""
from __future__ import annotations

import pytest
from flask import Blueprint

from openday.accounts.permissions import approved_lab_required
from openday.labs.models import Lab


@pytest.fixture
def labs(create_lab):
    """A pending lab in 长沙 (湖南) and one in 上海."""
    return {
        "hunan": create_lab(name="长沙检测所", status="pending"),
        "shanghai": create_lab(name="上海检测所", status="pending", city="310100", district="310104"),
    }


def status_of(db, lab) -> str:
    db.session.expire_all()
    return db.session.get(Lab, lab.id).status


def review(client, lab, action, reason=""):
    url = f"/regulator/labs/{lab.id}"
    return client.submit(url, {"action": action, "reason": reason})


def test_national_regulator_sees_every_pending_lab(client, login, create_user, labs):
    login(create_user(role="regulator"))
    html = client.get("/regulator/labs").get_data(as_text=True)
    assert "长沙检测所" in html and "上海检测所" in html


def test_provincial_regulator_sees_only_its_province(client, login, create_user, labs):
    login(create_user(role="regulator", region_scope="430000"))
    html = client.get("/regulator/labs").get_data(as_text=True)
    assert "长沙检测所" in html and "上海检测所" not in html
    html = client.get("/regulator/labs?status=all").get_data(as_text=True)
    assert "上海检测所" not in html


def test_queue_filters_by_status(client, login, create_user, create_lab):
    create_lab(name="待审核的所", status="pending")
    create_lab(name="已通过的所", status="approved")
    login(create_user(role="regulator"))
    pending = client.get("/regulator/labs").get_data(as_text=True)
    assert "待审核的所" in pending and "已通过的所" not in pending
    approved = client.get("/regulator/labs?status=approved").get_data(as_text=True)
    assert "已通过的所" in approved and "待审核的所" not in approved
    everything = client.get("/regulator/labs?status=all").get_data(as_text=True)
    assert "已通过的所" in everything and "待审核的所" in everything


def test_approve_lets_the_lab_publish(client, db, login, create_user, labs):
    login(create_user(role="regulator", region_scope="430000"))
    response = review(client, labs["hunan"], "approve")
    assert response.status_code == 302
    lab = db.session.get(Lab, labs["hunan"].id)
    db.session.refresh(lab)
    assert lab.status == "approved" and lab.reviewed_at is not None


def test_reject_needs_a_reason_and_the_lab_sees_it(app, client, db, login, create_user, labs):
    regulator = create_user(role="regulator", region_scope="430000")
    login(regulator)
    html = review(client, labs["hunan"], "reject").get_data(as_text=True)
    assert 'id="reason-error"' in html
    assert status_of(db, labs["hunan"]) == "pending"

    assert review(client, labs["hunan"], "reject", "CMA 证书已过期").status_code == 302
    assert status_of(db, labs["hunan"]) == "rejected"

    client.submit("/logout", {}, form_url="/regulator/labs")
    login(create_user(role="lab", lab=labs["hunan"]))
    page = client.get("/lab/").get_data(as_text=True)
    assert "未通过" in page and "CMA 证书已过期" in page


def test_suspend_needs_a_reason_and_reinstate_restores(client, db, login, create_user, create_lab):
    lab = create_lab(status="approved")
    login(create_user(role="regulator"))
    assert 'id="reason-error"' in review(client, lab, "suspend").get_data(as_text=True)
    assert status_of(db, lab) == "approved"
    review(client, lab, "suspend", "活动现场存在安全隐患")
    assert status_of(db, lab) == "suspended"
    assert db.session.get(Lab, lab.id).status_reason == "活动现场存在安全隐患"
    review(client, lab, "reinstate")
    assert status_of(db, lab) == "approved"
    assert db.session.get(Lab, lab.id).status_reason is None


@pytest.mark.parametrize("status, action", [
    ("pending", "reinstate"), ("pending", "suspend"), ("approved", "approve"),
    ("approved", "reject"), ("suspended", "reject"), ("rejected", "suspend"),
])
def test_actions_that_do_not_fit_the_status_change_nothing(client, db, login, create_user, create_lab,
                                                           status, action):
    lab = create_lab(status=status)
    login(create_user(role="regulator"))
    response = review(client, lab, action, "原因")
    assert response.status_code == 200
    assert "不能执行" in response.get_data(as_text=True)
    assert status_of(db, lab) == status


def test_unknown_action_is_refused(client, db, login, create_user, labs):
    login(create_user(role="regulator"))
    response = review(client, labs["hunan"], "delete", "x")
    assert response.status_code == 200 and status_of(db, labs["hunan"]) == "pending"


def test_provincial_regulator_cannot_see_or_act_on_another_province(client, db, login, create_user, labs):
    login(create_user(role="regulator", region_scope="430000"))
    shanghai = labs["shanghai"]
    assert client.get(f"/regulator/labs/{shanghai.id}").status_code == 404
    token_page = f"/regulator/labs/{labs['hunan'].id}"
    response = client.submit(f"/regulator/labs/{shanghai.id}", {"action": "approve"}, form_url=token_page)
    assert response.status_code == 404
    assert status_of(db, shanghai) == "pending"


def test_missing_lab_answers_404_like_one_out_of_scope(client, login, create_user):
    login(create_user(role="regulator"))
    assert client.get("/regulator/labs/999999").status_code == 404


def test_admin_reviews_anywhere(client, db, login, create_user, labs):
    login(create_user(role="admin"))
    review(client, labs["shanghai"], "approve")
    assert status_of(db, labs["shanghai"]) == "approved"


def test_review_without_csrf_token_is_refused(client, db, login, create_user, labs):
    login(create_user(role="regulator"))
    response = client.post(f"/regulator/labs/{labs['hunan'].id}", data={"action": "approve"})
    assert response.status_code == 400
    assert status_of(db, labs["hunan"]) == "pending"


@pytest.mark.parametrize("status, allowed", [
    ("approved", True), ("pending", False), ("rejected", False), ("suspended", False)])
def test_only_approved_labs_pass_approved_lab_required(app, client, login, create_user, create_lab,
                                                       status, allowed):
    probe = Blueprint("probe", __name__)

    @probe.route("/probe/publish")
    @approved_lab_required
    def publish():
        return "ok"

    app.register_blueprint(probe)
    login(create_user(role="lab", lab=create_lab(status=status)))
    assert client.get("/probe/publish").status_code == (200 if allowed else 403)
