"""The words of each message, in the language of the booking it concerns.

A message is written where no request of its reader is (a lab cancels in 简体 what a citizen booked
in English; the worker writes reminders), so the catalogue is picked by the booking's locale here,
not by the request's. SMS are short: one SMS holds 70 Chinese characters (UCS-2), which the text
keeps to *before* its link; a title too long for that is shortened. Every text starts with the
sender's name in brackets, as Chinese carriers require of a registered signature.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from openday import clock
from openday.core.i18n import N_

SIGNATURE = "【开放日】"
SMS_LIMIT = 70
LOCALES = ("zh_Hans", "zh_Hant", "en")
DEFAULT_LOCALE = "zh_Hans"
_DIRECTORY = Path(__file__).resolve().parent.parent / "translations"


@lru_cache(maxsize=8)
def _catalogue(locale: str) -> NullTranslations:
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(_DIRECTORY), [locale], domain="messages")


def known_locale(locale: str | None) -> str:
    return locale if locale in LOCALES else DEFAULT_LOCALE


def gettext(locale: str | None, msgid: str, **variables) -> str:
    text = _catalogue(known_locale(locale)).ugettext(msgid)
    return text % variables if variables else text


def when(locale: str | None, moment: datetime) -> str:
    local = clock.local(moment)
    return gettext(locale, N_("%(month)d月%(day)d日 %(time)s"), month=local.month, day=local.day,
                   time=f"{local:%H:%M}")


def sms(locale: str | None, msgid: str, link: str | None = None, title: str = "",
        **variables) -> str:
    """The signature, the text (its ``title`` shortened until it fits in one SMS), the link."""
    def build(shown: str) -> str:
        return SIGNATURE + gettext(locale, msgid, title=shown, **variables)

    text = build(title)
    shown = title
    while len(text) > SMS_LIMIT and shown:
        shown = shown[:-1]
        text = build(shown + "…")
    return f"{text} {link}" if link else text


# The msgids, marked for extraction; each takes title, when, code (as it needs).
CONFIRMED = N_("预约成功：%(title)s，%(when)s，预约码 %(code)s。")
WAITLIST_PROMOTED = N_("候补成功：%(title)s，%(when)s，预约码 %(code)s。")
SLOT_CANCELLED = N_("抱歉，%(title)s（%(when)s）场次已取消，您的预约随之取消。")
EVENT_CANCELLED = N_("抱歉，%(title)s（%(when)s）活动已取消，您的预约随之取消。")
SLOT_CHANGED = N_("时间变更：%(title)s 改为 %(when)s（原 %(before)s）。")
ENTERED = N_("已报名抽签：%(title)s，%(when)s，%(draw)s抽签，报名码 %(code)s。")
DRAWN_WON = N_("抽签中签：%(title)s，%(when)s，预约码 %(code)s。")
DRAWN_WAITLISTED = N_("抽签未中，按抽签顺序候补第 %(n)d 位：%(title)s，%(when)s。")
FEEDBACK_INVITE = N_("感谢参加%(title)s，欢迎为这次活动打分：")
REMINDER_ONE = N_("提醒：明天 %(when)s %(title)s，预约码 %(code)s。")
REMINDER_MANY = N_("提醒：您明天有 %(n)d 场预约，首场 %(when)s %(title)s。")
LOOKUP = N_("您的预约列表（15 分钟内有效，仅可打开一次）：")

LAB_APPROVED_SUBJECT = N_("机构审核已通过")
LAB_APPROVED_BODY = N_("您好：\n\n%(lab)s 的入驻申请已通过审核，现在可以登录并发布开放日活动。\n\n"
                       "登录：%(link)s\n")
LAB_REJECTED_SUBJECT = N_("机构审核未通过")
LAB_REJECTED_BODY = N_("您好：\n\n%(lab)s 的入驻申请未通过审核。\n原因：%(reason)s\n\n"
                       "您可以登录修改资料后重新提交：%(link)s\n")
RESET_SUBJECT = N_("重设密码")
RESET_BODY = N_("您好：\n\n请在 1 小时内打开以下链接设置新密码（仅可使用一次）：\n%(link)s\n\n"
                "如果不是您本人操作，请忽略此邮件，您的密码不会改变。\n")
