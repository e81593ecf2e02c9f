"""The typed project: what a form says, validated field by field.

Each class mirrors one form kind of ``YAML.md``; its field aliases are the Chinese
labels users write. Inputs arrive as the exact text of the YAML file (see
``yamlread``), so every type here parses text: money becomes ``Decimal`` without
ever passing through ``float``, dates accept ``2023-1-1``, and texts are kept as
written.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

CENT = Decimal("0.01")


def _money(value: object) -> Decimal | None:
    """Exact amount from text such as ``3079000.10`` or ``3,079,000.10``."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    text = str(value).strip().replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise PydanticCustomError("money", '应为金额（如 400000.00），实际为 "{value}"', {"value": value}) from None
    if not amount.is_finite():
        raise PydanticCustomError("money", '应为金额（如 400000.00），实际为 "{value}"', {"value": value})
    if amount < 0:
        raise PydanticCustomError("money", '金额不能为负数，实际为 "{value}"', {"value": value})
    if amount != amount.quantize(CENT):
        raise PydanticCustomError("money", '金额最多两位小数（分），实际为 "{value}"', {"value": value})
    return amount


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
    raise PydanticCustomError("date", '应为日期（如 2023-01-01），实际为 "{value}"', {"value": value})


def _year(value: object) -> int:
    text = str(value).strip()
    if re.fullmatch(r"20\d\d", text):
        return int(text)
    raise PydanticCustomError("year", '应为四位年度（如 2023），实际为 "{value}"', {"value": value})


_PERIOD = re.compile(r"^(\d{4})\s*年?\s*[-—–~至]\s*(\d{4})\s*年?$")


def _period(value: object) -> tuple[int, int] | None:
    """The project's whole period, written ``2023-2025``."""
    if value is None or isinstance(value, tuple):
        return value
    match = _PERIOD.match(str(value).strip())
    if not match:
        raise PydanticCustomError("period", '应为起止年度（如 2023-2025），实际为 "{value}"', {"value": value})
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
    return value.rstrip("\n")


# Full-width comparison signs are read as their ASCII twins so `＞4(次)` and `>4(次)` agree.
_FULL_WIDTH = str.maketrans({"＞": ">", "＜": "<", "＝": "="})


def _target(value: object) -> str:
    """A 三级 indicator's target: ``名称: 指标值`` or ``名称: {指标值: …}``."""
    if isinstance(value, dict):
        extra = [key for key in value if key != "指标值"]
        if extra:
            raise PydanticCustomError("target", "申报表的指标只有 指标值 一项，多了：{extra}", {"extra": "、".join(extra)})
        value = value.get("指标值")
    if value is None or value == "":
        raise PydanticCustomError("target", "缺少指标值", {})
    return _text(value).strip().translate(_FULL_WIDTH)


def _mapping(value: object) -> object:
    """An empty level (``产出指标:`` with nothing under it) reads as an empty mapping; rules flag it."""
    return {} if value is None else value


Money = Annotated[Optional[Decimal], BeforeValidator(_money)]
Date = Annotated[Optional[datetime.date], BeforeValidator(_date)]
Year = Annotated[int, BeforeValidator(_year)]
Text = Annotated[Optional[str], BeforeValidator(_text)]
RequiredText = Annotated[str, BeforeValidator(_text)]
Target = Annotated[str, BeforeValidator(_target)]
Level3 = Annotated[dict[str, Target], BeforeValidator(_mapping)]
Level2 = Annotated[dict[str, Level3], BeforeValidator(_mapping)]
IndicatorTree = Annotated[dict[str, Level2], BeforeValidator(_mapping)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class DeclarationFunding(_Strict):
    """项目资金 of a 申报表, in 元. A key left out is an empty cell, never a zero."""

    total: Money = Field(None, alias="项目资金总额")
    fiscal: Money = Field(None, alias="财政资金")
    other: Money = Field(None, alias="其他资金")
    annual_total: Money = Field(None, alias="年度资金申请总额")
    annual_appropriation: Money = Field(None, alias="当年财政拨款")
    carried_over: Money = Field(None, alias="上年结转资金")
    annual_other: Money = Field(None, alias="年度其他资金")


class Declaration(_Strict):
    """财政项目支出绩效目标申报表: a project's declared performance targets for one year."""

    form: Literal["申报表"] = Field(alias="表单")
    year: Year = Field(alias="年度")
    name: RequiredText = Field(alias="项目名称")
    nature: Text = Field(None, alias="项目性质")
    category: Text = Field(None, alias="项目类别")
    department: Text = Field(None, alias="主管部门")
    implementer: Text = Field(None, alias="实施单位")
    start: Date = Field(None, alias="计划开始日期")
    end: Date = Field(None, alias="计划完成日期")
    funding: DeclarationFunding = Field(default_factory=DeclarationFunding, alias="项目资金")
    period: Annotated[Optional[tuple[int, int]], BeforeValidator(_period)] = Field(None, alias="项目总目标期间")
    overall_goal: Text = Field(None, alias="项目总目标")
    annual_goal: Text = Field(None, alias="年度总体目标")
    indicators: IndicatorTree = Field(alias="绩效指标")


FORM_MODELS: dict[str, type[BaseModel]] = {"申报表": Declaration}

# Keys a formgen.yaml may set for every project below it, besides workspace settings.
INHERITABLE_FIELDS = ("表单", "年度", "主管部门", "实施单位", "项目性质", "项目类别",
                      "计划开始日期", "计划完成日期", "项目总目标期间")
