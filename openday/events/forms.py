"""Events: forms, and the labels of the codes an event stores (kinds, audiences, venues).

Forms check shapes (a number, a date, a length); the rules that need the database or the campaign
(window, capacity against seats taken) are in ``service.py`` and come back as field errors.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, DateTimeLocalField, IntegerField, RadioField, SelectField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)

from openday.core.forms import MultiCheckboxField, strip
from openday.events.kinds import lazy_kind_choices
from openday.events.models import EventKind

AUDIENCE_LABELS = {
    "public": _l("社会公众"),
    "students": _l("学生"),
    "families": _l("亲子家庭"),
    "seniors": _l("老年人"),
    "enterprises": _l("企业"),
}

VENUE_LABELS = {
    "lab": _l("本机构"),
    "school": _l("学校"),
    "company": _l("企业"),
    "community": _l("社区"),
    "other": _l("其他场所"),
}

EVENT_STATUS_LABELS = {
    "draft": _l("草稿"),
    "published": _l("已发布"),
    "cancelled": _l("已取消"),
    "open": _l("开放"),
}


CLOSES_MESSAGE = _l("请填写 0 到 720 之间的小时数")


def closes_validators() -> list:
    return [Optional(), NumberRange(min=0, max=720, message=CLOSES_MESSAGE)]


def district_choices(province_adcode: str) -> dict[str, list[tuple[str, str]]]:
    """The districts of a province grouped by city, for an ``<optgroup>`` select.

    A city without districts (东莞, 仙桃…) is its own choice.
    """
    from openday.geo.service import children
    groups: dict[str, list[tuple[str, str]]] = {}
    for city in children(province_adcode):
        districts = children(city.adcode)
        groups[city.name] = [(d.adcode, d.name) for d in districts] or [(city.adcode, city.name)]
    return groups


class EventForm(FlaskForm):
    kind = RadioField(_l("活动类型"), choices=lazy_kind_choices(), default=EventKind.tour,
                      validators=[InputRequired(message=_l("请选择活动类型"))])
    title = StringField(_l("活动名称"), filters=[strip],
                        validators=[DataRequired(message=_l("请填写活动名称")), Length(max=120)])
    summary = StringField(_l("一句话简介"), filters=[strip],
                          validators=[DataRequired(message=_l("请填写简介")), Length(max=300)])
    description = TextAreaField(_l("活动详情"), filters=[strip], validators=[Length(max=5000)])
    venue_type = RadioField(_l("活动地点"), choices=list(VENUE_LABELS.items()), default="lab",
                            validators=[InputRequired(message=_l("请选择活动地点"))])
    venue_name = StringField(_l("场所名称"), filters=[strip], validators=[Length(max=120)])
    venue_address = StringField(_l("场所地址"), filters=[strip], validators=[Length(max=200)])
    venue_district = SelectField(_l("所在区县"), choices=[], validate_choice=False)
    venue_point = StringField(_l("场所位置（选填）"), filters=[strip], validators=[Length(max=2000)])
    audience = MultiCheckboxField(_l("面向人群"), choices=list(AUDIENCE_LABELS.items()),
                                  default=["public"],
                                  validators=[DataRequired(message=_l("请至少选择一类人群"))])
    accessibility = TextAreaField(_l("无障碍信息"), filters=[strip], validators=[Length(max=500)])
    testing_items = TextAreaField(_l("可检测物品"), filters=[strip], validators=[Length(max=500)])
    what_to_bring = TextAreaField(_l("参加须知（请携带）"), filters=[strip],
                                  validators=[Length(max=500)])
    save = SubmitField(_l("保存草稿"))
    publish = SubmitField(_l("发布"))

    def validate_venue_district(self, field) -> None:
        """An off-site venue is in one of the districts offered (the lab's province): the page
        lists only those, and a posted code from elsewhere is refused, not stored."""
        if self.venue_type.data == "lab":
            return  # the lab's own address: the district is the lab's
        choices = field.choices
        groups = choices.values() if isinstance(choices, dict) else [choices]
        if field.data in {code for group in groups for code, _label in group}:
            return
        from openday.geo.service import get_region
        region = get_region(field.data or "")
        if region is not None and region.level != "province":
            raise ValidationError(_l("场外活动须在本机构所在省份内"))
        raise ValidationError(_l("请选择场所所在区县"))


class SlotsForm(FlaskForm):
    """Several slots at once: one day, several start times, the same length and size."""

    day = DateField(_l("日期"), validators=[InputRequired(message=_l("请选择日期"))])
    start_times = StringField(_l("开始时间"), filters=[strip],
                              validators=[DataRequired(message=_l("请填写开始时间")),
                                          Length(max=200)])
    duration = IntegerField(_l("每场时长（分钟）"), default=120,
                            validators=[InputRequired(message=_l("请填写时长"))])
    capacity = IntegerField(_l("每场人数上限"), default=30,
                            validators=[InputRequired(message=_l("请填写人数上限"))])
    max_party = IntegerField(_l("每笔预约最多人数"), default=4,
                             validators=[InputRequired(message=_l("请填写每笔预约最多人数"))])
    closes_hours = IntegerField(_l("开始前几小时截止预约"),
                                validators=closes_validators())
    mode = RadioField(_l("预约方式"), choices=[("first_come", _l("先到先得")),
                                               ("ballot", _l("抽签（报名截止后随机抽取）"))],
                      default="first_come", validate_choice=False,
                      validators=[Optional()])  # unset: first come; the service checks the code
    draw_at = DateTimeLocalField(_l("抽签时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                                 validators=[Optional()])
    add = SubmitField(_l("添加场次"))


class SlotForm(FlaskForm):
    """One slot's size and booking limits (its time stays: citizens booked that time)."""

    capacity = IntegerField(_l("人数上限"), validators=[InputRequired(message=_l("请填写人数上限"))])
    max_party = IntegerField(_l("每笔预约最多人数"),
                             validators=[InputRequired(message=_l("请填写每笔预约最多人数"))])
    closes_hours = IntegerField(_l("开始前几小时截止预约"),
                                validators=closes_validators())
    draw_at = DateTimeLocalField(_l("抽签时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                                 validators=[Optional()])
    save = SubmitField(_l("保存"))


class RescheduleForm(FlaskForm):
    """Move one slot to another day or time; those booked see the change on their page."""

    day = DateField(_l("新日期"), validators=[InputRequired(message=_l("请选择日期"))])
    start_time = StringField(_l("新开始时间"), filters=[strip],
                             validators=[DataRequired(message=_l("请填写开始时间")),
                                         Length(max=5)])
    duration = IntegerField(_l("时长（分钟）"), validators=[
        InputRequired(message=_l("请填写时长")),
        NumberRange(min=1, max=24 * 60, message=_l("时长应为 1 到 1440 分钟"))])
    note = TextAreaField(_l("调整说明（预约者可见）"), filters=[strip],
                         validators=[Length(max=300)])
    save = SubmitField(_l("调整时间"))


class DuplicateEventForm(FlaskForm):
    """Copy an event and its slots to another day."""

    day = DateField(_l("复制到日期"), validators=[InputRequired(message=_l("请选择日期"))])
    status = RadioField(_l("复制后"), default="draft",
                        choices=[("draft", _l("保存为草稿")), ("published", _l("直接发布"))])
    save = SubmitField(_l("复制活动"))


class DeleteForm(FlaskForm):
    delete = SubmitField(_l("删除"))
