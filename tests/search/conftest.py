"""A small country to search: labs and slots in 长沙 (two districts) and 上海."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from openday import clock


@dataclass
class World:
    yuelu: object        # 长沙 岳麓区, tour, soonest
    furong: object       # 长沙 芙蓉区, lecture, free testing items, later
    furong_full: object  # 长沙 芙蓉区, full
    shanghai: object     # 上海 浦东, quiz
    day: object          # the Beijing date of `yuelu`


@pytest.fixture
def world(db, create_lab, create_event, create_slot) -> World:
    day = clock.today() + timedelta(days=3)
    yuelu_lab = create_lab(name="湖南省食品质量监督检验研究院", city="430100", district="430104",
                           lat=28.2345, lon=112.9313)
    furong_lab = create_lab(name="长沙市计量检定测试所", city="430100", district="430102",
                            lat=28.1854, lon=113.0325, address="芙蓉区五一大道 100 号")
    shanghai_lab = create_lab(name="上海市质量监督检验技术研究院", city="310100", district="310115",
                              lat=31.2215, lon=121.5444, address="浦东新区张江路 1 号")
    yuelu = create_slot(event=create_event(lab=yuelu_lab, kind="tour", title="走进食品检测实验室"),
                        starts_at=clock.china_datetime(day, 9), capacity=20)
    furong_event = create_event(lab=furong_lab, kind="free_testing", title="家用血压计免费校准",
                                testing_items="血压计,电子秤,眼镜")
    furong = create_slot(event=furong_event, starts_at=clock.china_datetime(day + timedelta(days=2), 14),
                         capacity=10)
    furong_full = create_slot(event=furong_event,
                              starts_at=clock.china_datetime(day + timedelta(days=1), 10),
                              capacity=2, max_party=2, seats_taken=2, confirmed_count=1)
    shanghai = create_slot(event=create_event(lab=shanghai_lab, kind="quiz", title="质量知识竞赛"),
                           starts_at=clock.china_datetime(day, 15), capacity=30)
    return World(yuelu, furong, furong_full, shanghai, day)
