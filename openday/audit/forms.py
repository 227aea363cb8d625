"""The audit page's filters, and the labels of the codes an entry stores."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional


ACTION_LABELS = {
    "lab.approve": _l("通过机构审核"),
    "lab.reject": _l("驳回机构报名"),
    "lab.suspend": _l("暂停机构"),
    "lab.reinstate": _l("恢复机构"),
    "event.create": _l("创建活动"),
    "event.update": _l("修改活动"),
    "event.cancel": _l("取消活动"),
    "slot.create": _l("添加场次"),
    "slot.update": _l("修改场次"),
    "slot.cancel": _l("取消场次"),
    "slot.delete": _l("删除场次"),
    "slot.reschedule": _l("调整场次时间"),
    "event.duplicate": _l("复制活动"),
    "slot.walk_ins": _l("记录现场来访"),
    "booking.check_in": _l("签到"),
    "booking.check_in_undo": _l("撤销签到"),
    "booking.check_in_correct": _l("更正到场人数"),
    "roster.export": _l("导出名单"),
    "user.create": _l("创建账号"),
    "user.deactivate": _l("停用账号"),
    "user.reactivate": _l("启用账号"),
    "user.remove": _l("移除账号"),
    "user.password_change": _l("修改密码"),
    "campaign.create": _l("创建开放日届次"),
    "campaign.update": _l("修改开放日届次"),
    "campaign.make_current": _l("切换当前届次"),
}

OBJECT_LABELS = {
    "lab": _l("机构"), "event": _l("活动"), "slot": _l("场次"), "booking": _l("预约"),
    "user": _l("账号"), "campaign": _l("开放日届次"),
}


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    action = SelectField(_l("操作"), choices=[("", _l("全部"))] + list(ACTION_LABELS.items()),
                         default="")
    lab = IntegerField(_l("机构编号"), validators=[
        Optional(), NumberRange(min=1, max=2**31 - 1, message=_l("请填写有效的机构编号"))])
    # Part of a lab's name: the regulator knows labs by name, not by number.
    lab_name = StringField(_l("机构名称"), validators=[Optional(), Length(max=100)],
                           filters=[lambda v: v.strip() if isinstance(v, str) else v])
    actor = StringField(_l("操作人邮箱"), validators=[Optional(), Length(max=254)],
                        filters=[lambda v: v.strip() if isinstance(v, str) else v])
