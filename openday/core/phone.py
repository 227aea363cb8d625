"""Mainland mobile numbers, as citizens and labs type them."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = ["PHONE_RAW_MAX", "SEPARATORS", "mask_phone", "normalise_phone"]

PHONE_RAW_MAX = 30  # "+86 138-0013-8000" is 17; anything much longer is not a phone
SEPARATORS = re.compile(r"[\s\-()（）]+")
_PHONE = re.compile(r"1[3-9][0-9]{9}")


def normalise_phone(raw: Any) -> str:
    """A mainland mobile number as its 11 digits: accepts +86/86/0086 prefixes, spaces, dashes and
    full-width digits. Raises ValueError otherwise."""
    if not isinstance(raw, str) or len(raw) > PHONE_RAW_MAX:
        raise ValueError("not a phone number")
    text = SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix):]
            break
    if not _PHONE.fullmatch(text):
        raise ValueError("not a mainland mobile number")
    return text


def mask_phone(phone: str | None) -> str:
    """138****5678; "" for a purged booking."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
