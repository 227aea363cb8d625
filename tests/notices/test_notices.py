"""Notices: regulators write them in their scope; the public reads safe HTML once published."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from openday import clock
from openday.notices import service
from openday.notices.models import Notice


@pytest.fixture
def create_notice(db):
    def make(title="开放日报名开始", body="欢迎参加。", region_scope=None, published_at=None,
             author=None):
        notice = Notice(title=title, body=body, region_scope=region_scope,
                        author_id=author.id if author else None,
                        published_at=published_at or clock.now() - timedelta(minutes=1))
        db.session.add(notice)
        db.session.commit()
        return notice
    return make



def test_markdown_is_rendered_and_scripts_are_stripped(client, create_notice):
    notice = create_notice(body=(
        "# 安排\n\n**重要**：请带身份证。\n\n- 上午参观\n- 下午讲座\n\n"
        "[报名](https://example.cn/a) [坏链接](javascript:alert(1))\n\n"
        "<script>alert('x')</script><img src=x onerror=alert(1)>"
        '<p style="color:red" onclick="alert(1)">样式</p>'))
    html = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    body = html[html.index('class="notice-body"'):]
    assert "<strong>重要</strong>" in body
    assert "<li>上午参观</li>" in body
    assert "<h2>安排</h2>" in body  # the page's h1 is the title
    assert 'href="https://example.cn/a"' in body and 'rel="noopener noreferrer nofollow"' in body
    assert "javascript:" not in body
    assert "<script>alert" not in html and "alert('x')" not in html
    assert "onerror" not in body and "onclick" not in body and "<img" not in body
    assert "style=" not in body


def test_plain_text_keeps_its_lines(app):
    html = service.render_body("第一行\n第二行\n\n第二段 <b>粗</b> & 1 < 2")
    assert "第一行<br />" in html or "第一行<br>" in html
    assert "<p>第二段 <b>粗</b> &amp; 1 &lt; 2</p>" in html


def test_scheduled_notices_stay_hidden_until_their_time(client, create_notice, monkeypatch):
    later = clock.now() + timedelta(hours=2)
    notice = create_notice(title="定时通知", published_at=later)
    assert client.get(f"/notices/{notice.id}").status_code == 404
    assert "定时通知" not in client.get("/").get_data(as_text=True)
    assert "定时通知" not in client.get("/notices/").get_data(as_text=True)
    assert notice not in service.latest_notices(10)
    moved = later + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: moved)
    assert client.get(f"/notices/{notice.id}").status_code == 200
    assert "定时通知" in client.get("/").get_data(as_text=True)


def test_latest_notices_newest_first_with_a_region_filter(app, create_notice):
    now = clock.now()
    national = create_notice(title="全国", published_at=now - timedelta(hours=3))
    hunan = create_notice(title="湖南", region_scope="430000", published_at=now - timedelta(hours=2))
    shanghai = create_notice(title="上海", region_scope="310000", published_at=now - timedelta(hours=1))
    assert service.latest_notices(10) == [shanghai, hunan, national]
    assert service.latest_notices(2) == [shanghai, hunan]
    assert service.latest_notices(10, region="430102") == [hunan, national]


def test_a_regulator_publishes_a_notice(client, db, national):
    response = client.submit("/regulator/notices", {
        "title": "第十届开放日启动", "body": "请各机构**按时**报名。", "region_scope": "",
        "published_at": ""})
    assert response.status_code == 302
    notice = db.session.execute(db.select(Notice)).scalar_one()
    assert notice.title == "第十届开放日启动" and notice.region_scope is None
    assert notice.author_id == national.id
    assert abs((notice.published_at - clock.now()).total_seconds()) < 60
    assert "第十届开放日启动" in client.get("/").get_data(as_text=True)
    assert "<strong>按时</strong>" in client.get(f"/notices/{notice.id}").get_data(as_text=True)
    listing = client.get("/regulator/notices").get_data(as_text=True)
    assert "第十届开放日启动" in listing


def test_a_future_publish_time_is_beijing_time_and_scheduled(client, db, national):
    day = clock.today() + timedelta(days=3)
    client.submit("/regulator/notices", {"title": "定时", "body": "正文", "region_scope": "430000",
                                         "published_at": f"{day.isoformat()}T09:30"})
    notice = db.session.execute(db.select(Notice)).scalar_one()
    assert notice.published_at == clock.china_datetime(day, 9, 30)
    assert notice.region_scope == "430000"
    assert client.get(f"/notices/{notice.id}").status_code == 404
    assert "定时" in client.get("/regulator/notices").get_data(as_text=True)


def test_bad_input_re_renders_with_errors(client, db, national):
    response = client.submit("/regulator/notices", {"title": "  ", "body": "", "region_scope": "",
                                                    "published_at": "not a date"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "请填写标题" in html and "请填写正文" in html
    assert db.session.execute(db.select(Notice)).first() is None


def test_a_provincial_regulator_cannot_publish_elsewhere(client, db, hunan):
    html = client.get("/regulator/notices").get_data(as_text=True)
    select = html.split('name="region_scope"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option[^>]*value="([^"]*)"', select)
    # Its province, or one of its cities.
    assert options[0] == "430000" and "430100" in options
    assert all(code.startswith("43") for code in options)
    response = client.submit("/regulator/notices", {"title": "越权", "body": "正文",
                                                    "region_scope": "310000"})
    assert response.status_code == 200
    response = client.submit("/regulator/notices", {"title": "全国越权", "body": "正文",
                                                    "region_scope": ""})
    assert response.status_code == 200
    assert db.session.execute(db.select(Notice)).first() is None
    client.submit("/regulator/notices", {"title": "湖南通知", "body": "正文", "region_scope": "430000"})
    assert db.session.execute(db.select(Notice.region_scope)).scalar_one() == "430000"


def test_out_of_scope_notices_answer_404(client, db, create_notice, hunan):
    others = [create_notice(title="上海的", region_scope="310000"), create_notice(title="全国的")]
    listing = client.get("/regulator/notices").get_data(as_text=True)
    for notice in others:
        assert notice.title not in listing
        assert client.get(f"/regulator/notices/{notice.id}/edit").status_code == 404
        response = client.submit(f"/regulator/notices/{notice.id}/edit",
                                 {"title": "改了", "body": "改了", "region_scope": "430000"},
                                 form_url="/regulator/notices")
        assert response.status_code == 404
        response = client.submit(f"/regulator/notices/{notice.id}/delete", {},
                                 form_url="/regulator/notices")
        assert response.status_code == 404
    db.session.expire_all()
    assert [n.title for n in db.session.execute(db.select(Notice).order_by(Notice.id)).scalars()] == [
        "上海的", "全国的"]
    assert client.get("/regulator/notices/9999/edit").status_code == 404


def test_edit_and_delete_own_scope_notice(client, db, create_notice, hunan):
    notice = create_notice(title="旧标题", region_scope="430000")
    notice_id, kept = notice.id, notice.published_at
    page = client.get(f"/regulator/notices/{notice_id}/edit").get_data(as_text=True)
    assert "旧标题" in page
    response = client.submit(f"/regulator/notices/{notice_id}/edit",
                             {"title": "新标题", "body": "新正文", "region_scope": "430000",
                              "published_at": ""})
    assert response.status_code == 302
    db.session.expire_all()
    notice = db.session.get(Notice, notice_id)
    assert (notice.title, notice.body, notice.published_at) == ("新标题", "新正文", kept)
    response = client.submit(f"/regulator/notices/{notice_id}/delete", {},
                             form_url=f"/regulator/notices/{notice_id}/edit")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Notice, notice_id) is None


def test_delete_needs_csrf_and_post(client, create_notice, national):
    notice = create_notice()
    assert client.post(f"/regulator/notices/{notice.id}/delete").status_code == 400
    assert client.get(f"/regulator/notices/{notice.id}/delete").status_code == 405


@pytest.mark.parametrize("role", ["regulator", "admin"])
def test_national_regulator_and_admin_manage_every_notice(client, db, create_notice, create_user,
                                                          login, role):
    login(create_user(role=role))  # a regulator made without a scope is a national one
    notices = [create_notice(title="湖南的", region_scope="430000"),
               create_notice(title="上海的", region_scope="310000"), create_notice(title="全国的")]
    ids = [notice.id for notice in notices]
    listing = client.get("/regulator/notices").get_data(as_text=True)
    for notice_id, title in zip(ids, ("湖南的", "上海的", "全国的")):
        assert title in listing
        url = f"/regulator/notices/{notice_id}/edit"
        assert title in client.get(url).get_data(as_text=True)
        response = client.submit(url, {"title": f"{title}（改）", "body": "改了",
                                       "region_scope": "310000", "published_at": ""})
        assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.execute(db.select(Notice.title, Notice.region_scope)
                                .order_by(Notice.id)).all()
    assert stored == [("湖南的（改）", "310000"), ("上海的（改）", "310000"), ("全国的（改）", "310000")]
    for notice_id in ids:
        response = client.submit(f"/regulator/notices/{notice_id}/delete", {},
                                 form_url="/regulator/notices")
        assert response.status_code == 302
    db.session.expire_all()
    assert db.session.execute(db.select(Notice)).first() is None


@pytest.mark.parametrize("url", ["/regulator/notices", "/regulator/notices/1/edit"])
def test_notices_admin_is_for_regulators(client, create_user, create_lab, login, url):
    assert client.get(url).status_code == 302
    login(create_user(role="lab", lab=create_lab()))
    assert client.get(url).status_code == 403


def test_public_notice_list_and_missing_notice(client, create_notice):
    create_notice(title="湖南通知", region_scope="430000")
    html = client.get("/notices/").get_data(as_text=True)
    assert "湖南通知" in html and "湖南省" in html
    assert client.get("/notices/12345").status_code == 404


def test_seconds_in_the_publish_time_are_accepted(client, db, national):
    day = clock.today() + timedelta(days=1)
    response = client.submit("/regulator/notices", {"title": "带秒", "body": "正文", "region_scope": "",
                                                    "published_at": f"{day.isoformat()}T08:00:00"})
    assert response.status_code == 302
    assert db.session.execute(db.select(Notice.published_at)).scalar_one() == \
        clock.china_datetime(day, 8)


def test_regulator_dashboard_lists_its_notices(client, create_notice, hunan):
    create_notice(title="湖南的通知", region_scope="430000")
    create_notice(title="上海的通知", region_scope="310000")
    html = client.get("/regulator/").get_data(as_text=True)
    assert "湖南的通知" in html and "上海的通知" not in html


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T23:59"])
def test_a_publish_time_outside_the_calendar_is_a_field_error(client, db, national, moment):
    # Year 1 overflowed on its way to UTC and the error page after it crashed; it is a typo.
    response = client.submit("/regulator/notices", {"title": "通知", "body": "正文", "region_scope": "",
                                                    "published_at": moment})
    assert response.status_code == 200
    assert re.search(r'id="published_at-error"[^>]*>[^<]*2000', response.get_data(as_text=True))
    db.session.rollback()
    assert db.session.execute(db.select(Notice)).first() is None


def test_editing_a_notice_to_year_one_keeps_it(client, db, national, create_notice):
    notice = create_notice(title="原通知", author=national)
    url = f"/regulator/notices/{notice.id}/edit"
    response = client.submit(url, {"title": "改过", "body": "正文", "region_scope": "",
                                   "published_at": "0001-01-01T00:00"})
    assert response.status_code == 200
    db.session.rollback()
    assert db.session.get(Notice, notice.id).title == "原通知"
