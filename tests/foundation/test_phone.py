"""core.phone: booking phones in E.164, the mainland rule unchanged, numbers abroad validated by
phonenumbers, and the masks public pages show."""
from __future__ import annotations

import pytest

from openday.core.phone import display_phone, mainland_mobile, mask_phone, normalise_phone


@pytest.mark.parametrize(("raw", "e164"), [
    ("13812345678", "+8613812345678"),
    ("+86 138-1234-5678", "+8613812345678"),
    ("0086 138 1234 5678", "+8613812345678"),
    ("+852 9123 4567", "+85291234567"),          # Hong Kong mobile
    ("00852 91234567", "+85291234567"),
    ("+853 6612 3456", "+85366123456"),          # Macao
    ("+886 912 345 678", "+886912345678"),       # Taiwan
    ("+886-912-345-678", "+886912345678"),
    ("+44 7911 123456", "+447911123456"),        # United Kingdom
    ("+1 (650) 253-0000", "+16502530000"),       # US numbers may be either kind
    ("＋８５２ ９１２３ ４５６７", "+85291234567"),  # typed on a full-width keyboard
])
def test_numbers_are_stored_in_e164(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", [
    "91234567",            # Hong Kong without its country code: ambiguous, so refused
    "+852 2123 4567",      # a Hong Kong fixed line cannot take a text
    "+852 9123 456",       # too short
    "+86 10 8888 8888",    # a Beijing fixed line: +86 follows the mainland rule only
    "+86 128 1234 5678",
    "+999 1234 5678",      # no such country
    "+44 20 7946 0000",    # London fixed line
    "852 9123 4567",       # no + or 00
    "+", "", None, 85291234567, "+852" + "9" * 30,
])
def test_other_numbers_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_phone(raw)


def test_a_labs_contact_phone_keeps_the_mainland_rule_and_its_eleven_digits():
    assert mainland_mobile("+86 138-1234-5678") == "13812345678"
    with pytest.raises(ValueError):
        mainland_mobile("+852 9123 4567")


@pytest.mark.parametrize(("stored", "masked", "shown"), [
    ("+8613812345678", "138****5678", "13812345678"),
    ("13812345678", "138****5678", "13812345678"),   # as stored before E.164
    ("+85291234567", "+852 ****4567", "+852 9123 4567"),
    ("+886912345678", "+886 ****5678", "+886 912 345 678"),
    ("+447911123456", "+44 ****3456", "+44 7911 123456"),
    (None, "", ""),
])
def test_masks_for_the_public_and_full_numbers_for_the_lab(stored, masked, shown):
    assert mask_phone(stored) == masked
    assert display_phone(stored) == shown
