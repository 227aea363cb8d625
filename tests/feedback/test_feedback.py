"""SPEC §13: a checked-in visitor rates a visit once; labs and regulators read it, never who."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from openday.feedback import service
from openday.feedback.models import Feedback
from openday.stats import service as stats
from tests.feedback.conftest import AFTER_START


def post(client, booking, body):
    return client.post(f"/api/v1/bookings/{booking.manage_token}/feedback", json=body)


def test_only_a_checked_in_visit_is_rated_and_only_once(app, db, client, create_slot, book,
                                                        visited, at):
    slot = create_slot()
    absent = book(slot)
    came = visited(slot)
    at(slot.starts_at - timedelta(minutes=1))
    assert post(client, came, {"rating": 5}).get_json()["error"]["code"] == "feedback_not_open"
    at(slot.starts_at + AFTER_START)
    refused = post(client, absent, {"rating": 5})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_checked_in"
    for bad in (0, 6, "5", True, None, 4.5):
        answer = post(client, came, {"rating": bad})
        assert answer.status_code == 422, bad
        assert "rating" in answer.get_json()["error"]["fields"]
    too_long = post(client, came, {"rating": 4, "comment": "好" * 501})
    assert too_long.status_code == 422 and "comment" in too_long.get_json()["error"]["fields"]
    assert post(client, came, "not an object").status_code == 400
    made = post(client, came, {"rating": 4, "comment": "  讲解很清楚  "})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["rating"] == 4 and made.get_json()["comment"] == "讲解很清楚"
    again = post(client, came, {"rating": 1})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_rated"
    assert db.session.execute(sa.select(sa.func.count(Feedback.id))).scalar_one() == 1
    db.session.expire_all()
    db.session.refresh(slot)
    assert (slot.rating_count, slot.rating_sum) == (1, 4)
    unknown = client.post("/api/v1/bookings/" + "x" * 43 + "/feedback", json={"rating": 3})
    assert unknown.status_code == 404


def test_rating_closes_thirty_days_after_the_visit(app, db, client, create_slot, visited, at):
    slot = create_slot()
    came = visited(slot)
    at(slot.ends_at + timedelta(days=30))
    closed = post(client, came, {"rating": 3})
    assert closed.status_code == 409 and closed.get_json()["error"]["code"] == "feedback_closed"
    at(slot.ends_at + timedelta(days=29))
    assert post(client, came, {"rating": 3}).status_code == 201


def test_manage_page_asks_once_and_shows_the_comment_as_text(app, db, client, create_slot,
                                                             visited, at):
    slot = create_slot()
    came = visited(slot)
    page = f"/bookings/{came.manage_token}"
    assert 'id="feedback"' not in client.get(page).get_data(as_text=True)  # not started yet
    at(slot.starts_at + AFTER_START)
    html = client.get(page).get_data(as_text=True)
    assert 'name="rating"' in html and 'name="comment"' in html
    missing = client.submit(f"{page}/feedback", {"comment": "x"}, form_url=page)
    assert missing.status_code == 422
    assert "请选择 1 到 5 星" in missing.get_data(as_text=True)
    comment = '<script>alert(1)</script> 详见 http://evil.example/x <a href="http://e.x">x</a>'
    done = client.submit(f"{page}/feedback", {"rating": "2", "comment": comment}, form_url=page)
    assert done.status_code == 303
    html = client.get(page).get_data(as_text=True)
    assert 'name="rating"' not in html  # asked once
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html and 'href="http://evil.example' not in html
    assert 'href="http://e.x"' not in html
    assert service.feedback_of(came.id).comment == comment  # kept as typed, shown escaped


@pytest.fixture
def rated_world(create_lab, create_event, create_slot, visited, at):
    """Ratings at two labs in 长沙 (湖南) and one in 上海, of two kinds."""
    from openday import clock
    start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    changsha_a = create_lab(name="长沙甲检测所")
    changsha_b = create_lab(name="长沙乙检测所")
    shanghai = create_lab(name="上海丙检测院", city="310100", district="310101")
    plan = [(changsha_a, "tour", [5, 4, 4]), (changsha_a, "lecture", [3]),
            (changsha_b, "tour", [2, 1, 2]), (shanghai, "lecture", [5, 5])]
    slots, given = [], []
    for lab, kind, ratings in plan:
        slot = create_slot(event=create_event(lab=lab, kind=kind), starts_at=start)
        slots.append(slot)
        given.append([(visited(slot, name="李秘密", phone=f"1397777{len(given):02d}{i:02d}"), r)
                      for i, r in enumerate(ratings)])
    at(start + AFTER_START)
    for booking_ratings in given:
        for booking, rating in booking_ratings:
            service.leave_feedback(booking, rating, f"评分{rating}：还不错")
    return {"labs": (changsha_a, changsha_b, shanghai), "plan": plan}


def test_ratings_are_aggregated_by_region_kind_and_lab(app, db, client, rated_world, campaign):
    from openday.core.scope import Scope
    report = service.regulator_report(Scope.EVERYWHERE, campaign.id)
    assert (report.overall.count, report.overall.total) == (9, 31)
    assert {(r.key, r.count, r.mean) for r in report.by_region} == {
        ("430000", 7, round(21 / 7, 2)), ("310000", 2, 5.0)}
    assert {(r.key, r.count, r.mean) for r in report.by_kind} == {
        ("tour", 6, 3.0), ("lecture", 3, round(13 / 3, 2))}
    a, b, s = rated_world["labs"]
    assert {(r.name, r.count, r.mean) for r in report.by_lab} == {
        (a.name, 4, 4.0), (b.name, 3, round(5 / 3, 2)), (s.name, 2, 5.0)}
    assert [r.name for r in report.lowest] == [b.name, a.name]  # 上海 has too few to rank
    hunan = service.regulator_report(Scope.parse("430000"), campaign.id)
    assert {r.key for r in hunan.by_region} == {"430100"}
    assert {c.lab_name for c in hunan.comments} == {a.name, b.name}

    body = client.get("/api/v1/stats?group_by=province").get_json()
    groups = {g["key"]: g for g in body["groups"]}
    assert (groups["430000"]["ratings"], groups["430000"]["rating"]) == (7, 3.0)
    assert (groups["310000"]["ratings"], groups["310000"]["rating"]) == (2, 5.0)
    assert body["totals"]["ratings"] == 9 and body["totals"]["rating"] == round(31 / 9, 2)
    kinds = {g["key"]: g for g in client.get("/api/v1/stats?group_by=kind").get_json()["groups"]}
    assert kinds["tour"]["rating"] == 3.0 and kinds["lecture"]["ratings"] == 3
    assert stats.report(campaign.year, "city").totals.ratings == 9


def test_no_name_or_phone_in_any_feedback_view(app, db, client, rated_world, create_user, login):
    hidden = ["李秘密", "1397777", "139****"]
    regulator = create_user(role="regulator")
    login(regulator)
    for url in ("/regulator/feedback", "/regulator/feedback?campaign=1999", "/api/v1/stats"):
        response = client.get(url)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert "还不错" in text or url == "/api/v1/stats"
        assert not any(h in text for h in hidden), url
    client.post("/logout", data={"csrf_token": client.csrf_token("/regulator/")})
    lab_user = create_user(role="lab", lab=rated_world["labs"][0])
    login(lab_user)
    text = client.get("/lab/feedback").get_data(as_text=True)
    assert "评分5：还不错" in text and "评分2：还不错" not in text  # its own events only
    assert not any(h in text for h in hidden)


def test_lab_and_regulator_pages_need_their_roles(app, client, create_user, login):
    assert client.get("/regulator/feedback").status_code == 302
    assert client.get("/lab/feedback").status_code == 302
    login(create_user(role="regulator"))
    assert client.get("/lab/feedback").status_code == 403
