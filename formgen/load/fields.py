"""The field types of project files: each parses the exact text a user wrote.

Inputs arrive as the text of the YAML file (see ``yamlread``), so every type here
parses text: money becomes ``Decimal`` without ever passing through ``float``,
dates accept ``2023-1-1``, and texts are kept as written. Each type also says what
an editor should accept (``WithJsonSchema``), for ``formgen schema``.
"""

from __future__ import annotations

import datetime
import difflib
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Annotated, Optional

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from .. import wording
from ..money import CENT
from .messages import shown


# Below a trillion 元: every amount stays exact in a spreadsheet's double (15 significant digits).
MAX_NUMBER = Decimal("999999999999.99")
# Excel keeps at most this many characters in a cell; a longer text would be cut without a word.
MAX_TEXT_CHARACTERS = 32767
# A name (项目名称, 实施单位, 汇总表标题…) is printed in the title block and in every page's footer,
# and stored in the DOCX and XLSX document properties, which hold at most 255 characters; 200 leave
# room for the footer's page numbers (an Excel footer holds 255 too). The longest real name has 30.
MAX_NAME_CHARACTERS = 200


def _decimal(value: object, what: str, example: str) -> Decimal | None:
    """An exact non-negative number with at most two decimals, from text such as ``3,079,000.10``."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    text = str(value).strip().replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None and what == "金额":
        in_wan = re.fullmatch(r"([\d.]+)\s*万元?", text)
        if in_wan and _is_number(in_wan.group(1)):
            yuan = Decimal(in_wan.group(1)) * 10000
            raise PydanticCustomError("number", '金额以元为单位：“{value}”应写作 {yuan}', {"value": shown(value), "yuan": f"{yuan:f}"})
        in_yuan = re.fullmatch(r"([\d.]+)\s*元", text)
        if in_yuan and _is_number(in_yuan.group(1)):
            raise PydanticCustomError("number", '金额只写数字，不带“元”：应写作 {plain}', {"plain": in_yuan.group(1)})
    if number is None or not number.is_finite():
        raise PydanticCustomError("number", '应为{what}（如 {example}），实际为 "{value}"',
                                  {"what": what, "example": example, "value": shown(value)})
    if number < 0:
        raise PydanticCustomError("number", '{what}不能为负数，实际为 "{value}"', {"what": what, "value": shown(value)})
    if number > MAX_NUMBER:
        raise PydanticCustomError("number", '{what}过大（最多 999,999,999,999.99），实际为 "{value}"',
                                  {"what": what, "value": shown(value)})
    if number != number.quantize(CENT):
        raise PydanticCustomError("number", '{what}最多两位小数，实际为 "{value}"', {"what": what, "value": shown(value)})
    return number


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _money(value: object) -> Decimal | None:
    return _decimal(value, "金额", "400000.00")


def _points(value: object) -> Decimal | None:
    return _decimal(value, "分数", "10 或 8.68")


def _percent(value: object) -> Decimal | None:
    return _decimal(value, "百分数", "86.75")


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def _date(value: object) -> datetime.date | None:
    """A calendar date from ``2023-01-01``, ``2023-1-1``, ``2023/1/1`` or ``2023年1月1日``."""
    if value is None or isinstance(value, datetime.date):
        return value
    match = _DATE.match(str(value).strip())
    try:
        if match:
            return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        pass
    raise PydanticCustomError("date", '应为日期（如 2023-01-01），实际为 "{value}"', {"value": shown(value)})


def _year(value: object) -> int:
    text = str(value).strip()
    if re.fullmatch(r"20\d\d", text):
        return int(text)
    raise PydanticCustomError("year", '应为四位年度（如 2023），实际为 "{value}"', {"value": shown(value)})


_PERIOD = re.compile(r"^(\d{4})\s*年?\s*[-—–~至]\s*(\d{4})\s*年?$")


def _period(value: object) -> tuple[int, int] | None:
    """The project's whole period, written ``2023-2025``."""
    if value is None or isinstance(value, tuple):
        return value
    match = _PERIOD.match(str(value).strip())
    if not match:
        raise PydanticCustomError("period", '应为起止年度（如 2023-2025），实际为 "{value}"', {"value": shown(value)})
    return int(match.group(1)), int(match.group(2))


# Characters no DOCX or XLSX may hold; tab and line break are fine.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: object) -> str | None:
    """A text as written; only the line break a YAML block scalar adds at its end is dropped."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PydanticCustomError("text", "应为文本", {})
    if _CONTROL.search(value):
        raise PydanticCustomError("text", "文本中有不可见的控制字符，请删除后重试", {})
    text = value.rstrip("\n")
    if len(text) > MAX_TEXT_CHARACTERS:  # what the cell holds: a block scalar's last line break is not
        raise PydanticCustomError("text", "文本过长（{length} 字），一个单元格最多 {limit} 字，请拆分或精简",
                                  {"length": len(text), "limit": MAX_TEXT_CHARACTERS})
    return text


# Characters that change how a text reads without showing: format characters (a right-to-left
# override, a zero-width space) and the line and paragraph separators.
INVISIBLE_CATEGORIES = ("Cf", "Zl", "Zp")


def _invisible_character(text: str) -> str | None:
    """The first invisible character of ``text``, as ``U+202E``: in a name it makes a form or a file
    name read otherwise than it is written."""
    found = next((ch for ch in text if unicodedata.category(ch) in INVISIBLE_CATEGORIES), None)
    return None if found is None else f"U+{ord(found):04X}"


def valid_name(value: object) -> str | None:
    """A name as written, within ``MAX_NAME_CHARACTERS`` and with nothing invisible in it."""
    text = _text(value)
    if text is None:
        return None
    if len(text) > MAX_NAME_CHARACTERS:
        raise PydanticCustomError("name", "名称过长（{length} 字），最多 {limit} 字，请精简",
                                  {"length": len(text), "limit": MAX_NAME_CHARACTERS})
    invisible = _invisible_character(text)
    if invisible:
        raise PydanticCustomError("name", "名称中有不可见的格式字符 {code}（常随网页或其他文档复制而来），"
                                  "它会改变文字或文件名的显示，请删除", {"code": invisible})
    return text


def _required_name(value: object) -> str:
    """A name that must say something: empty or blank is an error, not a form named 未命名项目."""
    name = valid_name(value)
    if name is None or not name.strip():
        raise PydanticCustomError("text", "不能为空，请填写", {})
    return name


def _target(value: object) -> str:
    """A 三级 indicator's target: ``名称: 指标值`` or ``名称: {指标值: …}``."""
    if isinstance(value, dict):
        extra = [key for key in value if key != "指标值"]
        if extra:
            raise PydanticCustomError("target", "申报表的指标只有 指标值 一项，多了：{extra}", {"extra": "、".join(extra)})
        value = value.get("指标值")
    if value is None or value == "":
        raise PydanticCustomError("target", "缺少指标值", {})
    return _target_text(value)


def _target_text(value: object) -> str | None:
    """An 指标值 or 实际完成值 exactly as written (``＞90.00(百分比)`` stays full-width on the form;
    ``targets`` reads it as ``>`` when it compares)."""
    text = _text(value)
    return None if text is None else text.strip()


def empty_as_mapping(value: object) -> object:
    """An empty level (``产出指标:`` with nothing under it) reads as an empty mapping; rules flag it."""
    return {} if value is None else value


# What an editor sees (``formgen schema``): the values as YAML types them before formgen reads the text.
_NUMBER = {"type": ["number", "string"]}
_TEXT_OR_NUMBER = {"type": ["string", "number"]}

# A number, or its text with thousands separators: "115万" is flagged in the editor too.
_AMOUNT = {"type": ["number", "string"], "pattern": r"^\s*\d[\d,]*(\.\d{1,2})?\s*$"}
Money = Annotated[Optional[Decimal], BeforeValidator(_money), WithJsonSchema({**_AMOUNT, "type": ["number", "string", "null"]})]
RequiredMoney = Annotated[Decimal, BeforeValidator(_money), WithJsonSchema(_AMOUNT)]
Points = Annotated[Optional[Decimal], BeforeValidator(_points), WithJsonSchema({"type": ["number", "string", "null"]})]
RequiredPoints = Annotated[Decimal, BeforeValidator(_points), WithJsonSchema(_NUMBER)]
Percent = Annotated[Optional[Decimal], BeforeValidator(_percent), WithJsonSchema({"type": ["number", "string", "null"]})]
Date = Annotated[Optional[datetime.date], BeforeValidator(_date),
                 WithJsonSchema({"type": ["string", "null"], "pattern": r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?$"})]
Year = Annotated[int, BeforeValidator(_year), WithJsonSchema({"type": ["integer", "string"], "pattern": "^20\\d\\d$"})]
Text = Annotated[Optional[str], BeforeValidator(_text)]
Name = Annotated[Optional[str], BeforeValidator(valid_name),
                 WithJsonSchema({"type": ["string", "null"], "maxLength": MAX_NAME_CHARACTERS})]
RequiredName = Annotated[str, BeforeValidator(_required_name),
                         WithJsonSchema({"type": "string", "maxLength": MAX_NAME_CHARACTERS})]
Target = Annotated[str, BeforeValidator(_target), WithJsonSchema({"anyOf": [
    _TEXT_OR_NUMBER, {"type": "object", "properties": {"指标值": _TEXT_OR_NUMBER}, "additionalProperties": False}]})]
TargetText = Annotated[str, BeforeValidator(_target_text), WithJsonSchema(_TEXT_OR_NUMBER)]
Level3 = Annotated[dict[str, Target], BeforeValidator(empty_as_mapping)]
Level2 = Annotated[dict[str, Level3], BeforeValidator(empty_as_mapping)]
Period = Annotated[Optional[tuple[int, int]], BeforeValidator(_period),
                  WithJsonSchema({"type": ["string", "null"], "pattern": r"^\d{4}\s*年?\s*[-—–~至]\s*\d{4}\s*年?$"})]
IndicatorTree = Annotated[dict[str, Level2], BeforeValidator(empty_as_mapping)]


def _wording(value: object) -> dict[str, str]:
    """措辞: {label printed by default: the unit's own words}; every key must be a label of the forms."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PydanticCustomError("wording", "应为 表上的标签: 本单位的写法，如 {{项目总目标: 项目总体目标}}", {})
    known = wording.known_labels()
    for key, words in value.items():
        if key not in known:
            close = difflib.get_close_matches(key, known, n=2, cutoff=0.5)
            hint = f"，是否想写 {' 或 '.join(close)}？" if close else "；可改的标签见 docs/fields.md"
            raise PydanticCustomError("wording", "“{key}”不是表上印的标签{hint}", {"key": key, "hint": hint})
        if not isinstance(words, str) or not words.strip():
            raise PydanticCustomError("wording", "“{key}”的写法应为文本", {"key": key})
    return dict(value)


def _date_style(value: object) -> str | None:
    if value is None:
        return None
    style = wording.date_style(str(value))
    if style is None:
        raise PydanticCustomError("date_style", '应为一个示例日期，如 2023-1-1、2023-01-01 或 2023年1月1日，实际为 "{value}"',
                                  {"value": shown(value)})
    return style


def _decimals(value: object) -> int:
    if str(value).strip() in ("0", "2"):
        return int(str(value).strip())
    raise PydanticCustomError("decimals", '应为 0（整元，如 3,870,000）或 2（如 3,870,000.00），实际为 "{value}"',
                              {"value": shown(value)})


Wording = Annotated[dict[str, str], BeforeValidator(_wording),
                    WithJsonSchema({"type": ["object", "null"], "additionalProperties": {"type": "string"}})]
DateStyle = Annotated[Optional[str], BeforeValidator(_date_style), WithJsonSchema({"type": ["string", "null"]})]
Decimals = Annotated[int, BeforeValidator(_decimals), WithJsonSchema({"enum": [0, 2, "0", "2"]})]

