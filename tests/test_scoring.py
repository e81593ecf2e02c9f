"""The 自评表 arithmetic on its edge cases."""

from decimal import Decimal as D

import pytest

from formgen import money
from formgen.load import scoring


def test_execution_rate_from_exact_amounts():
    assert scoring.execution_rate(D(302000), D(262000)) == D("86.75")
    assert scoring.execution_rate(D(0), D(0)) == D("0.00")  # nothing budgeted, nothing spent
    assert scoring.execution_rate(D(100), D(105)) == D("105.00")  # above 100 % is shown as it is


def test_rounding_is_half_up_at_the_half_cent():
    assert scoring.execution_rate(D(200000), D(155510)) == D("77.76")  # 77.755 → 77.76
    assert money.cents(D("8.675")) == D("8.68")
    assert money.cents(D("8.665")) == D("8.67")
    assert money.wan_yuan(D(191685)) == D("19.17")  # 19.1685 万元
    assert money.wan_yuan(D(191649)) == D("19.16")


def test_budget_score_uses_the_shown_rate_and_is_capped():
    assert scoring.budget_score(D(10), D("77.75")) == D("7.78")  # 7.775 → 7.78, as printed
    assert scoring.budget_score(D(10), D("86.75")) == D("8.68")
    assert scoring.budget_score(D(10), D("105.00")) == D(10)
    assert scoring.budget_score(D(0), D("50.00")) == D(0)


@pytest.mark.parametrize("total, grade", [(D("90.00"), "优"), (D("89.99"), "良"), (D(80), "良"),
                                          (D("79.99"), "中"), (D(60), "中"), (D("59.99"), "差"), (D(0), "差")])
def test_grade_bounds(total, grade):
    assert scoring.grade(total) == grade


def test_verdicts_ignore_extra_spaces():
    assert scoring.verdict(" 达成 指标 ") == scoring.MET
    assert scoring.verdict("部分达成指标并具有一定效果\n") == scoring.PARTLY_MET
    assert scoring.verdict("7.00(次)") is None


def test_met_targets_get_full_marks():
    assert scoring.propose(">4(次)", "7.00(次)", D(6)) == scoring.Proposal(D(6), "已达成指标，按满分")
    assert scoring.propose("≤20(%)", "0.00(%)", D(5)).score == D(5)
    assert scoring.propose("及时", "达成 指标", D(5)).score == D(5)
    assert scoring.propose("及时", "及时", D(5)).score == D(5)


def test_missed_targets_are_scored_in_proportion():
    assert scoring.propose("≥50(次)", "40.00(次)", D(10)).score == D("8.00")  # 40/50 × 10
    assert scoring.propose("≤20(%)", "25.00(%)", D(5)).score == D("4.00")  # 20/25 × 5
    assert scoring.propose("=100(%)", "95.00(%)", D(3)).score == D("2.85")
    assert scoring.propose(">4(次)", "4.00(次)", D(6)).score == D(6)  # 4/4 would be full: capped at 分值
    assert scoring.propose("≥4.00(次)", "0.00(次)", D(4)).score == D("0.00")


def test_no_proposal_where_the_officer_must_judge():
    assert scoring.propose("及时", scoring.PARTLY_MET, D(5)) is None
    assert scoring.propose("及时", scoring.NOT_MET, D(5)) is None
    assert scoring.propose("≥50(次)", "40.00(份)", D(5)) is None  # units differ
    assert scoring.propose("提升", "有所提升", D(5)) is None


def test_a_weight_of_zero():
    assert scoring.propose("≥50(次)", "40(次)", D(0)).score == D("0.00")
    assert scoring.score_in_band(scoring.MET, D(0), D(0))


def test_verdict_bands():
    assert scoring.score_in_band(scoring.MET, D(10), D(8))
    assert not scoring.score_in_band(scoring.MET, D(10), D("7.99"))
    assert scoring.score_in_band(scoring.PARTLY_MET, D(10), D(6))
    assert not scoring.score_in_band(scoring.PARTLY_MET, D(10), D(8))
    assert scoring.score_in_band(scoring.NOT_MET, D(10), D("5.99"))
    assert not scoring.score_in_band(scoring.NOT_MET, D(10), D(6))
    assert scoring.score_in_band("7.00(次)", D(10), D(3))  # a measured value has no band
