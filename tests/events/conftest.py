"""Fixtures for the lab's side: a logged-in member of an approved lab, another lab, and a valid
event form."""
from __future__ import annotations

import pytest


@pytest.fixture
def lab(create_lab):
    return create_lab(name="长沙市食品检验所")


@pytest.fixture
def staff(create_user, lab):
    return create_user(role="lab", lab=lab)


@pytest.fixture
def logged_in(staff, login):
    """The client, logged in as staff of ``lab``."""
    login(staff)
    return staff


@pytest.fixture
def other_lab(create_lab):
    return create_lab(name="上海市计量测试所", city="310100", district="310104",
                      address="徐汇区宜山路 716 号", lat=31.17, lon=121.42)


@pytest.fixture
def event_form():
    """The fields of a valid event form; override with keyword arguments."""
    def make(**changes) -> dict:
        data = {"kind": "free_testing", "title": "珠宝玉石免费检测", "summary": "带上首饰，现场鉴定",
                "description": "第一段。\n第二段。", "venue_type": "lab", "venue_name": "",
                "venue_address": "", "venue_district": "430104", "audience": ["public", "seniors"],
                "accessibility": "一楼有无障碍通道", "testing_items": "金银首饰、翡翠",
                "what_to_bring": "身份证", "save": "保存草稿"}
        data.update(changes)
        return {k: v for k, v in data.items() if v is not None}
    return make
