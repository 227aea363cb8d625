"""The service-level validators the form, an API and the admin share."""
from __future__ import annotations

import pytest

from openday.labs import service
from openday.core.errors import RuleError
from tests.conftest import valid_credit_code


@pytest.mark.parametrize("code", [
    "91350100M000100Y43",
    "91110000802100433B",
    "91110108551385082Q",
    "9144030071526726XG",
])
def test_real_credit_codes_pass_the_check_character(code):
    assert service.validate_credit_code(code) == code


def test_credit_code_is_normalised_before_checking():
    assert service.validate_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert service.validate_credit_code("9135-0100-M000-100Y43") == "91350100M000100Y43"


@pytest.mark.parametrize("seed", [1, 42, 99_999, 123_456_789])
def test_check_character_matches_the_fixture_generator(seed):
    code = valid_credit_code(seed)
    assert service.credit_code_check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", [
    "91350100M000100Y44",   # wrong check character
    "91110000802100433C",   # wrong check character
    "91350100M000100Y4",    # 17 characters
    "91350100M000100Y433",  # 19 characters
    "91350100M0001O0Y43",   # O is not in the alphabet
    "91350100I000100Y43",   # I is not in the alphabet
    "913501AAM000100Y43",   # positions 3–8 are a region code: digits
    "",
])
def test_bad_credit_codes_are_refused(code):
    with pytest.raises(RuleError) as error:
        service.validate_credit_code(code)
    assert list(error.value.fields) == ["credit_code"]


@pytest.mark.parametrize("raw, stored", [
    ("201918000001", "201918000001"),
    ("CMA 201918000001", "201918000001"),
    ("160012050403z", "160012050403Z"),
    ("201518000123f", "201518000123F"),
    ("2019 1800 0001", "201918000001"),
])
def test_cma_numbers(raw, stored):
    if stored is None:
        with pytest.raises(RuleError):
            service.validate_cma_number(raw)
    else:
        assert service.validate_cma_number(raw) == stored


@pytest.mark.parametrize("raw", ["20191800001", "2019180000012", "20191800000AB", "abc", ""])
def test_bad_cma_numbers_are_refused(raw):
    with pytest.raises(RuleError) as error:
        service.validate_cma_number(raw)
    assert list(error.value.fields) == ["cma_number"]


def test_region_chain_must_nest():
    assert service.check_region("430000", "430100", "430104") == ("430000", "430100", "430104")
    with pytest.raises(RuleError) as error:
        service.check_region("430000", "430100", "320102")  # 南京 玄武区
    assert list(error.value.fields) == ["district"]
    with pytest.raises(RuleError) as error:
        service.check_region("430000", "320100", "320102")
    assert list(error.value.fields) == ["city"]


def test_city_without_districts_is_its_own_district():
    assert service.check_region("420000", "429004", "") == ("420000", "429004", "429004")


def test_municipality_district():
    assert service.check_region("110000", "110100", "110105") == ("110000", "110100", "110105")
