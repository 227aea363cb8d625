"""Accounts: login, new accounts (colleagues, regulators) and campaigns for the admin."""
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, EmailField, IntegerField,
                     PasswordField, SelectField, StringField)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional

from openday.accounts.models import NATIONAL
from openday.accounts.service import MIN_PASSWORD_LENGTH
from openday.core.forms import strip
from openday.core.i18n import _l
from openday.forms import WithinCalendar


class LoginForm(FlaskForm):
    # No format check at login: a wrong address simply does not match (and demo accounts use .test).
    email = EmailField(_l("邮箱"), validators=[DataRequired(_l("请填写邮箱")), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码")), Length(max=200)])
    remember = BooleanField(_l("记住我"))


class NewAccountForm(FlaskForm):
    """A new login: a lab's colleague (lab users) or a regulator (admins, with a scope)."""

    name = StringField(_l("姓名"), filters=[strip], validators=[Optional(), Length(max=40)])
    email = EmailField(_l("邮箱"), filters=[strip], validators=[
        DataRequired(_l("请填写邮箱")), Length(max=254), Email(_l("请填写有效的邮箱"))])
    password = PasswordField(_l("初始密码"), validators=[
        DataRequired(_l("请设置密码")),
        Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("密码长度应为 %(min)d–%(max)d 位"))])
    confirm = PasswordField(_l("确认密码"), validators=[
        DataRequired(_l("请再次输入密码")), EqualTo("password", _l("两次输入的密码不一致"))])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[
        DataRequired(_l("请填写当前密码")), Length(max=200)])
    password = PasswordField(_l("新密码"), validators=[
        DataRequired(_l("请设置新密码")),
        Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("密码长度应为 %(min)d–%(max)d 位"))])
    confirm = PasswordField(_l("再次输入新密码"), validators=[
        DataRequired(_l("请再次输入密码")), EqualTo("password", _l("两次输入的密码不一致"))])


class RemoveColleagueForm(FlaskForm):
    """Only the CSRF token: which user is in the URL."""


class RegulatorForm(NewAccountForm):
    region_scope = SelectField(_l("监管范围"), validate_choice=True)

    def fill_scopes(self) -> None:
        """全国, each province, and each city under its province (a municipal bureau's scope;
        a municipality is its own city, so it is offered once, as the province)."""
        from openday.geo.models import MUNICIPALITIES
        from openday.geo.service import children, provinces
        choices = [(NATIONAL, _l("全国"))]
        for province in provinces():
            choices.append((province.adcode, province.name))
            if province.adcode not in MUNICIPALITIES:
                choices += [(city.adcode, f"{province.name} · {city.name}")
                            for city in children(province.adcode)]
        self.region_scope.choices = choices


class CampaignForm(FlaskForm):
    year = IntegerField(_l("年份"), validators=[
        DataRequired(_l("请填写年份")), NumberRange(2000, 2100, _l("请填写有效的年份"))])
    edition = IntegerField(_l("届次"), validators=[
        DataRequired(_l("请填写届次")), NumberRange(1, 1000, _l("届次应为正整数"))])
    theme = StringField(_l("主题"), filters=[strip],
                        validators=[DataRequired(_l("请填写主题")), Length(max=100)])
    starts_on = DateField(_l("活动开始日期"),
                          validators=[DataRequired(_l("请填写日期")), WithinCalendar()])
    ends_on = DateField(_l("活动结束日期"),
                        validators=[DataRequired(_l("请填写日期")), WithinCalendar()])
    registration_opens_at = DateTimeLocalField(
        _l("机构报名开始（北京时间）"), format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("请填写时间")), WithinCalendar()])
    registration_closes_at = DateTimeLocalField(
        _l("机构报名截止（北京时间）"), format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("请填写时间")), WithinCalendar()])
    make_current = BooleanField(_l("设为当前届次"))
