"""Labs: the registration form and the regulator's review form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (DateField, EmailField, PasswordField, SelectField, StringField, TelField,
                     TextAreaField)
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length, Optional

from openday.accounts.service import MIN_PASSWORD_LENGTH
from openday.core.forms import MultiCheckboxField, strip
from openday.core.i18n import _l
from openday.geo.forms import region_choices
from openday.labs import service
from openday.labs.models import TESTING_FIELDS

TESTING_FIELD_LABELS = {
    "food": _l("食品"),
    "environment": _l("环境"),
    "building_materials": _l("建筑材料"),
    "medical_devices": _l("医疗器械"),
    "vehicles": _l("机动车"),
    "electrical": _l("电子电器"),
    "textiles": _l("纺织服装"),
    "jewellery": _l("珠宝玉石"),
    "water": _l("水质"),
    "agriculture": _l("农产品"),
    "chemicals": _l("化学品"),
    "metrology": _l("计量校准"),
}
assert set(TESTING_FIELD_LABELS) == set(TESTING_FIELDS)

LAB_STATUS_LABELS = {
    "pending": _l("待审核"),
    "approved": _l("已通过"),
    "rejected": _l("未通过"),
    "suspended": _l("已暂停"),
}

ACTION_LABELS = {
    "approve": _l("通过"),
    "reject": _l("驳回"),
    "suspend": _l("暂停"),
    "reinstate": _l("恢复"),
}


def _placeholder(label) -> list[tuple[str, str]]:
    return [("", label)]


class LabDetailsForm(FlaskForm):
    """What a lab says about itself: the registration form's first part, and on its own the form
    a rejected lab corrects before applying again. The form checks presence and length; the
    service's rules (shapes, regions, duplicates) come back as one RuleError (``put_on_form``)."""

    name = StringField(_l("机构名称"), filters=[strip],
                       validators=[DataRequired(_l("请填写机构名称")), Length(2, 120)])
    cma_number = StringField(_l("资质认定（CMA）证书编号"), filters=[strip],
                             validators=[DataRequired(_l("请填写资质认定证书编号")), Length(max=30)])
    province = SelectField(_l("省份"), validate_choice=False,
                           validators=[DataRequired(_l("请选择省份"))])
    city = SelectField(_l("城市"), validate_choice=False, validators=[DataRequired(_l("请选择城市"))])
    district = SelectField(_l("区县"), validate_choice=False)
    address = StringField(_l("详细地址"), filters=[strip],
                          validators=[DataRequired(_l("请填写详细地址")), Length(2, 200)])
    contact_name = StringField(_l("联系人"), filters=[strip],
                               validators=[DataRequired(_l("请填写联系人姓名")), Length(1, 40)])
    contact_phone = TelField(_l("联系人手机"), filters=[strip],
                             validators=[DataRequired(_l("请填写联系人手机")), Length(max=20)])
    contact_email = EmailField(_l("联系人邮箱"), filters=[strip],
                               validators=[DataRequired(_l("请填写联系人邮箱")), Length(max=254),
                                           Email(_l("请填写有效的邮箱"))])
    testing_fields = MultiCheckboxField(
        _l("检验检测领域"), choices=list(TESTING_FIELD_LABELS.items()),
        validate_choice=False,  # the service refuses unknown codes, with our own message
        validators=[DataRequired(_l("请至少选择一个检验检测领域"))])

    def fill_from(self, lab) -> None:
        """The lab's stored details in the boxes (call before narrow_regions)."""
        for name in ("name", "cma_number", "address", "contact_name", "contact_phone",
                     "contact_email"):
            getattr(self, name).data = getattr(lab, name)
        self.province.data, self.city.data = lab.province_adcode, lab.city_adcode
        self.district.data = lab.district_adcode
        self.testing_fields.data = lab.field_codes

    def narrow_regions(self) -> None:
        """Fill the three selects: provinces always, the chosen province's cities, and the
        chosen city's districts only if that city belongs to the province (no-JS friendly)."""
        self.province.choices = _placeholder(_l("请选择省份")) + region_choices(None)
        province = self.province.data if self.province.data in dict(self.province.choices) else ""
        cities = region_choices(province) if province else []
        self.city.choices = _placeholder(_l("请选择城市")) + cities
        city = self.city.data if self.city.data in dict(cities) else ""
        districts = region_choices(city) if city else []
        self.district.choices = _placeholder(
            _l("请选择区县") if districts or not city else _l("（无下级区县）")) + districts

    def _details(self) -> dict:
        return dict(
            name=self.name.data, cma_number=self.cma_number.data,
            province_adcode=self.province.data, city_adcode=self.city.data,
            district_adcode=self.district.data, address=self.address.data,
            contact_name=self.contact_name.data, contact_phone=self.contact_phone.data,
            contact_email=self.contact_email.data,
            testing_fields=list(self.testing_fields.data or []))

    def details(self) -> service.LabDetails:
        return service.LabDetails(**self._details())


class RegistrationForm(LabDetailsForm):
    credit_code = StringField(_l("统一社会信用代码"), filters=[strip],
                              validators=[DataRequired(_l("请填写统一社会信用代码")), Length(max=40)])
    user_email = EmailField(_l("登录邮箱"), filters=[strip],
                            validators=[DataRequired(_l("请填写登录邮箱")), Length(max=254),
                                        Email(_l("请填写有效的邮箱"))])
    password = PasswordField(_l("登录密码"), validators=[
        DataRequired(_l("请设置密码")),
        Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("密码长度应为 %(min)d–%(max)d 位"))])
    confirm = PasswordField(_l("确认密码"), validators=[
        DataRequired(_l("请再次输入密码")), EqualTo("password", _l("两次输入的密码不一致"))])

    def application(self) -> service.LabApplication:
        return service.LabApplication(**self._details(), credit_code=self.credit_code.data,
                                      user_email=self.user_email.data, password=self.password.data)


class ReviewForm(FlaskForm):
    """Approve / reject / suspend / reinstate: one form, the buttons carry ``action``."""

    action = StringField(validators=[AnyOf(list(service.REVIEW_ACTIONS), _l("未知的审核操作"))])
    reason = TextAreaField(_l("原因（驳回或暂停时必填，机构可见）"), filters=[strip],
                           validators=[Optional(), Length(max=500)])


QUEUE_SORTS = {
    "oldest": _l("报名时间（最早在前）"),
    "newest": _l("报名时间（最新在前）"),
    "name": _l("机构名称"),
    "city": _l("城市"),
}


class StatusFilterForm(FlaskForm):
    """The approval queue's search and filters (GET: bookmarkable). A value that is no choice,
    or not a date, is a form error and the queue ignores it."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    q = StringField(_l("搜索"), filters=[strip], validators=[Optional(), Length(max=100)],
                    description=_l("机构名称、统一社会信用代码或资质认定证书编号"))
    status = SelectField(_l("状态"), choices=[("all", _l("全部"))] + list(LAB_STATUS_LABELS.items()),
                         default="pending", validate_choice=False)
    city = SelectField(_l("城市"), choices=[], default="", validate_choice=True)
    registered_from = DateField(_l("报名日期从"), validators=[Optional()])
    registered_to = DateField(_l("报名日期至"), validators=[Optional()])
    sort = SelectField(_l("排序"), choices=list(QUEUE_SORTS.items()), default="oldest",
                       validate_choice=True)

    def fill_cities(self, scope) -> None:
        """The cities of the regulator's scope (a city's regulator: its own)."""
        from openday.geo.service import children, get_region, provinces
        if scope.level == "city":
            region = get_region(scope.adcode)
            cities = [region] if region else []
        else:
            cities = [city for province in provinces() if scope.covers(province.adcode)
                      for city in children(province.adcode)]
        self.city.choices = [("", _l("全部城市"))] + [(c.adcode, c.name) for c in cities]
