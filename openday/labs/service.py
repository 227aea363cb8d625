"""Labs: registration and review, the rules the HTML forms, the API and the admin share.

Validators here are plain functions raising ``RuleError`` naming the bad field, so that a WTForms
form (``core.forms.put_on_form``), a JSON endpoint or a command can all call them and report it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from openday import clock
from openday.accounts.models import Role, User
from openday.accounts.service import check_new_password, contains, email_taken, normalise_email
from openday.audit import service as audit
from openday.core.db import advisory_lock, write_transaction
from openday.core.errors import RuleError
from openday.core.phone import mainland_mobile
from openday.core.scope import Scope
from openday.extensions import db
from openday.geo import service as geo
from openday.labs.models import TESTING_FIELDS, Lab, LabStatus
from openday.signals import lab_reviewed, lab_status_changed


# ---- unified social credit code (GB 32100-2015) --------------------------------------------------

# 31 characters: digits and capitals without I, O, S, V, Z (they look like 1, 0, 5, U, 2).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Weight of position i is 3**i mod 31 (GB 32100 §4.3).
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE_SHAPE = re.compile(
    rf"[{CREDIT_CODE_ALPHABET}]{{2}}\d{{6}}[{CREDIT_CODE_ALPHABET}]{{10}}")


def normalise_credit_code(raw: str | None) -> str:
    """Upper case without spaces or dashes: people copy codes from PDFs and licences."""
    return re.sub(r"[\s\-]+", "", raw or "").upper()


def credit_code_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code whose first 17 are given."""
    total = sum(CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(raw: str | None) -> str:
    """The normalised code, or RuleError: 18 characters of the GB 32100 alphabet, positions 3–8
    an administrative division code (digits), and the right check character."""
    code = normalise_credit_code(raw)
    if len(code) != 18:
        raise RuleError.on("credit_code", _l("统一社会信用代码应为 18 位"))
    if not _CREDIT_CODE_SHAPE.fullmatch(code):
        raise RuleError.on("credit_code", _l("统一社会信用代码含有不允许的字符（不使用 I、O、S、V、Z）"))
    if credit_code_check_character(code[:17]) != code[17]:
        raise RuleError.on("credit_code", _l("统一社会信用代码校验位不正确，请核对"))
    return code


def credit_code_taken(code: str) -> bool:
    return db.session.execute(
        sa.select(Lab.id).where(Lab.credit_code == code)).first() is not None


# ---- CMA certificate number ----------------------------------------------------------------------

# 资质认定证书编号 (CMA certificate number): 12 digits — under the numbering rules, year of issue
# (2, e.g. 17 for 2017), issuing authority (2: 00 national, else the province's code), field (2),
# sector (2) and serial (4), e.g. 171812050123 or 201918000001 — optionally followed by one capital
# letter, the suffix some certificates carry (…Z, …F). A leading "CMA", spaces and dashes are
# dropped.
_CMA_SHAPE = re.compile(r"\d{12}[A-Z]?")


def validate_cma_number(raw: str | None) -> str:
    number = re.sub(r"[\s\-]+", "", raw or "").upper()
    if number.startswith("CMA"):
        number = number[3:]
    if not _CMA_SHAPE.fullmatch(number):
        raise RuleError.on("cma_number", _l("资质认定证书编号应为 12 位数字（如 201918000001），末尾可带一个字母"))
    return number


# ---- regions -------------------------------------------------------------------------------------

def check_region(province: str | None, city: str | None,
                 district: str | None) -> tuple[str, str, str]:
    """(province, city, district) adcodes that really nest, or RuleError on the first that does not.

    A city with no districts in the gazetteer (仙桃, 神农架…: county-level units run by the
    province) is its own district.
    """
    p = geo.get_region(province or "")
    if p is None or p.level != "province":
        raise RuleError.on("province", _l("请选择省份"))
    c = geo.get_region(city or "")
    if c is None or c.level != "city":
        raise RuleError.on("city", _l("请选择城市"))
    if c.parent != p.adcode:
        raise RuleError.on("city", _l("所选城市不属于所选省份"))
    districts = geo.children(c.adcode)
    if not districts:
        return p.adcode, c.adcode, c.adcode
    d = geo.get_region(district or "")
    if d is None:
        raise RuleError.on("district", _l("请选择区县"))
    if d.parent != c.adcode:
        raise RuleError.on("district", _l("所选区县不属于所选城市"))
    return p.adcode, c.adcode, d.adcode


# ---- registration --------------------------------------------------------------------------------

@dataclass
class LabDetails:
    """What a lab says about itself: sent when it registers, corrected when it applies again
    after a rejection (its credit code, its identity, is not among them)."""

    name: str
    cma_number: str
    province_adcode: str
    city_adcode: str
    district_adcode: str
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    testing_fields: list[str] = field(default_factory=list)


@dataclass
class LabApplication(LabDetails):
    """What an institution sends to register (the HTML form and an API would both build one)."""

    credit_code: str = ""
    user_email: str = ""
    password: str = ""


CODE_TAKEN = _l("该统一社会信用代码已报名，请直接登录或联系本机构的账号管理人")
EMAIL_TAKEN = _l("该邮箱已注册，请直接登录")


class _Problems:
    """Every bad field of one submission, so that the page shows them all at once."""

    def __init__(self) -> None:
        self.fields: dict[str, object] = {}

    def check(self, rule, *args):
        """``rule(*args)``, or None with its field messages kept when it refuses."""
        try:
            return rule(*args)
        except RuleError as error:
            for name, message in error.fields.items():
                self.fields.setdefault(name, message)
            return None

    def refuse(self, field_name: str, message) -> None:
        self.fields.setdefault(field_name, message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise RuleError("invalid", _l("请修正标出的问题后再提交。"), self.fields)


def _contact_phone(raw: str | None) -> str:
    try:
        return mainland_mobile(raw)
    except ValueError:
        raise RuleError.on("contact_phone", _l("请填写 11 位手机号码，如 13812345678")) from None


def _clean_details(details: LabDetails, problems: _Problems) -> dict:
    """The details normalised, as keyword arguments of LabDetails; each bad field goes to
    ``problems`` (its value here is then meaningless)."""
    name = (details.name or "").strip()
    if not 2 <= len(name) <= 120:
        problems.refuse("name", _l("机构名称应为 2–120 个字"))
    address = (details.address or "").strip()
    if not 2 <= len(address) <= 200:
        problems.refuse("address", _l("请填写详细地址（200 字以内）"))
    contact_name = (details.contact_name or "").strip()
    if not 1 <= len(contact_name) <= 40:
        problems.refuse("contact_name", _l("请填写联系人姓名（40 字以内）"))
    testing_fields = list(details.testing_fields or [])
    if not testing_fields or any(code not in TESTING_FIELDS for code in testing_fields):
        problems.refuse("testing_fields", _l("请至少选择一个检验检测领域"))
    province, city, district = problems.check(
        check_region, details.province_adcode, details.city_adcode,
        details.district_adcode) or (None, None, None)
    return dict(
        name=name, cma_number=problems.check(validate_cma_number, details.cma_number),
        province_adcode=province, city_adcode=city, district_adcode=district, address=address,
        contact_name=contact_name,
        contact_phone=problems.check(_contact_phone, details.contact_phone),
        contact_email=normalise_email(details.contact_email),
        testing_fields=[code for code in TESTING_FIELDS if code in testing_fields])


def clean_details(details: LabDetails) -> dict:
    """The details normalised (keyword arguments of LabDetails), or one RuleError naming every
    bad field."""
    problems = _Problems()
    cleaned = _clean_details(details, problems)
    problems.raise_if_any()
    return cleaned


def validate_application(application: LabApplication) -> LabApplication:
    """A normalised copy, or one RuleError naming every bad field (a credit code or login e-mail
    already registered included)."""
    problems = _Problems()
    details = _clean_details(application, problems)
    problems.check(check_new_password, application.password)
    credit_code = problems.check(validate_credit_code, application.credit_code)
    if credit_code and credit_code_taken(credit_code):
        problems.refuse("credit_code", CODE_TAKEN)
    user_email = normalise_email(application.user_email)
    if user_email and email_taken(user_email):
        problems.refuse("user_email", EMAIL_TAKEN)
    problems.raise_if_any()
    return LabApplication(**details, credit_code=credit_code, user_email=user_email,
                          password=application.password)


def _located(address: str, district_adcode: str) -> tuple[float | None, float | None]:
    from openday.geo.geocoder import geocode_address

    point = geocode_address(address, district_adcode)
    return point if point else (None, None)


def register_lab(application: LabApplication) -> User:
    """Create a pending Lab and its first lab user in one transaction, or nothing at all.

    Raises RuleError naming the bad fields (a duplicate credit code or e-mail included).
    """
    application = validate_application(application)
    # Geocode before the write transaction: a network geocoder may take a second.
    lat, lon = _located(application.address, application.district_adcode)

    def work() -> User:
        advisory_lock("lab_registration", application.credit_code)
        if credit_code_taken(application.credit_code):
            raise RuleError.on("credit_code", CODE_TAKEN)
        if email_taken(application.user_email):
            raise RuleError.on("user_email", EMAIL_TAKEN)
        lab = Lab(name=application.name, credit_code=application.credit_code,
                  cma_number=application.cma_number, province_adcode=application.province_adcode,
                  city_adcode=application.city_adcode, district_adcode=application.district_adcode,
                  address=application.address, lat=lat, lon=lon,
                  contact_name=application.contact_name, contact_phone=application.contact_phone,
                  contact_email=application.contact_email,
                  testing_fields=",".join(application.testing_fields), status=LabStatus.pending)
        db.session.add(lab)
        db.session.flush()
        user = User(email=application.user_email, role=Role.lab, lab_id=lab.id,
                    name=application.contact_name)
        user.set_password(application.password)
        db.session.add(user)
        db.session.flush()
        return user

    try:
        return write_transaction(work)
    except sa.exc.IntegrityError:
        # A concurrent registration won the race for the e-mail, or for the code on a database
        # without the advisory lock: the unique index decided.
        if credit_code_taken(application.credit_code):
            raise RuleError.on("credit_code", CODE_TAKEN) from None
        raise RuleError.on("user_email", EMAIL_TAKEN) from None


# ---- the regulators' queue -----------------------------------------------------------------------

@dataclass(frozen=True)
class QueueFilter:
    """What the approval queue is asked for: a search, a status ("all": any), a city, a range of
    registration dates (Beijing days) and an order (QUEUE_ORDERS)."""

    q: str = ""
    status: str = LabStatus.pending
    city: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    sort: str = "oldest"


QUEUE_ORDERS = {
    "oldest": (Lab.created_at, Lab.id),
    "newest": (Lab.created_at.desc(), Lab.id.desc()),
    "name": (Lab.name, Lab.id),
    "city": (Lab.city_adcode, Lab.created_at, Lab.id),
}
_CREDIT_CODE_LIKE = re.compile(rf"[{CREDIT_CODE_ALPHABET}]{{18}}")
_CMA_LIKE = re.compile(r"(CMA)?\d{6,12}[A-Z]?")


def _in_scope(scope: Scope) -> sa.ColumnElement[bool]:
    """``scope`` on a lab's district, with its province or city stated too so that their
    indexes can serve it."""
    condition = scope.condition(Lab.district_adcode)
    if scope.city:
        return sa.and_(condition, Lab.city_adcode == scope.city)
    if scope.province:
        return sa.and_(condition, Lab.province_adcode == scope.province)
    return condition


def _search(q: str) -> sa.ColumnElement[bool]:
    """A credit code (18 characters) or a CMA number (digits) is looked up by its index; any
    other text is part of a name."""
    text = re.sub(r"[\s\-]+", "", q).upper()
    if _CREDIT_CODE_LIKE.fullmatch(text):
        return Lab.credit_code == text
    if _CMA_LIKE.fullmatch(text):
        number = text.removeprefix("CMA")
        return sa.or_(Lab.cma_number.startswith(number, autoescape=True),
                      Lab.credit_code.startswith(text, autoescape=True))
    return contains(Lab.name, q.strip())


def queue_query(scope: Scope, chosen: QueueFilter) -> sa.Select:
    query = sa.select(Lab).where(_in_scope(scope))
    if chosen.status != "all":
        query = query.where(Lab.status == chosen.status)
    if chosen.city:
        query = query.where(Lab.city_adcode == chosen.city)
    if chosen.registered_from:
        query = query.where(Lab.created_at >= clock.china_datetime(chosen.registered_from, 0))
    if chosen.registered_to:
        query = query.where(
            Lab.created_at < clock.china_datetime(chosen.registered_to + timedelta(days=1), 0))
    if chosen.q.strip():
        query = query.where(_search(chosen.q))
    return query.order_by(*QUEUE_ORDERS.get(chosen.sort, QUEUE_ORDERS["oldest"]))


def regulator_labs(scope: Scope, chosen: QueueFilter | str, page: int, per_page: int = 50):
    """A page of the labs in ``scope`` that ``chosen`` asks for (a bare status: that status,
    oldest application first)."""
    if isinstance(chosen, str):
        chosen = QueueFilter(status=chosen)
    return db.paginate(queue_query(scope, chosen), page=page, per_page=per_page,
                       error_out=False)


def next_pending(scope: Scope, after: Lab) -> Lab | None:
    """The pending lab a regulator reviews next: the first in the queue's order (oldest first)
    after ``after``, else the first from the start; None when none is left."""
    pending = sa.select(Lab).where(_in_scope(scope), Lab.status == LabStatus.pending,
                                   Lab.id != after.id)
    later = pending.where(sa.or_(Lab.created_at > after.created_at,
                                 sa.and_(Lab.created_at == after.created_at, Lab.id > after.id)))
    for query in (later, pending):
        found = db.session.execute(query.order_by(Lab.created_at, Lab.id).limit(1)).scalar()
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class CodeRegion:
    """What a credit code's 3rd–8th characters (the registering authority's division) say
    against the region a lab chose: ``match`` is "district", "city", "province", "other" or
    "unknown" (no such division in the gazetteer), ``region`` what the code names."""

    adcode: str
    match: str
    region: str | None


def credit_code_region(lab: Lab) -> CodeRegion:
    code = (lab.credit_code or "")[2:8]
    region = geo.get_region(code)
    if region is None:
        # A division that no longer exists (merged or renamed since the licence) or a typo.
        return CodeRegion(code, "unknown", None)
    name = geo.full_name(region)
    if code == lab.district_adcode:
        return CodeRegion(code, "district", name)
    if code[:4] == lab.city_adcode[:4] and region.level in ("city", "district"):
        return CodeRegion(code, "city", name)
    if code[:2] == lab.province_adcode[:2]:
        return CodeRegion(code, "province", name)
    return CodeRegion(code, "other", name)


def status_counts(scope: Scope) -> dict[str, int]:
    """How many labs in ``scope`` have each status."""
    return dict(db.session.execute(
        sa.select(Lab.status, sa.func.count()).where(scope.condition(Lab.district_adcode))
        .group_by(Lab.status)).all())


# ---- review by regulators ------------------------------------------------------------------------


# action → (statuses it applies to, resulting status, whether a reason is required)
REVIEW_ACTIONS: dict[str, tuple[frozenset[str], str, bool]] = {
    "approve": (frozenset({LabStatus.pending, LabStatus.rejected}), LabStatus.approved, False),
    "reject": (frozenset({LabStatus.pending}), LabStatus.rejected, True),
    "suspend": (frozenset({LabStatus.approved}), LabStatus.suspended, True),
    "reinstate": (frozenset({LabStatus.suspended}), LabStatus.approved, False),
}


def allowed_actions(lab: Lab) -> list[str]:
    return [action for action, (sources, _to, _reason) in REVIEW_ACTIONS.items()
            if lab.status in sources]


def review(lab: Lab, action: str, reason: str | None = None) -> Lab:
    """Move a lab along pending → approved/rejected, approved ⇄ suspended; commit.

    Reject and suspend need a reason, which the lab sees on its dashboard; approving or
    reinstating clears the previous reason unless a note is given.
    """
    if action not in REVIEW_ACTIONS:
        raise RuleError.on("action", _l("未知的审核操作"))
    sources, target, needs_reason = REVIEW_ACTIONS[action]
    reason = (reason or "").strip()
    if needs_reason and not reason:
        raise RuleError.on("reason", _l("驳回或暂停时请填写原因，机构会看到它"))
    if len(reason) > 500:
        raise RuleError.on("reason", _l("原因请控制在 500 字以内"))
    if lab.status not in sources:
        raise RuleError.on("action", _l("该机构当前状态下不能执行此操作"))
    lab.status = target
    lab.status_reason = reason or None
    lab.reviewed_at = clock.now()
    audit.record(f"lab.{action}", lab, reason=reason)
    lab_status_changed.send(lab)
    lab_reviewed.send(lab, action=action, reason=reason)  # mail to its users, in this commit
    db.session.commit()
    return lab


def can_apply_again(lab: Lab) -> bool:
    """Only a rejected lab: a pending one waits, an approved or suspended one is reviewed no more."""
    return lab.status == LabStatus.rejected


def apply_again(lab: Lab, details: LabDetails) -> Lab:
    """A rejected lab's corrected details, back in the review queue (pending); commit.

    Its credit code and its accounts stay. RuleError naming every bad field, or "status"
    unless the lab was rejected (a pending lab waits; an approved one is reviewed no more).
    """
    if not can_apply_again(lab):
        raise RuleError.on("status", _l("只有未通过审核的机构可以修改资料并重新提交。"))
    details = clean_details(details)
    lat, lon = _located(details["address"], details["district_adcode"])
    for key, value in details.items():
        setattr(lab, key, ",".join(value) if key == "testing_fields" else value)
    lab.lat, lab.lon = lat, lon
    lab.status = LabStatus.pending
    lab.status_reason = None  # the reason was for the rejected details
    lab.reviewed_at = None
    lab_status_changed.send(lab)
    db.session.commit()
    return lab


def lab_users(lab: Lab) -> list[User]:
    return list(db.session.execute(
        sa.select(User).where(User.lab_id == lab.id).order_by(User.id)).scalars())
