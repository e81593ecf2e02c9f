"""The typed project: what a form says, validated field by field.

Each class mirrors one form kind of the field reference (``docs/``); its field
aliases are the Chinese labels users write, its field types (``fields``) parse
the exact text of the file.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from . import scoring
from .fields import (Date, DateStyle, Decimals, IndicatorTree, Money, Name, Percent, Period, Points, RequiredMoney,
                     RequiredName, RequiredPoints, TargetText, Text, Wording, Year, empty_as_mapping)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class _Printed(_Strict):
    """How a form is printed where units differ (see ``formgen.wording``); usually set in formgen.yaml."""

    wording: Wording = Field(default_factory=dict, alias="措辞",
                             description="表上标签的本单位写法，如 {项目总目标: 项目总体目标, 年度总体目标: 年度总目标}")
    date_style: DateStyle = Field(None, alias="日期格式",
                                  description="日期的印法，写一个示例日期：2023-01-01（默认）、2023-1-1 或 2023年1月1日")
    amount_decimals: Decimals = Field(2, alias="金额小数位",
                                      description="金额印几位小数：2（默认，3,870,000.00）或 0（3,870,000；有角分的金额仍印两位）")


class DeclarationFunding(_Strict):
    """项目资金 of a 申报表, in 元. A key left out is an empty cell, never a zero."""

    total: Money = Field(None, alias="项目资金总额", description="元；应等于 财政资金 + 其他资金")
    fiscal: Money = Field(None, alias="财政资金", description="元")
    other: Money = Field(None, alias="其他资金", description="元")
    annual_total: Money = Field(None, alias="年度资金申请总额", description="元；应等于 当年财政拨款 + 上年结转资金 + 年度其他资金")
    annual_appropriation: Money = Field(None, alias="当年财政拨款", description="元")
    carried_over: Money = Field(None, alias="上年结转资金", description="元")
    annual_other: Money = Field(None, alias="年度其他资金", description="元（表上印为“其他资金”）")


class Declaration(_Printed):
    """财政项目支出绩效目标申报表: a project's declared performance targets for one year."""

    form: Literal["申报表"] = Field(alias="表单", description="表单种类：申报表、自评表或目标表（2020 年版）；可在 formgen.yaml 中统一写")
    year: Year = Field(alias="年度", description="四位年度，如 2023；表头印为（2023年度）")
    name: RequiredName = Field(alias="项目名称", description="项目名称，也是输出文件名")
    nature: Text = Field(None, alias="项目性质", description="如 其他一次性项目、经常性项目")
    category: Text = Field(None, alias="项目类别", description="如 特定目标类、其他运转类")
    department: Name = Field(None, alias="主管部门", description="主管部门名称；可在 formgen.yaml 中统一写")
    implementer: Name = Field(None, alias="实施单位", description="实施单位名称；可在 formgen.yaml 中统一写")
    start: Date = Field(None, alias="计划开始日期", description="日期，如 2023-01-01（也可写 2023-1-1、2023年1月1日）")
    end: Date = Field(None, alias="计划完成日期", description="日期，不得早于计划开始日期")
    funding: DeclarationFunding = Field(default_factory=DeclarationFunding, alias="项目资金", description="项目资金，单位为元，按原样精确保存；不写的金额显示为空格")
    period: Period = Field(None, alias="项目总目标期间", description="项目总目标的起止年度，如 2023-2025")
    overall_goal: Text = Field(None, alias="项目总目标", description="项目的总体目标，长文本；可用 | 分行书写")
    annual_goal: Text = Field(None, alias="年度总体目标", description="申报表：本年度的总体目标（长文本）；自评表：预期目标 和 实际完成情况")
    indicators: IndicatorTree = Field(alias="绩效指标", description="指标：一级指标 → 二级指标 → 三级指标: 指标值，按书写顺序排列")

    @property
    def headline_amount(self) -> Decimal | None:
        """The 项目资金 a 汇总表 index lists: the year's 年度资金申请总额, else 项目资金总额 (元)."""
        f = self.funding
        return f.annual_total if f.annual_total is not None else f.total


class FundingLine(_Strict):
    """One row of a 自评表's 项目资金, in 元; 执行率 is computed (a typed one is checked)."""

    initial: RequiredMoney = Field(alias="年初预算数", description="元")
    annual: RequiredMoney = Field(alias="全年预算数", description="元；执行率 = 全年执行数 / 全年预算数")
    executed: RequiredMoney = Field(alias="全年执行数", description="元")
    rate_given: Percent = Field(None, alias="执行率", description="百分数，两位小数；由 formgen 计算，写了则核对")

    @property
    def rate(self) -> Decimal:
        return scoring.execution_rate(self.annual, self.executed)


class FundingTotal(_Strict):
    """年度资金总额 as a user may have typed it: every figure is checked against the computation."""

    initial: Money = Field(None, alias="年初预算数", description="元")
    annual: Money = Field(None, alias="全年预算数", description="元；执行率 = 全年执行数 / 全年预算数")
    executed: Money = Field(None, alias="全年执行数", description="元")
    rate_given: Percent = Field(None, alias="执行率", description="百分数，两位小数；由 formgen 计算，写了则核对")


class SelfEvaluationFunding(_Strict):
    """项目资金 of a 自评表: three rows in 元, their total computed column by column."""

    appropriation: FundingLine = Field(alias="当年财政拨款", description="元")
    carried_over: FundingLine = Field(alias="上年结转资金", description="元")
    other: FundingLine = Field(alias="其他资金", description="元")
    total_given: Optional[FundingTotal] = Field(None, alias="年度资金总额", description="三行之和，由 formgen 计算；写了则逐项核对")

    @property
    def total(self) -> FundingLine:
        parts = (self.appropriation, self.carried_over, self.other)
        return FundingLine.model_construct(
            initial=sum((p.initial for p in parts), Decimal(0)),
            annual=sum((p.annual for p in parts), Decimal(0)),
            executed=sum((p.executed for p in parts), Decimal(0)),
            rate_given=None)

    def rows(self) -> list[tuple[str, str, FundingLine]]:
        """(label, field name, figures) of the four rows as printed, the total first."""
        return [("年度资金总额", "年度资金总额", self.total),
                ("其中：当年财政拨款", "当年财政拨款", self.appropriation),
                ("上年结转资金", "上年结转资金", self.carried_over),
                ("其他资金", "其他资金", self.other)]


class Evaluation(_Strict):
    """A 三级 indicator judged at year end: target, result, weight and score."""

    target: TargetText = Field(alias="指标值", description="年度指标值，按原样显示，如 ≥2(人)、=100(%)、及时")
    actual: TargetText = Field(alias="实际完成值", description="实测值（如 7.00(次)），或 达成指标 / 部分达成指标并具有一定效果 / 未达成指标且效果较差")
    weight: RequiredPoints = Field(alias="分值", description="本指标的分值")
    score_given: Points = Field(None, alias="得分", description="本指标的得分；留空时 formgen 按完成情况建议")
    reason: Text = Field(None, alias="偏差原因分析及改进措施", description="未达成时须写明原因和改进措施")

    @property
    def proposal(self) -> scoring.Proposal | None:
        return None if self.score_given is not None else scoring.propose(self.target, self.actual, self.weight)

    @property
    def score(self) -> Decimal | None:
        """The score printed: the one given, else the one proposed, else None (the officer must judge)."""
        if self.score_given is not None:
            return self.score_given
        proposal = self.proposal
        return proposal.score if proposal else None

    @property
    def met(self) -> bool | None:
        return scoring.is_met(self.target, self.actual)


class Goals(_Strict):
    expected: Text = Field(None, alias="预期目标", description="年初的预期目标（长文本）")
    achieved: Text = Field(None, alias="实际完成情况", description="年底的实际完成情况（长文本）")


EvaluationLevel3 = Annotated[dict[str, Evaluation], BeforeValidator(empty_as_mapping)]
EvaluationLevel2 = Annotated[dict[str, EvaluationLevel3], BeforeValidator(empty_as_mapping)]
EvaluationTree = Annotated[dict[str, EvaluationLevel2], BeforeValidator(empty_as_mapping)]


class SelfEvaluation(_Printed):
    """财政项目支出绩效自评表: the year-end self-evaluation, its figures computed to the cent."""

    form: Literal["自评表"] = Field(alias="表单", description="表单种类：申报表、自评表或目标表（2020 年版）；可在 formgen.yaml 中统一写")
    year: Year = Field(alias="年度", description="四位年度，如 2023；表头印为（2023年度）")
    name: RequiredName = Field(alias="项目名称", description="项目名称，也是输出文件名")
    department: Name = Field(None, alias="主管部门", description="主管部门名称；可在 formgen.yaml 中统一写")
    implementer: Name = Field(None, alias="实施单位", description="实施单位名称；可在 formgen.yaml 中统一写")
    declaration: Text = Field(None, alias="申报表", description="由哪个申报表项目文件生成（相对本文件的路径，"
                              "formgen new 自评表 写入）；检查时据此核对指标、指标值和年初预算数")
    funding: SelfEvaluationFunding = Field(alias="项目资金", description="项目资金，单位为元，按原样精确保存；不写的金额显示为空格")
    budget_weight: RequiredPoints = Field(Decimal(10), alias="预算执行分值", description="预算执行的分值，默认 10；与各指标分值之和须为 100")
    budget_score_given: Points = Field(None, alias="预算执行得分", description="由 formgen 计算（分值 × 执行率 / 100）；写了则核对")
    goals: Goals = Field(default_factory=Goals, alias="年度总体目标", description="申报表：本年度的总体目标（长文本）；自评表：预期目标 和 实际完成情况")
    indicators: EvaluationTree = Field(alias="绩效指标", description="指标：一级指标 → 二级指标 → 三级指标: 指标值，按书写顺序排列")
    total_given: Points = Field(None, alias="总分", description="由 formgen 计算；写了则核对")
    grade_given: Text = Field(None, alias="评分等级", description="优 ≥ 90，良 ≥ 80，中 ≥ 60，差 < 60；由 formgen 计算，写了则核对")

    def evaluations(self):
        """(一级, 二级, 三级, Evaluation) of every indicator, in the order written."""
        for level1, groups in self.indicators.items():
            for level2, items in groups.items():
                for name, item in items.items():
                    yield level1, level2, name, item

    @property
    def headline_amount(self) -> Decimal:
        """The 项目资金 a 汇总表 index lists: the year's 全年预算数 (元)."""
        return self.funding.total.annual

    @property
    def budget_score(self) -> Decimal:
        return scoring.budget_score(self.budget_weight, self.funding.total.rate)

    @property
    def total_weight(self) -> Decimal:
        return self.budget_weight + sum((e.weight for *_, e in self.evaluations()), Decimal(0))

    @property
    def total_score(self) -> Decimal | None:
        scores = [e.score for *_, e in self.evaluations()]
        if any(score is None for score in scores):
            return None
        return self.budget_score + sum(scores, Decimal(0))

    @property
    def grade(self) -> str | None:
        total = self.total_score
        return None if total is None else scoring.grade(total)


class PriorYearFunding(_Strict):
    """本项目上年度市级财政资金使用情况 of a 目标表, in 元."""

    total: Money = Field(None, alias="项目总预算", description="元")
    this_year: Money = Field(None, alias="项目当年预算", description="元")
    last_year: Money = Field(None, alias="同名项目上年预算额", description="元")
    last_year_executed: Money = Field(None, alias="同名项目上年预算执行数", description="元")


class TargetTable(_Printed):
    """财政项目支出绩效目标表, the 2020 layout: the project described, its funding, its targets."""

    form: Literal["目标表"] = Field(alias="表单", description="表单种类：申报表、自评表或目标表（2020 年版）；可在 formgen.yaml 中统一写")
    year: Year = Field(alias="年度", description="四位年度，如 2023；表头印为（2023年度）")
    unit: Name = Field(None, alias="申报单位名称", description="目标表：申报单位名称")
    name: RequiredName = Field(alias="项目名称", description="项目名称，也是输出文件名")
    category: Text = Field(None, alias="项目类别", description="如 特定目标类、其他运转类")
    start: Date = Field(None, alias="计划开始日期", description="日期，如 2023-01-01（也可写 2023-1-1、2023年1月1日）")
    end: Date = Field(None, alias="计划完成日期", description="日期，不得早于计划开始日期")
    buys_services: Optional[Literal["是", "否"]] = Field(None, alias="是否含有政府购买服务", description="是 或 否")
    performance_type: Text = Field(None, alias="绩效类型", description="目标表：绩效类型")
    overview: Text = Field(None, alias="项目概况", description="目标表：项目概况（长文本）")
    basis: Text = Field(None, alias="立项依据", description="目标表：立项依据（长文本）")
    necessity: Text = Field(None, alias="项目设立的必要性", description="目标表：长文本")
    safeguards: Text = Field(None, alias="保证项目实施的制度、措施", description="目标表：长文本")
    plan: Text = Field(None, alias="项目实施计划", description="目标表：长文本")
    goals: Text = Field(None, alias="总目标及阶段性目标", description="目标表：长文本")
    funding: PriorYearFunding = Field(default_factory=PriorYearFunding, alias="资金使用情况", description="目标表：本项目上年度市级财政资金使用情况，元")
    indicators: IndicatorTree = Field(alias="绩效目标", description="目标表的指标：一级目标 → 二级目标 → 三级目标: 指标目标值")

    @property
    def headline_amount(self) -> Decimal | None:
        """The 项目资金 a 汇总表 index lists: the 项目当年预算 (元)."""
        return self.funding.this_year


FORM_MODELS: dict[str, type[BaseModel]] = {"申报表": Declaration, "自评表": SelfEvaluation, "目标表": TargetTable}

# Keys a formgen.yaml may set for every project below it, besides workspace settings.
INHERITABLE_FIELDS = ("表单", "年度", "主管部门", "实施单位", "申报单位名称", "项目性质", "项目类别",
                      "计划开始日期", "计划完成日期", "项目总目标期间", "措辞", "日期格式", "金额小数位")
