"""`flask --app wsgi openday demo`: the demo data of SPEC §10, loaded once.

Everything is written in one transaction, so the data is either all there or not at all; a
second run finds the demo admin account and changes nothing. Dates are relative to today, and
the content comes from a seeded random generator, so every fresh database gets the same demo.

The synthetic national data of ``openday generate`` reuses the tables of names and titles here.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import click
import sqlalchemy as sa

from openday import clock
from openday.accounts.models import NATIONAL, Role, User
from openday.bookings import ballot
from openday.bookings.models import Booking, BookingStatus
from openday.bookings.service import CODE_ALPHABET, CODE_LENGTH, BookingRequest, book
from openday.cli import openday_cli
from openday.core.phone import normalise_phone
from openday.core.errors import RuleError
from openday.events.models import Campaign, Event, EventKind, EventStatus, Slot, SlotMode
from openday.events.service import slot_copies
from openday.extensions import db
from openday.feedback.service import leave_feedback
from openday.geo import service as geo
from openday.geo.models import Region
from openday.labs.models import Lab, LabStatus
from openday.labs.service import credit_code_check_character, validate_credit_code
from openday.notices.models import Notice

DEMO_PASSWORD = "openday-demo"
ADMIN_EMAIL = "admin@openday.test"
REGULATOR_EMAIL = "regulator@openday.test"
LAB1_EMAIL = "lab1@openday.test"
LAB2_EMAIL = "lab2@openday.test"
THEME = "检验检测，为民服务"
FIRST_YEAR = 2010  # the 1st open day was 2011: edition = year − 2010
PAST_YEAR = 2019

# ---- unified social credit codes (GB 32100) ----------------------------------------------------
# The check character is computed once, in the labs service that validates registrations; here
# are only the parts that make new codes (for demo and generated labs).

ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code


def credit_check_character(body: str) -> str:
    """The 18th character of a unified social credit code whose first 17 are ``body``."""
    return credit_code_check_character(body)


def is_valid_credit_code(code: str) -> bool:
    try:
        return validate_credit_code(code) == code
    except RuleError:
        return False


def organisation_code(number: int) -> str:
    """A 9-character GB 11714 organisation code: 8 digits and their check character."""
    digits = f"{number % 100_000_000:08d}"
    check = 11 - sum(int(d) * w for d, w in zip(digits, ORG_CODE_WEIGHTS)) % 11
    return digits + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(adcode: str, number: int, authority: str = "12") -> str:
    """A valid unified social credit code: registering authority and kind (``12``: a public
    institution such as a provincial testing institute, ``91``: a company), the adcode where it
    registered, its organisation code, and the GB 32100 check character."""
    body = authority + adcode + organisation_code(number)
    return body + credit_check_character(body)


# ---- content --------------------------------------------------------------------------------------

DEMO_CITIES = (
    "北京", "上海", "广州", "深圳", "长沙", "成都", "武汉", "杭州", "南京", "天津", "重庆", "西安",
    "郑州", "济南", "青岛", "沈阳", "大连", "哈尔滨", "长春", "石家庄", "太原", "呼和浩特", "合肥",
    "福州", "厦门", "南昌", "南宁", "海口", "贵阳", "昆明", "兰州", "西宁", "银川", "乌鲁木齐",
    "苏州", "宁波", "株洲", "佛山",
)

# (name pattern, testing fields, credit-code authority); {p} province, {c} city (full names).
LAB_PATTERNS = (
    ("{p}产品质量监督检验研究院", "food,electrical,textiles,chemicals", "12"),
    ("{c}食品药品检验所", "food,water,agriculture", "12"),
    ("{c}计量测试研究所", "metrology,medical_devices", "12"),
    ("{p}建设工程质量检测中心", "building_materials,environment", "12"),
    ("{c}生态环境监测中心站", "environment,water", "12"),
    ("{p}纤维检验局", "textiles", "12"),
    ("{p}医疗器械检验检测所", "medical_devices,electrical", "12"),
    ("{c}特种设备检验研究院", "metrology,vehicles", "12"),
    ("{p}珠宝玉石首饰检验中心", "jewellery", "12"),
    ("{c}农产品质量安全检测中心", "agriculture,food", "12"),
    ("{c}机动车检测技术有限公司", "vehicles", "91"),
    ("{c}华测检测认证有限公司", "food,environment,chemicals", "91"),
    ("{c}谱尼测试技术有限公司", "food,water,environment", "91"),
    ("{c}电子产品检测技术有限公司", "electrical", "91"),
)

ROADS = ("科技路", "建设大道", "学院路", "高新大道", "工业园路", "人民路", "解放路", "创业路",
         "环城北路", "金星路", "文化路", "长江路")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "志强", "晓红", "海燕", "子涵", "一鸣")


@dataclass(frozen=True)
class EventTemplate:
    kind: str
    title: str
    summary: str
    description: str
    testing_items: str = ""
    what_to_bring: str = ""
    venue_type: str = "lab"
    venue_name: str = ""


EVENT_TEMPLATES: tuple[EventTemplate, ...] = (
    EventTemplate(EventKind.tour, "走进食品检测实验室", "看看一口饭菜要经过哪些检测",
                  "跟随检测工程师参观理化实验室和微生物实验室，了解农药残留、添加剂和致病菌是怎样"
                  "检出来的，现场观看液相色谱和气相色谱仪器的工作过程。",
                  what_to_bring="请携带身份证件；实验室内请勿饮食"),
    EventTemplate(EventKind.tour, "探访计量实验室：秤准不准谁说了算", "国家计量基准和日常计量器具",
                  "参观质量、长度和温度计量实验室，了解电子秤、出租车计价器、加油机是怎样检定的，"
                  "亲手操作砝码比对。",
                  what_to_bring="请穿平底鞋"),
    EventTemplate(EventKind.tour, "电磁兼容与电器安全实验室开放参观", "家用电器上市前要过哪几关",
                  "参观电磁兼容暗室和电器安全实验室，观看电吹风、电水壶的耐热、漏电和异常工作试验。"),
    EventTemplate(EventKind.tour, "建材检测中心开放：一块砖的“体检”", "钢筋、水泥、混凝土怎么检",
                  "参观力学实验室，观看混凝土试块抗压试验和钢筋拉伸试验，了解装修材料甲醛释放量"
                  "的测定方法。"),
    EventTemplate(EventKind.lecture, "科普讲座：如何读懂食品标签", "配料表、营养成分表和保质期",
                  "食品检验专家讲解预包装食品标签上的信息，教您识别添加剂、过敏原和“零添加”宣传，"
                  "现场答疑。", venue_type="community", venue_name="社区文化活动中心"),
    EventTemplate(EventKind.lecture, "家装材料中的甲醛知多少", "选材、通风与检测",
                  "讲解人造板、涂料和家具中甲醛与挥发性有机物的来源，室内空气检测的正确方法，"
                  "以及市面上常见“除醛”产品的真实效果。"),
    EventTemplate(EventKind.lecture, "儿童用品安全科普课", "玩具、文具和童装的安全要点",
                  "面向家长和小学生，讲解小零件、锐利边缘、绳带和有害物质等风险，教孩子看懂"
                  "3C 标志。", venue_type="school", venue_name="实验小学"),
    EventTemplate(EventKind.free_testing, "便民检测：家用血压计免费校准", "带上家里的血压计来测一测",
                  "计量检定人员现场为市民免费检测家用电子血压计的示值误差，并讲解正确的测量姿势。",
                  testing_items="电子血压计示值误差,体温计示值误差",
                  what_to_bring="家用血压计及其电池", venue_type="community", venue_name="街道便民服务中心"),
    EventTemplate(EventKind.free_testing, "免费检测：金银首饰成色", "现场无损检测，立等可取",
                  "使用 X 射线荧光光谱仪对金银铂首饰进行无损检测，出具检测结果单，每人限 3 件。",
                  testing_items="黄金含量,白银含量,铂金含量", what_to_bring="待检首饰（每人限 3 件）"),
    EventTemplate(EventKind.free_testing, "农残快检：带上您家的蔬菜", "一份蔬菜，十分钟出结果",
                  "采用酶抑制法快速检测有机磷和氨基甲酸酯类农药残留，讲解蔬菜清洗和储存的窍门。",
                  testing_items="有机磷农药残留,氨基甲酸酯类农药残留",
                  what_to_bring="约 100 克叶菜或瓜果，装在干净的袋子里"),
    EventTemplate(EventKind.free_testing, "饮用水水质免费检测", "自来水、净水器出水都可以测",
                  "现场检测 pH、浑浊度、余氯和总溶解固体，解读家用净水器滤芯更换时机。",
                  testing_items="pH,浑浊度,余氯,总溶解固体", what_to_bring="500 毫升干净瓶装水样"),
    EventTemplate(EventKind.free_testing, "眼镜片参数免费检测", "度数、光心和蓝光防护",
                  "使用焦度计和光谱仪检测眼镜片的顶焦度、光学中心和防蓝光性能。",
                  testing_items="顶焦度,光学中心偏差,蓝光透射比", what_to_bring="在戴的眼镜"),
    EventTemplate(EventKind.quiz, "质量安全知识问答挑战赛", "答题赢取检测小礼品",
                  "围绕食品安全、计量、特种设备和消费品安全设置必答、抢答和风险题，家庭组队参加。"),
    EventTemplate(EventKind.quiz, "“世界计量日”知识竞答", "单位制、计量器具和生活中的测量",
                  "以国际单位制为主题的趣味问答，现场设置称量、测长小游戏，适合中学生参加。",
                  venue_type="school", venue_name="第一中学"),
    EventTemplate(EventKind.training, "检验检测机构资质认定要求解读培训", "面向企业质量负责人",
                  "解读检验检测机构资质认定评审准则，讲解内部审核、管理评审和能力验证的常见问题。",
                  venue_type="company", venue_name="高新区企业服务中心"),
    EventTemplate(EventKind.training, "实验室安全与规范操作技术培训", "危化品、气瓶和个人防护",
                  "面向高校和企业实验室人员，讲解危险化学品管理、气瓶使用和应急处置，含实操演练。"),
)

SLOT_TIMES = ((9, 30, 90), (14, 0, 90), (15, 30, 90), (10, 0, 120))  # Beijing (hour, minute, minutes)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def phone_number(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + f"{rng.randrange(10**9):09d}"


def booking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def jitter(rng: random.Random, lat: float, lon: float, km: float = 4.0) -> tuple[float, float]:
    d = km / 111.0
    return round(lat + rng.uniform(-d, d), 5), round(lon + rng.uniform(-d, d), 5)


def districts_of(city: Region) -> list[Region]:
    """A city's districts, or the city itself where it has none (东莞, 中山)."""
    return geo.children(city.adcode) or [city]


def province_name(city: Region) -> str:
    return geo.province_of(city.adcode).name


def lab_name(pattern: str, city: Region) -> str:
    return pattern.format(p=province_name(city), c=city.name)


def campaign_window(today: date) -> tuple[date, date]:
    # Begun yesterday: the demo shows a visit that took place and its visitors' ratings.
    return today - timedelta(days=1), today + timedelta(days=30)


def ensure_current_campaign(today: date | None = None) -> Campaign:
    """The current campaign, or a new one for this year whose window covers today + 30 days."""
    from openday.events.service import current_campaign

    campaign = current_campaign()
    if campaign is not None:
        return campaign
    today = today or clock.today()
    existing = db.session.execute(
        sa.select(Campaign).where(Campaign.year == today.year)).scalar_one_or_none()
    if existing is not None:
        existing.is_current = True
        return existing
    starts_on, ends_on = campaign_window(today)
    campaign = Campaign(
        year=today.year, edition=today.year - FIRST_YEAR, theme=THEME, starts_on=starts_on,
        ends_on=ends_on, registration_opens_at=clock.now() - timedelta(days=30),
        registration_closes_at=clock.china_datetime(ends_on, 18), is_current=True)
    db.session.add(campaign)
    db.session.flush()
    return campaign


# ---- the loader -----------------------------------------------------------------------------------

class DemoLoader:
    def __init__(self, today: date) -> None:
        self.today = today
        self.rng = random.Random(20110916)  # fixed: every fresh database gets the same demo
        self.serial = 0
        self.password_hash: str | None = None
        self.live_bookings: list[tuple[Slot, int]] = []
        self.summary: dict[str, int] = {}

    def count(self, what: str, n: int = 1) -> None:
        self.summary[what] = self.summary.get(what, 0) + n

    # accounts -----------------------------------------------------------------------------------
    def user(self, email: str, role: str, name: str, lab: Lab | None = None,
             region_scope: str | None = None, shared_hash: bool = False) -> User:
        user = User(email=email, role=role, name=name, lab=lab, region_scope=region_scope)
        if shared_hash:
            # The other demo labs' accounts share one hash: scrypt is slow on purpose, and
            # forty of them would make `make run`'s first start take seconds longer.
            if self.password_hash is None:
                user.set_password(DEMO_PASSWORD)
                self.password_hash = user.password_hash
            user.password_hash = self.password_hash
        else:
            user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        self.count("accounts")
        return user

    # labs ---------------------------------------------------------------------------------------
    def lab(self, city: Region, pattern: str, fields: str, authority: str,
            status: str = LabStatus.approved, district: Region | None = None) -> Lab:
        rng = self.rng
        self.serial += 1
        district = district or rng.choice(districts_of(city))
        lat, lon = jitter(rng, district.lat, district.lon, km=2)
        lab = Lab(
            name=lab_name(pattern, city),
            credit_code=credit_code(city.adcode, 43_000_000 + self.serial * 7919, authority),
            cma_number=f"{rng.randrange(2016, 2025)}{city.adcode[:2]}{self.serial:06d}",
            province_adcode=city.province_adcode, city_adcode=city.adcode,
            district_adcode=district.adcode,
            address=f"{district.name}{rng.choice(ROADS)}{rng.randrange(1, 400)}号",
            lat=lat, lon=lon, contact_name=person_name(rng), contact_phone=phone_number(rng),
            contact_email=f"contact{self.serial}@labs.example.cn", testing_fields=fields,
            status=status, reviewed_at=None if status == LabStatus.pending else clock.now() - timedelta(days=40),
            created_at=clock.now() - timedelta(days=rng.randrange(41, 400)))
        db.session.add(lab)
        self.count(f"labs ({status})")
        return lab

    # events and slots ---------------------------------------------------------------------------
    def event(self, lab: Lab, campaign: Campaign, template: EventTemplate) -> Event:
        rng = self.rng
        if template.venue_type == "lab":
            venue_name, address = lab.name, lab.address
            district_adcode, lat, lon = lab.district_adcode, lab.lat, lab.lon
        else:
            city = geo.get_region(lab.city_adcode)
            district = rng.choice(districts_of(city))
            venue_name = f"{district.name}{template.venue_name}"
            address = f"{district.name}{rng.choice(ROADS)}{rng.randrange(1, 400)}号"
            district_adcode = district.adcode
            lat, lon = jitter(rng, district.lat, district.lon, km=2)
        event = Event(
            lab=lab, campaign=campaign, kind=template.kind, title=template.title,
            summary=template.summary, description=template.description,
            venue_type=template.venue_type, venue_name=venue_name, venue_address=address,
            province_adcode=lab.province_adcode, city_adcode=lab.city_adcode,
            district_adcode=district_adcode, lat=lat, lon=lon,
            accessibility="场地有无障碍通道，轮椅使用者请在预约备注中说明" if rng.random() < 0.6 else "",
            testing_items=template.testing_items, what_to_bring=template.what_to_bring,
            status=EventStatus.published)
        db.session.add(event)
        db.session.flush()  # slots copy its id and campaign/lab ids
        self.count("events")
        return event

    def slot(self, event: Event, day: date, capacity: int | None = None, time_index: int | None = None) -> Slot:
        rng = self.rng
        hour, minute, minutes = SLOT_TIMES[rng.randrange(len(SLOT_TIMES)) if time_index is None else time_index]
        starts_at = clock.china_datetime(day, hour, minute)
        capacity = capacity or rng.randrange(10, 61)
        slot = Slot(event_id=event.id, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
                    capacity=capacity, max_party=min(4, capacity), seats_taken=0, confirmed_count=0,
                    waitlisted_count=0, waitlisted_people=0, checked_in_people=0, walk_ins=0,
                    **slot_copies(event))
        db.session.add(slot)
        self.count("slots")
        return slot

    def slots_for(self, event: Event, days: list[date]) -> list[Slot]:
        return [self.slot(event, day, time_index=i % len(SLOT_TIMES)) for i, day in enumerate(days)]

    # bookings -----------------------------------------------------------------------------------
    def book_live_slots(self) -> None:
        """A handful of bookings on this campaign's slots, taken the way citizens take them: a
        small slot filled up with two parties waiting, and a few parties on the showcase slots."""
        for slot_id, party_size in [(slot.id, party) for slot, party in self.live_bookings]:
            booking = book(slot_id, BookingRequest(
                name=person_name(self.rng), phone=phone_number(self.rng), party_size=party_size,
                consent=True))
            self.count(f"bookings ({booking.status})")

    def booking(self, slot: Slot, party_size: int, *, name: str | None = None,
                phone: str | None = None, created_at: datetime | None = None,
                purged: bool = False, checked_in: bool = False) -> Booking:
        """A past edition's booking, written directly (the booking service rightly refuses
        slots that have started): confirmed if it fits, else waitlisted, the slot's counters
        moving with it."""
        fits = slot.seats_taken + party_size <= slot.capacity and slot.waitlisted_count == 0
        status = BookingStatus.confirmed if fits else BookingStatus.waitlisted
        created_at = created_at or clock.now() - timedelta(hours=self.rng.randrange(1, 72))
        booking = Booking(
            slot=slot, code=booking_code(), manage_token=secrets.token_urlsafe(32),
            name=None if purged else (name or person_name(self.rng)),
            phone=None if purged else normalise_phone(phone or phone_number(self.rng)),
            party_size=party_size, status=status, slot_day=clock.local(slot.starts_at).date(),
            created_at=created_at, consented_at=created_at,
            checked_in_at=slot.starts_at + timedelta(minutes=self.rng.randrange(-20, 15))
            if checked_in and fits else None,
            purged_at=clock.now() - timedelta(days=300) if purged else None)
        if fits:
            slot.seats_taken += party_size
            slot.confirmed_count += 1
            if booking.checked_in_at is not None:
                booking.arrived = party_size
                slot.checked_in_people += party_size
        else:
            slot.waitlisted_count += 1
            slot.waitlisted_people += party_size
        db.session.add(booking)
        self.count(f"bookings ({status})")
        return booking

    def draw_and_rate(self) -> None:
        """The drawn ballot's draw, as the worker runs it once its time has come (here its time
        is moved to now: its entries were made while it was ahead); the visited slot's
        check-ins and its visitors' ratings, through the feedback service."""
        slot_id = self.ballot_drawn.id
        now = clock.now()
        db.session.execute(sa.update(Slot).where(Slot.id == slot_id).values(draw_at=now))
        db.session.commit()
        ballot.draw_slot(slot_id, now)
        self.count("ballot draws")
        visited = db.session.get(Slot, self.visited.id)
        comments = ["讲解老师非常专业，孩子很喜欢。", "希望以后多开放几场，名额太少了。",
                    "实验室参观很震撼，了解了检测流程。", None, "现场指引不太清楚，找了很久入口。",
                    "<b>很好</b> 推荐 http://example.com"]
        for rating, comment in zip((5, 4, 5, 3, 2, 4), comments):
            booking = self.booking(visited, self.rng.randrange(1, 4), checked_in=True,
                                   created_at=visited.starts_at - timedelta(days=3))
            db.session.commit()
            leave_feedback(booking, rating, comment)
            self.count("feedback")

    # the whole demo -----------------------------------------------------------------------------
    def load(self) -> None:
        rng = self.rng
        today = self.today
        campaign = ensure_current_campaign(today)
        past = self.past_campaign()

        self.user(ADMIN_EMAIL, Role.admin, "系统管理员")
        regulator = self.user(REGULATOR_EMAIL, Role.regulator, "国家市场监管总局认可检测司",
                              region_scope=NATIONAL)
        changsha = geo.get_region("430100")
        shanghai = geo.get_region("310100")
        lab1 = self.lab(changsha, "{p}产品质量检验检测研究院", "food,electrical,textiles,chemicals,water",
                        "12", district=geo.get_region("430104"))
        lab2 = self.lab(shanghai, "{p}质量监督检验技术研究院", "electrical,medical_devices,metrology,food",
                        "12", district=geo.get_region("310115"))
        db.session.flush()
        self.user(LAB1_EMAIL, Role.lab, "刘工", lab=lab1)
        self.user(LAB2_EMAIL, Role.lab, "陈工", lab=lab2)

        future_days = [today + timedelta(days=d) for d in range(1, 29)]
        # lab1 and lab2 offer one event of every kind, so each demo account has something of each.
        by_kind: dict[str, list[EventTemplate]] = {}
        for template in EVENT_TEMPLATES:
            by_kind.setdefault(template.kind, []).append(template)
        showcase: list[Slot] = []
        for lab in (lab1, lab2):
            for kind in EventKind:
                event = self.event(lab, campaign, rng.choice(by_kind[kind]))
                showcase += self.slots_for(event, sorted(rng.sample(future_days, 3)))
        # A small slot that fills up, with a waitlist, so the roster and waitlist show something.
        full = self.slot(self.event(lab1, campaign, by_kind[EventKind.tour][0]), today + timedelta(days=3),
                         capacity=10, time_index=0)

        labs = [lab1, lab2]
        used_names = {lab1.name, lab2.name}
        for city_name in DEMO_CITIES:
            city = geo.city_of(geo.resolve_city(city_name).adcode)
            for pattern, fields, authority in rng.sample(LAB_PATTERNS, 2):
                if lab_name(pattern, city) in used_names:
                    continue
                used_names.add(lab_name(pattern, city))
                lab = self.lab(city, pattern, fields, authority)
                labs.append(lab)
                db.session.flush()
                self.user(f"lab{len(labs)}@openday.test", Role.lab, person_name(rng), lab=lab,
                          shared_hash=True)
                for template in rng.sample(EVENT_TEMPLATES, 2):
                    event = self.event(lab, campaign, template)
                    self.slots_for(event, sorted(rng.sample(future_days, rng.randrange(2, 4))))
        # Registrations waiting for a regulator.
        for city_name, pattern, fields, authority in (
                ("长沙", "{c}检验检测认证有限公司", "food,water", "91"),
                ("成都", "{c}建筑材料检测中心", "building_materials", "91"),
                ("武汉", "{c}纤维纺织品检验所", "textiles", "12")):
            city = geo.city_of(geo.resolve_city(city_name).adcode)
            lab = self.lab(city, pattern, fields, authority, status=LabStatus.pending)
            db.session.flush()
            self.user(f"pending{lab.id}@openday.test", Role.lab, person_name(rng), lab=lab,
                      shared_hash=True)
        db.session.flush()

        # Ballots in 长沙 (SPEC §12): one still taking entries, one drawn already, both entered
        # through the booking service after the commit and the second drawn by the real draw.
        tour = by_kind[EventKind.tour][0]
        popular = self.event(lab1, campaign, tour)
        self.ballot_ahead = self.slot(popular, today + timedelta(days=6), capacity=12,
                                      time_index=0)
        self.ballot_drawn = self.slot(popular, today + timedelta(days=4), capacity=10,
                                      time_index=1)
        for slot, draw_day in ((self.ballot_ahead, today + timedelta(days=4)),
                               (self.ballot_drawn, today + timedelta(days=2))):
            slot.mode = SlotMode.ballot
            slot.draw_at = clock.china_datetime(draw_day, 20)
        # A visit yesterday in 长沙 (ended, people checked in), rated after the commit.
        self.visited = self.slot(self.event(lab1, campaign, by_kind[EventKind.lecture][0]),
                                 today - timedelta(days=1), capacity=20, time_index=0)

        # Booked after the commit, through the booking service (see book_live_slots).
        self.live_bookings = [(full, party) for party in (4, 3, 2, 1, 2, 1)]
        self.live_bookings += [(self.ballot_ahead, party) for party in (2, 1, 3, 2, 1)]
        self.live_bookings += [(self.ballot_drawn, party) for party in (3, 2, 2, 1, 3, 2, 1, 2)]
        for slot in rng.sample(showcase, 8):
            self.live_bookings += [(slot, rng.randrange(1, 4)) for _ in range(rng.randrange(1, 4))]

        self.past_events(past, labs[:12])
        db.session.flush()
        self.notices(regulator, campaign)

    def past_campaign(self) -> Campaign:
        existing = db.session.execute(
            sa.select(Campaign).where(Campaign.year == PAST_YEAR)).scalar_one_or_none()
        if existing is not None:
            return existing
        starts_on = date(PAST_YEAR, 9, 1)
        campaign = Campaign(
            year=PAST_YEAR, edition=PAST_YEAR - FIRST_YEAR, theme=THEME, starts_on=starts_on,
            ends_on=date(PAST_YEAR, 9, 30),
            registration_opens_at=clock.china_datetime(date(PAST_YEAR, 8, 1), 9),
            registration_closes_at=clock.china_datetime(date(PAST_YEAR, 9, 30), 18),
            is_current=False)
        db.session.add(campaign)
        return campaign

    def past_events(self, campaign: Campaign, labs: list[Lab]) -> None:
        """Last editions' slots with bookings whose personal data was purged (SPEC §7),
        check-ins and walk-ins, so the stats compare editions."""
        rng = self.rng
        days = [campaign.starts_on + timedelta(days=d) for d in range(0, 29)]
        for lab in labs:
            for template in rng.sample(EVENT_TEMPLATES, 2):
                event = self.event(lab, campaign, template)
                for slot in self.slots_for(event, sorted(rng.sample(days, 2))):
                    arrived = clock.china_datetime(campaign.starts_on - timedelta(days=10), 9)
                    target = slot.capacity * rng.uniform(0.5, 1.0)
                    while slot.seats_taken < target:
                        party = rng.randrange(1, min(4, slot.capacity - slot.seats_taken) + 1)
                        arrived += timedelta(minutes=rng.randrange(1, 600))
                        self.booking(slot, party, purged=True, checked_in=rng.random() < 0.85,
                                     created_at=arrived)
                    slot.walk_ins = rng.randrange(0, 12)

    def notices(self, regulator: User, campaign: Campaign) -> None:
        db.session.add_all([
            Notice(title=f"关于举办{campaign.year}年检验检测机构开放日活动的通知",
                   body=(f"各检验检测机构：\n\n第{campaign.edition}届检验检测机构开放日活动将于"
                         f"{campaign.starts_on:%Y年%m月%d日}至{campaign.ends_on:%Y年%m月%d日}举行，"
                         f"主题为“{campaign.theme}”。请各机构于活动开始前发布开放活动并设置场次，"
                         "公众可在本平台按城市查询并免费预约。\n\n- 实地参观\n- 科普讲座\n- 便民检测\n"
                         "- 知识问答\n- 技术培训"),
                   region_scope=None, author_id=regulator.id, published_at=clock.now() - timedelta(days=5)),
            Notice(title="湖南省开放日活动预约指南",
                   body=("市民可通过本平台搜索“长沙”查看全省开放活动。每个手机号每天最多预约 6 场，"
                         "请凭预约码或二维码入场，如不能到场请提前取消，把名额留给他人。"),
                   region_scope="430000", author_id=regulator.id, published_at=clock.now() - timedelta(days=1)),
        ])
        self.count("notices", 2)


def demo_loaded() -> bool:
    return db.session.execute(
        sa.select(User.id).where(User.email == ADMIN_EMAIL)).first() is not None


def load_demo(today: date | None = None) -> dict[str, int] | None:
    """Load the demo in one transaction; None (and nothing written) if it is already there."""
    if demo_loaded():
        return None
    loader = DemoLoader(today or clock.today())
    try:
        loader.load()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    loader.book_live_slots()  # each booking is its own write transaction, as in real life
    loader.draw_and_rate()
    return loader.summary


@openday_cli.command("demo")
def demo_command() -> None:
    """Load the demo data once (accounts, labs in 30+ cities, events, slots, bookings)."""
    summary = load_demo()
    if summary is None:
        click.echo("Demo data is already loaded; nothing changed.")
        return
    click.echo("Demo data loaded: " + ", ".join(f"{n} {what}" for what, n in sorted(summary.items())))
    click.echo(f"Demo accounts (password for each: {DEMO_PASSWORD} — demo data only):")
    for email, what in ((ADMIN_EMAIL, "admin"), (REGULATOR_EMAIL, "regulator, national scope"),
                        (LAB1_EMAIL, "lab in 长沙"), (LAB2_EMAIL, "lab in 上海")):
        click.echo(f"  {email:<26} {what}")
