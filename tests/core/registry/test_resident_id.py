"""Resident ID numbers (GB 11643-1999): validation, legacy conversion, stated details, generation."""

from __future__ import annotations

import ast
import dataclasses
import datetime
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from stdnum.cn import ric

from cunwu import i18n
from cunwu.clock import local_today
from cunwu.registry import resident_id as resident_id_module
from cunwu.registry.resident_id import (
    ResidentId,
    ResidentIdError,
    check_stated_details,
    generate_resident_id,
    parse_resident_id,
    read_resident_id,
)

TODAY = datetime.date(2024, 6, 1)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(first17: str) -> str:
    """The check character, computed here independently of the code under test (docs/domain.md §9)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def with_check(first17: str) -> str:
    return first17 + check_char(first17)


@pytest.fixture
def english():
    token = i18n.current_locale.set("en")
    try:
        yield
    finally:
        i18n.current_locale.reset(token)


def parse_error(raw: str, match: str, *, today: datetime.date = TODAY) -> ResidentIdError:
    with pytest.raises(ResidentIdError, match=match) as caught:
        parse_resident_id(raw, today=today)
    return caught.value


# --- valid numbers ---


def test_test_helper_agrees_with_the_rules_examples():
    assert check_char("11010519491231002") == "X"
    assert check_char("44052418800101001") == "4"


def test_valid_female_number():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    assert rid == ResidentId(
        number="11010519491231002X",
        birth_date=datetime.date(1949, 12, 31),
        sex="F",
        address_code="110105",
        converted_from_legacy=False,
        notes=(),
    )


def test_valid_male_number_born_1880_is_accepted():
    rid = parse_resident_id("440524188001010014", today=TODAY)
    assert rid.sex == "M"
    assert rid.birth_date == datetime.date(1880, 1, 1)
    assert rid.address_code == "440524"
    assert rid.converted_from_legacy is False


def test_spaces_and_lower_case_x_are_normalised():
    rid = parse_resident_id(" 110105 19491231 002x ", today=TODAY)
    assert rid.number == "11010519491231002X"


def test_full_width_digits_from_a_chinese_input_method_are_read():
    rid = parse_resident_id("１１０１０５１９４９１２３１００２ｘ", today=TODAY)
    assert rid.number == "11010519491231002X"


def test_birth_date_today_is_accepted():
    number = with_check("110105" + TODAY.strftime("%Y%m%d") + "001")
    assert parse_resident_id(number, today=TODAY).birth_date == TODAY


def test_result_is_immutable():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'number'"):
        rid.number = "440524188001010014"  # type: ignore[misc]


# --- invalid numbers ---


def test_bad_checksum_is_rejected_with_the_expected_character():
    error = parse_error("110105194912310021", "校验位错误：应为 X，实际为 1")
    assert isinstance(error, ValueError)
    assert error.reason == "checksum"
    assert "应为 X" in str(error)
    assert "实际为 1" in str(error)


def test_x_in_the_middle_is_rejected():
    error = parse_error("1101051949123X002X", "前17位必须是数字")
    assert error.reason == "characters"
    assert "最后一位" in str(error)


def test_letters_are_rejected():
    assert parse_error("11010519491231A02X", "前17位必须是数字").reason == "characters"
    assert parse_error("A10105194912310025", "前17位必须是数字").reason == "characters"
    assert parse_error("11010519491231002A", "只有最后一位可以是 X").reason == "characters"


def test_letters_that_are_digits_in_base_13_are_rejected():
    # stdnum computes the check digit with int(..., 13): "A" would parse as a digit there.
    first17 = "1101051949123100A"
    error = parse_error(first17 + "5", "前17位必须是数字")
    assert error.reason == "characters"


@pytest.mark.parametrize("raw", ["11010519491231002", "11010519491231002X1", "", "1101051949"])
def test_wrong_length_is_rejected(raw: str):
    error = parse_error(raw, "身份证号码应为18位（旧号码为15位）")
    assert error.reason == "length"
    assert str(len(raw.strip())) in str(error)


def test_31_february_is_rejected_even_with_a_valid_check_character():
    number = with_check("110105" + "19900231" + "002")
    error = parse_error(number, "19900231 不是有效日期")
    assert error.reason == "birth_date"
    assert "19900231" in str(error)


def test_birth_date_in_the_future_is_rejected():
    number = with_check("110105" + "20240602" + "002")
    error = parse_error(number, "晚于今天（2024-06-01）", today=TODAY)
    assert error.reason == "birth_date"
    assert "2024-06-02" in str(error)
    # The same number is fine once that day has come.
    assert parse_resident_id(number, today=datetime.date(2024, 6, 2)).birth_date == datetime.date(2024, 6, 2)


def test_birth_date_before_1880_is_rejected():
    error = parse_error(with_check("440524" + "18791231" + "001"), "1879-12-31 早于 1880-01-01")
    assert error.reason == "birth_date"
    assert "1880-01-01" in str(error)


def test_today_defaults_to_the_real_date():
    tomorrow = local_today() + datetime.timedelta(days=1)  # China's date: "today" is the one clock's (cunwu.clock)
    with pytest.raises(ResidentIdError, match="晚于今天"):
        parse_resident_id(with_check("110105" + tomorrow.strftime("%Y%m%d") + "001"))


# --- legacy 15-digit numbers ---


def test_legacy_number_is_converted():
    # 110105 491231 002 → insert "19" before the year → 11010519491231002 → check char X
    # (the docs/domain.md test number).
    rid = parse_resident_id("110105491231002", today=TODAY)
    assert rid.number == "11010519491231002X"
    assert rid.converted_from_legacy is True
    assert rid.birth_date == datetime.date(1949, 12, 31)
    assert rid.sex == "F"
    assert any("11010519491231002X" in note for note in rid.notes)


def test_legacy_male_number_is_converted():
    # 130926 800101 003 → 13092619800101003; weighted sum 198, 198 mod 11 = 0 → check char 1.
    rid = parse_resident_id("130926800101003", today=TODAY)
    assert rid.number == "130926198001010031"
    assert rid.sex == "M"


def test_legacy_number_with_a_letter_is_rejected():
    assert parse_error("11010549123100X", "15位旧身份证号码只能由数字组成").reason == "characters"


def test_legacy_number_with_an_impossible_date_is_rejected():
    assert parse_error("110105490230002", "19490230 不是有效日期").reason == "birth_date"


# --- address codes: never a reason to reject ---


def test_unknown_address_code_is_accepted_with_a_note():
    number = with_check("999999" + "19900101" + "001")
    assert not ric.is_valid(number)  # stdnum's validate would reject it: we must not
    rid = parse_resident_id(number, today=TODAY)
    assert rid.number == number
    assert rid.address_code == "999999"
    assert len(rid.notes) == 1
    assert "999999" in rid.notes[0]


def test_abolished_address_code_is_accepted_with_a_note():
    # 110103 (崇文区, Beijing) was abolished in 2010; a child registered there before keeps the code.
    number = with_check("110103" + "20150101" + "002")
    assert not ric.is_valid(number)
    rid = parse_resident_id(number, today=TODAY)
    assert rid.address_code == "110103"
    assert any("110103" in note for note in rid.notes)


def test_address_code_older_than_the_table_is_accepted_with_a_note():
    # stdnum's table dates 440524 from 1983, so it rejects this docs/domain.md test number for a person born 1880.
    assert not ric.is_valid("440524188001010014")
    rid = parse_resident_id("440524188001010014", today=TODAY)
    assert any("440524" in note for note in rid.notes)


# --- stated details ---


@pytest.mark.parametrize("sex", ["F", "f", "female", "女", None, ""])
def test_stated_details_that_agree_give_no_problem(sex: str | None):
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    assert check_stated_details(rid, sex=sex, birth_date=datetime.date(1949, 12, 31)) == []
    assert check_stated_details(rid, sex=sex, birth_date=None) == []


def test_stated_male_for_a_female_number_is_explained():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    problems = check_stated_details(rid, sex="男", birth_date=None)
    assert problems == ["所填性别为男，但身份证号码第17位为偶数，表示女性"]


def test_stated_female_for_a_male_number_is_explained():
    rid = parse_resident_id("440524188001010014", today=TODAY)
    problems = check_stated_details(rid, sex="F", birth_date=datetime.date(1880, 1, 1))
    assert problems == ["所填性别为女，但身份证号码第17位为奇数，表示男性"]


def test_stated_birth_date_mismatch_names_both_dates():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    problems = check_stated_details(rid, sex="F", birth_date=datetime.date(1949, 1, 31))
    assert len(problems) == 1
    assert "1949-01-31" in problems[0]
    assert "1949-12-31" in problems[0]


def test_both_mismatches_are_reported():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    assert len(check_stated_details(rid, sex="M", birth_date=datetime.date(1950, 1, 1))) == 2


def test_unrecognised_stated_sex_is_reported():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    problems = check_stated_details(rid, sex="unknown", birth_date=None)
    assert len(problems) == 1
    assert "unknown" in problems[0]


# --- English ---


@pytest.mark.usefixtures("english")
def test_messages_are_translated_to_english():
    error = parse_error("110105194912310021", "Wrong check character")
    assert str(error) == "Wrong check character in the resident ID number: expected X, found 1"
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    assert check_stated_details(rid, sex="M", birth_date=None) == [
        "The stated sex is male, but the 17th digit of the resident ID number is even, which means female"
    ]


def test_locale_is_back_to_chinese_after_the_english_test():
    assert "校验位" in str(parse_error("110105194912310021", "校验位"))


def _msgids(module_file: str) -> set[str]:
    tree = ast.parse(Path(module_file).read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def test_every_message_has_an_english_translation_with_the_same_placeholders():
    po_file = Path(i18n.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "messages.po"
    with po_file.open("rb") as handle:
        catalog = read_po(handle)
    msgids = _msgids(resident_id_module.__file__)
    assert len(msgids) >= 10
    for msgid in msgids:
        message = catalog.get(msgid)
        assert message is not None and message.string, f"no English translation for {msgid!r}"
        placeholder = re.compile(r"%\(\w+\)[sdr]")
        assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(message.string)), msgid


# --- generation ---


@pytest.mark.parametrize(
    ("sequence", "sex"), [(0, "F"), (1, "M"), (2, "F"), (17, "M"), (998, "F"), (999, "M")]
)
def test_generated_numbers_are_valid_and_carry_the_sex(sequence: int, sex: str):
    number = generate_resident_id("130926", datetime.date(1990, 1, 1), sequence)
    assert number[:17] == f"13092619900101{sequence:03d}"
    assert number[17] == check_char(number[:17])
    rid = parse_resident_id(number, today=TODAY)
    assert rid.sex == sex
    assert rid.birth_date == datetime.date(1990, 1, 1)


def test_generate_reproduces_the_rules_test_numbers():
    assert generate_resident_id("110105", datetime.date(1949, 12, 31), 2) == "11010519491231002X"
    assert generate_resident_id("440524", datetime.date(1880, 1, 1), 1) == "440524188001010014"


@pytest.mark.parametrize(
    ("address_code", "sequence"),
    [("13092", 1), ("1309261", 1), ("13092A", 1), ("130926", -1), ("130926", 1000)],
)
def test_generate_refuses_bad_input(address_code: str, sequence: int):
    with pytest.raises(ValueError, match="地址码必须是6位数字" if len(address_code) != 6 or not address_code.isdigit()
                       else "顺序码必须在 0 到 999 之间"):
        generate_resident_id(address_code, datetime.date(1990, 1, 1), sequence)


# --- boundaries ---


def test_a_number_using_all_ten_digits_is_valid():
    """Digits are checked as a subset of 0–9 (not a strict one): 130926 1987-05-24 gives every digit once or more."""
    number = with_check("130926" + "19870524" + "001")
    assert set(number[:17]) == set("0123456789")
    assert parse_resident_id(number, today=TODAY).number == number
    legacy = parse_resident_id("130926870524123", today=TODAY)
    assert set("130926870524123") == set("0123456789")
    assert legacy.number == with_check("130926" + "19870524" + "123")
    assert legacy.birth_date == datetime.date(1987, 5, 24)


@pytest.mark.parametrize("length", [14, 16, 17, 19])
def test_lengths_next_to_15_and_18_are_rejected(length: int):
    raw = ("11010519491231002X" + "1234")[:length]
    assert parse_error(raw, f"实际为 {length} 位").reason == "length"


def test_a_full_width_colon_is_not_a_digit():
    """Only the ten full-width digits (U+FF10–U+FF19) are read as digits; the next character (：) is not."""
    error = parse_error("110105194912310：2X", "前17位必须是数字")
    assert error.reason == "characters"


@pytest.mark.parametrize(("born", "accepted"), [
    (TODAY, True), (TODAY + datetime.timedelta(days=1), False),
    (datetime.date(1880, 1, 1), True), (datetime.date(1879, 12, 31), False),
])
def test_birth_date_limits_are_inclusive(born: datetime.date, accepted: bool):
    number = with_check("440524" + born.strftime("%Y%m%d") + "001")
    if accepted:
        assert parse_resident_id(number, today=TODAY).birth_date == born
    else:
        assert parse_error(number, "晚于今天|早于 1880-01-01").reason == "birth_date"


@pytest.mark.parametrize(("digit", "sex"), [("0", "F"), ("1", "M"), ("8", "F"), ("9", "M")])
def test_sex_follows_the_parity_of_the_17th_digit(digit: str, sex: str):
    number = with_check("11010519800101" + "00" + digit)
    assert parse_resident_id(number, today=TODAY).sex == sex
    assert read_resident_id(number, today=TODAY)[2] == sex  # the import's reader, without the notes


@pytest.mark.parametrize("first17", ["11010519800101001", "11010519800101002", "13092620151231999"])
def test_the_imports_reader_gives_what_the_full_parse_gives(first17: str):
    for raw in (with_check(first17), " " + with_check(first17).lower() + " ", first17[:6] + first17[8:]):  # 15: legacy
        full = parse_resident_id(raw, today=TODAY)
        assert read_resident_id(raw, today=TODAY) == (full.number, full.birth_date, full.sex)


@pytest.mark.parametrize("born", [datetime.date(1990, 5, 20), datetime.date(1990, 10, 1), datetime.date(1990, 12, 31)])
def test_a_current_address_code_gives_no_note_in_any_month(born: datetime.date):
    assert parse_resident_id(generate_resident_id("110105", born, 1), today=TODAY).notes == ()


def test_the_address_note_names_the_code_and_the_birth_year():
    rid = parse_resident_id(with_check("110103" + "20150615" + "001"), today=TODAY)  # 崇文区, abolished 2010
    assert rid.notes == (
        "地址码 110103 不在行政区划代码表中（或在 2015 年不存在），可能是已撤销或已变更的代码；"
        "公民保留首次登记时的地址码，号码仍然有效",
    )


@pytest.mark.parametrize("sequence", [0, 1, 998, 999])
def test_generate_accepts_every_sequence_from_0_to_999(sequence: int):
    number = generate_resident_id("130926", datetime.date(1990, 1, 1), sequence)
    assert number[14:17] == f"{sequence:03d}"
    assert parse_resident_id(number, today=TODAY).sex == ("M" if sequence % 2 else "F")


def test_generate_refuses_a_year_before_1000():
    with pytest.raises(ValueError, match="出生年份必须是4位数：999"):
        generate_resident_id("130926", datetime.date(999, 1, 1), 1)
