"""Mobile numbers as citizens and labs type them (SPEC §3).

A citizen's booking phone is stored in E.164: mainland mobiles as ``+86`` and their 11 digits, by
the mainland's own rule (``1[3-9]`` and nine digits, with or without +86, spaces or dashes);
Hong Kong, Macao, Taiwan and foreign numbers in international form (``+852 9123 4567``,
``00852 91234567``), validated by the ``phonenumbers`` library. A lab's contact phone is a
mainland mobile, kept as its 11 digits (``mainland_mobile``).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

__all__ = ["PHONE_MAX", "PHONE_RAW_MAX", "SEPARATORS", "display_phone", "mainland_mobile",
           "mask_phone", "normalise_phone"]

PHONE_RAW_MAX = 30  # "+86 138-0013-8000" is 17; anything much longer is not a phone
PHONE_MAX = 16      # E.164: "+" and at most 15 digits
SEPARATORS = re.compile(r"[\s\-()（）]+")
_MAINLAND = re.compile(r"1[3-9][0-9]{9}")
_INTERNATIONAL = re.compile(r"\+[1-9][0-9]{6,14}")
MAINLAND_PREFIX = "+86"
# What a phone that receives a text or a call about a booking can be. Fixed lines are not
# refused by the mainland rule's spirit alone: a citizen abroad gives the number they carry.
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE,
                           PhoneNumberType.PERSONAL_NUMBER})


def _compact(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw) > PHONE_RAW_MAX:
        raise ValueError("not a phone number")
    return SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))


def _mainland_digits(text: str) -> str | None:
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix):]
            break
    return text if _MAINLAND.fullmatch(text) else None


def mainland_mobile(raw: Any) -> str:
    """A mainland mobile number as its 11 digits: accepts +86/86/0086 prefixes, spaces, dashes and
    full-width digits. Raises ValueError otherwise."""
    digits = _mainland_digits(_compact(raw))
    if digits is None:
        raise ValueError("not a mainland mobile number")
    return digits


def normalise_phone(raw: Any) -> str:
    """A booking phone in E.164 (``+8613812345678``, ``+85291234567``). Mainland mobiles follow
    the mainland rule; any other number must be written in international form (``+`` or ``00``
    and the country code) and be a valid mobile number of its country. Raises ValueError."""
    text = _compact(raw)
    digits = _mainland_digits(text)
    if digits is not None:
        return MAINLAND_PREFIX + digits
    if text.startswith("00"):
        text = "+" + text[2:]
    if not _INTERNATIONAL.fullmatch(text) or text.startswith(MAINLAND_PREFIX):
        # +86 numbers are the mainland rule's alone: a fixed line there is not a mobile
        raise ValueError("not a mobile number in international form")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number) or (
            phonenumbers.number_type(number) not in _MOBILE_TYPES):
        raise ValueError("not a valid mobile number")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _is_mainland(phone: str) -> bool:
    if not phone.startswith("+"):
        return len(phone) == 11  # as stored before numbers abroad were taken
    return phone.startswith(MAINLAND_PREFIX) and len(phone) == 14


def mask_phone(phone: str | None) -> str:
    """138****5678 for a mainland number, +852 ****5678 for others; "" for a purged booking."""
    if not phone:
        return ""
    if _is_mainland(phone):
        digits = phone[-11:]
        return digits[:3] + "****" + digits[-4:]
    try:
        country = phonenumbers.parse(phone, None).country_code
    except phonenumbers.NumberParseException:
        return "****"
    return f"+{country} ****{phone[-4:]}"


def display_phone(phone: str | None) -> str:
    """The full number as a lab reads it on its roster: 13812345678, +852 9123 4567."""
    if not phone:
        return ""
    if _is_mainland(phone):
        return phone[-11:]
    try:
        return phonenumbers.format_number(phonenumbers.parse(phone, None),
                                          PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return phone
