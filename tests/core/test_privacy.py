"""Masking of sensitive identifiers (PIPL art. 28; docs/domain.md §3)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from pydantic import ValidationError

from cunwu import i18n, privacy
from cunwu.privacy import MaskSettings, mask, mask_account, mask_phone

ID_NUMBER = "13092619900101123X"


@pytest.fixture
def english():
    token = i18n.current_locale.set("en")
    try:
        yield
    finally:
        i18n.current_locale.reset(token)


# --- mask ---


def test_rules_example_keeps_first_6_and_last_4_of_an_id():
    assert mask(ID_NUMBER) == "130926" + "*" * 8 + "123X"


@pytest.mark.parametrize("value", [None, ""])
def test_empty_value_gives_empty_string(value: str | None):
    assert mask(value) == ""
    assert mask_phone(value) == ""
    assert mask_account(value) == ""


@pytest.mark.parametrize("length", range(1, 31))
def test_length_is_kept_and_enough_is_hidden(length: int):
    value = "123456789ABCDEFGHIJKLMNOPQRSTU"[:length]
    masked = mask(value)
    assert len(masked) == length
    hidden = masked.count("*")
    # At least half hidden (rounded up); from 8 hidden characters on, the 6 + 4 practice mask applies.
    assert hidden >= min((length + 1) // 2, 8)
    assert length - hidden <= 10
    # What is shown is the real start and end of the value, in place, around one run of mask characters.
    shape = re.fullmatch(r"([^*]*)(\**)([^*]*)", masked)
    assert shape is not None
    assert value.startswith(shape.group(1))
    assert value.endswith(shape.group(3))


def test_short_values_keep_fewer_characters():
    # 11 characters with the 6 + 4 default: at least 6 hidden, the end keeps 3, the start the other 2.
    assert mask("13812345678") == "13******678"
    assert mask("abcd") == "a**d"
    assert mask("abc") == "**c"
    assert mask("a") == "*"


def test_sixteen_characters_are_half_hidden():
    assert mask("6222021234567890") == "6222********7890"


def test_stricter_settings():
    settings = MaskSettings(keep_start=3, keep_end=2, mask_char="•")
    assert mask(ID_NUMBER, settings) == "130" + "•" * 13 + "3X"


def test_nothing_shown_when_both_ends_are_zero():
    assert mask(ID_NUMBER, MaskSettings(keep_start=0, keep_end=0)) == "*" * 18


def test_keep_end_only_uses_the_whole_visible_allowance():
    assert mask("13812345678", MaskSettings(keep_start=0, keep_end=10)) == "******45678"


# --- settings ---


def test_default_settings_are_the_practice_mask():
    settings = MaskSettings()
    assert (settings.keep_start, settings.keep_end, settings.mask_char) == (6, 4, "*")


@pytest.mark.parametrize(("keep_start", "keep_end"), [(7, 4), (6, 5), (11, 0), (0, 11)])
def test_settings_looser_than_10_visible_characters_are_refused(keep_start: int, keep_end: int):
    with pytest.raises(ValueError, match="10"):
        MaskSettings(keep_start=keep_start, keep_end=keep_end)


def test_settings_cannot_be_loosened_after_creation():
    settings = MaskSettings()
    with pytest.raises(ValueError, match="掩码设置过于宽松：开头保留 8 位、结尾保留 4 位"):
        settings.keep_start = 8


@pytest.mark.parametrize("field", ["keep_start", "keep_end"])
def test_negative_counts_are_refused(field: str):
    with pytest.raises(ValueError, match=rf"{field}\n.*保留的字符数不能为负数（当前为 -1）"):
        MaskSettings(**{field: -1})


@pytest.mark.parametrize("mask_char", ["", "**"])
def test_mask_char_must_be_one_character(mask_char: str):
    with pytest.raises(ValueError, match=rf"mask_char\n.*掩码字符必须是单个字符（当前为 '{re.escape(mask_char)}'）"):
        MaskSettings(mask_char=mask_char)


def test_unknown_setting_is_refused():
    with pytest.raises(ValidationError, match=r"keep_middle\n.*Extra inputs are not permitted"):
        MaskSettings(keep_middle=3)  # type: ignore[call-arg]


@pytest.mark.usefixtures("english")
def test_too_loose_settings_message_in_english():
    with pytest.raises(ValueError, match="Masking settings too loose: 7 characters kept at the start"):
        MaskSettings(keep_start=7, keep_end=4)


# --- phones ---


def test_mobile_keeps_first_3_and_last_4():
    assert mask_phone("13812345678") == "138****5678"


def test_mobile_separators_and_country_code_are_dropped():
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138****5678"


def test_mobile_with_stricter_settings():
    assert mask_phone("13812345678", MaskSettings(keep_start=2, keep_end=2, mask_char="#")) == "13#######78"


def test_other_phone_numbers_use_the_general_rule():
    assert mask_phone("0312-5551234") == "03******234"


# --- bank accounts ---


def test_account_spaces_removed_first_6_last_4_kept():
    assert mask_account("6222 0212 3456 7890 123") == "622202*********0123"


def test_sixteen_digit_card_is_half_hidden():
    assert mask_account("6222 0212 3456 7890") == "6222********7890"


def test_every_message_has_an_english_translation_with_the_same_placeholders():
    tree = ast.parse(Path(privacy.__file__).read_text(encoding="utf-8"))
    msgids = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
    }
    po_file = Path(i18n.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "messages.po"
    with po_file.open("rb") as handle:
        catalog = read_po(handle)
    assert len(msgids) == 4  # three mask-setting errors and the age shown beside a masked ID
    placeholder = re.compile(r"%\(\w+\)[sdr]")
    for msgid in msgids:
        message = catalog.get(msgid)
        assert message is not None and message.string, f"no English translation for {msgid!r}"
        assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(message.string)), msgid
